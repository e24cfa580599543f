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

// TestRefusedCoordinationMessageReachesTheCoordinatorsDirectly removes the bot from the event's
// coordination channel, as a channel admin could by mistake: the notice of the next claim,
// which Mattermost refuses for good there, reaches the event's coordinator by direct message,
// with the claim it was about.
func TestRefusedCoordinationMessageReachesTheCoordinatorsDirectly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "repli", "Atelier Repli")
	lot := w.addLot(t, &guichet.Lot{Code: "REP", Title: "Repas du soir", Quantity: 80, Unit: "couverts",
		Budget: 96000, Mode: guichet.Exclusive})
	w.publish(t, 1)
	post := w.offerPost(t, 0, lot, btnClaim, btnPass)

	removedAt := model.GetMillis()
	_, err := rig.Admin().Client.RemoveUserFromChannel(ctx, w.coordChannel.Id, rig.BotUserID())
	require.NoError(t, err)
	require.NoError(t, w.members[0].Click(t, post.Id, btnClaim))

	dm, _, err := w.coord.Client.CreateDirectChannel(ctx, w.coord.ID, rig.BotUserID())
	require.NoError(t, err)
	got := w.coord.WaitPost(t, dm.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "Journée repli") &&
			strings.Contains(mmrig.PostText(p), "Atelier Repli") && strings.Contains(p.Message, "REP")
	})
	require.Contains(t, got.Message, "erreur 403")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM outbox WHERE kind = 'claimed' AND parked_at IS NOT NULL
		AND payload->>'channel_id' = $1`, w.coordChannel.Id), "the claim's refused notice is parked")
	for _, p := range mustPosts(t, w.coordChannel.Id) {
		if p.UserId == rig.BotUserID() {
			require.Less(t, p.CreateAt, removedAt, "nothing was posted where the bot is no longer a member: %s", p.Message)
		}
	}
}

// mustPosts reads a channel's posts as the system admin.
func mustPosts(t *testing.T, channelID string) []*model.Post {
	t.Helper()
	posts, err := rig.Admin().Posts(context.Background(), channelID)
	require.NoError(t, err)
	return posts
}
