package db_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func day(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

func strp(s string) *string { return &s }

// An event postponed by two weeks after its J-7 went out: J-7 comes again once, at the new
// date, saying which day it was sent for; J-1 moves with the event and goes out once; the
// structures holding lots are told once; every copy of every offer is refreshed.
func TestEventPostponedAfterJ7SendsItAgainOnce(t *testing.T) {
	b := schedSetup(t, "2027-05-12", 2)
	j7 := time.Date(2027, 5, 5, 7, 0, 0, 0, time.UTC) // 09:00 CEST
	sent, _ := b.take(t, j7)
	require.Equal(t, 3, sent, "J-7 to two structures and the coordination")
	before := b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeEventChanged'`)
	require.Zero(t, before)

	now := j7.Add(3 * time.Hour)
	res, err := b.db.EditEvent(b.ctx, schedActor, b.event.ID, guichet.EventChange{Day: day("2027-05-26"), Summary: "date"}, now)
	require.NoError(t, err)
	require.Equal(t, 3, res.Rearmed)
	require.Equal(t, 2, res.Told)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeEventChanged'
		AND payload->'args'->>'Changes' = 'date' AND (payload->>'event_id')::bigint = $1`, b.event.ID))
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND created_at >= now() - interval '1 minute'
		AND id > (SELECT max(id) FROM outbox WHERE kind = 'reminder')`), "every lot with copies is refreshed")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'event.edit'`))

	// Nothing more before the new J-7; at it, the three again, once, naming the old day.
	s, k := b.take(t, time.Date(2027, 5, 19, 6, 59, 0, 0, time.UTC))
	require.Zero(t, s+k)
	s, _ = b.take(t, time.Date(2027, 5, 19, 7, 0, 0, 0, time.UTC))
	require.Equal(t, 3, s)
	s, _ = b.take(t, time.Date(2027, 5, 19, 8, 0, 0, 0, time.UTC))
	require.Zero(t, s)
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j7' AND status = 'sent'
		AND previous_day = '2027-05-12' AND due_at = '2027-05-19T07:00:00Z'`))
	// J-1 was never sent: it moves, with no word of a change, and goes out once.
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j1' AND status = 'due'
		AND previous_day IS NULL AND due_at = '2027-05-25T07:00:00Z'`))
	s, _ = b.take(t, time.Date(2027, 5, 25, 7, 0, 0, 0, time.UTC))
	require.Equal(t, 3, s)
	require.Equal(t, 9, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`), "3 J-7, 3 J-7 again, 3 J-1")

	ev, err := b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "2027-05-26", ev.Day.Format(time.DateOnly))
}

// A postponement by a day after J-7 went out does not bring J-7 back: its new moment has passed.
func TestEventPostponedByADayKeepsPastReminders(t *testing.T) {
	b := schedSetup(t, "2027-05-12", 1)
	j7 := time.Date(2027, 5, 5, 7, 0, 0, 0, time.UTC)
	b.take(t, j7)
	res, err := b.db.EditEvent(b.ctx, schedActor, b.event.ID, guichet.EventChange{Day: day("2027-05-13")}, j7.Add(26*time.Hour))
	require.NoError(t, err)
	require.Zero(t, res.Rearmed)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j7' AND status = 'sent' AND previous_day IS NULL`))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j1' AND status = 'due' AND due_at = '2027-05-12T07:00:00Z'`))
}

// Bad edits change nothing: a day in the past, nothing to change, a bad field, a cancelled event.
func TestEventEditRefusals(t *testing.T) {
	b := schedSetup(t, "2027-05-12", 1)
	now := time.Date(2027, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		change guichet.EventChange
		code   string
		id     string
	}{
		"day in the past":    {guichet.EventChange{Day: day("2027-04-30")}, guichet.EINVALID, "ErrEventDayPast"},
		"nothing":            {guichet.EventChange{}, guichet.EINVALID, "ErrEventEditNothing"},
		"bad schedule":       {guichet.EventChange{Reminders: strp("J-99@09:00")}, guichet.EINVALID, "ErrReminders"},
		"bad zone":           {guichet.EventChange{TimeZone: strp("Mars/Olympus")}, guichet.EINVALID, "ErrTimeZone"},
		"venue far too long": {guichet.EventChange{Venue: strp(string(make([]byte, 301)))}, guichet.EINVALID, "ErrTooLong"},
	}
	for name, tc := range tests {
		_, err := b.db.EditEvent(b.ctx, schedActor, b.event.ID, tc.change, now)
		require.Error(t, err, name)
		require.Equal(t, tc.code, guichet.ErrorCode(err), name)
		require.Equal(t, tc.id, guichet.AsError(err).MessageID, name)
	}
	_, err := b.db.CancelEvent(b.ctx, schedActor, b.event.ID, "", now)
	require.NoError(t, err)
	_, err = b.db.EditEvent(b.ctx, schedActor, b.event.ID, guichet.EventChange{Venue: strp("Ailleurs")}, now)
	require.Equal(t, "ErrEventCancelled", guichet.AsError(err).MessageID)
	require.Zero(t, b.count(t, `SELECT count(*) FROM audit WHERE action = 'event.edit'`))
	ev, err := b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "2027-05-12", ev.Day.Format(time.DateOnly))
	require.Empty(t, ev.Venue)
}

// Cancelling stops everything once: reminders and digests skipped, no alert, no recap, offers
// re-rendered, holders told, claims refused; a second cancel changes nothing.
func TestCancelEventStopsEverything(t *testing.T) {
	b := schedSetup(t, "2027-05-12", 2)
	now := time.Date(2027, 5, 1, 10, 0, 0, 0, time.UTC)
	res, err := b.db.CancelEvent(b.ctx, schedActor, b.event.ID, "salle indisponible", now)
	require.NoError(t, err)
	require.False(t, res.Already)
	require.Equal(t, 2, res.Told)
	require.Equal(t, 3, res.Offers)
	require.Equal(t, 6, res.Reminders, "J-7 and J-1 to two structures and the coordination")
	require.Equal(t, guichet.EventCancelled, res.Event.Status)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeEventCancelled'
		AND payload->'args'->>'Reason' = 'salle indisponible'`))
	require.Equal(t, 6, b.count(t, `SELECT count(*) FROM reminders WHERE status = 'skipped' AND skip_reason = 'event_cancelled'`))

	// The scheduler's passes find nothing, across the event's day and after.
	for at := now; at.Before(time.Date(2027, 5, 14, 0, 0, 0, 0, time.UTC)); at = at.Add(time.Hour) {
		s, k := b.take(t, at)
		require.Zero(t, s+k)
		n, err := b.db.AlertUnconfirmed(b.ctx, at, alertSpec)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = b.db.TriggerRecaps(b.ctx, at, recapSpec)
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = b.db.CloseEndedOffers(b.ctx, at)
		require.NoError(t, err)
		require.Zero(t, n)
	}
	require.Error(t, b.db.QueueRecap(b.ctx, schedActor, b.event.ID))

	// Claims and releases are refused.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(b.sups[0]), LotID: b.lots[2].ID, SupplierID: b.sups[0].ID}, now)
	require.Equal(t, "ErrEventCancelled", guichet.AsError(err).MessageID)
	_, err = b.db.Withdraw(b.ctx, member(b.sups[0]), b.lots[0].ID, b.sups[0].ID, "")
	require.Equal(t, "ErrEventCancelled", guichet.AsError(err).MessageID)

	again, err := b.db.CancelEvent(b.ctx, schedActor, b.event.ID, "", now)
	require.NoError(t, err)
	require.True(t, again.Already)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'event.cancel'`))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeEventCancelled'`))
}
