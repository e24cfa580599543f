package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/prometheus/client_golang/prometheus"
)

// ListenStore is what the listener keeps in the database: which replica handles each post,
// and how far each channel has been read. *db.DB implements it.
type ListenStore interface {
	// TakePost reports whether this replica handles the post: true for the first to ask, and
	// for whoever asks after an unfinished take has lasted lease; false otherwise.
	TakePost(ctx context.Context, postID, channelID string, createAt int64, lease time.Duration) (bool, error)
	// FinishPost records the post handled and moves its channel's cursor (and the cursor of
	// all channels) up to createAt.
	FinishPost(ctx context.Context, postID, channelID string, createAt int64) error
	// SeenPost moves the cursors up to createAt for a post the listener does not hand on.
	SeenPost(ctx context.Context, channelID string, createAt int64) error
	// ListenCursors returns each channel's cursor, the key "" holding the cursor of all: the
	// newest post handled or seen, held back by a recent post taken and never finished.
	ListenCursors(ctx context.Context) (map[string]int64, error)
	// StartListenCursor sets the cursor of all channels to at unless it is set.
	StartListenCursor(ctx context.Context, at int64) error
	// PruneListenPosts forgets the posts created before before (ms).
	PruneListenPosts(ctx context.Context, before int64) (int64, error)
}

const (
	// listenLease is how long a replica's take of a post keeps other replicas off it (see
	// TakePost): longer than observers need for a post, short enough for a post whose
	// replica died mid-way to be handled again at the next catch-up.
	listenLease = 2 * time.Minute
	// listenHelloWait bounds the wait for Mattermost's "hello", which says the connection is
	// authenticated: without it the bot would wait for events that never come.
	listenHelloWait = 15 * time.Second
	// listenCatchUpEvery is how often a connected listener also reads the posts since its
	// cursors, for a post a replica took and never finished, or an event the server dropped.
	listenCatchUpEvery = 5 * time.Minute
	// listenDisconnectedWarn is how long a disconnection lasts before /readyz warns of it.
	listenDisconnectedWarn = time.Minute
	// listenObserveTimeout bounds the observers' work on one post.
	listenObserveTimeout = 30 * time.Second
	// listenKeep is how long the record of a handled post is kept: far longer than any catch-up
	// reads back (the cursors are at most an hour behind the newest post handled).
	listenKeep = 7 * 24 * time.Hour
	// listenMaxWait caps the wait between two connection attempts: what people write waits
	// for the bot no longer than this after Mattermost is back.
	listenMaxWait = 30 * time.Second
	// listenCallTimeout bounds each API call of a catch-up.
	listenCallTimeout = 20 * time.Second
)

// eventStream is one WebSocket connection's events: Events is closed when the connection
// ends; Timeouts signals that the server's pings stopped. Close ends the connection.
type eventStream interface {
	Events() <-chan *model.WebSocketEvent
	Timeouts() <-chan bool
	Err() error
	Close()
}

// listener is the state and the seams of the bot's WebSocket listener.
type listener struct {
	// dial opens a connection with the bot's token; channels lists the channels the bot
	// belongs to; postsSince returns a channel's posts changed after since (ms). They default
	// to the Client's; tests replace them.
	dial         func(ctx context.Context) (eventStream, error)
	channels     func(ctx context.Context) ([]memberChannel, error)
	postsSince   func(ctx context.Context, channelID string, since int64) ([]*model.Post, error)
	catchUpEvery time.Duration
	helloWait    time.Duration
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	started       atomic.Bool
	everConnected atomic.Bool
	connected     atomic.Bool
	changedAt     atomic.Int64 // unix ns of the last connection or disconnection
	lastEventAt   atomic.Int64 // unix ns of the last event received
	reconnects    atomic.Int64
	caughtUp      atomic.Int64
	postOutcomes  *prometheus.CounterVec
}

// newListener returns the listener of b's client, its metrics registered on m.
func newListener(c *Client, m *Metrics) *listener {
	l := &listener{
		dial:         c.dialWebSocket,
		channels:     c.memberChannels,
		postsSince:   c.postsSince,
		catchUpEvery: listenCatchUpEvery,
		helloWait:    listenHelloWait,
		sleep:        sleepCtx,
		postOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guichet_listener_posts_total",
			Help: "Posts the listener read, by outcome: handled (told to the observers), failed (an observer failed), other_replica (handled elsewhere), skipped (the bot's own, system messages).",
		}, []string{"outcome"}),
	}
	if m != nil && m.registry != nil {
		for _, c := range []prometheus.Collector{
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "guichet_listener_connected", Help: "1 while the bot's WebSocket connection to Mattermost is up.",
			}, func() float64 {
				if l.connected.Load() {
					return 1
				}
				return 0
			}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "guichet_listener_reconnects_total", Help: "WebSocket connections made after a disconnection.",
			}, func() float64 { return float64(l.reconnects.Load()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "guichet_listener_last_event_age_seconds", Help: "Seconds since the last WebSocket event (-1 before the first).",
			}, func() float64 {
				at := l.lastEventAt.Load()
				if at == 0 {
					return -1
				}
				return time.Since(time.Unix(0, at)).Seconds()
			}),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "guichet_listener_caught_up_posts_total", Help: "Posts read by catching up after a gap rather than from the WebSocket.",
			}, func() float64 { return float64(l.caughtUp.Load()) }),
			l.postOutcomes,
		} {
			// A second bot on the same Metrics (tests) keeps the first's collectors.
			_ = m.registry.Register(c)
		}
	}
	return l
}

// ListenerStatus is the listener's state, for /readyz.
type ListenerStatus struct {
	Connected bool `json:"connected"`
	// Since is when the connection was made or lost (or the listener started, before its
	// first connection).
	Since      time.Time `json:"since,omitzero"`
	Reconnects int64     `json:"reconnects"`
	// LastEventAgeSeconds is the age of the last event, -1 before the first.
	LastEventAgeSeconds float64 `json:"last_event_age_seconds"`
	CaughtUpPosts       int64   `json:"caught_up_posts"`
}

func (l *listener) status(now time.Time) ListenerStatus {
	s := ListenerStatus{Connected: l.connected.Load(), Reconnects: l.reconnects.Load(), CaughtUpPosts: l.caughtUp.Load(), LastEventAgeSeconds: -1}
	if at := l.changedAt.Load(); at != 0 {
		s.Since = time.Unix(0, at).UTC()
	}
	if at := l.lastEventAt.Load(); at != 0 {
		s.LastEventAgeSeconds = now.Sub(time.Unix(0, at)).Round(time.Second).Seconds()
	}
	return s
}

// ListenerStatus returns the listener's state now, and false when RunListener was not started.
func (b *Bot) ListenerStatus() (ListenerStatus, bool) {
	return b.listen.status(time.Now()), b.listen.started.Load()
}

// RunListener listens to Mattermost through the bot's WebSocket until ctx ends, and tells the
// observers (observe.go) of every post people write in the channels the bot belongs to.
//
// A lost connection is made again after a wait that doubles from 2 s up to listenMaxWait, less
// a random part of up to half (backoff, jitter.go), so that replicas spread out. Each
// connection first catches up: for every channel the bot belongs to, the posts created since
// the channel's cursor (ListenStore; a channel without one, since the newest post seen
// anywhere), oldest first, so that nothing written while the bot was away or disconnected is
// missed; it does so again every listenCatchUpEvery.
//
// Each post is handled once across replicas, decided by the database: the replica whose
// TakePost inserts the post's row handles it, the others skip it (they all hear it on their
// own WebSocket). A row rather than the outbox's lease (lease.go) because the decision is per
// post and must hold across restarts and catch-ups, which re-read posts already handled. A
// replica that dies between taking and finishing a post leaves it unfinished; its channel's
// cursor stays behind it (for an hour), and the first catch-up after listenLease, on any
// replica, takes it again. Observers are told at least once, then: the relays they queue are
// themselves keyed by the post's id. When the database does not answer, the connection is
// dropped and made again later, and the catch-up reads again what was missed.
func (b *Bot) RunListener(ctx context.Context) error {
	b.listen.started.Store(true)
	b.listen.changedAt.Store(time.Now().UnixNano())
	attempts := 0
	for {
		connected, err := b.listenOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			attempts = 0
		}
		attempts++
		wait := min(backoff(attempts, b.jitter()), listenMaxWait)
		b.logger.Warn("Mattermost WebSocket: disconnected, connecting again", "error", err, "wait", wait.String())
		if err := b.listen.sleep(ctx, wait); err != nil {
			return nil
		}
	}
}

// listenOnce makes one connection, catches up, and hands on its events until it ends; it
// reports whether the connection was made (authenticated) and caught up: the waits between
// attempts start again from the shortest only then.
func (b *Bot) listenOnce(ctx context.Context) (bool, error) {
	l := b.listen
	stream, err := l.dial(ctx)
	if err != nil {
		return false, err
	}
	defer stream.Close()
	if err := b.awaitHello(ctx, stream); err != nil {
		return false, err
	}
	if l.everConnected.Swap(true) {
		l.reconnects.Add(1)
	}
	l.connected.Store(true)
	l.changedAt.Store(time.Now().UnixNano())
	b.logger.Info("Mattermost WebSocket: connected")
	defer func() {
		l.connected.Store(false)
		l.changedAt.Store(time.Now().UnixNano())
	}()
	if err := b.catchUp(ctx); err != nil {
		return false, err
	}
	tick := time.NewTicker(l.catchUpEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-stream.Timeouts():
			return true, errors.New("the server's pings stopped")
		case <-tick.C:
			if err := b.catchUp(ctx); err != nil {
				return true, err
			}
		case ev, ok := <-stream.Events():
			if !ok {
				if err := stream.Err(); err != nil {
					return true, err
				}
				return true, errors.New("connection closed")
			}
			l.lastEventAt.Store(time.Now().UnixNano())
			if ev.EventType() != model.WebsocketEventPosted {
				continue
			}
			p, err := postOfEvent(ev)
			if err != nil {
				b.logger.Warn("Mattermost WebSocket: unreadable post event", "error", err)
				continue
			}
			if _, err := b.handleListened(ctx, p); err != nil {
				return true, err
			}
		}
	}
}

// awaitHello waits for Mattermost's hello on a new connection.
func (b *Bot) awaitHello(ctx context.Context, stream eventStream) error {
	timer := time.NewTimer(b.listen.helloWait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return errors.New("no hello from Mattermost: is the bot's token valid?")
		case ev, ok := <-stream.Events():
			if !ok {
				if err := stream.Err(); err != nil {
					return err
				}
				return errors.New("connection closed before hello")
			}
			if ev.EventType() == model.WebsocketEventHello {
				return nil
			}
		}
	}
}

// postOfEvent reads the post of a "posted" event (its "post" field holds the post's JSON).
func postOfEvent(ev *model.WebSocketEvent) (*model.Post, error) {
	raw, _ := ev.GetData()["post"].(string)
	if raw == "" {
		return nil, errors.New("posted event without a post")
	}
	var p model.Post
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, fmt.Errorf("posted event: %w", err)
	}
	return &p, nil
}

// handleListened hands post p on to the observers if it is someone's ordinary post and this
// replica takes it, and reports whether it took it. An error means the database did not
// answer: the post is read again at the next catch-up.
func (b *Bot) handleListened(ctx context.Context, p *model.Post) (bool, error) {
	l := b.listen
	if p.Id == "" || p.ChannelId == "" {
		return false, nil
	}
	if p.UserId == b.client.BotUserID() || strings.HasPrefix(p.Type, model.PostSystemMessagePrefix) || p.DeleteAt != 0 {
		l.postOutcomes.WithLabelValues("skipped").Inc()
		return false, b.store.SeenPost(ctx, p.ChannelId, p.CreateAt)
	}
	took, err := b.store.TakePost(ctx, p.Id, p.ChannelId, p.CreateAt, listenLease)
	if err != nil || !took {
		if err == nil {
			l.postOutcomes.WithLabelValues("other_replica").Inc()
		}
		return false, err
	}
	outcome := "handled"
	octx, cancel := context.WithTimeout(ctx, listenObserveTimeout)
	err = b.observePost(octx, p)
	cancel()
	if err != nil {
		outcome = "failed"
		b.logger.Error("an observer failed on a post", "post_id", p.Id, "channel_id", p.ChannelId, "error", err)
	}
	l.postOutcomes.WithLabelValues(outcome).Inc()
	return true, b.store.FinishPost(ctx, p.Id, p.ChannelId, p.CreateAt)
}

// catchUp reads, in every channel the bot belongs to, the posts created since the channel's
// cursor, oldest first, and handles those not handled yet. The first catch-up ever only sets
// the cursor: the bot does not read the channels' history.
func (b *Bot) catchUp(ctx context.Context) error {
	l := b.listen
	cursors, err := b.store.ListenCursors(ctx)
	if err != nil {
		return err
	}
	all, ok := cursors[""]
	if !ok {
		return b.store.StartListenCursor(ctx, model.GetMillisForTime(time.Now()))
	}
	cctx, cancel := context.WithTimeout(ctx, listenCallTimeout)
	channels, err := l.channels(cctx)
	cancel()
	if err != nil {
		return fmt.Errorf("catch up: %w", err)
	}
	for _, mc := range channels {
		ch := mc.ID
		since, ok := cursors[ch]
		if !ok {
			since = all
		}
		if mc.LastPostAt != 0 && mc.LastPostAt < since {
			// Nothing posted there since: no call.
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, listenCallTimeout)
		posts, err := l.postsSince(cctx, ch, since)
		cancel()
		if err != nil {
			return fmt.Errorf("catch up channel %s: %w", ch, err)
		}
		// Posts changed since the cursor include older ones edited or replied to.
		fresh := posts[:0]
		for _, p := range posts {
			if p.CreateAt >= since && p.ChannelId == ch {
				fresh = append(fresh, p)
			}
		}
		sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].CreateAt < fresh[j].CreateAt })
		for _, p := range fresh {
			took, err := b.handleListened(ctx, p)
			if err != nil {
				return err
			}
			if took {
				l.caughtUp.Add(1)
			}
		}
	}
	if _, err := b.store.PruneListenPosts(ctx, all-listenKeep.Milliseconds()); err != nil {
		b.logger.Warn("forgetting old handled posts", "error", err)
	}
	return nil
}

// wsStream is a connection of the model package's WebSocket client.
type wsStream struct{ wsc *model.WebSocketClient }

func (s wsStream) Events() <-chan *model.WebSocketEvent { return s.wsc.EventChannel }
func (s wsStream) Timeouts() <-chan bool                { return s.wsc.PingTimeoutChannel }

// Close ends the connection and drains what the reader still had to give, so that it ends too.
func (s wsStream) Close() {
	s.wsc.Close()
	events := s.wsc.EventChannel
	go func() {
		for range events {
		}
	}()
}
func (s wsStream) Err() error {
	if s.wsc.ListenError != nil {
		return s.wsc.ListenError
	}
	return nil
}

// dialWebSocket opens the bot's WebSocket (its token) and starts reading it. The client's
// responses to what it sends (only the authentication) are drained and dropped.
func (c *Client) dialWebSocket(ctx context.Context) (eventStream, error) {
	if _, err := c.me(ctx); err != nil {
		return nil, err
	}
	wsURL := c.api.URL
	switch {
	case strings.HasPrefix(wsURL, "https://"):
		wsURL = "wss://" + strings.TrimPrefix(wsURL, "https://")
	case strings.HasPrefix(wsURL, "http://"):
		wsURL = "ws://" + strings.TrimPrefix(wsURL, "http://")
	}
	wsc, err := model.NewWebSocketClient4(wsURL, c.api.AuthToken)
	if err != nil {
		return nil, &APIError{Op: "websocket", Err: err}
	}
	wsc.Listen()
	responses := wsc.ResponseChannel
	go func() {
		for range responses {
		}
	}()
	return wsStream{wsc: wsc}, nil
}

// memberChannel is a channel the bot belongs to, with the time of its last post (ms, 0 when
// unknown).
type memberChannel struct {
	ID         string
	LastPostAt int64
}

// memberChannels lists the channels the bot belongs to, in every team it is on, direct and
// group messages included.
func (c *Client) memberChannels(ctx context.Context) ([]memberChannel, error) {
	botID, err := c.me(ctx)
	if err != nil {
		return nil, err
	}
	var teams []*model.Team
	if err := c.call(ctx, "get teams", func(ctx context.Context) (r *model.Response, err error) {
		teams, r, err = c.api.GetTeamsForUser(ctx, botID, "")
		return r, err
	}); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []memberChannel
	for _, t := range teams {
		var chans []*model.Channel
		if err := c.call(ctx, "get channels", func(ctx context.Context) (r *model.Response, err error) {
			chans, r, err = c.api.GetChannelsForTeamForUser(ctx, t.Id, botID, false, "")
			return r, err
		}); err != nil {
			return nil, err
		}
		for _, ch := range chans {
			if !seen[ch.Id] {
				seen[ch.Id] = true
				out = append(out, memberChannel{ID: ch.Id, LastPostAt: ch.LastPostAt})
			}
		}
	}
	return out, nil
}

// postsSince returns the posts of a channel created or changed after since (ms), as
// Mattermost gives them (at most 1000, with the roots of the threads replied to).
func (c *Client) postsSince(ctx context.Context, channelID string, since int64) ([]*model.Post, error) {
	var list *model.PostList
	if err := c.call(ctx, "get posts since", func(ctx context.Context) (r *model.Response, err error) {
		list, r, err = c.api.GetPostsSince(ctx, channelID, since, false)
		if r != nil && r.StatusCode == http.StatusNotModified {
			return r, nil
		}
		return r, err
	}); err != nil {
		return nil, err
	}
	if list == nil {
		return nil, nil
	}
	posts := make([]*model.Post, 0, len(list.Posts))
	for _, p := range list.Posts {
		posts = append(posts, p)
	}
	return posts, nil
}
