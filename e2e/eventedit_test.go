package e2e

import (
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// The coordinator postpones the event, then cancels it, from chat: the structure holding the
// lot reads each change on its own WebSocket, the offer shows the new day and then loses its
// buttons, and the board says cancelled.
func TestEventPostponedThenCancelledFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "report", "Traiteur Reporté", "Cantine Voisine")
	lot := w.addLot(t, &guichet.Lot{Code: "REP", Title: "Buffet reporté", Quantity: 1, Unit: "buffet", Budget: 90000})
	w.publish(t, 2)
	offer := w.offerPost(t, 0, lot, btnClaim, btnPass)
	w.offerPost(t, 1, lot, btnClaim, btnPass)
	require.NoError(t, w.members[0].Click(t, offer.Id, btnClaim))
	rig.WaitPostByID(t, offer.Id, func(p *model.Post) bool { return mmrig.Button(p, btnClaim) == nil })

	holder := w.members[0].Watch(t, model.WebsocketEventPosted)
	other := w.members[1].Watch(t, model.WebsocketEventPosted)
	posted := func(watch *mmrig.Watch, channelID, text string) {
		t.Helper()
		watch.Wait(t, model.WebsocketEventPosted, func(ev *model.WebSocketEvent) bool {
			p, err := mmrig.EventPost(ev)
			return err == nil && p.ChannelId == channelID && strings.Contains(p.Message, text)
		})
	}

	out := say(t, w.coord, w.coordChannel.Id, `/guichet événement reporter date=22/04/2031 lieu="Cité des congrès"`)
	require.Contains(t, out, "mardi 15 avril 2031 → **mardi 22 avril 2031**", out)
	require.Contains(t, out, "1 structure qui a des lots est prévenue", out)
	posted(holder, w.channels[0].Id, "mardi 22 avril 2031")
	rig.WaitPostByID(t, offer.Id, func(p *model.Post) bool { return strings.Contains(mmrig.PostText(p), "mardi 22 avril 2031") })

	out = say(t, w.coord, w.coordChannel.Id, `/guichet événement annuler motif="salle indisponible"`)
	require.Contains(t, out, "est annulé", out)
	posted(holder, w.channels[0].Id, "Motif\u202f: salle indisponible")
	for i := range w.members {
		p := w.offerPost(t, i, lot)
		rig.WaitPostByID(t, p.Id, func(p *model.Post) bool {
			return mmrig.Button(p, btnClaim) == nil && mmrig.Button(p, btnPass) == nil &&
				strings.Contains(mmrig.PostText(p), "est annulé")
		})
	}
	botPostContaining(t, w.coordChannel.Id, "Événement annulé")
	// The other structure held nothing: it is not told.
	for _, ev := range other.Events(model.WebsocketEventPosted) {
		p, err := mmrig.EventPost(ev)
		require.NoError(t, err)
		require.NotContains(t, p.Message, "annulé par la coordination")
	}
	require.Contains(t, say(t, w.members[0], w.channels[0].Id, "/guichet libérer "+w.event.Slug+"/REP"), "est annulé")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit WHERE action = 'event.cancel' AND event_id = $1`, w.event.ID))
}
