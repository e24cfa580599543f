package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestRecordOfferDeliveredQueuesARefreshWhenTheLotChanged(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000,
		Mode: guichet.Shared, MaxSuppliers: 4})
	other := b.lot(t, &guichet.Lot{Code: "PDJ", Title: "Petit déjeuner", Category: "restauration", Quantity: 10, Budget: 1000})
	_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	var msgs []int64
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &msgs, `SELECT id FROM outbox WHERE kind = 'publish_offer'
		AND (payload->>'lot_id')::bigint = $1 ORDER BY id`, lot.ID))
	require.Len(t, msgs, 2)
	tokens := b.take(t)

	states, versions, err := b.db.LotStates(b.ctx, []int64{lot.ID, other.ID, 987654})
	require.NoError(t, err)
	require.Len(t, states, 2, "a lot that does not exist is left out")
	require.Equal(t, "DEJ", states[lot.ID].Lot.Code)
	require.Empty(t, states[lot.ID].Claims)
	require.NotEqual(t, versions[lot.ID], versions[other.ID])
	refreshes := func() int {
		return b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND (payload->>'lot_id')::bigint = $1`, lot.ID)
	}

	// Unchanged: the copy is recorded, the message delivered, nothing queued.
	now := time.Now().Truncate(time.Millisecond)
	queued, err := b.db.RecordOfferDelivered(b.ctx, msgs[0], tokens[msgs[0]], guichet.OfferPost{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "post-0"},
		now, versions[lot.ID])
	require.NoError(t, err)
	require.False(t, queued)
	require.Zero(t, refreshes())
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE id = $1 AND delivered_at = $2 AND post_id = 'post-0'`, msgs[0], now))
	posts, err := b.db.OfferPostsOf(b.ctx, []int64{lot.ID, other.ID})
	require.NoError(t, err)
	require.Equal(t, []guichet.OfferPost{{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "post-0"}}, posts,
		"copies queued but not posted are left out")

	// A claim changes the lot's version: recording a copy rendered before it queues a refresh.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[1].ID, Quantity: 100}, time.Now())
	require.NoError(t, err)
	before := refreshes()
	after, versionsAfter, err := b.db.LotStates(b.ctx, []int64{lot.ID})
	require.NoError(t, err)
	require.Len(t, after[lot.ID].Claims, 1)
	require.Equal(t, "resto 1", after[lot.ID].Claims[0].SupplierName)
	require.NotEqual(t, versions[lot.ID], versionsAfter[lot.ID])
	queued, err = b.db.RecordOfferDelivered(b.ctx, msgs[1], tokens[msgs[1]], guichet.OfferPost{LotID: lot.ID, ChannelID: sups[1].ChannelID, PostID: "post-1"},
		now, versions[lot.ID])
	require.NoError(t, err)
	require.True(t, queued)
	require.Equal(t, before+1, refreshes())
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE id = $1 AND delivered_at IS NOT NULL`, msgs[1]))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM offer_posts WHERE lot_id = $1 AND post_id <> ''`, lot.ID))

	// The version of the day records without a refresh.
	_, err = b.db.SQL().ExecContext(b.ctx, `UPDATE outbox SET delivered_at = NULL, lease_token = $2 WHERE id = $1`, msgs[1], tokens[msgs[1]])
	require.NoError(t, err)
	queued, err = b.db.RecordOfferDelivered(b.ctx, msgs[1], tokens[msgs[1]], guichet.OfferPost{LotID: lot.ID, ChannelID: sups[1].ChannelID, PostID: "post-1"},
		now, versionsAfter[lot.ID])
	require.NoError(t, err)
	require.False(t, queued)
	require.Equal(t, before+1, refreshes())
}

func TestPublishQueuesOffersLotByLot(t *testing.T) {
	b := setup(t)
	b.suppliers(t, 3, "resto", "restauration")
	b.suppliers(t, 2, "trans", "transport")
	var lots []*guichet.Lot
	for i, cat := range []string{"restauration", "transport", "restauration"} {
		lots = append(lots, b.lot(t, &guichet.Lot{Code: string(rune('A' + i)), Title: "Lot", Category: cat, Quantity: 1, Budget: 100}))
	}
	n, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 3+2+3, n)
	var queued []struct {
		LotID     int64  `db:"lot_id"`
		ChannelID string `db:"channel_id"`
	}
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &queued, `SELECT (payload->>'lot_id')::bigint AS lot_id,
		payload->>'channel_id' AS channel_id FROM outbox WHERE kind = 'publish_offer' ORDER BY id`))
	require.Len(t, queued, n)
	want := []string{"resto-0-channel", "resto-1-channel", "resto-2-channel", "trans-0-channel", "trans-1-channel",
		"resto-0-channel", "resto-1-channel", "resto-2-channel"}
	wantLots := []int64{lots[0].ID, lots[0].ID, lots[0].ID, lots[1].ID, lots[1].ID, lots[2].ID, lots[2].ID, lots[2].ID}
	for i, q := range queued {
		require.Equal(t, want[i], q.ChannelID, "message %d", i)
		require.Equal(t, wantLots[i], q.LotID, "message %d", i)
	}
	require.Equal(t, n, b.count(t, `SELECT count(*) FROM offer_posts WHERE post_id = ''`), "each copy queued")

	n, err = b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Zero(t, n, "publishing again queues nothing new")
}

// A copy records the version it shows only if the lot is still at that version, and only for
// the post it was rendered into.
func TestRecordOffersShown(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000,
		Mode: guichet.Shared, MaxSuppliers: 4})
	_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	now := time.Now()
	for i, s := range sups {
		_, err := b.db.RecordOfferDelivered(b.ctx, 0, 0, guichet.OfferPost{LotID: lot.ID, ChannelID: s.ChannelID, PostID: fmt.Sprintf("post-%d", i)}, now, "")
		require.NoError(t, err)
	}
	shown := func() map[string]string {
		posts, err := b.db.OfferPosts(b.ctx, lot.ID)
		require.NoError(t, err)
		out := map[string]string{}
		for _, p := range posts {
			out[p.PostID] = p.ShownVersion
		}
		return out
	}
	require.Equal(t, map[string]string{"post-0": "", "post-1": ""}, shown(), "a copy just posted shows no known version")

	_, versions, err := b.db.LotStates(b.ctx, []int64{lot.ID})
	require.NoError(t, err)
	v := versions[lot.ID]
	require.NotEmpty(t, v)
	// The second copy was posted anew in between: its old post is not the one recorded.
	require.NoError(t, b.db.RecordOffersShown(b.ctx, lot.ID, []guichet.OfferPost{
		{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "post-0"},
		{LotID: lot.ID, ChannelID: sups[1].ChannelID, PostID: "post-1-old"}}, v))
	require.Equal(t, map[string]string{"post-0": v, "post-1": ""}, shown())

	// Rendered before a claim, recorded after it: the copy's version is unknown again.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[1].ID, Quantity: 100}, time.Now())
	require.NoError(t, err)
	require.NoError(t, b.db.RecordOffersShown(b.ctx, lot.ID, []guichet.OfferPost{{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "post-0"}}, v))
	require.Equal(t, map[string]string{"post-0": "", "post-1": ""}, shown())
	_, versions, err = b.db.LotStates(b.ctx, []int64{lot.ID})
	require.NoError(t, err)
	require.NotEqual(t, v, versions[lot.ID], "a claim changes the lot's version")
	require.NoError(t, b.db.RecordOffersShown(b.ctx, lot.ID, []guichet.OfferPost{{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "post-0"}}, versions[lot.ID]))
	require.Equal(t, map[string]string{"post-0": versions[lot.ID], "post-1": ""}, shown())

	// Posted anew, a copy shows no known version.
	_, err = b.db.RecordOfferDelivered(b.ctx, 0, 0, guichet.OfferPost{LotID: lot.ID, ChannelID: sups[0].ChannelID, PostID: "post-0-new"}, now, versions[lot.ID])
	require.NoError(t, err)
	require.Equal(t, map[string]string{"post-0-new": "", "post-1": ""}, shown())
}
