package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// postsInFlight is an HTTP transport that watches the posts being created: how many at once
// at most, and whether two were ever sent to one channel at once.
type postsInFlight struct {
	mu        sync.Mutex
	now, most int
	channels  map[string]int
	doubled   []string
}

func (p *postsInFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v4/posts" {
		return http.DefaultTransport.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var post struct {
		ChannelID string `json:"channel_id"`
	}
	_ = json.Unmarshal(body, &post)
	p.mu.Lock()
	p.now++
	p.most = max(p.most, p.now)
	if p.channels[post.ChannelID]++; p.channels[post.ChannelID] > 1 {
		p.doubled = append(p.doubled, post.ChannelID)
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.now--
		p.channels[post.ChannelID]--
		p.mu.Unlock()
	}()
	return http.DefaultTransport.RoundTrip(r)
}

// watchedBot returns a Bot of the bundle posting at most inFlight offers at once, through a
// transport that watches its posts.
func (bd *dispatchBundle) watchedBot(t *testing.T, inFlight int) (*Bot, *postsInFlight) {
	t.Helper()
	w := &postsInFlight{channels: map[string]int{}}
	b := bd.newBot(t, time.Minute)
	b.client = bd.mm.client(ClientOptions{Timeout: 5 * time.Second, HTTPClient: &http.Client{Transport: w}})
	require.NoError(t, b.client.Connect(bd.ctx))
	b.inFlight = inFlight
	return b, w
}

func TestDispatcherPostsOffersToSeveralChannelsAtOnceInOrder(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ inFlight int }{
		"one at a time": {1},
		"two at once":   {2},
		"three at once": {3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			bd := setupDispatch(t)
			bd.drain(t, bd.bot)
			sups := bd.suppliers(t, 3, "resto", "restauration")
			bd.suppliers(t, 1, "trans", "transport")
			var last *guichet.Lot
			for i := 0; i < 5; i++ {
				category := "restauration"
				if i == 2 {
					category = "transport"
				}
				last = bd.lot(t, &guichet.Lot{Code: fmt.Sprint("L", i), Title: "Lot", Category: category, Quantity: 1, Budget: 100})
			}
			bd.drain(t, bd.bot)
			n, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
			require.NoError(t, err)
			require.Equal(t, 4*3+1, n)
			// A notice queued among the offers waits for them and goes alone.
			require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
				ChannelID: sups[1].ChannelID, MessageID: "MsgPassed", Args: map[string]any{"Code": "FIN"}}))
			// A refresh of the last lot, queued after its copies, finds them all recorded.
			require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: last.ID}))
			bd.mm.set(func(f *fakeMM) { f.delay = 20 * time.Millisecond })

			b, w := bd.watchedBot(t, tc.inFlight)
			// Recording a copy is slow: the next posts go meanwhile, the refresh waits.
			b.store = &countingStore{DB: bd.db, calls: map[string]int{}, recordDelay: 150 * time.Millisecond}
			bd.drain(t, b)
			copies, err := bd.db.OfferPosts(bd.ctx, last.ID)
			require.NoError(t, err)
			require.Len(t, copies, 3)
			for _, c := range copies {
				require.Equal(t, 1, bd.mm.countCalls("PUT /api/v4/posts/"+c.PostID), "the refresh found the copy in %s recorded", c.ChannelID)
			}
			require.Equal(t, tc.inFlight, w.most, "offers in flight at most")
			require.Empty(t, w.doubled, "never two posts to one channel at once")
			for _, s := range sups {
				var got []string
				for _, p := range bd.mm.postsIn(s.ChannelID) {
					if a := p.Attachments(); len(a) > 0 {
						got = append(got, a[0].Title[:2])
					} else {
						got = append(got, p.Message)
					}
				}
				want := []string{"L0", "L1", "L3", "L4"}
				if s == sups[1] {
					want = append(want, catalog.T("fr", "MsgPassed", map[string]any{"Code": "FIN"}))
				}
				require.Equal(t, want, got, "the offers in %s, in order", s.ChannelID)
			}
			require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
		})
	}
}

// sixOffersQueued returns a dispatch bundle whose outbox holds the offers of one lot for six
// structures, queued and not yet delivered; everything queued before is delivered.
func sixOffersQueued(t *testing.T) *dispatchBundle {
	t.Helper()
	bd := setupDispatch(t)
	bd.drain(t, bd.bot)
	bd.suppliers(t, 6, "resto", "restauration")
	bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 1, Budget: 100})
	bd.drain(t, bd.bot)
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	return bd
}

func TestDispatcherFinishesTheOffersInHandOnShutdown(t *testing.T) {
	bd := sixOffersQueued(t)
	bd.mm.set(func(f *fakeMM) { f.delay = 400 * time.Millisecond })

	b, w := bd.watchedBot(t, 2)
	posts := bd.mm.countCalls("POST /api/v4/posts")
	stop := runDispatcher(t, bd.ctx, b)
	require.Eventually(t, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.now == 2
	}, 5*time.Second, time.Millisecond, "two offers in hand")
	stop()
	require.Equal(t, 2, bd.mm.countCalls("POST /api/v4/posts")-posts)
	require.Equal(t, 2, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'publish_offer' AND delivered_at IS NOT NULL`),
		"the offers in hand were delivered")
	require.Equal(t, 2, bd.count(t, `SELECT count(*) FROM offer_posts WHERE post_id <> ''`))
	require.Equal(t, 4, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'publish_offer' AND delivered_at IS NULL
		AND next_attempt_at <= now()`), "the rest was given back, due at once")
}

func TestDispatcherStopsPostingOffersWhenMattermostIsSilent(t *testing.T) {
	t.Parallel()
	for name, inFlight := range map[string]int{"one at a time": 1, "two at once": 2} {
		t.Run(name, func(t *testing.T) {
			bd := sixOffersQueued(t)
			b, _ := bd.watchedBot(t, inFlight)
			bd.mm.set(func(f *fakeMM) { f.down = true })
			posts := bd.mm.countCalls("POST /api/v4/posts")
			_, err := b.DeliverDue(bd.ctx)
			require.NoError(t, err)
			tried := bd.mm.countCalls("POST /api/v4/posts") - posts
			require.GreaterOrEqual(t, tried, 1)
			require.LessOrEqual(t, tried, inFlight, "no offer goes after the first silence but those already in flight")
			require.Equal(t, 6, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'publish_offer' AND delivered_at IS NULL
				AND last_error <> '' AND next_attempt_at > now()`), "every offer given back for later")
		})
	}
}
