package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func ptr[T any](v T) *T { return &v }

// caterers claims the lunch for four structures: 150, 120, 100 and 80 covers of 450.
func caterers(t *testing.T, b *bundle) (*guichet.Lot, []*guichet.Supplier) {
	t.Helper()
	sups := b.suppliers(t, 4, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Unit: "couverts",
		Budget: 5400_00, Mode: guichet.Shared, MaxSuppliers: 4, SlotStart: "12:00", SlotEnd: "14:00"})
	for i, q := range []int64{150, 120, 100, 80} {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[i]), LotID: lot.ID, SupplierID: sups[i].ID, Quantity: q}, time.Now())
		require.NoError(t, err)
	}
	return lot, sups
}

func TestEditLotShrinksSharesAsksConfirmationAgainAndTellsHolders(t *testing.T) {
	b := setup(t)
	lot, sups := caterers(t, b)
	// The first structure's J-1 went out and was confirmed; the second's is still to come.
	_, err := b.db.SQL().ExecContext(b.ctx, `UPDATE reminders SET status = 'sent', sent_at = now(), confirmed_at = now(), confirmed_by = 'resto0'
		WHERE supplier_id = $1 AND kind = 'j1'`, sups[0].ID)
	require.NoError(t, err)
	outbox := func() int { return b.count(t, `SELECT count(*) FROM outbox`) }
	before := outbox()

	_, err = b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Quantity: ptr(int64(380))})
	require.Equal(t, "ErrLotEditBelowClaimed", guichet.AsError(err).MessageID)
	require.Equal(t, "resto 0 (150), resto 1 (120), resto 2 (100), resto 3 (80)", guichet.AsError(err).Args["Holders"])
	require.Equal(t, before, outbox(), "a refused edit queues nothing")
	require.Equal(t, 450, b.count(t, `SELECT quantity FROM lots WHERE id = $1`, lot.ID))

	d, err := b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Quantity: ptr(int64(380)), Budget: ptr(guichet.Cents(4560_01)),
		Shrink: &guichet.Shrink{Proportional: true}})
	require.NoError(t, err)
	require.True(t, d.Changed())
	require.Equal(t, 380, b.count(t, `SELECT sum(quantity) FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID))
	require.Equal(t, 4560_01, b.count(t, `SELECT sum(amount_cents) FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID),
		"the amounts add up to the new budget, to the cent")
	require.Equal(t, 380, b.count(t, `SELECT quantity FROM lots WHERE id = $1`, lot.ID))
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeLotEdited'
		AND payload->'args'->>'QuantityAfter' = '380' AND (payload->'args'->>'Reconfirm')::bool`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'channel_id' = 'resto-0-channel'
		AND payload->'args'->>'ShareBefore' = '150' AND payload->'args'->>'ShareAfter' = '127'`))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND kind = 'j1' AND confirmed_at IS NOT NULL`, b.event.ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox o JOIN reminders r ON r.id = (o.payload->>'reminder_id')::bigint
		WHERE o.kind = 'reminder' AND r.supplier_id = $1 AND r.kind = 'j1'`, sups[0].ID), "the J-1 already sent is asked again")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`), "reminders not yet sent are not sent early")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND (payload->>'lot_id')::bigint = $1`, lot.ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'lot.edit' AND lot_id = $1
		AND detail->'changes'->'quantity'->>1 = '380'`, lot.ID))

	// The same edit again changes nothing and queues nothing.
	before = outbox()
	d, err = b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Quantity: ptr(int64(380))})
	require.NoError(t, err)
	require.False(t, d.Changed())
	require.Equal(t, before, outbox())

	// A description alone tells the holders and asks nothing again.
	_, err = b.db.SQL().ExecContext(b.ctx, `UPDATE reminders SET confirmed_at = now() WHERE kind = 'j1'`)
	require.NoError(t, err)
	_, err = b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Description: ptr("Buffet végétarien")})
	require.NoError(t, err)
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND kind = 'j1' AND supplier_id IS NOT NULL AND confirmed_at IS NOT NULL`, b.event.ID))
	require.Equal(t, 8, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeLotEdited'`))
}

func TestEditLotRefusedOnceTheEventIsOverOrTheLotCancelled(t *testing.T) {
	b := setup(t)
	lot, _ := caterers(t, b)
	b.db.Now = func() time.Time { return time.Date(2027, 4, 16, 9, 0, 0, 0, time.UTC) }
	_, err := b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Title: ptr("Repas")})
	require.Equal(t, "ErrEventPast", guichet.AsError(err).MessageID)
	b.db.Now = nil
	require.NoError(t, b.db.CancelLot(b.ctx, coordinator, lot.ID, "salle fermée"))
	_, err = b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Title: ptr("Repas")})
	require.Equal(t, "ErrLotEditCancelled", guichet.AsError(err).MessageID)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM audit WHERE action = 'lot.edit'`))
}

// An edit lowering the quantity while structures claim never leaves more awarded than the lot
// holds, and the amounts always are the split of the lot's budget over what is awarded.
func TestEditLotUnderConcurrentClaims(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 10, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 100,
		Budget: 1000_01, Mode: guichet.Shared, MaxSuppliers: 10})
	var wg sync.WaitGroup
	start := make(chan struct{})
	var editErr error
	for i, s := range sups {
		wg.Add(1)
		go func(i int, s *guichet.Supplier) {
			defer wg.Done()
			<-start
			_, _ = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 10}, time.Now())
		}(i, s)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		_, editErr = b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Quantity: ptr(int64(55)), Shrink: &guichet.Shrink{Proportional: true}})
	}()
	close(start)
	wg.Wait()
	require.NoError(t, editErr)
	st, err := b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, int64(55), st.Lot.Quantity)
	require.LessOrEqual(t, st.AwardedQuantity(), int64(55))
	amounts, status := st.Settle()
	for i, c := range st.Claims {
		require.Equal(t, amounts[i], c.Amount, "claim %d", c.ID)
	}
	require.Equal(t, status, st.Lot.Status)
}
