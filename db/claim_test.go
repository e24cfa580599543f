package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestExclusiveLotUnder200ConcurrentClaims(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 200, "sup", "scenographie")
	lot := b.lot(t, &guichet.Lot{Code: "SCE", Title: "Scénographie", Category: "scenographie", Quantity: 1, Budget: 350000})

	var wg sync.WaitGroup
	errs := make([]error, len(sups))
	start := make(chan struct{})
	for i, s := range sups {
		wg.Add(1)
		go func(i int, s *guichet.Supplier) {
			defer wg.Done()
			<-start
			_, errs[i] = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID}, time.Now())
		}(i, s)
	}
	close(start)
	wg.Wait()

	won, taken := 0, 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		e := guichet.AsError(err)
		require.NotNil(t, e, "unexpected error %v", err)
		require.Equal(t, "ErrLotTaken", e.MessageID)
		require.NotEmpty(t, e.Args["Supplier"], "the error names who holds the lot")
		taken++
	}
	require.Equal(t, 1, won)
	require.Equal(t, 199, taken)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims WHERE lot_id = $1 AND status = 'awarded'`, lot.ID))
	st, err := b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, st.Lot.Status)
	require.Equal(t, guichet.Cents(350000), st.Awarded()[0].Amount)
}

func TestSharedLotUnderConcurrentClaims(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 50, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450,
		Budget: 540001, Mode: guichet.Shared, MaxSuppliers: 30})

	var wg sync.WaitGroup
	errs := make([]error, len(sups))
	for i, s := range sups {
		wg.Add(1)
		go func(i int, s *guichet.Supplier) {
			defer wg.Done()
			_, errs[i] = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 20}, time.Now())
		}(i, s)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			code := guichet.AsError(err)
			require.NotNil(t, code, "unexpected error %v", err)
			require.Contains(t, []string{"ErrLotFull", "ErrShareTooBig"}, code.MessageID)
		}
	}
	st, err := b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.LessOrEqual(t, st.AwardedQuantity(), int64(450))
	require.LessOrEqual(t, len(st.Awarded()), 30)
	require.Equal(t, ok, len(st.Awarded()))
	// 22 shares of 20 = 440; the lot is not full yet: amounts stay below the budget.
	require.Equal(t, 22, ok)
	require.Equal(t, guichet.LotOpen, st.Lot.Status)

	// The last 10 fill it: now the shares add up to the budget to the cent.
	last := b.suppliers(t, 1, "late", "restauration")[0]
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(last), LotID: lot.ID, SupplierID: last.ID, Quantity: 11}, time.Now())
	require.Equal(t, "ErrShareTooBig", guichet.AsError(err).MessageID)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(last), LotID: lot.ID, SupplierID: last.ID}, time.Now())
	require.NoError(t, err)
	st, err = b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, st.Lot.Status)
	var sum guichet.Cents
	for _, c := range st.Awarded() {
		sum += c.Amount
	}
	require.Equal(t, lot.Budget, sum)
}

func TestSharedLotMaxSuppliers(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 5, "cafe", "pause-cafe")
	lot := b.lot(t, &guichet.Lot{Code: "PCM", Title: "Pause", Category: "pause-cafe", Quantity: 450, Budget: 90000, Mode: guichet.Shared, MaxSuppliers: 3})
	for i, s := range sups {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 100}, time.Now())
		if i < 3 {
			require.NoError(t, err)
		} else {
			require.Equal(t, "ErrLotFull", guichet.AsError(err).MessageID)
		}
	}
	st, err := b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, st.Lot.Status, "max suppliers reached fills the lot")
	var sum guichet.Cents
	for _, c := range st.Awarded() {
		sum += c.Amount
	}
	require.Equal(t, guichet.Cents(60000), sum, "300 of 450 hold two thirds of the budget")
}

func TestDoubleClickMakesOneClaim(t *testing.T) {
	b := setup(t)
	s := b.suppliers(t, 1, "photo", "photo")[0]
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	var wg sync.WaitGroup
	results := make([]*guichet.ClaimResult, 10)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID}, time.Now())
			require.NoError(t, err)
			results[i] = r
		}(i)
	}
	wg.Wait()
	existing := 0
	for _, r := range results {
		if r.Existing {
			existing++
		}
		require.Equal(t, results[0].Claim.ID, r.Claim.ID)
	}
	require.Equal(t, 9, existing)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims WHERE lot_id = $1`, lot.ID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE lot_id = $1 AND action = 'claim.award'`, lot.ID))
}

func TestClaimRefusedForNonMember(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "s", "photo")
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM claims`))
}

func TestWithdrawReopensAndNotifies(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "loc", "location-materiel")
	lot := b.lot(t, &guichet.Lot{Code: "LOC", Title: "Location", Category: "location-materiel", Quantity: 60, Budget: 70000, Mode: guichet.Shared, MaxSuppliers: 2})
	for i, q := range []int64{40, 20} {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[i]), LotID: lot.ID, SupplierID: sups[i].ID, Quantity: q}, time.Now())
		require.NoError(t, err)
	}
	st, _ := b.db.LotState(b.ctx, lot.ID)
	require.Equal(t, guichet.LotFilled, st.Lot.Status)
	require.Equal(t, guichet.Cents(46667), st.Awarded()[0].Amount)
	require.Equal(t, guichet.Cents(23333), st.Awarded()[1].Amount)

	_, err := b.db.Withdraw(b.ctx, member(sups[1]), lot.ID, sups[1].ID, "camion en panne")
	require.NoError(t, err)
	st, _ = b.db.LotState(b.ctx, lot.ID)
	require.Equal(t, guichet.LotOpen, st.Lot.Status)
	require.Equal(t, int64(20), st.Remaining())
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeWithdrawn'`))

	_, err = b.db.Withdraw(b.ctx, member(sups[1]), lot.ID, sups[1].ID, "")
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err), "withdrawing twice finds nothing to withdraw")
}

func TestReviewAwardAndDecline(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "imp", "impression")
	lot := b.lot(t, &guichet.Lot{Code: "IMP", Title: "Impression", Category: "impression", Quantity: 1, Budget: 120000, Award: guichet.Review})
	for _, s := range sups {
		r, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Note: "devis 1150 €"}, time.Now())
		require.NoError(t, err)
		require.Equal(t, guichet.ClaimPending, r.Claim.Status)
	}
	c, err := b.db.Award(b.ctx, coordinator, lot.ID, sups[1].ID)
	require.NoError(t, err)
	require.Equal(t, guichet.ClaimAwarded, c.Status)
	require.Equal(t, guichet.Cents(120000), c.Amount)
	_, err = b.db.Award(b.ctx, coordinator, lot.ID, sups[0].ID)
	require.Equal(t, "ErrLotTaken", guichet.AsError(err).MessageID)
	_, err = b.db.Decline(b.ctx, coordinator, lot.ID, sups[0].ID, "déjà attribué")
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeDeclined'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeAwarded'`))
}

func TestClaimDeadlineAndCancel(t *testing.T) {
	b := setup(t)
	s := b.suppliers(t, 1, "lib", "librairie")[0]
	deadline := time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC)
	lot := b.lot(t, &guichet.Lot{Code: "LIB", Title: "Librairie", Category: "librairie", Quantity: 1, Budget: 30000, Deadline: &deadline})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID}, deadline)
	require.Equal(t, "ErrLotClosed", guichet.AsError(err).MessageID)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID}, deadline.Add(-time.Minute))
	require.NoError(t, err)

	require.NoError(t, b.db.CancelLot(b.ctx, coordinator, lot.ID, "annulé par le client"))
	require.NoError(t, b.db.CancelLot(b.ctx, coordinator, lot.ID, "again"), "cancelling twice is a no-op")
	st, _ := b.db.LotState(b.ctx, lot.ID)
	require.Equal(t, guichet.LotCancelled, st.Lot.Status)
	require.Equal(t, guichet.ClaimCancelled, st.Claims[0].Status)
	require.Equal(t, guichet.Cents(0), st.Claims[0].Amount)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeLotCancelled'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'lot.cancel'`))
}
