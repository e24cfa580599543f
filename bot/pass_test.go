package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
)

// countingStore is the bundle's database, counting the calls the dispatcher makes; after, when
// set, runs once after the first LotStates (between a pass's read and its deliveries).
type countingStore struct {
	*db.DB
	mu    sync.Mutex
	calls map[string]int
	after func()
	// recordDelay holds every RecordOfferDelivered this long.
	recordDelay time.Duration
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
}

func (s *countingStore) n(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

func (s *countingStore) LotStates(ctx context.Context, ids []int64) (map[int64]*guichet.LotState, map[int64]string, error) {
	s.count("LotStates")
	states, versions, err := s.DB.LotStates(ctx, ids)
	s.mu.Lock()
	after := s.after
	s.after = nil
	s.mu.Unlock()
	if after != nil {
		after()
	}
	return states, versions, err
}

func (s *countingStore) OfferPostsOf(ctx context.Context, ids []int64) ([]guichet.OfferPost, error) {
	s.count("OfferPostsOf")
	return s.DB.OfferPostsOf(ctx, ids)
}

func (s *countingStore) Event(ctx context.Context, id int64) (*guichet.Event, error) {
	s.count("Event")
	return s.DB.Event(ctx, id)
}

func (s *countingStore) LotState(ctx context.Context, id int64) (*guichet.LotState, error) {
	s.count("LotState")
	return s.DB.LotState(ctx, id)
}

func (s *countingStore) OfferPosts(ctx context.Context, id int64) ([]guichet.OfferPost, error) {
	s.count("OfferPosts")
	return s.DB.OfferPosts(ctx, id)
}

func (s *countingStore) RecordOfferPost(ctx context.Context, p guichet.OfferPost) error {
	s.count("RecordOfferPost")
	return s.DB.RecordOfferPost(ctx, p)
}

func (s *countingStore) MarkDelivered(ctx context.Context, id, token int64, postID string, now time.Time) error {
	s.count("MarkDelivered")
	return s.DB.MarkDelivered(ctx, id, token, postID, now)
}

func (s *countingStore) RecordOfferDelivered(ctx context.Context, msgID, token int64, p guichet.OfferPost, now time.Time, version string) (bool, error) {
	s.count("RecordOfferDelivered")
	time.Sleep(s.recordDelay)
	return s.DB.RecordOfferDelivered(ctx, msgID, token, p, now, version)
}

// countingBot returns a Bot of the bundle whose store counts its calls.
func (bd *dispatchBundle) countingBot(t *testing.T) (*Bot, *countingStore) {
	t.Helper()
	st := &countingStore{DB: bd.db, calls: map[string]int{}}
	b := bd.newBot(t, time.Minute)
	b.store = st
	return b, st
}

func TestDispatcherReadsABatchOfOffersOnce(t *testing.T) {
	bd := setupDispatch(t)
	bd.drain(t, bd.bot) // the board of the new event
	bd.suppliers(t, 4, "resto", "restauration")
	for i := 0; i < 3; i++ {
		bd.lot(t, &guichet.Lot{Code: fmt.Sprint("DEJ", i), Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000})
	}
	bd.drain(t, bd.bot) // their boards
	n, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	require.Equal(t, 12, n)

	b, st := bd.countingBot(t)
	taken, err := b.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Equal(t, 13, taken, "the 12 offers and the board, in one batch")
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL
		AND payload->>'message_id' = 'NoticeTodayPublicationEnded'`), "left: the publication's end, queued by its last copy")
	require.Equal(t, 12, bd.count(t, `SELECT count(*) FROM offer_posts WHERE post_id <> ''`))
	for _, s := range []string{"resto-0", "resto-1", "resto-2", "resto-3"} {
		require.Len(t, bd.mm.postsIn(s+"-channel"), 3, "each lot once in %s", s)
	}

	require.Equal(t, 1, st.n("LotStates"), "the lots read once for the batch")
	require.Equal(t, 1, st.n("OfferPostsOf"))
	require.Equal(t, 1, st.n("Event"))
	require.Equal(t, 12, st.n("RecordOfferDelivered"), "one statement per copy records it and marks it delivered")
	require.Equal(t, 1, st.n("MarkDelivered"), "the board only")
	for _, name := range []string{"LotState", "OfferPosts", "RecordOfferPost"} {
		require.Zero(t, st.n(name), name)
	}
}

func TestDispatcherCopiesShowAClaimMadeWhileTheyArePosted(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ inFlight int }{
		"one at a time": {inFlight: 1},
		"two at once":   {inFlight: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			bd := setupDispatch(t)
			bd.drain(t, bd.bot)
			sups := bd.suppliers(t, 3, "resto", "restauration")
			lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Unit: "couverts",
				Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4})
			bd.drain(t, bd.bot)
			_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
			require.NoError(t, err)

			// The batch reads the lot; then a structure claims it (the copies are in its
			// channels already for all it knows) and another replica delivers the claim's
			// refresh at once, before any copy is recorded: the refresh updates nothing.
			b, st := bd.countingBot(t)
			b.inFlight = tc.inFlight
			replica := bd.newBot(t, time.Minute)
			st.after = func() {
				_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: "resto0-user", Username: "resto0"},
					LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 100}, renderNow)
				require.NoError(t, err)
				_, err = replica.DeliverDue(bd.ctx)
				require.NoError(t, err)
				require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND delivered_at IS NULL`))
			}
			_, err = b.DeliverDue(bd.ctx)
			require.NoError(t, err)
			// Each copy rendered from the first read finds the lot changed when it is recorded,
			// and queues a refresh; those posted after the first such record are rendered from a
			// new read. How many were posted before depends on timing.
			refreshes := bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND delivered_at IS NULL`)
			require.GreaterOrEqual(t, refreshes, 1)
			require.LessOrEqual(t, refreshes, 3)
			updates := bd.mm.countCalls("PUT /api/v4/posts/")
			bd.drain(t, b)
			require.Equal(t, 3, bd.mm.countCalls("PUT /api/v4/posts/")-updates, "the refreshes queued in one batch update each copy once")

			posts, err := bd.db.OfferPosts(bd.ctx, lot.ID)
			require.NoError(t, err)
			require.Len(t, posts, 3)
			for _, p := range posts {
				require.Len(t, bd.mm.postsIn(p.ChannelID), 1, "posted once in %s", p.ChannelID)
				f := offerFields(t, bd.mm.post(p.PostID))
				require.Equal(t, "350 couverts sur 450 (encore 3 structures au plus)", f["Reste à prendre"], "copy in %s", p.ChannelID)
			}
			require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
		})
	}
}
