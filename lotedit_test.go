package guichet_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// lunch is the 2011 lunch: 450 covers shared by four caterers, 9 000 € in all.
func lunch() (*guichet.Event, *guichet.LotState) {
	ev := &guichet.Event{Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris", Status: guichet.EventPublished}
	lot := &guichet.Lot{ID: 1, Code: "DEJ", Title: "Déjeuner", Category: "traiteur", Quantity: 450, Unit: "couverts",
		Budget: 9000_00, Mode: guichet.Shared, MaxSuppliers: 4, Award: guichet.FirstCome, Status: guichet.LotFilled,
		SlotStart: "12:00", SlotEnd: "14:00", Place: "Salle A"}
	st := &guichet.LotState{Lot: lot}
	for i, q := range []int64{150, 120, 100, 80} {
		st.Claims = append(st.Claims, &guichet.Claim{ID: int64(10 + i), LotID: 1, SupplierID: int64(100 + i),
			SupplierName: []string{"Cuisine A", "Cuisine B", "Cuisine C", "Cuisine D"}[i], Quantity: q, Status: guichet.ClaimAwarded})
	}
	amounts, _ := st.Settle()
	for i, c := range st.Claims {
		c.Amount = amounts[i]
	}
	return ev, st
}

func ptr[T any](v T) *T { return &v }

func code(t *testing.T, err error) string {
	t.Helper()
	e := guichet.AsError(err)
	require.NotNil(t, e, "a coded error: %v", err)
	return e.MessageID
}

func TestLotEditBelowClaimedNamesHolders(t *testing.T) {
	ev, st := lunch()
	now := time.Date(2027, 4, 13, 9, 0, 0, 0, time.UTC)
	_, err := st.Edit(ev, &guichet.LotEdit{Quantity: ptr(int64(380))}, now)
	require.Equal(t, "ErrLotEditBelowClaimed", code(t, err))
	require.Contains(t, guichet.AsError(err).Args["Holders"], "Cuisine A (150), Cuisine B (120), Cuisine C (100), Cuisine D (80)")
}

func TestLotEditShrinksProportionallyAndSplitsToTheCent(t *testing.T) {
	ev, st := lunch()
	now := time.Date(2027, 4, 13, 9, 0, 0, 0, time.UTC)
	d, err := st.Edit(ev, &guichet.LotEdit{Quantity: ptr(int64(380)), Budget: ptr(guichet.Cents(7600_01)),
		Shrink: &guichet.Shrink{Proportional: true}}, now)
	require.NoError(t, err)
	var qty int64
	var total guichet.Cents
	for _, h := range d.Holders {
		qty += h.Quantity
		total += h.Amount
		require.True(t, h.Reconfirm, h.Claim.SupplierName)
	}
	require.Equal(t, int64(380), qty)
	require.Equal(t, guichet.Cents(7600_01), total, "the amounts add up to the new budget, to the cent")
	// 150, 120, 100, 80 of 450 scaled to 380: 126.67, 101.33, 84.44, 67.56 → 127, 101, 84, 68.
	require.Equal(t, []int64{127, 101, 84, 68}, []int64{d.Holders[0].Quantity, d.Holders[1].Quantity, d.Holders[2].Quantity, d.Holders[3].Quantity})
	require.Equal(t, guichet.LotFilled, d.Lot.Status)
	require.Equal(t, []guichet.LotChange{
		{Field: guichet.FieldQuantity, Before: "450", After: "380"},
		{Field: guichet.FieldBudget, Before: guichet.Cents(9000_00).String(), After: guichet.Cents(7600_01).String(),
			Amounts: &[2]guichet.Cents{9000_00, 7600_01}},
	}, d.Changes)
	require.Equal(t, int64(450), st.Lot.Quantity, "the state read is not changed")
	require.Equal(t, int64(150), st.Claims[0].Quantity)
}

func TestLotEditShrinksAsTheCoordinatorSays(t *testing.T) {
	ev, st := lunch()
	now := time.Date(2027, 4, 13, 9, 0, 0, 0, time.UTC)
	d, err := st.Edit(ev, &guichet.LotEdit{Quantity: ptr(int64(380)),
		Shrink: &guichet.Shrink{Shares: map[string]int64{"cuisine a": 100, "Cuisine B": 100}}}, now)
	require.NoError(t, err)
	require.Equal(t, int64(100), d.Holders[0].Quantity)
	require.Equal(t, int64(100), d.Holders[1].Quantity)
	require.Equal(t, int64(100), d.Holders[2].Quantity)
	require.Equal(t, int64(80), d.Holders[3].Quantity, "a holder not named keeps its share")
	require.True(t, d.Holders[3].Reconfirm, "its amount changed: the budget is now split over 380")
	require.Equal(t, guichet.LotFilled, d.Lot.Status, "100+100+100+80 hold the 380")
}

func TestLotEditRefusals(t *testing.T) {
	now := time.Date(2027, 4, 13, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		edit guichet.LotEdit
		prep func(ev *guichet.Event, st *guichet.LotState)
		at   time.Time
		want string
	}{
		{"event over", guichet.LotEdit{Title: ptr("Repas")}, nil, time.Date(2027, 4, 16, 9, 0, 0, 0, time.UTC), "ErrEventPast"},
		{"event recapped", guichet.LotEdit{Title: ptr("Repas")}, func(ev *guichet.Event, _ *guichet.LotState) { ev.Status = guichet.EventRecapped }, now, "ErrEventPast"},
		{"cancelled lot", guichet.LotEdit{Title: ptr("Repas")}, func(_ *guichet.Event, st *guichet.LotState) { st.Lot.Status = guichet.LotCancelled }, now, "ErrLotEditCancelled"},
		{"deadline in the past", guichet.LotEdit{Deadline: ptr(now.Add(-time.Hour))}, nil, now, "ErrDeadlinePast"},
		{"fewer structures than hold it", guichet.LotEdit{MaxSuppliers: ptr(3)}, nil, now, "ErrLotEditMaxBelowHolders"},
		{"shrink naming a stranger", guichet.LotEdit{Quantity: ptr(int64(380)), Shrink: &guichet.Shrink{Shares: map[string]int64{"Cuisine Z": 10}}}, nil, now, "ErrShrinkNotHolder"},
		{"shrink still too big", guichet.LotEdit{Quantity: ptr(int64(380)), Shrink: &guichet.Shrink{Shares: map[string]int64{"Cuisine A": 140}}}, nil, now, "ErrShrinkTooMuch"},
		{"bad slot", guichet.LotEdit{Slot: ptr("14:00-12:00")}, nil, now, "ErrSlot"},
		{"empty title", guichet.LotEdit{Title: ptr(" ")}, nil, now, "ErrLotTitle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, st := lunch()
			if tc.prep != nil {
				tc.prep(ev, st)
			}
			_, err := st.Edit(ev, &tc.edit, tc.at)
			require.Equal(t, tc.want, code(t, err))
		})
	}
}

func TestLotEditSlotAsksHoldersToReconfirm(t *testing.T) {
	ev, st := lunch()
	now := time.Date(2027, 4, 13, 9, 0, 0, 0, time.UTC)
	d, err := st.Edit(ev, &guichet.LotEdit{Slot: ptr("12h30-14h30"), Description: ptr("Végétarien")}, now)
	require.NoError(t, err)
	require.True(t, d.Changed())
	for _, h := range d.Holders {
		require.True(t, h.Reconfirm)
		require.False(t, h.ShareChanged())
	}
	require.Equal(t, "12:30-14:30", d.Lot.Slot())

	d, err = st.Edit(ev, &guichet.LotEdit{Description: ptr("Végétarien")}, now)
	require.NoError(t, err)
	for _, h := range d.Holders {
		require.False(t, h.Reconfirm, "a description alone asks nothing again")
	}
	d, err = st.Edit(ev, &guichet.LotEdit{Title: ptr("Déjeuner")}, now)
	require.NoError(t, err)
	require.False(t, d.Changed())
}

func TestLotEditExclusiveHolderFollowsQuantityAndClosedLotReopens(t *testing.T) {
	ev := &guichet.Event{Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris", Status: guichet.EventPublished}
	now := time.Date(2027, 4, 13, 9, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	lot := &guichet.Lot{ID: 2, Code: "PC", Title: "Pause café", Category: "traiteur", Quantity: 200, Budget: 500_00,
		Mode: guichet.Exclusive, MaxSuppliers: 1, Award: guichet.FirstCome, Status: guichet.LotFilled}
	st := &guichet.LotState{Lot: lot, Claims: []*guichet.Claim{{ID: 1, LotID: 2, SupplierID: 7, Quantity: 200, Amount: 500_00, Status: guichet.ClaimAwarded}}}
	d, err := st.Edit(ev, &guichet.LotEdit{Quantity: ptr(int64(150))}, now)
	require.NoError(t, err)
	require.Equal(t, int64(150), d.Holders[0].Quantity)
	require.Equal(t, guichet.Cents(500_00), d.Holders[0].Amount)

	closed := &guichet.Lot{ID: 3, Code: "NAP", Title: "Nappes", Category: "linge", Quantity: 10, Budget: 100_00,
		Mode: guichet.Exclusive, MaxSuppliers: 1, Award: guichet.FirstCome, Status: guichet.LotClosed, Deadline: &past}
	d, err = (&guichet.LotState{Lot: closed}).Edit(ev, &guichet.LotEdit{Deadline: ptr(now.Add(24 * time.Hour))}, now)
	require.NoError(t, err)
	require.Equal(t, guichet.LotOpen, d.Lot.Status)
}
