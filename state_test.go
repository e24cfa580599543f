package guichet_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestEventStateGatesClaims(t *testing.T) {
	day := time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC)
	// Midnight at the end of 15 April 2027 in Paris (CEST, UTC+2) is 22:00 UTC on the 15th.
	parisEnd := time.Date(2027, 4, 15, 22, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status guichet.EventStatus
		zone   string
		now    time.Time
		// claim and change are the message ids of ClaimsOpen and ClaimChangesOpen ("" for nil).
		claim, change string
	}{
		{"draft, before its day", guichet.EventDraft, "Europe/Paris", day.AddDate(0, 0, -10), "ErrEventNotPublished", ""},
		{"draft, after its day", guichet.EventDraft, "Europe/Paris", day.AddDate(0, 0, 2), "ErrEventPast", "ErrEventPast"},
		{"published, a month before", guichet.EventPublished, "Europe/Paris", day.AddDate(0, -1, 0), "", ""},
		{"published, during its day", guichet.EventPublished, "Europe/Paris", day.Add(10 * time.Hour), "", ""},
		{"published, a second before the end in Paris", guichet.EventPublished, "Europe/Paris", parisEnd.Add(-time.Second), "", ""},
		{"published, at the end in Paris", guichet.EventPublished, "Europe/Paris", parisEnd, "ErrEventPast", "ErrEventPast"},
		{"published, the day after", guichet.EventPublished, "Europe/Paris", day.AddDate(0, 0, 1).Add(9 * time.Hour), "ErrEventPast", "ErrEventPast"},
		// At 23:30 UTC on the 15th it is already the 16th in Paris but still the 15th in
		// Montréal (UTC-4) and long the 16th in Auckland (UTC+12).
		{"published, 23:30 UTC, Paris", guichet.EventPublished, "Europe/Paris", day.Add(23*time.Hour + 30*time.Minute), "ErrEventPast", "ErrEventPast"},
		{"published, 23:30 UTC, Montréal", guichet.EventPublished, "America/Montreal", day.Add(23*time.Hour + 30*time.Minute), "", ""},
		{"published, 03:59 UTC next day, Montréal", guichet.EventPublished, "America/Montreal", day.Add(27*time.Hour + 59*time.Minute), "", ""},
		{"published, 04:00 UTC next day, Montréal", guichet.EventPublished, "America/Montreal", day.Add(28 * time.Hour), "ErrEventPast", "ErrEventPast"},
		{"published, 11:59 UTC, Auckland", guichet.EventPublished, "Pacific/Auckland", day.Add(11*time.Hour + 59*time.Minute), "", ""},
		{"published, 12:00 UTC, Auckland", guichet.EventPublished, "Pacific/Auckland", day.Add(12 * time.Hour), "ErrEventPast", "ErrEventPast"},
		{"done before its day ends", guichet.EventDone, "Europe/Paris", day.Add(10 * time.Hour), "ErrEventPast", "ErrEventPast"},
		{"recapped before its day", guichet.EventRecapped, "Europe/Paris", day.AddDate(0, 0, -3), "ErrEventPast", "ErrEventPast"},
	}
	id := func(err error) string {
		if err == nil {
			return ""
		}
		e := guichet.AsError(err)
		require.NotNil(t, e, "a coded error: %v", err)
		require.Equal(t, guichet.ECONFLICT, e.Code)
		return e.MessageID
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &guichet.Event{Day: day, TimeZone: tc.zone, Status: tc.status}
			require.Equal(t, tc.claim, id(e.ClaimsOpen(tc.now)), "ClaimsOpen")
			require.Equal(t, tc.change, id(e.ClaimChangesOpen(tc.now)), "ClaimChangesOpen")
			require.Equal(t, tc.change != "", e.Over(tc.now), "Over")
		})
	}
}

func TestEventEndAcrossClockChanges(t *testing.T) {
	// Clocks go back in Paris in the night of 31 October 2027: that day lasts 25 hours, from
	// 22:00 UTC on the 30th (CEST) to 23:00 UTC on the 31st (CET).
	e := &guichet.Event{Day: time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris"}
	require.Equal(t, time.Date(2027, 10, 31, 23, 0, 0, 0, time.UTC), e.End().UTC(), "midnight CET")
	// They go forward in the night of 28 March 2027: that day lasts 23 hours.
	e.Day = time.Date(2027, 3, 28, 0, 0, 0, 0, time.UTC)
	require.Equal(t, time.Date(2027, 3, 28, 22, 0, 0, 0, time.UTC), e.End().UTC(), "midnight CEST")
}

func TestGrantAppliesEventThenLotThenCapacity(t *testing.T) {
	day := time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC)
	before := day.AddDate(0, 0, -5)
	deadline := day.AddDate(0, 0, -7)
	ev := func(s guichet.EventStatus) *guichet.Event {
		return &guichet.Event{Day: day, TimeZone: "Europe/Paris", Status: s}
	}
	lot := func(mut func(*guichet.Lot)) *guichet.Lot {
		l := &guichet.Lot{Code: "DEJ", Quantity: 100, Mode: guichet.Shared, MaxSuppliers: 3, Status: guichet.LotOpen}
		if mut != nil {
			mut(l)
		}
		return l
	}
	held := []*guichet.Claim{{Quantity: 60, Status: guichet.ClaimAwarded, SupplierName: "Kenja"}}
	tests := []struct {
		name   string
		ev     *guichet.Event
		lot    *guichet.Lot
		claims []*guichet.Claim
		want   int64
		now    time.Time
		qty    int64
		msg    string
	}{
		{"open, what remains", ev(guichet.EventPublished), lot(nil), held, 0, before, 40, ""},
		{"open, a share", ev(guichet.EventPublished), lot(nil), held, 10, before, 10, ""},
		{"draft event, lot open", ev(guichet.EventDraft), lot(nil), nil, 0, before, 0, "ErrEventNotPublished"},
		{"event over before the lot's deadline", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Deadline = &deadline }), nil, 0, day.AddDate(0, 0, 1), 0, "ErrEventPast"},
		{"event over, lot cancelled", ev(guichet.EventRecapped), lot(func(l *guichet.Lot) { l.Status = guichet.LotCancelled }), nil, 0, before, 0, "ErrEventPast"},
		{"lot cancelled", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Status = guichet.LotCancelled }), nil, 0, before, 0, "ErrLotCancelled"},
		{"lot closed", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Status = guichet.LotClosed }), nil, 0, before, 0, "ErrLotClosed"},
		{"lot past its deadline", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Deadline = &deadline }), nil, 0, deadline, 0, "ErrLotClosed"},
		{"lot a second before its deadline", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Deadline = &deadline }), nil, 0, deadline.Add(-time.Second), 100, ""},
		{"share too big", ev(guichet.EventPublished), lot(nil), held, 41, before, 0, "ErrShareTooBig"},
		{"shared lot, every place taken", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.MaxSuppliers = 1 }), held, 0, before, 0, "ErrLotFull"},
		{"shared lot, filled", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Status = guichet.LotFilled }), nil, 0, before, 0, "ErrLotFull"},
		{"shared lot, whole quantity held", ev(guichet.EventPublished), lot(nil), []*guichet.Claim{{Quantity: 100, Status: guichet.ClaimAwarded}}, 0, before, 0, "ErrLotFull"},
		{"withdrawn and pending claims hold nothing", ev(guichet.EventPublished), lot(nil), []*guichet.Claim{
			{SupplierID: 7, Quantity: 100, Status: guichet.ClaimWithdrawn}, {SupplierID: 8, Quantity: 90, Status: guichet.ClaimPending}}, 0, before, 100, ""},
		{"exclusive lot, free", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Mode = guichet.Exclusive; l.MaxSuppliers = 1 }), nil, 0, before, 100, ""},
		{"exclusive lot, its whole quantity", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Mode = guichet.Exclusive; l.MaxSuppliers = 1 }), nil, 100, before, 100, ""},
		{"exclusive lot, a part", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Mode = guichet.Exclusive; l.MaxSuppliers = 1 }), nil, 10, before, 0, "ErrExclusiveQuantity"},
		{"exclusive lot, taken", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Mode = guichet.Exclusive; l.MaxSuppliers = 1 }), held, 0, before, 0, "ErrLotTaken"},
		{"no event given: the lot alone", nil, lot(nil), held, 0, day.AddDate(1, 0, 0), 40, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &guichet.LotState{Lot: tc.lot, Claims: tc.claims}
			d, err := st.Grant(tc.ev, 1, tc.want, tc.now)
			claimable := st.Claimable(tc.ev, tc.now)
			if tc.msg == "" {
				require.NoError(t, err)
				require.False(t, d.Existing)
				require.Equal(t, tc.qty, d.Claim.Quantity)
				if tc.want == 0 {
					require.NoError(t, claimable, "Claimable agrees with Grant of what remains")
				}
				return
			}
			require.Nil(t, d)
			require.Equal(t, tc.msg, guichet.AsError(err).MessageID)
			if tc.want == 0 {
				require.Equal(t, tc.msg, guichet.AsError(claimable).MessageID, "Claimable agrees with Grant of what remains")
			}
		})
	}
}

func TestGrantReturnsTheClaimAndWhatFollows(t *testing.T) {
	now := time.Date(2027, 4, 1, 10, 0, 0, 0, time.UTC)
	ev := &guichet.Event{Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris", Status: guichet.EventPublished}
	// 1 000,00 € for 100 meals: 10,00 € a meal.
	shared := func() *guichet.Lot {
		return &guichet.Lot{ID: 4, Code: "DEJ", Quantity: 100, Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 3,
			Status: guichet.LotOpen, Award: guichet.FirstCome}
	}
	t.Run("the first share takes its part, the lot stays open", func(t *testing.T) {
		st := &guichet.LotState{Lot: shared()}
		d, err := st.Grant(ev, 9, 30, now)
		require.NoError(t, err)
		require.Equal(t, &guichet.Claim{LotID: 4, SupplierID: 9, Quantity: 30, Amount: 30000, Status: guichet.ClaimAwarded}, d.Claim)
		require.Equal(t, guichet.LotOpen, d.LotStatus)
		require.Empty(t, d.Amounts)
	})
	t.Run("the last share fills the lot", func(t *testing.T) {
		st := &guichet.LotState{Lot: shared(), Claims: []*guichet.Claim{
			{ID: 11, SupplierID: 1, Quantity: 70, Amount: 70000, Status: guichet.ClaimAwarded}}}
		d, err := st.Grant(ev, 9, 0, now)
		require.NoError(t, err)
		require.Equal(t, int64(30), d.Claim.Quantity)
		require.Equal(t, guichet.Cents(30000), d.Claim.Amount)
		require.Equal(t, guichet.LotFilled, d.LotStatus)
		require.Empty(t, d.Amounts, "the other claim's amount does not change")
	})
	t.Run("rounding moves the others' amounts", func(t *testing.T) {
		// 100,00 € for 3 units: thirds are rounded by the largest remainder, ties going to the
		// earlier claim (the unclaimed rest comes last).
		lot := shared()
		lot.Quantity, lot.Budget = 3, 10000
		st := &guichet.LotState{Lot: lot, Claims: []*guichet.Claim{
			{ID: 11, SupplierID: 1, Quantity: 1, Amount: 3333, Status: guichet.ClaimAwarded},
			{ID: 12, SupplierID: 2, Quantity: 1, Amount: 5000, Status: guichet.ClaimWithdrawn}}}
		d, err := st.Grant(ev, 9, 1, now)
		require.NoError(t, err)
		require.Equal(t, guichet.Cents(3333), d.Claim.Amount)
		require.Equal(t, guichet.LotOpen, d.LotStatus)
		require.Equal(t, map[int64]guichet.Cents{11: 3334, 12: 0}, d.Amounts,
			"the first claim takes the cent left over, the withdrawn one holds nothing")
	})
	t.Run("a review lot gets a pending candidacy that holds nothing", func(t *testing.T) {
		lot := shared()
		lot.Award = guichet.Review
		st := &guichet.LotState{Lot: lot}
		d, err := st.Grant(ev, 9, 100, now)
		require.NoError(t, err)
		require.Equal(t, guichet.ClaimPending, d.Claim.Status)
		require.Equal(t, guichet.Cents(0), d.Claim.Amount)
		require.Equal(t, guichet.LotOpen, d.LotStatus)
	})
	t.Run("a claim already there comes back unchanged, even on a full lot", func(t *testing.T) {
		mine := &guichet.Claim{ID: 11, SupplierID: 9, Quantity: 100, Amount: 100000, Status: guichet.ClaimAwarded}
		lot := shared()
		lot.Status = guichet.LotFilled
		st := &guichet.LotState{Lot: lot, Claims: []*guichet.Claim{
			{ID: 10, SupplierID: 9, Quantity: 5, Status: guichet.ClaimWithdrawn}, mine}}
		d, err := st.Grant(ev, 9, 0, now)
		require.NoError(t, err)
		require.True(t, d.Existing)
		require.Same(t, mine, d.Claim)
		_, err = st.Grant(ev, 8, 0, now)
		require.Equal(t, "ErrLotFull", guichet.AsError(err).MessageID, "another structure is refused")
	})
	t.Run("the event's state comes before a claim already there", func(t *testing.T) {
		st := &guichet.LotState{Lot: shared(), Claims: []*guichet.Claim{{ID: 11, SupplierID: 9, Quantity: 10, Status: guichet.ClaimAwarded}}}
		_, err := st.Grant(ev, 9, 0, ev.End())
		require.Equal(t, "ErrEventPast", guichet.AsError(err).MessageID)
	})
	t.Run("the state is not changed", func(t *testing.T) {
		claims := []*guichet.Claim{{ID: 11, SupplierID: 1, Quantity: 50, Amount: 50000, Status: guichet.ClaimAwarded}}
		st := &guichet.LotState{Lot: shared(), Claims: claims[:1:1]}
		_, err := st.Grant(ev, 9, 50, now)
		require.NoError(t, err)
		require.Len(t, st.Claims, 1)
		require.Equal(t, guichet.LotOpen, st.Lot.Status)
	})
}

func TestSettleSplitsTheBudgetAndSetsTheStatus(t *testing.T) {
	tests := []struct {
		name    string
		status  guichet.LotStatus
		claims  []*guichet.Claim
		amounts []guichet.Cents
		next    guichet.LotStatus
	}{
		{"no claim", guichet.LotOpen, nil, []guichet.Cents{}, guichet.LotOpen},
		{"a part held, the rest keeps its share", guichet.LotOpen, []*guichet.Claim{
			{Quantity: 40, Status: guichet.ClaimAwarded}}, []guichet.Cents{40000}, guichet.LotOpen},
		{"whole quantity held", guichet.LotOpen, []*guichet.Claim{
			{Quantity: 40, Status: guichet.ClaimAwarded}, {Quantity: 60, Status: guichet.ClaimAwarded}}, []guichet.Cents{40000, 60000}, guichet.LotFilled},
		{"every place held", guichet.LotOpen, []*guichet.Claim{
			{Quantity: 10, Status: guichet.ClaimAwarded}, {Quantity: 10, Status: guichet.ClaimAwarded}, {Quantity: 10, Status: guichet.ClaimAwarded}},
			[]guichet.Cents{10000, 10000, 10000}, guichet.LotFilled},
		{"a filled lot opens again after a withdrawal", guichet.LotFilled, []*guichet.Claim{
			{Quantity: 40, Status: guichet.ClaimWithdrawn}, {Quantity: 60, Status: guichet.ClaimAwarded}}, []guichet.Cents{0, 60000}, guichet.LotOpen},
		{"pending and declined claims hold nothing", guichet.LotOpen, []*guichet.Claim{
			{Quantity: 40, Status: guichet.ClaimPending, Amount: 123}, {Quantity: 60, Status: guichet.ClaimDeclined}}, []guichet.Cents{0, 0}, guichet.LotOpen},
		{"a closed lot stays closed", guichet.LotClosed, []*guichet.Claim{{Quantity: 100, Status: guichet.ClaimAwarded}}, []guichet.Cents{100000}, guichet.LotClosed},
		{"a cancelled lot stays cancelled", guichet.LotCancelled, nil, []guichet.Cents{}, guichet.LotCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &guichet.LotState{Lot: &guichet.Lot{Quantity: 100, Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 3, Status: tc.status},
				Claims: tc.claims}
			amounts, next := st.Settle()
			require.Equal(t, tc.amounts, amounts)
			require.Equal(t, tc.next, next)
		})
	}
}

func TestAwardTurnsAPendingCandidacyIntoAnAward(t *testing.T) {
	deadline := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	review := func(mut func(*guichet.Lot)) *guichet.Lot {
		l := &guichet.Lot{Code: "CAF", Quantity: 100, Mode: guichet.Shared, MaxSuppliers: 2, Status: guichet.LotOpen,
			Award: guichet.Review, Deadline: &deadline}
		if mut != nil {
			mut(l)
		}
		return l
	}
	pending := &guichet.Claim{ID: 12, SupplierID: 9, Quantity: 50, Status: guichet.ClaimPending}
	tests := []struct {
		name    string
		lot     *guichet.Lot
		claims  []*guichet.Claim
		already bool
		msg     string
	}{
		{"a candidacy that fits, past the deadline", review(nil), []*guichet.Claim{pending}, false, ""},
		{"a candidacy that fits what remains", review(nil), []*guichet.Claim{{ID: 11, SupplierID: 1, Quantity: 50, Status: guichet.ClaimAwarded}, pending}, false, ""},
		{"already awarded", review(nil), []*guichet.Claim{{ID: 12, SupplierID: 9, Quantity: 50, Status: guichet.ClaimAwarded}}, true, ""},
		{"no candidacy", review(nil), []*guichet.Claim{{ID: 12, SupplierID: 9, Quantity: 50, Status: guichet.ClaimDeclined}}, false, "ErrNoCandidacy"},
		{"cancelled lot comes first", review(func(l *guichet.Lot) { l.Status = guichet.LotCancelled }), nil, false, "ErrLotCancelled"},
		{"too big for what remains", review(nil), []*guichet.Claim{{ID: 11, SupplierID: 1, Quantity: 60, Status: guichet.ClaimAwarded}, pending}, false, "ErrShareTooBig"},
		{"no place left", review(func(l *guichet.Lot) { l.MaxSuppliers = 1 }), []*guichet.Claim{{ID: 11, SupplierID: 1, Quantity: 10, Status: guichet.ClaimAwarded}, pending}, false, "ErrLotFull"},
		{"exclusive lot taken", review(func(l *guichet.Lot) { l.Mode = guichet.Exclusive; l.MaxSuppliers = 1 }),
			[]*guichet.Claim{{ID: 11, SupplierID: 1, Quantity: 100, Status: guichet.ClaimAwarded, SupplierName: "Kenja"}, pending}, false, "ErrLotTaken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &guichet.LotState{Lot: tc.lot, Claims: tc.claims}
			c, already, err := st.Award(9)
			if tc.msg != "" {
				require.Equal(t, tc.msg, guichet.AsError(err).MessageID)
				require.Nil(t, c)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.already, already)
			require.Equal(t, int64(9), c.SupplierID)
		})
	}
}

// BenchmarkGrant measures the rule a claim applies in Go, event first (its time zone loaded
// once and kept), with the amounts that follow.
func BenchmarkGrant(b *testing.B) {
	ev := &guichet.Event{Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris", Status: guichet.EventPublished}
	st := &guichet.LotState{Lot: &guichet.Lot{Code: "DEJ", Quantity: 100, Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 3, Status: guichet.LotOpen},
		Claims: []*guichet.Claim{{ID: 1, SupplierID: 1, Quantity: 60, Amount: 60000, Status: guichet.ClaimAwarded}}}
	now := time.Date(2027, 4, 1, 10, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := st.Grant(ev, 2, 10, now); err != nil {
			b.Fatal(err)
		}
	}
}
