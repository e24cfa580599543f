package db_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// TestSheetDropImportsOnceAllOrNothing: two clicks on « Importer » at once import the drop
// once; a drop whose lots clash with the event's imports none of its structures either.
func TestSheetDropImportsOnceAllOrNothing(t *testing.T) {
	b := setup(t)
	files := 0
	save := func() *guichet.SheetDrop {
		files++
		d := &guichet.SheetDrop{PostID: "p", FileID: fmt.Sprint("f", files), ChannelID: "c", UserID: coordinator.UserID, FileName: "f.xlsx", Data: []byte("x"), EventID: &b.event.ID}
		require.NoError(t, b.db.SaveSheetDrop(b.ctx, d))
		require.NotZero(t, d.ID)
		require.Equal(t, guichet.SheetDropPending, d.Status)
		return d
	}
	d := save()
	again := &guichet.SheetDrop{PostID: "p", FileID: d.FileID, ChannelID: "c", UserID: coordinator.UserID, FileName: "f.xlsx", Data: []byte("x")}
	require.NoError(t, b.db.SaveSheetDrop(b.ctx, again))
	require.Equal(t, d.ID, again.ID, "a post heard twice keeps one drop per file")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM sheet_drops WHERE file_id = $1`, d.FileID))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.db.ImportSheetDrop(b.ctx, coordinator, d.ID,
				[]*guichet.Supplier{{Name: "Drop Structure", Categories: []string{"x"}}}, b.event.ID,
				[]*guichet.Lot{{Code: "DRP", Title: "Dropped", Category: "x", Quantity: 1, Budget: 100}})
		}()
	}
	wg.Wait()
	done := 0
	for _, err := range errs {
		if err == nil {
			done++
			continue
		}
		require.Equal(t, "ErrSheetsDropDone", guichet.AsError(err).MessageID)
	}
	require.Equal(t, 1, done)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM lots WHERE code = 'DRP'`))
	got, err := b.db.SheetDrop(b.ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.SheetDropImported, got.Status)

	d2 := save()
	err = b.db.ImportSheetDrop(b.ctx, coordinator, d2.ID,
		[]*guichet.Supplier{{Name: "Second Structure", Categories: []string{"x"}}}, b.event.ID,
		[]*guichet.Lot{{Code: "DRP", Title: "Again", Category: "x", Quantity: 1, Budget: 100}})
	require.Equal(t, "ErrLotCodeExists", guichet.AsError(err).MessageID)
	require.Zero(t, b.count(t, `SELECT count(*) FROM suppliers WHERE name = 'Second Structure'`), "nothing half-done")
	got, err = b.db.SheetDrop(b.ctx, d2.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.SheetDropPending, got.Status, "still importable once fixed")

	require.NoError(t, b.db.CancelSheetDrop(b.ctx, coordinator, d2.ID))
	require.Equal(t, "ErrSheetsDropDone", guichet.AsError(b.db.CancelSheetDrop(b.ctx, coordinator, d2.ID)).MessageID)
	_, err = b.db.SheetDrop(b.ctx, 999999)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))
}
