package db_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// What a release frees is held for the structure it is offered to: a late clicker outside the
// line is refused while the offer is out, the offered structure takes it, and quantity freed
// twice goes to the first two in line, each its own part.
func TestWaitlistOfferHoldsTheFreedQuantity(t *testing.T) {
	b := setup(t)
	holders := b.suppliers(t, 2, "hld", "restauration")
	line := b.suppliers(t, 3, "lin", "restauration")
	late := b.suppliers(t, 1, "lat", "restauration")[0]
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 200,
		Unit: "couverts", Budget: 240000, Mode: guichet.Shared, MaxSuppliers: 3})
	for _, s := range holders {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 100}, time.Now())
		require.NoError(t, err)
	}
	for _, s := range line {
		_, err := b.db.JoinWaitlist(b.ctx, member(s), lot.ID, s.ID, time.Now())
		require.NoError(t, err)
	}
	lateClaim := func() error {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(late), LotID: lot.ID, SupplierID: late.ID}, time.Now())
		return err
	}

	_, err := b.db.Withdraw(b.ctx, member(holders[0]), lot.ID, holders[0].ID, "")
	require.NoError(t, err)
	require.Equal(t, "ErrLotHeld", messageID(lateClaim()), "the 100 freed are held for the first in line")
	// The second in line, not offered anything, cannot jump the line either.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(line[1]), LotID: lot.ID, SupplierID: line[1].ID}, time.Now())
	require.Equal(t, "ErrLotHeld", messageID(err))

	_, err = b.db.Withdraw(b.ctx, member(holders[1]), lot.ID, holders[1].ID, "")
	require.NoError(t, err)
	require.Equal(t, "ErrLotHeld", messageID(lateClaim()))
	offers, err := b.db.Waitlist(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Len(t, offers, 3)
	for i, want := range []struct {
		status guichet.WaitlistStatus
		qty    int64
	}{{guichet.WaitlistOffered, 100}, {guichet.WaitlistOffered, 100}, {guichet.WaitlistWaiting, 0}} {
		require.Equal(t, line[i].ID, offers[i].SupplierID)
		require.Equal(t, want.status, offers[i].Status, "place %d", i+1)
		require.Equal(t, want.qty, offers[i].OfferQuantity, "place %d", i+1)
	}
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeWaitlistOffer'
		AND payload->>'user_id' = 'lin1-user'`))

	// The second in line takes its part with « Je prends » as well as with « J'accepte », and
	// leaves the line.
	res, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(line[1]), LotID: lot.ID, SupplierID: line[1].ID}, time.Now())
	require.NoError(t, err)
	require.Equal(t, int64(100), res.Claim.Quantity)
	ans, err := b.db.AcceptWaitlistOffer(b.ctx, member(line[0]), lot.ID, line[0].ID, time.Now())
	require.NoError(t, err)
	require.False(t, ans.Full)
	require.Equal(t, int64(100), ans.Claim.Quantity)
	require.Equal(t, guichet.Cents(120000), ans.Claim.Amount)
	require.Equal(t, "ErrLotFull", messageID(lateClaim()))
	offers, err = b.db.Waitlist(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Len(t, offers, 1)
	require.Equal(t, line[2].ID, offers[0].SupplierID)
	require.Equal(t, guichet.WaitlistWaiting, offers[0].Status)
}

// An offer not accepted in time holds until the scheduler ends it; when the line is empty,
// what it held is free for anyone again.
func TestWaitlistExpiredOfferFreesTheLot(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "exp", "photo")
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	_, err = b.db.JoinWaitlist(b.ctx, member(sups[1]), lot.ID, sups[1].ID, time.Now())
	require.NoError(t, err)
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	later := time.Now().Add(25 * time.Hour)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[2]), LotID: lot.ID, SupplierID: sups[2].ID}, later)
	require.Equal(t, "ErrLotHeld", messageID(err))
	n, err := b.db.ExpireWaitlistOffers(b.ctx, later)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	res, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[2]), LotID: lot.ID, SupplierID: sups[2].ID}, later)
	require.NoError(t, err)
	require.Equal(t, guichet.ClaimAwarded, res.Claim.Status)
}

// Two releases, three acceptances and a late clicker at once: no over-allocation, no offer
// lost, and the late clicker, outside the line, never takes what was freed for it.
func TestWaitlistReleasesAcceptancesAndLateClickerAtOnce(t *testing.T) {
	b := setup(t)
	holders := b.suppliers(t, 3, "rel", "restauration")
	waiting := b.suppliers(t, 3, "acc", "restauration")
	late := b.suppliers(t, 1, "clk", "restauration")[0]
	for round := 0; round < 4; round++ {
		lot := b.lot(t, &guichet.Lot{Code: fmt.Sprintf("DEJ%d", round), Title: "Déjeuner", Category: "restauration", Quantity: 300,
			Unit: "couverts", Budget: 360001, Mode: guichet.Shared, MaxSuppliers: 3})
		for _, s := range holders {
			_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 100}, time.Now())
			require.NoError(t, err)
		}
		for _, s := range waiting {
			_, err := b.db.JoinWaitlist(b.ctx, member(s), lot.ID, s.ID, time.Now())
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		var released atomic.Int32
		for _, s := range holders[:2] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := b.db.Withdraw(b.ctx, member(s), lot.ID, s.ID, "")
				require.NoError(t, err)
				released.Add(1)
			}()
		}
		taken := make([]int64, len(waiting))
		for i, s := range waiting {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
					ans, err := b.db.AcceptWaitlistOffer(b.ctx, member(s), lot.ID, s.ID, time.Now())
					if errors.Is(err, &guichet.Error{Code: guichet.ENOTFOUND, MessageID: "ErrWaitlistNoOffer"}) {
						continue
					}
					require.NoError(t, err)
					if !ans.Full {
						taken[i] = ans.Claim.Quantity
					}
					return
				}
			}()
		}
		var lateTook int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Clicks until both releases are done and a little after.
			for after := 0; after < 50; time.Sleep(time.Millisecond) {
				if released.Load() == 2 {
					after++
				}
				res, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(late), LotID: lot.ID, SupplierID: late.ID}, time.Now())
				if err == nil {
					lateTook = res.Claim.Quantity
					return
				}
				id := messageID(err)
				require.True(t, id == "ErrLotFull" || id == "ErrLotHeld", "late clicker refused with %v", err)
			}
		}()
		close(start)
		wg.Wait()

		require.Zero(t, lateTook, "round %d: the late clicker took what was held for the line", round)
		var total int64
		for _, q := range taken {
			total += q
		}
		require.Equal(t, int64(200), total, "the 200 freed are taken from the line, once")
		require.Equal(t, []int64{100, 100, 0}, taken, "the first two in line, 100 each")
		require.Equal(t, 300, b.count(t, `SELECT coalesce(sum(quantity), 0)::int FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID))
		require.Equal(t, 360001, b.count(t, `SELECT coalesce(sum(amount_cents), 0)::int FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID))
		require.Zero(t, b.count(t, `SELECT count(*) FROM waitlist WHERE lot_id = $1 AND status = 'offered'`, lot.ID))
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM waitlist WHERE lot_id = $1 AND status = 'waiting'`, lot.ID), "the third still in line")
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM lots WHERE id = $1 AND status = 'filled'`, lot.ID))
	}
}

// The board carries each lot's line: who waits, in order, and the offer out with its end.
func TestBoardShowsTheWaitlist(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "brd", "photo")
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	for _, s := range sups[1:] {
		_, err := b.db.JoinWaitlist(b.ctx, member(s), lot.ID, s.ID, time.Now())
		require.NoError(t, err)
	}
	board, err := b.db.Board(b.ctx, lot.EventID)
	require.NoError(t, err)
	require.Len(t, board.Lots, 1)
	line := board.Lots[0].Waitlist
	require.Len(t, line, 2)
	require.Equal(t, []string{sups[1].Name, sups[2].Name}, []string{line[0].SupplierName, line[1].SupplierName})
	require.Equal(t, guichet.WaitlistWaiting, line[0].Status)

	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	board, err = b.db.Board(b.ctx, lot.EventID)
	require.NoError(t, err)
	line = board.Lots[0].Waitlist
	require.Len(t, line, 2)
	require.Equal(t, guichet.WaitlistOffered, line[0].Status)
	require.NotNil(t, line[0].OfferExpiresAt)
	require.Equal(t, int64(1), line[0].OfferQuantity)
	require.Equal(t, guichet.WaitlistWaiting, line[1].Status)
}

// The coordinator's promotion comes before the line's order: what is held for the first in
// line goes to the structure promoted, and the first keeps its place and is told.
func TestWaitlistPromotionTakesWhatIsHeldForAnother(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "pro", "photo")
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	for _, s := range sups[1:] {
		_, err := b.db.JoinWaitlist(b.ctx, member(s), lot.ID, s.ID, time.Now())
		require.NoError(t, err)
	}
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	ans, err := b.db.PromoteWaitlist(b.ctx, coordinator, lot.ID, sups[2].ID, time.Now())
	require.NoError(t, err)
	require.False(t, ans.Full)
	require.Equal(t, sups[2].ID, ans.Claim.SupplierID)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeWaitlistOfferWithdrawn'
		AND payload->>'user_id' = 'pro1-user'`))
	line, err := b.db.Waitlist(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Len(t, line, 1)
	require.Equal(t, sups[1].ID, line[0].SupplierID)
	require.Equal(t, guichet.WaitlistWaiting, line[0].Status)
	_, err = b.db.AcceptWaitlistOffer(b.ctx, member(sups[1]), lot.ID, sups[1].ID, time.Now())
	require.Equal(t, "ErrWaitlistNoOffer", messageID(err))
}
