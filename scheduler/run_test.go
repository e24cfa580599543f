package scheduler_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/scheduler"
)

// fakeStore records calls; TakeDueReminders can block until released and returns the
// batches it is given.
type fakeStore struct {
	mu        sync.Mutex
	batches   []int // what successive TakeDueReminders calls return as sent
	takes     int
	closes    int
	alerts    []guichet.ReminderSpec
	recaps    []guichet.ReminderSpec
	ended     int
	waitlist  int
	nows      []time.Time
	block     chan struct{} // when set, TakeDueReminders waits for it to close
	entered   chan struct{}
	ctxErr    error // the context error TakeDueReminders saw after unblocking
	closeFail error
}

func (f *fakeStore) TakeDueReminders(ctx context.Context, now time.Time, limit int) (int, int, error) {
	f.mu.Lock()
	f.takes++
	f.nows = append(f.nows, now)
	block, entered := f.block, f.entered
	n := 0
	if len(f.batches) > 0 {
		n, f.batches = f.batches[0], f.batches[1:]
	}
	f.mu.Unlock()
	if block != nil {
		if entered != nil {
			close(entered)
		}
		<-block
		f.mu.Lock()
		f.ctxErr = ctx.Err()
		f.mu.Unlock()
	}
	return n, 0, nil
}

func (f *fakeStore) CloseExpiredLots(ctx context.Context, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	return 0, f.closeFail
}

func (f *fakeStore) AlertUnconfirmed(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts = append(f.alerts, spec)
	return 0, nil
}

func (f *fakeStore) TriggerRecaps(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recaps = append(f.recaps, spec)
	return 0, nil
}

func (f *fakeStore) CloseEndedOffers(ctx context.Context, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended++
	f.nows = append(f.nows, now)
	return 0, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestTickTakesBatchesUntilShortAndRunsEveryJob(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC)
	st := &fakeStore{batches: []int{10, 10, 3}, closeFail: errors.New("database gone")}
	s, err := scheduler.New(scheduler.Deps{Store: st, Clock: scheduler.ClockFunc(func() time.Time { return at }), Logger: quiet, BatchSize: 10})
	require.NoError(t, err)
	err = s.Tick(context.Background())
	require.ErrorContains(t, err, "deadlines: database gone", "a failing job is reported")
	require.Equal(t, 3, st.takes, "batches until one comes back short")
	require.Equal(t, 1, st.closes)
	require.Equal(t, []guichet.ReminderSpec{{DaysBefore: 1, Hour: 18}}, st.alerts, "the other jobs still run, with the defaults")
	require.Equal(t, []guichet.ReminderSpec{{DaysBefore: -1, Hour: 9}}, st.recaps)
	require.Equal(t, 1, st.ended, "the offers of events that are over are closed")
	for _, n := range st.nows {
		require.True(t, at.Equal(n), "every job asks the injected clock")
	}
}

// Run stops when its context ends, but only once the running pass has finished, and that
// pass's database work is not cancelled under it.
func TestRunWaitsForTheRunningPass(t *testing.T) {
	t.Parallel()
	st := &fakeStore{block: make(chan struct{}), entered: make(chan struct{})}
	s, err := scheduler.New(scheduler.Deps{Store: st, Logger: quiet, Tick: time.Second})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-st.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not start a pass at once")
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a pass was running")
	case <-time.After(300 * time.Millisecond):
	}
	close(st.block)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the pass ended")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	require.NoError(t, st.ctxErr, "the pass's own work was not cancelled")
	require.Zero(t, st.closes, "no job starts after the context ended")
}

func TestRunTicks(t *testing.T) {
	t.Parallel()
	st := &fakeStore{}
	s, err := scheduler.New(scheduler.Deps{Store: st, Logger: quiet, Tick: time.Second})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	require.NoError(t, s.Run(ctx))
	st.mu.Lock()
	defer st.mu.Unlock()
	require.GreaterOrEqual(t, st.takes, 3, "a pass at start, then one a second")
}

func (f *fakeStore) TellOverdueInvoices(ctx context.Context, now time.Time) (int, error) {
	return 0, nil
}

func (f *fakeStore) ExpireWaitlistOffers(ctx context.Context, now time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waitlist++
	return 0, nil
}
