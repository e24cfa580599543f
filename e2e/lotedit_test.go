package e2e

import (
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// The lunch goes from 450 to 380 covers after the caterers took it: the coordinator's first
// try is refused with the holders named, the second says how the shares shrink; every copy of
// the offer is edited in place and each caterer reads, on its own WebSocket, what changed
// for it, the amounts adding up to the budget to the cent.
func TestLotEditFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "wfedit", "Cuisine Nord", "Cuisine Sud", "Cuisine Est")
	say(t, w.coord, w.coordChannel.Id, `/guichet lot add DEJ "Déjeuner" category=`+w.category+` qty=450 unit=couverts budget=5400 mode=shared max=3 slot=12:00-14:00`)
	say(t, w.coord, w.coordChannel.Id, "/guichet publish")
	ref := w.event.Slug + "/DEJ"
	lot, err := rig.DB().LotByCode(t.Context(), w.event.ID, "DEJ")
	require.NoError(t, err)
	offers := make([]*model.Post, len(w.members))
	for i, q := range []string{"200", "150", "100"} {
		offers[i] = w.offerPost(t, i, lot)
		require.Contains(t, say(t, w.members[i], w.channels[i].Id, "/guichet prendre "+ref+" "+q), "prend le lot `DEJ`")
	}
	watches := make([]*mmrig.Watch, len(w.members))
	for i, m := range w.members {
		watches[i] = m.Watch(t, model.WebsocketEventPosted, model.WebsocketEventPostEdited)
	}

	out := say(t, w.coord, w.coordChannel.Id, "/guichet lot modifier DEJ quantité=380 créneau=12:30-14:00")
	require.Contains(t, out, "450 couverts du lot DEJ sont déjà pris, plus que les 380 demandés\u202f: Cuisine Nord (200), Cuisine Sud (150), Cuisine Est (100).")
	require.Equal(t, int64(450), claimsTotal(t, lot.ID))

	out = say(t, w.coord, w.coordChannel.Id, "/guichet lot modifier DEJ quantité=380 créneau=12:30-14:00 shrink=prorata")
	require.Contains(t, out, "- Quantité\u202f: 450 → 380")
	require.Contains(t, out, "3 structures sont prévenues dans leur canal")

	// 200, 150, 100 of 450 scaled to 380: 168.9, 126.7, 84.4 → 169, 127, 84.
	for i, want := range []string{"- Votre part\u202f: 200 → 169 couverts", "- Votre part\u202f: 150 → 127 couverts", "- Votre part\u202f: 100 → 84 couverts"} {
		ev := watches[i].Wait(t, model.WebsocketEventPosted, func(ev *model.WebSocketEvent) bool {
			p, err := mmrig.EventPost(ev)
			return err == nil && p.ChannelId == w.channels[i].Id && strings.Contains(mmrig.PostText(p), "a modifié le lot **DEJ**")
		})
		p, err := mmrig.EventPost(ev)
		require.NoError(t, err)
		text := mmrig.PostText(p)
		require.Contains(t, text, want)
		require.Contains(t, text, "- Créneau\u202f: 12:00-14:00 → 12:30-14:00")
		require.Contains(t, text, "Merci de confirmer de nouveau")
		watches[i].Wait(t, model.WebsocketEventPostEdited, func(ev *model.WebSocketEvent) bool {
			p, err := mmrig.EventPost(ev)
			return err == nil && p.Id == offers[i].Id && strings.Contains(mmrig.PostText(p), "380") && !strings.Contains(mmrig.PostText(p), "450")
		})
	}
	var total guichet.Cents
	for _, c := range claims(t, lot.ID) {
		if c.Status == guichet.ClaimAwarded {
			total += c.Amount
		}
	}
	require.Equal(t, guichet.Cents(5400_00), total)
	require.Equal(t, int64(380), claimsTotal(t, lot.ID))
}

// claimsTotal is the quantity the lot's awarded claims hold.
func claimsTotal(t *testing.T, lotID int64) int64 {
	t.Helper()
	var q int64
	for _, c := range claims(t, lotID) {
		if c.Status == guichet.ClaimAwarded {
			q += c.Quantity
		}
	}
	return q
}
