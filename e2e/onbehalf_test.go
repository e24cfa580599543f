package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// The phone call: the coordinator records a claim for a structure from chat; the structure's
// member reads it on their own WebSocket with a « Libérer » button, and gives the share back
// with one click; the coordination is told each time and the history says who did what for whom.
func TestCoordinatorClaimsForAStructureFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "obhf", "Le Goût des Autres", "Romsi")
	watch := w.members[0].Watch(t, model.WebsocketEventPosted, model.WebsocketEventEphemeralMessage)
	say(t, w.coord, w.coordChannel.Id, `/guichet lot add DEJ "Déjeuner" category=`+w.category+` qty=450 unit=couverts budget=5400 mode=shared max=4`)
	say(t, w.coord, w.coordChannel.Id, "/guichet publier")

	out := say(t, w.coord, w.coordChannel.Id, `/guichet prendre DEJ 100 structure="Le Goût des Autres" note="au téléphone"`)
	require.Contains(t, out, "C'est noté\u202f: **Le Goût des Autres** prend le lot `DEJ`")
	botPostContaining(t, w.coordChannel.Id, "@"+w.coord.Username+" prend pour **Le Goût des Autres** le lot **DEJ**")

	// The structure's member reads it as it arrives, with its button.
	ev := watch.Wait(t, model.WebsocketEventPosted, func(e *model.WebSocketEvent) bool {
		p := postOf(e)
		return p != nil && p.ChannelId == w.channels[0].Id && strings.Contains(p.Message, "a pris pour **Le Goût des Autres**")
	})
	notice := postOf(ev)
	require.Contains(t, notice.Message, "1\u202f200,00\u00a0€")
	require.NotNil(t, mmrig.Button(notice, "Libérer"))

	require.NoError(t, w.members[0].Click(t, notice.Id, "Libérer"))
	watch.Ephemeral(t, func(p *model.Post) bool {
		return strings.Contains(p.Message, "**Le Goût des Autres** libère le lot **DEJ**")
	})
	cs := claims(t, mustLot(t, ctx, w, "DEJ").ID)
	require.Len(t, cs, 1)
	require.Equal(t, guichet.ClaimWithdrawn, cs[0].Status)
	botPostContaining(t, w.coordChannel.Id, "**Le Goût des Autres** libère le lot **DEJ**")
	after, _, err := w.members[0].Client.GetPost(ctx, notice.Id, "")
	require.NoError(t, err)
	require.Nil(t, mmrig.Button(after, "Libérer"), "the released notice loses its button")
	require.Contains(t, after.Message, "a libéré pour **Le Goût des Autres**")

	history := say(t, w.coord, w.coordChannel.Id, "/guichet historique DEJ")
	require.Contains(t, history, "@"+w.coord.Username+" prend pour Le Goût des Autres 100 couverts")
	require.Contains(t, history, "@"+w.members[0].Username+"\u202f: Le Goût des Autres libère 100 couverts")
}

// postOf decodes the post a "posted" event carries, nil if it has none.
func postOf(e *model.WebSocketEvent) *model.Post {
	raw, _ := e.GetData()["post"].(string)
	if raw == "" {
		return nil
	}
	var p model.Post
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil
	}
	return &p
}

func mustLot(t *testing.T, ctx context.Context, w *world, code string) *guichet.Lot {
	t.Helper()
	l, err := rig.DB().LotByCode(ctx, w.event.ID, code)
	require.NoError(t, err)
	return l
}
