package bot

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
)

// pausingStore is the bundle's database with a dispatcher that freezes at chosen points (a
// process stopped, a long pause): after each take, and before parking a message. At each, it
// says so on reached and waits for resume.
type pausingStore struct {
	*db.DB
	afterTake, beforePark bool
	reached, resume       chan struct{}
}

func (s *pausingStore) pause() {
	s.reached <- struct{}{}
	<-s.resume
}

func (s *pausingStore) TakeOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*guichet.OutboxMessage, error) {
	msgs, err := s.DB.TakeOutbox(ctx, now, limit, lease)
	if s.afterTake && len(msgs) > 0 {
		s.pause()
	}
	return msgs, err
}

func (s *pausingStore) Park(ctx context.Context, id, token int64, cause string, now time.Time) error {
	if s.beforePark {
		s.pause()
	}
	return s.DB.Park(ctx, id, token, cause, now)
}

// pausingBot returns a replica on the bundle's database through store, with lease lease.
func (bd *dispatchBundle) pausingBot(t *testing.T, store *pausingStore, lease time.Duration) *Bot {
	t.Helper()
	store.DB, store.reached, store.resume = bd.db, make(chan struct{}), make(chan struct{})
	b := bd.newBot(t, time.Minute)
	b.store = store
	b.outboxLease = lease
	return b
}

// noticesTo drains what is due, then queues n notices to channelID and returns their ids.
func (bd *dispatchBundle) noticesTo(t *testing.T, n int, channelID string) []int64 {
	t.Helper()
	bd.drain(t, bd.bot)
	for i := 0; i < n; i++ {
		require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: channelID,
			EventID: bd.event.ID, MessageID: "MsgPassed", Args: map[string]any{"Code": fmt.Sprint("L", i)}}))
	}
	var ids []int64
	require.NoError(t, bd.db.SQL().SelectContext(bd.ctx, &ids, `SELECT id FROM outbox WHERE delivered_at IS NULL
		AND parked_at IS NULL ORDER BY id`))
	require.Len(t, ids, n)
	return ids
}

// requirePostedOnce checks that each pending post id reached Mattermost once, and that
// channelID holds n posts.
func (bd *dispatchBundle) requirePostedOnce(t *testing.T, channelID string, n int) {
	t.Helper()
	bd.mm.mu.Lock()
	for id, calls := range bd.mm.creates {
		require.Equal(t, 1, calls, "pending post %s sent %d times", id, calls)
	}
	bd.mm.mu.Unlock()
	require.Len(t, bd.mm.postsIn(channelID), n)
}

// A batch whose deliveries each take longer than the lease: its dispatcher renews the lease
// before each, so another dispatcher polling all along takes none of its messages, and each is
// posted once.
func TestDispatcherRenewsTheLeaseOfASlowBatch(t *testing.T) {
	bd := setupDispatch(t)
	ids := bd.noticesTo(t, 4, "ch-slow")
	// Mattermost (scaled down): each request takes 150 ms, and a pending post id is soon
	// forgotten.
	bd.mm.set(func(f *fakeMM) { f.delay, f.pendingTTL = 150*time.Millisecond, time.Millisecond })
	a, other := bd.newBot(t, time.Minute), bd.newBot(t, time.Minute)
	a.outboxLease, other.outboxLease = 100*time.Millisecond, 100*time.Millisecond

	done := make(chan int, 1)
	go func() {
		n, err := a.DeliverDue(bd.ctx)
		require.NoError(t, err)
		done <- n
	}()
	takenByOther := 0
	for polling := true; polling; {
		select {
		case n := <-done:
			require.Equal(t, len(ids), n)
			polling = false
		case <-time.After(20 * time.Millisecond):
			n, err := other.DeliverDue(bd.ctx)
			require.NoError(t, err)
			takenByOther += n
		}
	}
	require.Zero(t, takenByOther, "the other dispatcher took messages of the batch")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL OR attempts <> 1 OR lease_token IS NOT NULL`))
	bd.requirePostedOnce(t, "ch-slow", len(ids))
}

// A dispatcher frozen after its take, until its lease ended and another dispatcher took and
// delivered its batch: woken, it posts none of the messages and records nothing for them.
func TestDispatcherSkipsTheMessagesItNoLongerHolds(t *testing.T) {
	bd := setupDispatch(t)
	ids := bd.noticesTo(t, 3, "ch-fenced")
	bd.mm.set(func(f *fakeMM) { f.pendingTTL = time.Millisecond })
	frozen := &pausingStore{afterTake: true}
	a := bd.pausingBot(t, frozen, 100*time.Millisecond)
	done := make(chan int, 1)
	go func() {
		n, err := a.DeliverDue(bd.ctx)
		require.NoError(t, err)
		done <- n
	}()
	<-frozen.reached
	time.Sleep(150 * time.Millisecond) // the lease ends
	n, err := bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Equal(t, len(ids), n, "the other dispatcher takes the batch")
	var posted []string
	require.NoError(t, bd.db.SQL().SelectContext(bd.ctx, &posted, `SELECT post_id FROM outbox WHERE id = ANY($1) AND delivered_at IS NOT NULL
		ORDER BY id`, ids))
	require.Len(t, posted, len(ids))

	close(frozen.resume)
	require.Equal(t, len(ids), <-done)
	bd.requirePostedOnce(t, "ch-fenced", len(ids))
	var after []string
	require.NoError(t, bd.db.SQL().SelectContext(bd.ctx, &after, `SELECT post_id FROM outbox WHERE id = ANY($1) ORDER BY id`, ids))
	require.Equal(t, posted, after, "the posts recorded are the other dispatcher's")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE id = ANY($1) AND attempts <> 2`, ids))
}

// A dispatcher paused between a refusal and its record while another, its clock ahead by more
// than the margin the hold allows for, took the message and recorded the refusal: the first
// records nothing and tells the coordination nothing more.
func TestDispatcherThatLostAMessageDoesNotReportItsRefusal(t *testing.T) {
	bd := setupDispatch(t)
	bd.mm.addChannel("ch-closed", "closed", "team1")
	bd.noticesTo(t, 1, "ch-closed")
	bd.mm.set(func(f *fakeMM) { f.refuse["ch-closed"] = http.StatusForbidden })
	paused := &pausingStore{beforePark: true}
	a := bd.pausingBot(t, paused, 100*time.Millisecond)
	done := make(chan struct{})
	go func() {
		_, err := a.DeliverDue(bd.ctx)
		require.NoError(t, err)
		close(done)
	}()
	<-paused.reached
	bd.bot.outboxNow = func() time.Time { return time.Now().Add(10 * time.Minute) }
	n, err := bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the other dispatcher takes the message")
	close(paused.resume)
	<-done

	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND parked_at IS NOT NULL AND attempts = 2`),
		"parked by the other dispatcher")
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'MsgUndeliveredForbidden'`),
		"the coordination is told once")
}
