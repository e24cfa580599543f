package bot

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// postedThenLost publishes an exclusive lot to n new structures and plays a first attempt
// that posts the offer to the first one's channel and records nothing (the bot died, or the
// database went away): it returns the structures, the lot, the offer's message and its post.
func (bd *dispatchBundle) postedThenLost(t *testing.T, n int, prefix string) ([]*guichet.Supplier, *guichet.Lot, *guichet.OutboxMessage, *model.Post) {
	t.Helper()
	bd.drain(t, bd.bot) // the board
	sups := bd.suppliers(t, n, prefix, "vaisselle")
	lot := bd.lot(t, &guichet.Lot{Code: "VAI", Title: "Vaisselle", Category: "vaisselle", Quantity: 1, Budget: 1000, Mode: guichet.Exclusive})
	published, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	require.Equal(t, n, published)

	msgs, err := bd.db.TakeOutbox(bd.ctx, time.Now(), 20, 2*time.Minute)
	require.NoError(t, err)
	var offer *guichet.OutboxMessage
	for _, m := range msgs {
		if m.Kind != guichet.OutboxPublishOffer {
			continue
		}
		if p, err := m.Payload(); err == nil && p.ChannelID == sups[0].ChannelID {
			offer = m
		}
	}
	require.NotNil(t, offer)
	st, err := bd.db.LotState(bd.ctx, lot.ID)
	require.NoError(t, err)
	first, err := bd.bot.client.CreatePost(bd.ctx, bd.bot.OfferPost(st, bd.event, sups[0].ChannelID), dedupeKey(offer, sups[0].ChannelID))
	require.NoError(t, err)
	return sups, lot, offer, first
}

// retryLater plays minutes passing: Mattermost no longer knows the pending post ids, the
// leases end, and the outbox is delivered.
func (bd *dispatchBundle) retryLater(t *testing.T) {
	t.Helper()
	bd.mm.set(func(f *fakeMM) { f.pending = map[string]string{} })
	_, err := bd.db.SQL().ExecContext(bd.ctx, `UPDATE outbox SET next_attempt_at = now() WHERE delivered_at IS NULL`)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
}

// requireOnlyPost checks that the channel of sup holds post, once, recorded as lot's offer.
func (bd *dispatchBundle) requireOnlyPost(t *testing.T, sup *guichet.Supplier, lot *guichet.Lot, post *model.Post) {
	t.Helper()
	posts := bd.mm.postsIn(sup.ChannelID)
	require.Len(t, posts, 1, "the offer was posted again")
	require.Equal(t, post.Id, posts[0].Id)
	var postID string
	require.NoError(t, bd.db.SQL().GetContext(bd.ctx, &postID, `SELECT post_id FROM offer_posts WHERE lot_id = $1 AND channel_id = $2`,
		lot.ID, sup.ChannelID))
	require.Equal(t, post.Id, postID, "the earlier post is recorded as the offer's")
}

// A bot that posted an offer and died before recording it: when the message comes back after
// its lease, long after Mattermost forgot the pending post id, the offer is found and
// recorded, not posted again.
func TestDeliveryPostedBeforeACrashIsNotPostedAgain(t *testing.T) {
	bd := setupDispatch(t)
	sups, lot, offer, first := bd.postedThenLost(t, 1, "crash")
	bd.retryLater(t)
	bd.requireOnlyPost(t, sups[0], lot, first)
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE id = $1 AND delivered_at IS NOT NULL AND attempts = 2`, offer.ID))
}

// A bot that posted an offer and lost its record (the database went away), the lot taken
// before the retry: the retry records the earlier post and shows it taken, instead of
// forgetting it and leaving it in the channel as if open.
func TestOfferPostedBeforeItsLotWasTakenIsRecordedOnRetry(t *testing.T) {
	bd := setupDispatch(t)
	sups, lot, _, first := bd.postedThenLost(t, 2, "lost")
	// The lot is taken (from the other channel's copy, say) before the lease ends.
	_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[1].ID, Quantity: 1}, bd.bot.now())
	require.NoError(t, err)
	bd.retryLater(t)
	bd.requireOnlyPost(t, sups[0], lot, first)
	require.Equal(t, "lost 1 — 1, 10,00\u00a0€", offerFields(t, bd.mm.post(first.Id))["Attribué à"], "the copy shows the lot taken")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
}

// A first delivery does not look for earlier posts; a retry looks only in its channel, for its
// own key, and ignores posts of others and deleted ones.
func TestDeliveredPostLookup(t *testing.T) {
	t.Parallel()
	mm := newFakeMM(t)
	c := mm.client(ClientOptions{Timeout: 2 * time.Second})
	ctx := context.Background()
	post := func(ch string) *model.Post { return &model.Post{ChannelId: ch, Message: "Offre"} }

	_, err := c.CreatePost(ctx, post("ch-a"), "key-1")
	require.NoError(t, err)
	require.Equal(t, 0, mm.countCalls("GET /api/v4/channels/"), "a first delivery does not search")
	mm.set(func(f *fakeMM) { f.pending = map[string]string{} })

	retry := retrying(ctx, time.Now().Add(-time.Minute))
	got, err := c.CreatePost(retry, post("ch-a"), "key-1")
	require.NoError(t, err)
	require.Len(t, mm.postsIn("ch-a"), 1, "found, not posted again")
	require.Equal(t, mm.postsIn("ch-a")[0].Id, got.Id)

	_, err = c.CreatePost(retry, post("ch-b"), "key-1")
	require.NoError(t, err)
	require.Len(t, mm.postsIn("ch-b"), 1, "another channel gets its own post")
	_, err = c.CreatePost(retry, post("ch-a"), "key-2")
	require.NoError(t, err)
	require.Len(t, mm.postsIn("ch-a"), 2, "another key is another post")

	gone := mm.postsIn("ch-b")[0]
	require.NoError(t, c.DeletePost(ctx, gone.Id))
	mm.set(func(f *fakeMM) { f.pending = map[string]string{} })
	_, err = c.CreatePost(retry, post("ch-b"), "key-1")
	require.NoError(t, err)
	require.Len(t, mm.postsIn("ch-b"), 1, "a deleted post does not count as delivered")

	// Mattermost refuses to show the channel's posts: posted all the same; a failure that may
	// pass is a failure (the delivery is retried).
	mm.set(func(f *fakeMM) {
		f.pending = map[string]string{}
		f.refuseReads = map[string]int{"ch-c": http.StatusForbidden, "ch-d": http.StatusInternalServerError}
	})
	_, err = c.CreatePost(retry, post("ch-c"), "key-1")
	require.NoError(t, err)
	require.Len(t, mm.postsIn("ch-c"), 1)
	_, err = c.CreatePost(retry, post("ch-d"), "key-1")
	require.Error(t, err)
	require.False(t, Permanent(err))
	require.Empty(t, mm.postsIn("ch-d"))
}

// A post with files, delivered again after an attempt that posted it, is found before its
// files are uploaded again; a first delivery uploads the files that have data, in order.
func TestPostWithFilesFoundBeforeUploadingAgain(t *testing.T) {
	t.Parallel()
	mm := newFakeMM(t)
	c := mm.client(ClientOptions{Timeout: 2 * time.Second})
	ctx := context.Background()
	files := []File{{Name: "a.pdf", Data: []byte("%PDF")}, {Name: "empty.csv"}, {Name: "b.csv", Data: []byte("x;y")}}

	first, err := c.CreatePostWithFiles(ctx, &model.Post{ChannelId: "ch-a", Message: "Devis"}, "doc-1", files)
	require.NoError(t, err)
	require.Len(t, first.FileIds, 2, "the file without data is left out")
	require.Equal(t, 2, mm.countCalls("POST /api/v4/files"))
	mm.set(func(f *fakeMM) { f.pending = map[string]string{} })

	retry := retrying(ctx, time.Now().Add(-time.Minute))
	again, err := c.CreatePostWithFiles(retry, &model.Post{ChannelId: "ch-a", Message: "Devis"}, "doc-1", files)
	require.NoError(t, err)
	require.Equal(t, first.Id, again.Id)
	require.Len(t, mm.postsIn("ch-a"), 1, "found, not posted again")
	require.Equal(t, 2, mm.countCalls("POST /api/v4/files"), "nothing uploaded again")
}
