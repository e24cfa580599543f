package db_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A structure finding a first-come lot full waits in line; a release offers the lot to the
// first in line by direct message with a « J'accepte » button; accepting is a claim.
func TestWaitlistOfferedOnReleaseThenAccepted(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "pho", "photo")
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})

	_, err := b.db.JoinWaitlist(b.ctx, member(sups[1]), lot.ID, sups[1].ID, time.Now())
	require.Equal(t, "ErrWaitlistNotFull", messageID(err))
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	_, err = b.db.JoinWaitlist(b.ctx, member(sups[0]), lot.ID, sups[0].ID, time.Now())
	require.Equal(t, "ErrWaitlistHolder", messageID(err))
	_, err = b.db.JoinWaitlist(b.ctx, member(sups[2]), lot.ID, sups[1].ID, time.Now())
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))
	for i, want := range []int{1, 2, 1} {
		s := sups[1+i%2]
		place, err := b.db.JoinWaitlist(b.ctx, member(s), lot.ID, s.ID, time.Now())
		require.NoError(t, err)
		require.Equal(t, want, place)
	}
	_, err = b.db.AcceptWaitlistOffer(b.ctx, member(sups[1]), lot.ID, sups[1].ID, time.Now())
	require.Equal(t, "ErrWaitlistNoOffer", messageID(err))

	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeWaitlistOffer'
		AND payload->>'user_id' = 'pho1-user' AND (payload->>'waitlist_supplier_id')::bigint = $1`, sups[1].ID))
	line, err := b.db.Waitlist(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Len(t, line, 2)
	require.Equal(t, guichet.WaitlistOffered, line[0].Status)
	require.Equal(t, guichet.WaitlistWaiting, line[1].Status)

	// The second in line has no offer.
	_, err = b.db.AcceptWaitlistOffer(b.ctx, member(sups[2]), lot.ID, sups[2].ID, time.Now())
	require.Equal(t, "ErrWaitlistNoOffer", messageID(err))
	ans, err := b.db.AcceptWaitlistOffer(b.ctx, member(sups[1]), lot.ID, sups[1].ID, time.Now())
	require.NoError(t, err)
	require.False(t, ans.Full)
	require.Equal(t, guichet.ClaimAwarded, ans.Claim.Status)
	require.Equal(t, guichet.Cents(60000), ans.Claim.Amount)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims WHERE lot_id = $1 AND status = 'awarded' AND supplier_id = $2
		AND action = 'claim.waitlist'`, lot.ID, sups[1].ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeWaitlistAccepted'`))
	line, err = b.db.Waitlist(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Len(t, line, 1)
	require.Equal(t, sups[2].ID, line[0].SupplierID)
	require.Equal(t, guichet.WaitlistWaiting, line[0].Status)
}

// An offer not accepted in time goes to the next in line, once however many schedulers run
// the pass at once; the first one's late acceptance is refused.
func TestWaitlistOfferExpiresToNextOnce(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "pho", "photo")
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	for _, s := range sups[1:] {
		_, err := b.db.JoinWaitlist(b.ctx, member(s), lot.ID, s.ID, time.Now())
		require.NoError(t, err)
	}
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)

	// Not yet expired.
	n, err := b.db.ExpireWaitlistOffers(b.ctx, time.Now())
	require.NoError(t, err)
	require.Zero(t, n)

	later := time.Now().Add(25 * time.Hour)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := b.db.ExpireWaitlistOffers(b.ctx, later)
			require.NoError(t, err)
			counts[i] = n
		}()
	}
	wg.Wait()
	require.Equal(t, 1, counts[0]+counts[1]+counts[2]+counts[3])
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeWaitlistExpired'
		AND payload->>'user_id' = 'pho1-user'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeWaitlistOffer'
		AND payload->>'user_id' = 'pho2-user'`))
	_, err = b.db.AcceptWaitlistOffer(b.ctx, member(sups[1]), lot.ID, sups[1].ID, later)
	require.Equal(t, "ErrWaitlistNoOffer", messageID(err))
	ans, err := b.db.AcceptWaitlistOffer(b.ctx, member(sups[2]), lot.ID, sups[2].ID, later)
	require.NoError(t, err)
	require.Equal(t, sups[2].ID, ans.Claim.SupplierID)
}

// Two releases and three acceptances at once: no over-allocation, and no offer lost — the
// quantity freed ends up taken from the line, and every structure still in line is waiting.
func TestWaitlistTwoReleasesThreeAcceptancesAtOnce(t *testing.T) {
	b := setup(t)
	holders := b.suppliers(t, 3, "dej", "restauration")
	waiting := b.suppliers(t, 3, "att", "restauration")
	for round := 0; round < 4; round++ {
		lot := b.lot(t, &guichet.Lot{Code: fmt.Sprintf("DEJ%d", round), Title: "Déjeuner", Category: "restauration", Quantity: 300,
			Unit: "couverts", Budget: 360000, Mode: guichet.Shared, MaxSuppliers: 3})
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
		for _, s := range holders[:2] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := b.db.Withdraw(b.ctx, member(s), lot.ID, s.ID, "")
				require.NoError(t, err)
			}()
		}
		taken := make([]int64, len(waiting))
		for i, s := range waiting {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
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
		close(start)
		wg.Wait()

		var total int64
		for _, q := range taken {
			total += q
		}
		require.Equal(t, int64(200), total, "the 200 freed are taken from the line, once")
		require.Equal(t, 300, b.count(t, `SELECT coalesce(sum(quantity), 0)::int FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID))
		require.Equal(t, 360000, b.count(t, `SELECT coalesce(sum(amount_cents), 0)::int FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID))
		require.Zero(t, b.count(t, `SELECT count(*) FROM waitlist WHERE lot_id = $1 AND status = 'offered'`, lot.ID))
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM lots WHERE id = $1 AND status = 'filled'`, lot.ID))
	}
}

// messageID is the message id of err, a *guichet.Error, or "".
func messageID(err error) string {
	var e *guichet.Error
	if errors.As(err, &e) {
		return e.MessageID
	}
	return ""
}
