package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/scheduler"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var coordinator = dbtest.Coordinator

// simClock is a clock the test moves; every scheduler instance reads it.
type simClock struct{ ns atomic.Int64 }

func (c *simClock) Now() time.Time         { return time.Unix(0, c.ns.Load()).UTC() }
func (c *simClock) Set(t time.Time)        { c.ns.Store(t.UnixNano()) }
func (c *simClock) clock() scheduler.Clock { return scheduler.ClockFunc(c.Now) }

// weekEvent is what the test knows about one event, to work out independently what must be
// sent.
type weekEvent struct {
	event     *guichet.Event
	suppliers []*guichet.Supplier
	// withdrawAt, when set, is the step at which suppliers[0] withdraws its lot.
	withdrawAt time.Time
	lots       []*guichet.Lot
}

type recipientKey struct {
	eventID    int64
	kind       guichet.ReminderKind
	supplierID int64 // 0: the coordinator
}

// Three schedulers on one database through a simulated week of 200 events in five time zones
// (the week of the spring clock change in Europe), with structures withdrawing while reminders
// go out: every reminder due is sent exactly once, at the first pass after its local time, to
// the structures that still hold a lot; every deadline closes its lot once; every alert and
// recap due goes out once.
func TestThreeSchedulersThroughASimulatedWeek(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	start := time.Date(2027, 3, 22, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	const step = 10 * time.Minute
	zones := []string{"Europe/Paris", "America/Montreal", "Pacific/Noumea", "Asia/Tokyo", "UTC"}
	schedules := []string{guichet.DefaultReminders, "J-3@14:30,J-1@08:00", "J-10@09:00,J-2@18:45,J-1@09:00"}

	var sups []*guichet.Supplier
	for i := 0; i < 12; i++ {
		sups = append(sups, &guichet.Supplier{Name: fmt.Sprintf("Structure %d", i), Categories: []string{"restauration"},
			ChannelID: fmt.Sprintf("sup-%d-channel", i),
			Members:   []guichet.Member{{UserID: fmt.Sprintf("u%d", i), Username: fmt.Sprintf("u%d", i)}}})
	}
	require.NoError(t, d.UpsertSuppliers(ctx, coordinator, sups))

	events := make([]*weekEvent, 200)
	var wg sync.WaitGroup
	errs := make(chan error, len(events))
	sem := make(chan struct{}, 4)
	for i := range events {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			we, err := makeEvent(ctx, d, i, start, zones[i%len(zones)], schedules[i%len(schedules)], sups)
			events[i] = we
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	for i, we := range events {
		if i%9 == 0 {
			we.withdrawAt = start.Add(time.Duration(i%7)*24*time.Hour + 7*time.Hour)
		}
	}

	clock := &simClock{}
	clock.Set(start)
	var instances []*scheduler.Scheduler
	for i := 0; i < 3; i++ {
		s, err := scheduler.New(scheduler.Deps{Store: d, Clock: clock.clock(), Logger: quiet, BatchSize: 7})
		require.NoError(t, err)
		instances = append(instances, s)
	}
	for now := start; !now.After(end); now = now.Add(step) {
		clock.Set(now)
		for _, we := range events {
			if we.withdrawAt.Equal(now) {
				_, err := d.Withdraw(ctx, guichet.Actor{UserID: we.suppliers[0].Members[0].UserID}, we.lots[0].ID, we.suppliers[0].ID, "")
				require.NoError(t, err)
			}
		}
		var pass sync.WaitGroup
		passErrs := make([]error, len(instances))
		for i, s := range instances {
			pass.Add(1)
			go func(i int, s *scheduler.Scheduler) {
				defer pass.Done()
				passErrs[i] = s.Tick(ctx)
			}(i, s)
		}
		pass.Wait()
		for _, err := range passErrs {
			require.NoError(t, err, "at %s", now)
		}
	}

	// What must have been sent, worked out from the events alone.
	processedAt := func(due time.Time) time.Time {
		if due.Before(start) {
			return start
		}
		off := due.Sub(start)
		n := (off + step - 1) / step
		return start.Add(n * step)
	}
	type outcome struct {
		status string
		at     time.Time
	}
	want := map[recipientKey]outcome{}
	wantRecaps, wantAlerts, wantSkipped := 0, 0, 0
	for _, we := range events {
		e := we.event
		specs, err := guichet.ParseReminders(e.Reminders)
		require.NoError(t, err)
		var dues []time.Time
		for _, sp := range specs {
			due, err := e.LocalTime(-sp.DaysBefore, sp.Hour, sp.Minute)
			require.NoError(t, err)
			dues = append(dues, due)
		}
		for i, sp := range specs {
			due := dues[i]
			if due.After(end) {
				continue
			}
			// Reminders due before the week began are caught up by the first pass; one whose
			// later reminder is due by then too is skipped.
			o := outcome{"sent", processedAt(due)}
			for _, later := range dues[i+1:] {
				if !later.After(o.at) {
					o.status = "skipped"
				}
			}
			recipients := []int64{0}
			for k, s := range we.suppliers {
				if k == 0 && !we.withdrawAt.IsZero() && !o.at.Before(we.withdrawAt) {
					continue
				}
				recipients = append(recipients, s.ID)
			}
			for _, id := range recipients {
				want[recipientKey{e.ID, sp.Kind(), id}] = o
				if o.status == "skipped" {
					wantSkipped++
				}
			}
		}
		if at, _ := e.LocalTime(1, 9, 0); !at.After(end) {
			wantRecaps++
		}
		if at, _ := e.LocalTime(-1, 18, 0); !at.After(end) && !at.Before(start) {
			wantAlerts++
		}
	}
	require.Greater(t, len(want), 300, "the week has plenty of reminders")

	var rows []struct {
		EventID    int64      `db:"event_id"`
		Kind       string     `db:"kind"`
		SupplierID *int64     `db:"supplier_id"`
		DueAt      time.Time  `db:"due_at"`
		Status     string     `db:"status"`
		SentAt     *time.Time `db:"sent_at"`
	}
	require.NoError(t, d.SQL().SelectContext(ctx, &rows, `SELECT event_id, kind, supplier_id, due_at, status, sent_at
		FROM reminders WHERE due_at <= $1`, end))
	got := map[recipientKey]outcome{}
	for _, r := range rows {
		k := recipientKey{r.EventID, guichet.ReminderKind(r.Kind), 0}
		if r.SupplierID != nil {
			k.supplierID = *r.SupplierID
		}
		got[k] = outcome{r.Status, r.SentAt.UTC()}
	}
	require.Positive(t, wantSkipped, "the week begins with reminders to catch up")
	require.Equal(t, len(want), len(got))
	for k, o := range want {
		g, ok := got[k]
		require.True(t, ok, "reminder %+v not taken", k)
		require.Equal(t, o.status, g.status, "reminder %+v", k)
		require.True(t, o.at.Equal(g.at), "reminder %+v taken at %s, want %s", k, g.at, o.at)
	}
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, d.SQL().GetContext(ctx, &n, q, args...))
		return n
	}
	sent := len(want) - wantSkipped
	require.Equal(t, sent, count(`SELECT count(*) FROM outbox WHERE kind = 'reminder'`), "one outbox message per reminder sent")
	require.Equal(t, sent, count(`SELECT count(DISTINCT payload->>'reminder_id') FROM outbox WHERE kind = 'reminder'`))
	require.Equal(t, wantRecaps, count(`SELECT count(*) FROM outbox WHERE kind = 'recap_draft'`))
	require.Equal(t, wantRecaps, count(`SELECT count(DISTINCT payload->>'event_id') FROM outbox WHERE kind = 'recap_draft'`))
	require.Equal(t, wantAlerts, count(`SELECT count(*) FROM outbox
		WHERE payload->>'message_id' IN ('ReminderUnconfirmedAlert', 'ReminderAllConfirmed')`))
	require.Zero(t, count(`SELECT count(*) FROM lots WHERE status = 'open' AND deadline <= $1`, end))
	closed := count(`SELECT count(*) FROM lots WHERE status = 'closed'`)
	require.Equal(t, 200, closed, "each event's open lot reached its deadline during the week")
	require.Equal(t, closed, count(`SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'ReminderLotClosed'`))
	require.Equal(t, closed, count(`SELECT count(*) FROM audit_trail WHERE action = 'lot.close'`))
}

// makeEvent creates and publishes event i, day 1 to 14 days after start, with three lots: two
// awarded (to two or three structures), one left open with a claim deadline within the week.
func makeEvent(ctx context.Context, d *db.DB, i int, start time.Time, zone, schedule string, sups []*guichet.Supplier) (*weekEvent, error) {
	day := start.AddDate(0, 0, 1+i%14)
	e := &guichet.Event{Slug: fmt.Sprintf("ev-%d", i), Name: fmt.Sprintf("Événement %d", i), Day: day,
		TimeZone: zone, Reminders: schedule, CoordChannelID: fmt.Sprintf("coord-%d", i)}
	if err := d.CreateEvent(ctx, coordinator, e); err != nil {
		return nil, err
	}
	deadline := start.Add(time.Duration(i%7)*24*time.Hour + time.Duration(i%24)*time.Hour)
	lots := []*guichet.Lot{
		{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 90, Budget: 270000, Mode: guichet.Shared, MaxSuppliers: 3},
		{Code: "PCM", Title: "Pause café", Category: "restauration", Quantity: 1, Budget: 40000},
		{Code: "APE", Title: "Apéritif", Category: "restauration", Quantity: 1, Budget: 30000, Deadline: &deadline},
	}
	if err := d.AddLots(ctx, coordinator, e.ID, lots); err != nil {
		return nil, err
	}
	if _, err := d.Publish(ctx, coordinator, e.ID); err != nil {
		return nil, err
	}
	we := &weekEvent{event: e, lots: lots}
	n := 2 + i%2
	for k := 0; k < n; k++ {
		s := sups[(i+k)%len(sups)]
		we.suppliers = append(we.suppliers, s)
		lot, qty := lots[0], int64(30)
		if k == n-1 && n == 3 {
			lot, qty = lots[1], 0
		}
		if k == 0 {
			// The first structure holds its own share of the lunch only, so that withdrawing
			// leaves it with nothing.
			qty = 30
		}
		if _, err := d.Claim(ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: s.Members[0].UserID}, LotID: lot.ID,
			SupplierID: s.ID, Quantity: qty}, start.Add(-time.Hour)); err != nil {
			return nil, err
		}
	}
	return we, nil
}
