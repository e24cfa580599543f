package db_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// Of replicas that all hear a post, one handles it; a take whose replica died is taken again
// once its lease has passed; a finished post is never taken again; the cursors move up only.
func TestListenTakesEachPostOnce(t *testing.T) {
	b := setup(t)
	var took atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := b.db.TakePost(b.ctx, "post-1", "chan-a", 1000, time.Minute)
			require.NoError(t, err)
			if ok {
				took.Add(1)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, took.Load(), "one replica takes the post")

	// A take that ended without finishing (lease of 0) is taken again, once.
	ok, err := b.db.TakePost(b.ctx, "post-2", "chan-a", 2000, 0)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.db.TakePost(b.ctx, "post-2", "chan-a", 2000, time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "the dead replica's take has lapsed")
	ok, err = b.db.TakePost(b.ctx, "post-2", "chan-a", 2000, time.Minute)
	require.NoError(t, err)
	require.False(t, ok, "the new take holds")

	cursors, err := b.db.ListenCursors(b.ctx)
	require.NoError(t, err)
	require.Empty(t, cursors)
	require.NoError(t, b.db.StartListenCursor(b.ctx, 500))
	require.NoError(t, b.db.StartListenCursor(b.ctx, 900))
	require.NoError(t, b.db.FinishPost(b.ctx, "post-2", "chan-a", 2000))
	require.NoError(t, b.db.FinishPost(b.ctx, "post-1", "chan-a", 1000))
	require.NoError(t, b.db.SeenPost(b.ctx, "chan-b", 1500))
	cursors, err = b.db.ListenCursors(b.ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"": 2000, "chan-a": 2000, "chan-b": 1500}, cursors)

	// A post taken and never finished (its replica died) holds its channel's cursor, and the
	// cursor of all, back to it, so that the next catch-up reads it again.
	now := time.Now().UnixMilli()
	require.NoError(t, b.db.SeenPost(b.ctx, "chan-b", now))
	ok, err = b.db.TakePost(b.ctx, "post-3", "chan-c", now-5000, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, b.db.SeenPost(b.ctx, "chan-c", now-1000))
	cursors, err = b.db.ListenCursors(b.ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"": now - 5000, "chan-a": 2000, "chan-b": now, "chan-c": now - 5000}, cursors)
	require.NoError(t, b.db.FinishPost(b.ctx, "post-3", "chan-c", now-5000))
	cursors, err = b.db.ListenCursors(b.ctx)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"": now, "chan-a": 2000, "chan-b": now, "chan-c": now - 1000}, cursors)

	// Finished: never taken again, even with its lease long gone.
	ok, err = b.db.TakePost(b.ctx, "post-1", "chan-a", 1000, 0)
	require.NoError(t, err)
	require.False(t, ok)

	// Records older than a catch-up reads back are forgotten.
	n, err := b.db.PruneListenPosts(b.ctx, 2000)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM listen_posts`))
}

// A question is recorded for a member of the structure only, with its post and echo queued;
// its threads are found from either side; a reply is queued for relay once.
func TestQuestionsAndRelays(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "traiteur", "repas")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "repas", Quantity: 100, Unit: "couverts", Budget: 100000})
	require.NoError(t, b.db.RecordOfferPost(b.ctx, guichet.OfferPost{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "offer-0"}))

	_, err := b.db.AskQuestion(b.ctx, member(sups[1]), lot.ID, sups[0].ID, sups[0].ChannelID, "Végétarien ?", time.Now())
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err), "not a member of the structure")
	_, err = b.db.AskQuestion(b.ctx, member(sups[0]), lot.ID, sups[0].ID, sups[0].ChannelID, "  ", time.Now())
	require.Equal(t, guichet.EINVALID, guichet.ErrorCode(err))
	_, err = b.db.AskQuestion(b.ctx, member(sups[0]), lot.ID, sups[0].ID, sups[0].ChannelID, strings.Repeat("é", guichet.MaxNoteLength+1), time.Now())
	require.Equal(t, guichet.EINVALID, guichet.ErrorCode(err))
	require.Zero(t, b.count(t, `SELECT count(*) FROM lot_questions`))

	m := b.mark(t)
	q, err := b.db.AskQuestion(b.ctx, member(sups[0]), lot.ID, sups[0].ID, sups[0].ChannelID, "Végétarien ?", time.Now())
	require.NoError(t, err)
	require.Equal(t, "offer-0", q.OfferPostID)
	require.Equal(t, b.event.ID, q.EventID)
	require.Equal(t, "DEJ", q.LotCode)
	require.Equal(t, sups[0].Name, q.SupplierName)
	e := b.since(t, m)
	require.Len(t, e.Outbox, 2)
	require.True(t, strings.HasPrefix(e.Outbox[0], "question "), e.Outbox[0])
	require.True(t, strings.HasPrefix(e.Outbox[1], "question_relay "), e.Outbox[1])

	// Before its post in the coordination channel, only the offer's side is a thread of it.
	_, _, err = b.db.QuestionOfThread(b.ctx, b.event.CoordChannelID, "root-1")
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))
	require.NoError(t, b.db.RecordQuestionPost(b.ctx, q.ID, "root-1"))
	require.NoError(t, b.db.RecordQuestionPost(b.ctx, q.ID, "root-2"), "the first post stays")
	got, toStructure, err := b.db.QuestionOfThread(b.ctx, b.event.CoordChannelID, "root-1")
	require.NoError(t, err)
	require.True(t, toStructure)
	require.Equal(t, q.ID, got.ID)
	got, toStructure, err = b.db.QuestionOfThread(b.ctx, sups[0].ChannelID, "offer-0")
	require.NoError(t, err)
	require.False(t, toStructure)
	require.Equal(t, q.ID, got.ID)
	_, _, err = b.db.QuestionOfThread(b.ctx, sups[1].ChannelID, "offer-0")
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err), "the offer's post, in another channel")

	m = b.mark(t)
	r := guichet.QuestionRelay{QuestionID: q.ID, SourcePostID: "reply-1", ToStructure: true, AuthorID: "coord", Text: "Oui"}
	queued, err := b.db.QueueRelay(b.ctx, r)
	require.NoError(t, err)
	require.True(t, queued)
	queued, err = b.db.QueueRelay(b.ctx, r)
	require.NoError(t, err)
	require.False(t, queued, "a reply is relayed once")
	require.Len(t, b.since(t, m).Outbox, 1)
}
