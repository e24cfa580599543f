package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// Past Mattermost's edit time limit, a board refresh posts a fresh board, records it and
// deletes the old one; the offers' copies, whose message is empty (everything is in their
// attachment, which the limit does not cover), are still edited in place.
func TestBoardPostedAfreshPastTheEditTimeLimit(t *testing.T) {
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 1, "resto", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 10, Unit: "couverts",
		Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 4})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	first, err := bd.db.BoardPostID(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	offers := bd.mm.postsIn(sups[0].ChannelID)
	require.Len(t, offers, 1)

	bd.mm.set(func(f *fakeMM) { f.editLimit = time.Millisecond })
	time.Sleep(10 * time.Millisecond)
	_, err = bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: "resto0-user", Username: "resto0"},
		LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 4}, renderNow)
	require.NoError(t, err)
	bd.drain(t, bd.bot)

	boards := bd.mm.postsIn("coord-channel")
	var boardPosts []string
	for _, p := range boards {
		if strings.Contains(p.Message, "Tableau de bord") {
			boardPosts = append(boardPosts, p.Id)
		}
	}
	require.Len(t, boardPosts, 1, "one board in the channel")
	second, err := bd.db.BoardPostID(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.NotEqual(t, first, second, "a fresh board is recorded")
	require.Equal(t, second, boardPosts[0], "the old board is deleted")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`), "nothing parked or left")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL`))

	again := bd.mm.postsIn(sups[0].ChannelID)
	require.Len(t, again, 1, "the offer copy is edited, not posted again")
	require.Equal(t, offers[0].Id, again[0].Id)
	require.Contains(t, offerText(t, again[0]), "resto 0", "the copy shows the claim")
}
