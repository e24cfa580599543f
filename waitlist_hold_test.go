package guichet_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// The one claim rule holds what is offered to the waitlist: a structure outside the line
// gets what is free beyond the offers, the structure offered gets its part, and an exclusive
// lot offered to one is taken by nobody else.
func TestGrantHoldsWaitlistOffers(t *testing.T) {
	now := time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC)
	until := now.Add(24 * time.Hour)
	shared := &guichet.LotState{
		Lot: &guichet.Lot{ID: 1, Code: "DEJ", Quantity: 300, Unit: "couverts", Budget: 360000, Mode: guichet.Shared,
			MaxSuppliers: 4, Award: guichet.FirstCome, Status: guichet.LotOpen},
		Claims: []*guichet.Claim{{ID: 1, SupplierID: 1, Quantity: 100, Status: guichet.ClaimAwarded}},
		Waitlist: []*guichet.WaitlistEntry{
			{SupplierID: 2, Status: guichet.WaitlistOffered, OfferQuantity: 150, OfferExpiresAt: &until},
			{SupplierID: 3, Status: guichet.WaitlistWaiting},
		},
	}
	require.Equal(t, int64(200), shared.Remaining())
	require.Equal(t, int64(50), shared.Free())
	d, err := shared.Grant(nil, 9, 0, now)
	require.NoError(t, err)
	require.Equal(t, int64(50), d.Claim.Quantity, "what is free beyond the offer")
	_, err = shared.Grant(nil, 9, 60, now)
	require.Equal(t, "ErrShareTooBig", guichet.AsError(err).MessageID)
	d, err = shared.Grant(nil, 2, 0, now)
	require.NoError(t, err)
	require.Equal(t, int64(150), d.Claim.Quantity, "the structure offered gets what was offered")

	shared.Waitlist[0].OfferQuantity = 200
	require.Zero(t, shared.Free())
	_, err = shared.Grant(nil, 9, 0, now)
	require.True(t, errors.Is(err, guichet.ErrLotHeld), "got %v", err)
	require.True(t, errors.Is(shared.Claimable(nil, now), guichet.ErrLotHeld))

	exclusive := &guichet.LotState{
		Lot: &guichet.Lot{ID: 2, Code: "PHO", Quantity: 1, Budget: 60000, Mode: guichet.Exclusive, MaxSuppliers: 1,
			Award: guichet.FirstCome, Status: guichet.LotOpen},
		Waitlist: []*guichet.WaitlistEntry{{SupplierID: 2, Status: guichet.WaitlistOffered, OfferQuantity: 1, OfferExpiresAt: &until}},
	}
	_, err = exclusive.Grant(nil, 9, 0, now)
	require.True(t, errors.Is(err, guichet.ErrLotHeld), "got %v", err)
	d, err = exclusive.Grant(nil, 2, 0, now)
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(60000), d.Claim.Amount)
	require.Zero(t, exclusive.Free())
}
