package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

var (
	paris      = mustZone("Europe/Paris")
	alertSpec  = guichet.ReminderSpec{DaysBefore: 1, Hour: 18}
	recapSpec  = guichet.ReminderSpec{DaysBefore: -1, Hour: 9}
	schedActor = dbtest.Coordinator
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// schedBundle is a published event on day with suppliers that hold awarded lots.
type schedBundle struct {
	*bundle
	sups []*guichet.Supplier
	lots []*guichet.Lot
}

// schedSetup creates a published event on day (Europe/Paris, default reminders) with n
// suppliers, each holding the lot of the same index; one more lot stays open.
func schedSetup(t *testing.T, day string, n int) *schedBundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	dd, err := time.Parse(time.DateOnly, day)
	require.NoError(t, err)
	e := &guichet.Event{Slug: "ev", Name: "Assises", Day: dd, CoordChannelID: "coord-channel"}
	require.NoError(t, d.CreateEvent(ctx, schedActor, e))
	b := &schedBundle{bundle: &bundle{ctx: ctx, db: d, event: e}}
	b.sups = b.suppliers(t, n, "s", "restauration")
	for i := 0; i <= n; i++ {
		l := &guichet.Lot{Code: fmt.Sprintf("L%d", i), Title: fmt.Sprintf("Lot %d", i), Category: "restauration",
			Quantity: 10, Budget: 100000, SlotStart: "12:00", SlotEnd: "14:00"}
		b.lot(t, l)
		b.lots = append(b.lots, l)
	}
	_, err = d.Publish(ctx, schedActor, e.ID)
	require.NoError(t, err)
	for i, s := range b.sups {
		_, err := d.Claim(ctx, guichet.ClaimRequest{Actor: member(s), LotID: b.lots[i].ID, SupplierID: s.ID}, time.Now())
		require.NoError(t, err)
	}
	return b
}

// take runs TakeDueReminders at now until nothing is left and returns how many were sent and
// skipped.
func (b *schedBundle) take(t *testing.T, now time.Time) (sent, skipped int) {
	t.Helper()
	for {
		s, k, err := b.db.TakeDueReminders(b.ctx, now, 7)
		require.NoError(t, err)
		sent += s
		skipped += k
		if s+k < 7 {
			return sent, skipped
		}
	}
}

func (b *schedBundle) reminders(t *testing.T) []guichet.Reminder {
	t.Helper()
	var out []guichet.Reminder
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &out, `SELECT id, event_id, kind, supplier_id, due_at, status,
		sent_at, skip_reason, confirmed_at, confirmed_by, problem FROM reminders ORDER BY id`))
	return out
}

// Each reminder goes out at its local hour, once, across the clock changes of 2027 in Paris:
// the J-1 of an event on Monday 29 March falls on the day clocks go forward; an event on
// Sunday 31 October is held on the day they go back. The unconfirmed alert and the recap follow
// the same rule.
func TestRemindersAtLocalHourAcrossClockChanges(t *testing.T) {
	tests := map[string]struct {
		day                  string
		j7, j1, alert, recap time.Time // UTC
	}{
		"spring forward on J-1": {
			day:   "2027-03-29",
			j7:    time.Date(2027, 3, 22, 8, 0, 0, 0, time.UTC), // 09:00 CET
			j1:    time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC), // 09:00 CEST, clocks went forward at 02:00
			alert: time.Date(2027, 3, 28, 16, 0, 0, 0, time.UTC),
			recap: time.Date(2027, 3, 30, 7, 0, 0, 0, time.UTC),
		},
		"fall back on the event day": {
			day:   "2027-10-31",
			j7:    time.Date(2027, 10, 24, 7, 0, 0, 0, time.UTC), // 09:00 CEST
			j1:    time.Date(2027, 10, 30, 7, 0, 0, 0, time.UTC), // 09:00 CEST
			alert: time.Date(2027, 10, 30, 16, 0, 0, 0, time.UTC),
			recap: time.Date(2027, 11, 1, 8, 0, 0, 0, time.UTC), // 09:00 CET, clocks went back
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := schedSetup(t, tc.day, 3)
			recipients := 4 // three structures and the coordinator
			sentAt := map[int64]time.Time{}
			alerts, recaps := map[time.Time]int{}, map[time.Time]int{}
			// Walk the clock every quarter of an hour from three days before J-7 to a day after
			// the recap.
			start := tc.j7.Add(-72 * time.Hour).Truncate(time.Hour)
			for now := start; now.Before(tc.recap.Add(24 * time.Hour)); now = now.Add(15 * time.Minute) {
				sent, skipped := b.take(t, now)
				require.Zero(t, skipped, "nothing is skipped when the scheduler runs on time")
				if sent > 0 {
					for _, r := range b.reminders(t) {
						if r.Status == guichet.ReminderSent {
							if _, ok := sentAt[r.ID]; !ok {
								sentAt[r.ID] = now
							}
						}
					}
				}
				a, err := b.db.AlertUnconfirmed(b.ctx, now, alertSpec)
				require.NoError(t, err)
				if a > 0 {
					alerts[now] += a
				}
				rc, err := b.db.TriggerRecaps(b.ctx, now, recapSpec)
				require.NoError(t, err)
				if rc > 0 {
					recaps[now] += rc
				}
			}
			rows := b.reminders(t)
			require.Len(t, rows, 2*recipients)
			for _, r := range rows {
				want := map[guichet.ReminderKind]time.Time{"j7": tc.j7, "j1": tc.j1}[r.Kind]
				require.True(t, want.Equal(r.DueAt), "%s due at %s, want %s", r.Kind, r.DueAt.UTC(), want)
				require.True(t, want.Equal(sentAt[r.ID]), "%s sent at %s, want %s", r.Kind, sentAt[r.ID], want)
				require.Equal(t, "09:00", sentAt[r.ID].In(paris).Format("15:04"))
			}
			require.Equal(t, 2*recipients, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`))
			require.Equal(t, 2*recipients, b.count(t, `SELECT count(DISTINCT payload->>'reminder_id') FROM outbox WHERE kind = 'reminder'`))
			require.Equal(t, map[time.Time]int{tc.alert: 1}, alerts)
			require.Equal(t, map[time.Time]int{tc.recap: 1}, recaps)
			require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap_draft'`))
			e, err := b.db.Event(b.ctx, b.event.ID)
			require.NoError(t, err)
			require.Equal(t, guichet.EventDone, e.Status)
		})
	}
}

func TestCatchUpRules(t *testing.T) {
	j7 := time.Date(2027, 4, 8, 7, 0, 0, 0, time.UTC)
	j1 := time.Date(2027, 4, 14, 7, 0, 0, 0, time.UTC)
	dayStart := time.Date(2027, 4, 14, 22, 0, 0, 0, time.UTC) // midnight in Paris
	tests := map[string]struct {
		now                  time.Time
		sentKinds            map[guichet.ReminderKind]int
		skipped              map[string]int
		sent, skippedByCount int
	}{
		"down for two days before J-7: sent late": {
			now:       j7.Add(50 * time.Hour),
			sentKinds: map[guichet.ReminderKind]int{"j7": 3},
		},
		"down from before J-7 until after J-1: J-7 skipped, J-1 sent": {
			now:       j1.Add(3 * time.Hour),
			sentKinds: map[guichet.ReminderKind]int{"j1": 3},
			skipped:   map[string]int{db.SkipSuperseded: 3},
		},
		"down until the event day: everything skipped": {
			now:     dayStart,
			skipped: map[string]int{db.SkipEventStarted: 6},
		},
		"back one minute before the day begins: J-1 still sent": {
			now:       dayStart.Add(-time.Minute),
			sentKinds: map[guichet.ReminderKind]int{"j1": 3},
			skipped:   map[string]int{db.SkipSuperseded: 3},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := schedSetup(t, "2027-04-15", 2)
			b.take(t, tc.now)
			sentKinds := map[guichet.ReminderKind]int{}
			skipped := map[string]int{}
			for _, r := range b.reminders(t) {
				switch r.Status {
				case guichet.ReminderSent:
					sentKinds[r.Kind]++
				case guichet.ReminderSkipped:
					skipped[r.SkipReason]++
					require.NotNil(t, r.SentAt, "the skip is dated")
				}
			}
			if tc.sentKinds == nil {
				tc.sentKinds = map[guichet.ReminderKind]int{}
			}
			if tc.skipped == nil {
				tc.skipped = map[string]int{}
			}
			require.Equal(t, tc.sentKinds, sentKinds)
			require.Equal(t, tc.skipped, skipped)
			n := 0
			for _, v := range tc.sentKinds {
				n += v
			}
			require.Equal(t, n, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`))
			m := 0
			for _, v := range tc.skipped {
				m += v
			}
			require.Equal(t, m, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'reminder.skip'`))
			// A replayed pass changes nothing.
			s, k := b.take(t, tc.now.Add(time.Minute))
			require.Zero(t, s+k)
		})
	}
}

func TestNoReminderForCancelledOrWithdrawn(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 3)
	require.NoError(t, b.db.CancelLot(b.ctx, schedActor, b.lots[0].ID, "salle trop petite"))
	_, err := b.db.Withdraw(b.ctx, member(b.sups[1]), b.lots[1].ID, b.sups[1].ID, "")
	require.NoError(t, err)
	// A structure that loses its award behind the scheduler's back (no sync) is still caught at
	// send time.
	_, err = b.db.SQL().ExecContext(b.ctx, `UPDATE claims SET status = 'withdrawn' WHERE supplier_id = $1`, b.sups[2].ID)
	require.NoError(t, err)

	sent, skipped := b.take(t, time.Date(2027, 4, 8, 7, 0, 0, 0, time.UTC))
	require.Equal(t, 1, sent, "only the coordinator's digest")
	require.Equal(t, 1, skipped)
	var sup *int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &sup, `SELECT supplier_id FROM reminders WHERE status = 'skipped'`))
	require.Equal(t, b.sups[2].ID, *sup)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM reminders WHERE skip_reason = $1`, db.SkipNotConcerned))
	require.Zero(t, b.count(t, `SELECT count(*) FROM reminders WHERE supplier_id = ANY(ARRAY[$1, $2]::bigint[])`, b.sups[0].ID, b.sups[1].ID))
}

func TestConcurrentTakersSendEachReminderOnce(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 40)
	now := time.Date(2027, 4, 14, 8, 0, 0, 0, time.UTC) // J-1 passed: J-7 skipped, J-1 sent
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				s, k, err := b.db.TakeDueReminders(b.ctx, now, 5)
				require.NoError(t, err)
				mu.Lock()
				total += s + k
				mu.Unlock()
				if s+k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 82, total)
	require.Equal(t, 41, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`))
	require.Equal(t, 41, b.count(t, `SELECT count(DISTINCT payload->>'reminder_id') FROM outbox WHERE kind = 'reminder'`))
	require.Equal(t, 41, b.count(t, `SELECT count(*) FROM reminders WHERE status = 'skipped' AND kind = 'j7'`))
}

func TestCloseExpiredLots(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	deadline := time.Date(2027, 4, 1, 16, 0, 0, 0, time.UTC)
	open := &guichet.Lot{Code: "PCM", Title: "Pause", Category: "restauration", Quantity: 100, Budget: 50000,
		Mode: guichet.Shared, MaxSuppliers: 3, Deadline: &deadline}
	b.lot(t, open)
	filled := &guichet.Lot{Code: "PHO", Title: "Photos", Category: "restauration", Quantity: 1, Budget: 50000, Deadline: &deadline}
	b.lot(t, filled)
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(b.sups[0]), LotID: open.ID, SupplierID: b.sups[0].ID, Quantity: 40}, deadline.Add(-time.Hour))
	require.NoError(t, err)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(b.sups[0]), LotID: filled.ID, SupplierID: b.sups[0].ID}, deadline.Add(-time.Hour))
	require.NoError(t, err)

	n, err := b.db.CloseExpiredLots(b.ctx, deadline.Add(-time.Second))
	require.NoError(t, err)
	require.Zero(t, n, "not before the deadline")
	n, err = b.db.CloseExpiredLots(b.ctx, deadline)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	l, err := b.db.Lot(b.ctx, open.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotClosed, l.Status)
	l, err = b.db.Lot(b.ctx, filled.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, l.Status, "a filled lot stays filled")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'ReminderLotClosed'
		AND payload->'args'->>'Awarded' = '40' AND payload->>'channel_id' = 'coord-channel'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'lot.close' AND lot_id = $1`, open.ID))
	refresh := b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND (payload->>'lot_id')::bigint = $1`, open.ID)

	n, err = b.db.CloseExpiredLots(b.ctx, deadline.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "a replay changes nothing")
	require.Equal(t, refresh, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND (payload->>'lot_id')::bigint = $1`, open.ID))
}

func TestUnconfirmedAlertOnce(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 3)
	j1 := time.Date(2027, 4, 14, 7, 0, 0, 0, time.UTC)
	alertAt := time.Date(2027, 4, 14, 16, 0, 0, 0, time.UTC)
	b.take(t, j1)
	conf := b.confirmations(t)
	require.Len(t, conf, 3)
	_, changed, err := b.db.ConfirmReminder(b.ctx, member(b.sups[0]), conf[0].ID)
	require.NoError(t, err)
	require.True(t, changed)
	_, _, err = b.db.ReportProblem(b.ctx, member(b.sups[1]), conf[1].ID, "camion en panne")
	require.NoError(t, err)

	n, err := b.db.AlertUnconfirmed(b.ctx, alertAt.Add(-time.Minute), alertSpec)
	require.NoError(t, err)
	require.Zero(t, n)
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var err error
			counts[i], err = b.db.AlertUnconfirmed(b.ctx, alertAt, alertSpec)
			require.NoError(t, err)
		}(i)
	}
	wg.Wait()
	require.Equal(t, 1, counts[0]+counts[1]+counts[2], "three schedulers alert once")
	var args struct {
		Missing  string `db:"missing"`
		Problems string `db:"problems"`
	}
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &args, `SELECT payload->'args'->>'Missing' AS missing,
		payload->'args'->>'Problems' AS problems FROM outbox WHERE payload->>'message_id' = 'ReminderUnconfirmedAlert'`))
	require.Equal(t, b.sups[2].Name, args.Missing)
	require.Equal(t, b.sups[1].Name, args.Problems)
	n, err = b.db.AlertUnconfirmed(b.ctx, alertAt.Add(time.Hour), alertSpec)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestAlertAndRecapCaughtUpAfterDowntime(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	// The scheduler comes back three days after the event: the alert makes no sense any more,
	// the recap does.
	late := time.Date(2027, 4, 18, 10, 0, 0, 0, time.UTC)
	n, err := b.db.AlertUnconfirmed(b.ctx, late, alertSpec)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE unconfirmed_alert_at IS NOT NULL`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'reminder.alert_skip'`))
	n, err = b.db.TriggerRecaps(b.ctx, late, recapSpec)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = b.db.TriggerRecaps(b.ctx, late.Add(time.Hour), recapSpec)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap_draft'`))
	_, skipped := b.take(t, late)
	require.Equal(t, 4, skipped, "reminders of a past event are skipped")
}

func (b *schedBundle) confirmations(t *testing.T) []*guichet.Reminder {
	t.Helper()
	conf, err := b.db.Confirmations(b.ctx, b.event.ID)
	require.NoError(t, err)
	return conf
}

func TestConfirmAndReportProblem(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 2)
	b.take(t, time.Date(2027, 4, 14, 7, 0, 0, 0, time.UTC))
	conf := b.confirmations(t)
	require.Len(t, conf, 2)
	require.Equal(t, b.sups[0].ID, *conf[0].SupplierID)
	require.Nil(t, conf[0].ConfirmedAt)

	_, _, err := b.db.ConfirmReminder(b.ctx, member(b.sups[1]), conf[0].ID)
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err), "another structure's member cannot confirm")
	_, _, err = b.db.ConfirmReminder(b.ctx, member(b.sups[0]), 999999)
	require.Equal(t, "ErrReminderNotFound", guichet.AsError(err).MessageID)
	var coordRow int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &coordRow, `SELECT id FROM reminders WHERE supplier_id IS NULL AND kind = 'j1'`))
	_, _, err = b.db.ConfirmReminder(b.ctx, member(b.sups[0]), coordRow)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err), "the coordinator's digest is not confirmed")

	boards := b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_board'`)
	for i := 0; i < 3; i++ {
		r, changed, err := b.db.ConfirmReminder(b.ctx, member(b.sups[0]), conf[0].ID)
		require.NoError(t, err)
		require.Equal(t, i == 0, changed, "a double click changes nothing")
		require.NotNil(t, r.ConfirmedAt)
		require.Equal(t, member(b.sups[0]).Username, r.ConfirmedBy)
	}
	require.Equal(t, boards+1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_board'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'ReminderConfirmedNotice'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'reminder.confirm'`))

	_, _, err = b.db.ReportProblem(b.ctx, member(b.sups[0]), conf[0].ID, "   ")
	require.Equal(t, "ErrProblemEmpty", guichet.AsError(err).MessageID)
	for i := 0; i < 2; i++ {
		r, changed, err := b.db.ReportProblem(b.ctx, member(b.sups[0]), conf[0].ID, " Le traiteur a un empêchement ")
		require.NoError(t, err)
		require.Equal(t, i == 0, changed)
		require.Nil(t, r.ConfirmedAt, "a problem withdraws the confirmation")
		require.Equal(t, "Le traiteur a un empêchement", r.Problem)
	}
	var text string
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &text, `SELECT payload->'args'->>'Text' FROM outbox
		WHERE payload->>'message_id' = 'ReminderProblemNotice' AND payload->>'channel_id' = 'coord-channel'`))
	require.Equal(t, "Le traiteur a un empêchement", text)
	conf = b.confirmations(t)
	require.Equal(t, "Le traiteur a un empêchement", conf[0].Problem)
	r, changed, err := b.db.ConfirmReminder(b.ctx, member(b.sups[0]), conf[0].ID)
	require.NoError(t, err)
	require.True(t, changed, "confirming after the problem is solved")
	require.Empty(t, r.Problem)
}

func TestSendRemindersNowAndPreview(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 2)
	rows, board, err := b.db.PreviewReminders(b.ctx, b.event.ID, "j7")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Nil(t, rows[0].SupplierID, "the coordinator first")
	require.Len(t, board.Lots, 3)
	require.Zero(t, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`), "a preview sends nothing")
	require.Zero(t, b.count(t, `SELECT count(*) FROM reminders WHERE status <> 'due'`))

	_, err = b.db.SendRemindersNow(b.ctx, schedActor, b.event.ID, "j3")
	require.Equal(t, "ErrReminderKind", guichet.AsError(err).MessageID)

	n, err := b.db.SendRemindersNow(b.ctx, schedActor, b.event.ID, "j7")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j7' AND status = 'sent'`))
	sent, skipped := b.take(t, time.Date(2027, 4, 8, 7, 0, 0, 0, time.UTC))
	require.Zero(t, sent+skipped, "the scheduler does not send them again")
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`))

	draft := &guichet.Event{Slug: "brouillon", Name: "Brouillon", Day: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, b.db.CreateEvent(b.ctx, schedActor, draft))
	_, err = b.db.SendRemindersNow(b.ctx, schedActor, draft.ID, "j1")
	require.Equal(t, "ErrEventDraft", guichet.AsError(err).MessageID)
}

func TestRelaunchOncePerDigest(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 2)
	// The offers were "posted" in the structures' channels.
	for _, s := range b.sups {
		require.NoError(t, b.db.RecordOfferPost(b.ctx, guichet.OfferPost{LotID: b.lots[2].ID, ChannelID: s.ChannelID, PostID: "p-" + s.ChannelID}))
	}
	late := b.suppliers(t, 1, "late", "restauration")[0]
	b.take(t, time.Date(2027, 4, 8, 7, 0, 0, 0, time.UTC))
	var digest int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &digest, `SELECT id FROM reminders WHERE supplier_id IS NULL AND kind = 'j7'`))
	// The second structure declined the open lot: it is not asked again.
	_, err := b.db.DeclineLot(b.ctx, member(b.sups[1]), b.lots[2].ID, []int64{b.sups[1].ID}, time.Now())
	require.NoError(t, err)
	n, err := b.db.Relaunch(b.ctx, schedActor, digest)
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the open lot")
	// As `relancer`: the offer posted anew at the bottom of the channel of the structure that
	// has not answered, its older copy pointing to it; nothing in the channel of the one that
	// declined; no separate notice.
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'relaunch_offer'
		AND payload->>'channel_id' = $1 AND payload->>'previous_post_id' = $2`, b.sups[0].ChannelID, "p-"+b.sups[0].ChannelID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'relaunch_offer'`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'ReminderRelaunchNotice'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'publish_offer' AND payload->>'channel_id' = $1`, late.ChannelID),
		"a structure that joined the directory later gets the offer")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'lot.relaunch' AND lot_id = $1
		AND (detail->>'reminder_id')::bigint = $2`, b.lots[2].ID, digest))
	_, err = b.db.Relaunch(b.ctx, schedActor, digest)
	require.Equal(t, "ErrRelaunchedAlready", guichet.AsError(err).MessageID)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'relaunch_offer'`))
}

func TestDeliveredTargets(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxReminder, guichet.OutboxPayload{ReminderID: 1}))
	var id int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &id, `SELECT max(id) FROM outbox`))
	require.NoError(t, b.db.RecordDeliveredTarget(b.ctx, id, "user-a", "post-1"))
	require.NoError(t, b.db.RecordDeliveredTarget(b.ctx, id, "user-a", "post-2"))
	got, err := b.db.DeliveredTargets(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"user-a": "post-1"}, got)
}
