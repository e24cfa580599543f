package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// « Pas pour nous » is recorded and `relancer` re-posts the offer, through real Mattermost: of
// three structures, one declines, one takes a share, one does not answer; the relaunch posts a
// new copy at the bottom of the silent structure's channel only, and its older copy loses its
// buttons and says where the offer went.
func TestDeclineAndRelaunchFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "relan", "Fleurs Nord", "Fleurs Sud", "Fleurs Est")
	lot := w.addLot(t, &guichet.Lot{Code: "FLE", Title: "Fleurs de scène", Quantity: 30, Unit: "bouquets",
		Budget: 90000, Mode: guichet.Shared, MaxSuppliers: 3})
	w.publish(t, 3)
	offers := make([]*model.Post, 3)
	for i := range offers {
		offers[i] = w.offerPost(t, i, lot, btnShare, btnPass)
	}

	watch := w.members[0].Watch(t)
	require.NoError(t, w.members[0].Click(t, offers[0].Id, btnPass))
	watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "n'est pas pour **Fleurs Nord**") })
	require.Equal(t, 1, count(t, `SELECT count(*) FROM lot_declines WHERE lot_id = $1 AND supplier_id = $2`, lot.ID, w.suppliers[0].ID))
	out := say(t, w.members[1], w.channels[1].Id, "/guichet prendre "+w.event.Slug+"/FLE 10")
	require.Contains(t, out, "**Fleurs Sud** prend", out)

	relaunchedAt := model.GetMillis()
	out = say(t, w.coord, w.coordChannel.Id, "/guichet relancer FLE")
	require.Contains(t, out, "FLE")
	fresh := rig.WaitPost(t, w.channels[2].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.Id != offers[2].Id && mmrig.Button(p, btnShare) != nil
	})
	rig.WaitPostByID(t, offers[2].Id, func(p *model.Post) bool {
		return mmrig.Button(p, btnShare) == nil && strings.Contains(mmrig.PostText(p), "republiée plus bas")
	})
	require.Greater(t, fresh.CreateAt, offers[2].CreateAt)
	for i := range 2 {
		posts, err := rig.Admin().Posts(ctx, w.channels[i].Id)
		require.NoError(t, err)
		for _, p := range posts {
			if p.UserId == rig.BotUserID() && p.CreateAt >= relaunchedAt {
				require.Nil(t, mmrig.Button(p, btnShare), "%s: no new copy where the structure answered; found: %s", w.suppliers[i].Name, mmrig.PostText(p))
			}
		}
	}
	require.Equal(t, 1, count(t, `SELECT count(*) FROM offer_posts WHERE lot_id = $1 AND channel_id = $2 AND post_id = $3`,
		lot.ID, w.channels[2].Id, fresh.Id), "later refreshes edit the new copy")
}
