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

func TestCheckClaimAppliesEventThenLotThenCapacity(t *testing.T) {
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
		{"lot past its deadline", ev(guichet.EventPublished), lot(func(l *guichet.Lot) { l.Deadline = &deadline }), nil, 0, deadline, 0, "ErrLotClosed"},
		{"share too big", ev(guichet.EventPublished), lot(nil), held, 41, before, 0, "ErrShareTooBig"},
		{"no event given: the lot alone", nil, lot(nil), held, 0, day.AddDate(1, 0, 0), 40, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			qty, err := guichet.CheckClaim(tc.ev, tc.lot, tc.claims, tc.want, tc.now)
			if tc.msg == "" {
				require.NoError(t, err)
				require.Equal(t, tc.qty, qty)
				return
			}
			require.Equal(t, tc.msg, guichet.AsError(err).MessageID)
		})
	}
}

// BenchmarkCheckClaim measures the rule a claim applies in Go, event first (its time zone
// loaded once and kept).
func BenchmarkCheckClaim(b *testing.B) {
	ev := &guichet.Event{Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris", Status: guichet.EventPublished}
	lot := &guichet.Lot{Code: "DEJ", Quantity: 100, Mode: guichet.Shared, MaxSuppliers: 3, Status: guichet.LotOpen}
	claims := []*guichet.Claim{{Quantity: 60, Status: guichet.ClaimAwarded}}
	now := time.Date(2027, 4, 1, 10, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := guichet.CheckClaim(ev, lot, claims, 10, now); err != nil {
			b.Fatal(err)
		}
	}
}
