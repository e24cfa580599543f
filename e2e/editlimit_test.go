package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// With Mattermost's edit time limit on (ServiceSettings.PostEditTimeLimit), a claim after the
// limit still reaches the board: a fresh board is posted and recorded, the old one deleted;
// the offers' copies (an empty message, their content in an attachment, which the limit does
// not cover) are still edited in place. Not parallel: Mattermost restarts with the limit on.
func TestBoardSurvivesTheEditTimeLimit(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "editlim", "Pain Partagé", "Four Commun")
	lot := w.addLot(t, &guichet.Lot{Code: "PAI", Title: "Pains du déjeuner", Quantity: 40, Unit: "pains",
		Budget: 12000, Mode: guichet.Exclusive})
	w.publish(t, 2)
	offerA := w.offerPost(t, 0, lot, btnClaim)
	offerB := w.offerPost(t, 1, lot, btnClaim)
	var first string
	rig.Eventually(t, "the first board", func(ctx context.Context) error {
		id, err := rig.DB().BoardPostID(ctx, w.event.ID)
		if err == nil && id == "" {
			err = fmt.Errorf("no board yet")
		}
		first = id
		return err
	})

	t.Cleanup(func() {
		// Leave Mattermost running without the limit for the other tests, whatever happened.
		rig.SetMattermostEnv("MM_SERVICESETTINGS_POSTEDITTIMELIMIT", "")
		_ = rig.StopMattermost()
		_ = rig.StartMattermost(context.Background())
	})
	rig.SetMattermostEnv("MM_SERVICESETTINGS_POSTEDITTIMELIMIT", "1")
	require.NoError(t, rig.StopMattermost())
	require.NoError(t, rig.StartMattermost(ctx))
	time.Sleep(1500 * time.Millisecond) // every post above is now past the limit

	// The limit is on: a person cannot edit the board's message any more.
	old, _, err := rig.Admin().Client.GetPost(ctx, first, "")
	require.NoError(t, err)
	old.Message += " (edited)"
	_, resp, err := rig.Admin().Client.UpdatePost(ctx, first, old)
	require.Error(t, err, "the edit time limit is on")
	require.Equal(t, 400, resp.StatusCode)

	require.NoError(t, w.members[0].Click(t, offerA.Id, btnClaim))

	var fresh string
	rig.Eventually(t, "a fresh board recorded", func(ctx context.Context) error {
		id, err := rig.DB().BoardPostID(ctx, w.event.ID)
		if err == nil && id == first {
			err = fmt.Errorf("still the first board")
		}
		fresh = id
		return err
	})
	board := rig.WaitPostByID(t, fresh, func(p *model.Post) bool { return strings.Contains(p.Message, "Pain Partagé") })
	require.Equal(t, w.coordChannel.Id, board.ChannelId)
	rig.Eventually(t, "the old board deleted", func(ctx context.Context) error {
		_, resp, err := rig.Admin().Client.GetPost(ctx, first, "")
		if err == nil || resp == nil || resp.StatusCode != 404 {
			return fmt.Errorf("the old board is still there (status %v)", resp)
		}
		return nil
	})
	// The other structure's copy is edited in place.
	rig.WaitPostByID(t, offerB.Id, func(p *model.Post) bool {
		return strings.Contains(mmrig.PostText(p), "Pain Partagé") && mmrig.Button(p, btnClaim) == nil
	})
	require.Zero(t, count(t, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND payload->>'event_id' = $1`,
		fmt.Sprint(w.event.ID)), "nothing parked")
}
