package db_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestBoardPostID(t *testing.T) {
	b := setup(t)
	id, err := b.db.BoardPostID(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Empty(t, id)

	ok, err := b.db.SetBoardPostID(b.ctx, b.event.ID, "", "post-1")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = b.db.SetBoardPostID(b.ctx, b.event.ID, "", "post-2")
	require.NoError(t, err)
	require.False(t, ok, "another board was recorded first")
	id, err = b.db.BoardPostID(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "post-1", id)

	ok, err = b.db.SetBoardPostID(b.ctx, b.event.ID, "post-1", "post-3")
	require.NoError(t, err)
	require.True(t, ok)

	_, err = b.db.BoardPostID(b.ctx, 999999)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))
}

func TestForgetOfferPost(t *testing.T) {
	b := setup(t)
	b.suppliers(t, 2, "resto", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 10, Budget: 1000})
	n, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.NoError(t, b.db.RecordOfferPost(b.ctx, guichet.OfferPost{LotID: lot.ID, ChannelID: "resto-0-channel", PostID: "p0"}))

	require.NoError(t, b.db.ForgetOfferPost(b.ctx, lot.ID, "resto-0-channel"))
	require.NoError(t, b.db.ForgetOfferPost(b.ctx, lot.ID, "resto-1-channel"))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM offer_posts WHERE lot_id = $1`, lot.ID), "the posted copy stays")

	n, err = b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n, "publishing again queues the forgotten copy only")
}
