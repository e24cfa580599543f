package db_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// orderBuild is a build for SyncOrder that makes a draft from the shares, its content their
// quantities and amounts, and renders the number as the PDF.
func orderBuild(b *guichet.OrderBasis) (*guichet.OrderDraft, guichet.OrderRender, error) {
	if len(b.Shares) == 0 && b.Current == nil {
		return nil, nil, nil
	}
	d := &guichet.OrderDraft{EventID: b.Event.ID, SupplierID: b.Supplier.ID, Year: 2027}
	for _, s := range b.Shares {
		d.Content += fmt.Sprintf("%s:%d:%d;", s.Lot.Code, s.Quantity, s.Amount)
		d.Net += s.Amount
	}
	d.Gross = d.Net
	return d, func(number string, revision int, _ *guichet.Order) ([]byte, error) {
		return []byte(fmt.Sprintf("%s r%d", number, revision)), nil
	}, nil
}

// Fifty awards at once, each making its structure's purchase order at once, give fifty order
// numbers with no gap and no duplicate.
func TestFiftyConcurrentAwardsGiveFiftyGapFreeOrderNumbers(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 50, "traiteur", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 500,
		Budget: 600001, Mode: guichet.Shared, MaxSuppliers: 50})
	var wg sync.WaitGroup
	start := make(chan struct{})
	numbers := make([]string, len(sups))
	errs := make([]error, len(sups))
	for i, s := range sups {
		wg.Go(func() {
			<-start
			if _, errs[i] = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 10}, time.Now()); errs[i] != nil {
				return
			}
			var o *guichet.Order
			o, _, errs[i] = b.db.SyncOrder(b.ctx, b.event.ID, s.ID, orderBuild)
			if o != nil {
				numbers[i] = o.Number
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	sort.Strings(numbers)
	for i, n := range numbers {
		require.Equal(t, fmt.Sprintf("BC-2027-%04d", i+1), n)
	}
	require.Equal(t, 50, b.count(t, `SELECT count(*) FROM documents WHERE kind = 'order' AND event_id = $1`, b.event.ID))
	require.Equal(t, 50, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'order'`))
}

// A change of the shares makes a new revision under the same number and marks the old one
// replaced; the same shares make nothing; a replaced revision cannot be accepted, the current
// one once.
func TestOrderRevisionsAndAcceptance(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 100,
		Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 5})
	s := sups[0]
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 40}, time.Now())
	require.NoError(t, err)
	first, made, err := b.db.SyncOrder(b.ctx, b.event.ID, s.ID, orderBuild)
	require.NoError(t, err)
	require.True(t, made)
	require.Equal(t, 1, first.Revision)
	require.Equal(t, guichet.Cents(40000), first.Gross)
	again, made, err := b.db.SyncOrder(b.ctx, b.event.ID, s.ID, orderBuild)
	require.NoError(t, err)
	require.False(t, made, "the same shares make no new revision")
	require.Equal(t, first.ID, again.ID)

	_, err = b.db.Withdraw(b.ctx, member(s), lot.ID, s.ID, "plus de cuisinier")
	require.NoError(t, err)
	second, made, err := b.db.SyncOrder(b.ctx, b.event.ID, s.ID, orderBuild)
	require.NoError(t, err)
	require.True(t, made)
	require.Equal(t, first.Number, second.Number)
	require.Equal(t, 2, second.Revision)
	require.Equal(t, guichet.Cents(0), second.Gross)
	old, pdf, err := b.db.OrderFile(b.ctx, first.ID)
	require.NoError(t, err)
	require.NotNil(t, old.ReplacedBy, "the first revision is kept, marked replaced")
	require.Equal(t, first.Number+" r1", string(pdf), "never edited in place")

	_, _, err = b.db.AcceptOrder(b.ctx, member(s), first.ID, s.ID)
	requireError(t, err, guichet.ECONFLICT, "ErrOrderReplaced", nil)
	_, _, err = b.db.AcceptOrder(b.ctx, member(sups[1]), second.ID, sups[1].ID)
	requireError(t, err, guichet.ENOTFOUND, "ErrOrderNotFound", nil)
	o, already, err := b.db.AcceptOrder(b.ctx, member(s), second.ID, s.ID)
	require.NoError(t, err)
	require.False(t, already)
	require.Equal(t, member(s).UserID, o.AcceptedBy)
	_, already, err = b.db.AcceptOrder(b.ctx, member(s), second.ID, s.ID)
	require.NoError(t, err)
	require.True(t, already, "a second click says it is already accepted")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'order.accept'`))
	board, err := b.db.Board(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Len(t, board.Orders, 1)
	require.True(t, board.Orders[0].Accepted())
}

// What keeps an order from being made is told to the coordinators once, and again only when it
// changes.
func TestOrderBlockToldOnce(t *testing.T) {
	b := setup(t)
	s := b.suppliers(t, 1, "resto", "restauration")[0]
	notice := guichet.OutboxPayload{ChannelID: "coord-channel", MessageID: "NoticeOrderMissing"}
	for range 3 {
		require.NoError(t, b.db.BlockOrder(b.ctx, b.event.ID, s.ID, "siret,address", notice))
	}
	require.NoError(t, b.db.BlockOrder(b.ctx, b.event.ID, s.ID, "address", notice))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeOrderMissing'`))
}
