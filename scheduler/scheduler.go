// Package scheduler runs Guichet's timed work on robfig/cron: reminders that fall due, claim
// deadlines, the alert that tells the coordinator who has not confirmed, the recap trigger,
// and the closing of the offers of events that are over. The schedule itself lives in the
// database (reminder rows, lot deadlines, event days); a pass asks the store for what is due
// at the clock's time, so a pass missed while the bot was down is caught up by the next one,
// and any number of replicas can run a scheduler on one database: the store takes due work
// with row locks (SKIP LOCKED) and conditional updates, so each reminder, alert and recap
// goes out once.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"guichet.dev/guichet"
)

// Store is what the scheduler needs from the database; *db.DB satisfies it.
type Store interface {
	// TakeDueReminders queues up to limit reminders due at now into the outbox, or skips
	// them with a reason, marking them so that they are taken once.
	TakeDueReminders(ctx context.Context, now time.Time, limit int) (sent, skipped int, err error)
	// CloseExpiredLots closes the open lots whose claim deadline is at or before now.
	CloseExpiredLots(ctx context.Context, now time.Time) (int, error)
	// AlertUnconfirmed tells each event's coordinator, once, at spec's time, who has not
	// confirmed.
	AlertUnconfirmed(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error)
	// TriggerRecaps queues each event's recap, once, at spec's time, and marks it done.
	TriggerRecaps(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error)
	// CloseEndedOffers queues, once per event that is over at now, the refresh of its
	// offers, which then lose their buttons.
	CloseEndedOffers(ctx context.Context, now time.Time) (int, error)
	// ExpireWaitlistOffers ends each waitlist offer expired at now, once, and offers its lot
	// to the next in line (guichet.WaitlistStore).
	ExpireWaitlistOffers(ctx context.Context, now time.Time) (int, error)
	// TellOverdueInvoices tells each event's coordinators, once per invoice, which invoices
	// are past their due date at now and not fully paid.
	TellOverdueInvoices(ctx context.Context, now time.Time) (int, error)
}

// Deps is what New needs. Zero fields take their defaults.
type Deps struct {
	Store Store
	// Clock defaults to SystemClock.
	Clock Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Tick is how often a pass runs; default 30s, at least 1s.
	Tick time.Duration
	// UnconfirmedAlert is when the coordinator is told who has not confirmed, relative to
	// the event (see ParseOffset); default "J-1@18:00".
	UnconfirmedAlert string
	// RecapAt is when the recap is triggered; default "J+1@09:00".
	RecapAt string
	// BatchSize is how many reminders one transaction takes; default 100.
	BatchSize int
	// PassTimeout bounds one pass, which runs to its end even when Run's context ends (so
	// that shutdown never cuts a job in half); default 2 minutes.
	PassTimeout time.Duration
}

// Scheduler runs the passes. Its methods are safe for concurrent use; passes of one
// scheduler never overlap.
type Scheduler struct {
	store       Store
	clock       Clock
	log         *slog.Logger
	tick        time.Duration
	alertAt     guichet.ReminderSpec
	recapAt     guichet.ReminderSpec
	batch       int
	passTimeout time.Duration
	mu          sync.Mutex // one pass at a time
}

// New returns a scheduler, or an error naming the setting that is wrong (unconfirmed_alert,
// recap_at or scheduler_tick).
func New(d Deps) (*Scheduler, error) {
	if d.Store == nil {
		return nil, errors.New("scheduler: no store")
	}
	s := &Scheduler{store: d.Store, clock: d.Clock, log: d.Logger, tick: d.Tick, batch: d.BatchSize, passTimeout: d.PassTimeout}
	if s.clock == nil {
		s.clock = SystemClock
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.tick == 0 {
		s.tick = 30 * time.Second
	}
	if s.tick < time.Second {
		return nil, fmt.Errorf("scheduler_tick: %s is shorter than 1s", s.tick)
	}
	if s.batch <= 0 {
		s.batch = 100
	}
	if s.passTimeout <= 0 {
		s.passTimeout = 2 * time.Minute
	}
	if d.UnconfirmedAlert == "" {
		d.UnconfirmedAlert = "J-1@18:00"
	}
	if d.RecapAt == "" {
		d.RecapAt = "J+1@09:00"
	}
	var err error
	if s.alertAt, err = ParseOffset(d.UnconfirmedAlert); err != nil {
		return nil, fmt.Errorf("unconfirmed_alert: %w", err)
	}
	if s.recapAt, err = ParseOffset(d.RecapAt); err != nil {
		return nil, fmt.Errorf("recap_at: %w", err)
	}
	return s, nil
}

// Tick runs one pass of every job at the clock's time: due reminders (batch after batch until
// none is left), claim deadlines, the unconfirmed alert, the recap trigger, the offers of
// events that are over. A job that fails
// does not stop the others; the errors are returned joined. Once started, a pass's database
// work is not cancelled by ctx (no job is cut in half), but no new batch or job starts after
// ctx ends.
func (s *Scheduler) Tick(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.passTimeout)
	defer cancel()
	var errs []error
	jobs := []struct {
		name string
		run  func() error
	}{
		{"reminders", func() error { return s.reminders(ctx, work, now) }},
		{"deadlines", func() error {
			n, err := s.store.CloseExpiredLots(work, now)
			if n > 0 {
				s.log.Info("claim deadlines passed", "lots_closed", n)
			}
			return err
		}},
		{"unconfirmed_alert", func() error {
			n, err := s.store.AlertUnconfirmed(work, now, s.alertAt)
			if n > 0 {
				s.log.Info("coordinators told who has not confirmed", "alerts", n)
			}
			return err
		}},
		{"recap", func() error {
			n, err := s.store.TriggerRecaps(work, now, s.recapAt)
			if n > 0 {
				s.log.Info("recaps queued", "events", n)
			}
			return err
		}},
		{"event_over", func() error {
			n, err := s.store.CloseEndedOffers(work, now)
			if n > 0 {
				s.log.Info("offers of events that are over closed", "events", n)
			}
			return err
		}},
		{"overdue_invoices", func() error {
			n, err := s.store.TellOverdueInvoices(work, now)
			if n > 0 {
				s.log.Info("coordinators told of overdue invoices", "invoices", n)
			}
			return err
		}},
		{"waitlist", func() error {
			n, err := s.store.ExpireWaitlistOffers(work, now)
			if n > 0 {
				s.log.Info("waitlist offers expired, next in line offered", "offers", n)
			}
			return err
		}},
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		if err := j.run(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.name, err))
		}
	}
	return errors.Join(errs...)
}

// reminders takes due reminders batch after batch until a batch comes back short or ctx
// ends.
func (s *Scheduler) reminders(ctx, work context.Context, now time.Time) error {
	var sent, skipped int
	defer func() {
		if sent+skipped > 0 {
			s.log.Info("reminders due", "sent", sent, "skipped", skipped)
		}
	}()
	for ctx.Err() == nil {
		n, k, err := s.store.TakeDueReminders(work, now, s.batch)
		sent += n
		skipped += k
		if err != nil {
			return err
		}
		if n+k < s.batch {
			return nil
		}
	}
	return nil
}

// Run runs a pass at once (catching up whatever fell due while the bot was down), then one
// every Tick, until ctx ends; it then waits for the running pass to finish and returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	logger := cronLogger{s.log}
	c := cron.New(cron.WithLogger(logger), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	if _, err := c.AddFunc("@every "+s.tick.String(), func() { s.pass(ctx) }); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	s.log.Info("scheduler started", "tick", s.tick.String(), "unconfirmed_alert", s.alertAt.String(), "recap_days_after", -s.recapAt.DaysBefore)
	s.pass(ctx)
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	s.log.Info("scheduler stopped")
	return nil
}

// pass runs Tick and logs its errors.
func (s *Scheduler) pass(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if err := s.Tick(ctx); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("scheduler pass", "error", err)
	}
}

// cronLogger sends cron's own messages to slog; its routine ones at debug level.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err)...)
}
