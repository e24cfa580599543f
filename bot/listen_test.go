package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// listenStore is an in-memory ListenStore with the database's contract.
type listenStore struct {
	nilStore
	mu      sync.Mutex
	done    map[string]bool
	cursors map[string]int64
	pruned  []int64
}

func newListenStore() *listenStore {
	return &listenStore{done: map[string]bool{}, cursors: map[string]int64{}}
}

func (s *listenStore) TakePost(_ context.Context, postID, _ string, _ int64, _ time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done[postID] {
		return false, nil
	}
	s.done[postID] = true
	return true, nil
}

func (s *listenStore) FinishPost(ctx context.Context, _, channelID string, createAt int64) error {
	return s.SeenPost(ctx, channelID, createAt)
}

func (s *listenStore) SeenPost(_ context.Context, channelID string, createAt int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []string{channelID, ""} {
		s.cursors[k] = max(s.cursors[k], createAt)
	}
	return nil
}

func (s *listenStore) ListenCursors(context.Context) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int64{}
	for k, v := range s.cursors {
		out[k] = v
	}
	return out, nil
}

func (s *listenStore) PruneListenPosts(_ context.Context, before int64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruned = append(s.pruned, before)
	return 0, nil
}

func (s *listenStore) StartListenCursor(_ context.Context, at int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cursors[""]; !ok {
		s.cursors[""] = at
	}
	return nil
}

// fakeStream is a WebSocket connection the test feeds.
type fakeStream struct {
	events   chan *model.WebSocketEvent
	timeouts chan bool
	closed   chan struct{}
	once     sync.Once
}

func newFakeStream() *fakeStream {
	return &fakeStream{events: make(chan *model.WebSocketEvent, 10), timeouts: make(chan bool, 1), closed: make(chan struct{})}
}

func (f *fakeStream) Events() <-chan *model.WebSocketEvent { return f.events }
func (f *fakeStream) Timeouts() <-chan bool                { return f.timeouts }
func (f *fakeStream) Err() error                           { return errors.New("connection reset") }
func (f *fakeStream) Close()                               { f.once.Do(func() { close(f.closed) }) }

func hello() *model.WebSocketEvent {
	return model.NewWebSocketEvent(model.WebsocketEventHello, "", "", "bot", nil, "")
}

func postedEvent(t *testing.T, p *model.Post) *model.WebSocketEvent {
	js, err := json.Marshal(p)
	require.NoError(t, err)
	ev := model.NewWebSocketEvent(model.WebsocketEventPosted, "", p.ChannelId, "", nil, "")
	ev.Add("post", string(js))
	return ev
}

// listenBot returns a Bot on store whose observer records the posts it is told of.
func listenBot(t *testing.T, store Store) (*Bot, func() []string) {
	b := unitBot(t, store, nil, time.Now())
	b.client.botUserID = "bot"
	var mu sync.Mutex
	var seen []string
	b.mu.Lock()
	b.observers = nil // the question relay is tested through Mattermost
	b.mu.Unlock()
	b.Observe(func(_ context.Context, p *model.Post) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, p.Id)
		return nil
	})
	return b, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// The listener hands on what it hears, skips the bot's own posts and system messages, makes
// a lost connection again after a growing wait, and catches up what was posted meanwhile,
// without handing on again what it had handled.
func TestListenerReconnectsAndCatchesUp(t *testing.T) {
	t.Parallel()
	store := newListenStore()
	b, seen := listenBot(t, store)
	// Posts written after the listener first started: it does not read the channels' history.
	at := model.GetMillis() + 1000
	p1 := &model.Post{Id: "p1", ChannelId: "c1", UserId: "u1", CreateAt: at + 10, Message: "un"}
	own := &model.Post{Id: "own", ChannelId: "c1", UserId: "bot", CreateAt: at + 11, Message: "du bot"}
	join := &model.Post{Id: "join", ChannelId: "c1", UserId: "u2", CreateAt: at + 12, Type: model.PostTypeJoinChannel}
	p2 := &model.Post{Id: "p2", ChannelId: "c1", UserId: "u1", CreateAt: at + 20, Message: "deux, pendant la coupure"}
	p3 := &model.Post{Id: "p3", ChannelId: "c2", UserId: "u3", CreateAt: at + 30, Message: "trois, ailleurs"}
	old := &model.Post{Id: "old", ChannelId: "c2", UserId: "u3", CreateAt: at - 60_000, Message: "d'avant le guichet"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, third := newFakeStream(), newFakeStream()
	first.events <- hello()
	for _, p := range []*model.Post{p1, own, join} {
		first.events <- postedEvent(t, p)
	}
	close(first.events) // the connection drops
	third.events <- hello()
	dials := 0
	b.listen.dial = func(context.Context) (eventStream, error) {
		dials++
		switch dials {
		case 1:
			return first, nil
		case 2:
			return nil, errors.New("connection refused")
		case 3:
			return third, nil
		}
		return nil, errors.New("no more")
	}
	// c3 has had no post since the bot started: it is not read.
	b.listen.channels = func(context.Context) ([]memberChannel, error) {
		return []memberChannel{{ID: "c1"}, {ID: "c2", LastPostAt: at + 30}, {ID: "c3", LastPostAt: at - 60_000}}, nil
	}
	b.listen.postsSince = func(_ context.Context, channelID string, since int64) ([]*model.Post, error) {
		assert.NotEqual(t, "c3", channelID, "a channel without new posts is not read")
		var out []*model.Post
		// Mattermost gives posts changed since, the newest first here.
		for _, p := range []*model.Post{p3, p2, join, own, p1, old} {
			if p.ChannelId == channelID && p.CreateAt >= since {
				out = append(out, p)
			}
		}
		return out, nil
	}
	var waits []time.Duration
	b.listen.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- b.RunListener(ctx) }()
	require.Eventually(t, func() bool { return len(seen()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"p1", "p2", "p3"}, seen())
	require.Eventually(t, func() bool { return b.listen.connected.Load() }, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	require.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second}, waits, "2 s after a connection was up, doubled after a failed one")
	st, started := b.ListenerStatus()
	require.True(t, started)
	require.EqualValues(t, 1, st.Reconnects)
	require.EqualValues(t, 2, st.CaughtUpPosts, "p2 and p3 came from the catch-up")
	store.mu.Lock()
	require.Equal(t, []int64{at + 12 - listenKeep.Milliseconds()}, store.pruned, "the second catch-up forgets what it cannot read again")
	store.mu.Unlock()
	require.False(t, st.Connected)
}

// A connection that never says hello (a token Mattermost does not accept) counts as failed.
func TestListenerWithoutHelloRetries(t *testing.T) {
	t.Parallel()
	b, seen := listenBot(t, newListenStore())
	b.listen.helloWait = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dials := 0
	b.listen.dial = func(context.Context) (eventStream, error) {
		dials++
		return newFakeStream(), nil
	}
	var waits []time.Duration
	b.listen.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 3 {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	require.NoError(t, b.RunListener(ctx))
	require.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}, waits)
	require.Empty(t, seen())
	st, _ := b.ListenerStatus()
	require.False(t, st.Connected)
	require.Zero(t, st.Reconnects)
}

// /readyz and /metrics tell the listener's state; a disconnection of more than a minute is a
// warning, which does not make the bot unready.
func TestListenerStateInReadinessAndMetrics(t *testing.T) {
	sb := setupServer(t, nil)
	get := func(path string) (int, string) {
		resp, err := http.Get(sb.ops.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	_, body := get("/readyz")
	require.NotContains(t, body, "listener", "not started: not shown")

	l := sb.bot.listen
	l.started.Store(true)
	l.connected.Store(true)
	l.changedAt.Store(time.Now().Add(-time.Hour).UnixNano())
	l.reconnects.Store(3)
	l.caughtUp.Store(7)
	status, body := get("/readyz")
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "warnings")
	require.Contains(t, body, `"connected":true`)
	require.Contains(t, body, `"reconnects":3`)
	_, metrics := get("/metrics")
	require.Contains(t, metrics, "guichet_listener_connected 1")
	require.Contains(t, metrics, "guichet_listener_reconnects_total 3")
	require.Contains(t, metrics, "guichet_listener_caught_up_posts_total 7")

	l.connected.Store(false)
	l.changedAt.Store(time.Now().Add(-2 * time.Minute).UnixNano())
	status, body = get("/readyz")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "listener: not connected to Mattermost's WebSocket since")
	_, metrics = get("/metrics")
	require.Contains(t, metrics, "guichet_listener_connected 0")

	l.changedAt.Store(time.Now().Add(-10 * time.Second).UnixNano())
	_, body = get("/readyz")
	require.NotContains(t, body, "warnings", "a short disconnection is no warning")
}

// A connection made while the catch-up cannot be done (the database or Mattermost's API
// failing) is dropped, and the waits keep growing.
func TestListenerCatchUpFailureBacksOff(t *testing.T) {
	t.Parallel()
	store := newListenStore()
	store.cursors[""] = 1
	b, _ := listenBot(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.listen.dial = func(context.Context) (eventStream, error) {
		s := newFakeStream()
		s.events <- hello()
		return s, nil
	}
	b.listen.channels = func(context.Context) ([]memberChannel, error) { return nil, errors.New("HTTP 500") }
	var waits []time.Duration
	b.listen.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 5 {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	require.NoError(t, b.RunListener(ctx))
	require.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second}, waits)
}
