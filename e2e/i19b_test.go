package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// dialogFields returns what the web app submits for an opened dialog: every field with the
// value it was shown with, changes applied.
func dialogFields(d *model.OpenDialogRequest, changes map[string]any) map[string]any {
	out := map[string]any{}
	for _, el := range d.Dialog.Elements {
		out[el.Name] = el.Default
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

// The coordinator types `lot modifier DEJ` alone and gets a form, through real Mattermost,
// holding the lunch's terms; a quantity below what is taken comes back under the quantity
// field; with « prorata » in « Réduire les parts », every copy of the offer shows 380 and each
// caterer reads, on its own WebSocket, its share before → after. Then `événement modifier`
// alone opens the event's form, and a new date postpones the event.
func TestEditDialogsFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "i19bdlg", "Cuisine Nord", "Cuisine Sud")
	say(t, w.coord, w.coordChannel.Id, `/guichet lot add DEJ "Déjeuner" category=`+w.category+` qty=450 unit=couverts budget=5400 mode=shared max=2 slot=12:00-14:00`)
	say(t, w.coord, w.coordChannel.Id, "/guichet publish")
	ref := w.event.Slug + "/DEJ"
	lot, err := rig.DB().LotByCode(t.Context(), w.event.ID, "DEJ")
	require.NoError(t, err)
	offers := make([]*model.Post, len(w.members))
	for i, q := range []string{"250", "200"} {
		offers[i] = w.offerPost(t, i, lot)
		require.Contains(t, say(t, w.members[i], w.channels[i].Id, "/guichet prendre "+ref+" "+q), "prend le lot `DEJ`")
	}
	watches := make([]*mmrig.Watch, len(w.members))
	for i, m := range w.members {
		watches[i] = m.Watch(t, model.WebsocketEventPosted, model.WebsocketEventPostEdited)
	}
	coordWatch := w.coord.Watch(t, model.WebsocketEventOpenDialog, model.WebsocketEventPosted)

	require.Empty(t, say(t, w.coord, w.coordChannel.Id, "/guichet lot modifier "+ref))
	d := coordWatch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.lot.edit" })
	shown := map[string]string{}
	for _, el := range d.Dialog.Elements {
		shown[el.Name] = el.Default
	}
	require.Equal(t, "450", shown["quantity"])
	require.Equal(t, "12:00-14:00", shown["slot"])

	resp := submitDialog(t, w.coord, w.coordChannel.Id, d, dialogFields(d, map[string]any{"quantity": "380"}))
	require.Contains(t, resp.Errors["quantity"], "450 couverts du lot DEJ sont déjà pris, plus que les 380 demandés")
	require.Equal(t, int64(450), claimsTotal(t, lot.ID))

	resp = submitDialog(t, w.coord, w.coordChannel.Id, d, dialogFields(d, map[string]any{"quantity": "380", "shrink": "prorata"}))
	require.Empty(t, resp.Errors)
	// 250 and 200 of 450 scaled to 380: 211.1 and 168.9 → 211 and 169.
	for i, want := range []string{"- Votre part\u202f: 250 → 211 couverts", "- Votre part\u202f: 200 → 169 couverts"} {
		ev := watches[i].Wait(t, model.WebsocketEventPosted, func(ev *model.WebSocketEvent) bool {
			p, err := mmrig.EventPost(ev)
			return err == nil && p.ChannelId == w.channels[i].Id && strings.Contains(mmrig.PostText(p), "a modifié le lot **DEJ**")
		})
		p, err := mmrig.EventPost(ev)
		require.NoError(t, err)
		require.Contains(t, mmrig.PostText(p), want)
		watches[i].Wait(t, model.WebsocketEventPostEdited, func(ev *model.WebSocketEvent) bool {
			p, err := mmrig.EventPost(ev)
			return err == nil && p.Id == offers[i].Id && strings.Contains(mmrig.PostText(p), "380") && !strings.Contains(mmrig.PostText(p), "450")
		})
	}
	dm := directChannel(t, w.coord)
	botPostContaining(t, dm, "Lot `DEJ` — Déjeuner modifié", "- Quantité\u202f: 450 → 380")
	var total guichet.Cents
	for _, c := range claims(t, lot.ID) {
		if c.Status == guichet.ClaimAwarded {
			total += c.Amount
		}
	}
	require.Equal(t, guichet.Cents(5400_00), total)
	require.Equal(t, int64(380), claimsTotal(t, lot.ID))

	require.Empty(t, say(t, w.coord, w.coordChannel.Id, "/guichet événement modifier"))
	d = coordWatch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.event.edit" })
	resp = submitDialog(t, w.coord, w.coordChannel.Id, d, dialogFields(d, map[string]any{"date": "demain"}))
	require.Contains(t, resp.Errors["date"], "demain")
	resp = submitDialog(t, w.coord, w.coordChannel.Id, d, dialogFields(d, map[string]any{"date": "2031-04-22"}))
	require.Empty(t, resp.Errors)
	botPostContaining(t, dm, "mardi 15 avril 2031 → **mardi 22 avril 2031**")
	e, err := rig.DB().EventBySlug(t.Context(), w.event.Slug)
	require.NoError(t, err)
	require.Equal(t, "2031-04-22", e.Day.Format(time.DateOnly))
}

// A member lists `mes-lots` and gets one « Libérer » button per share their structure holds,
// in the private answer; a click (through the answer's cookie, as the web app does it)
// releases that share once: the other share stays, the coordination is told, and a second
// click on the same button changes nothing and says so.
func TestReleaseFromMyLots(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "i19brel", "Cafés Ouest")
	for _, l := range []*guichet.Lot{
		{Code: "CAF", Title: "Pause café de l'après-midi", Quantity: 400, Unit: "tasses", Budget: 600_00, Mode: guichet.Exclusive, MaxSuppliers: 1, Award: guichet.FirstCome},
		{Code: "ACC", Title: "Accueil café", Quantity: 300, Unit: "tasses", Budget: 450_00, Mode: guichet.Exclusive, MaxSuppliers: 1, Award: guichet.FirstCome},
	} {
		w.addLot(t, l)
	}
	w.publish(t, 2)
	m, ch := w.members[0], w.channels[0].Id
	for _, code := range []string{"CAF", "ACC"} {
		require.Contains(t, say(t, m, ch, "/guichet prendre "+w.event.Slug+"/"+code), "prend le lot `"+code+"`")
	}
	watch := m.Watch(t, model.WebsocketEventEphemeralMessage)
	coordWatch := w.coord.Watch(t, model.WebsocketEventPosted)

	say(t, m, ch, "/guichet mes-lots")
	list := watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "CAF") })
	var release *model.PostAction
	labels := 0
	for _, a := range list.Attachments() {
		for _, act := range a.Actions {
			require.Equal(t, "Libérer", act.Name)
			labels++
			if strings.Contains(a.Text, "`CAF`") {
				release = act
			}
		}
	}
	require.Equal(t, 2, labels, "one « Libérer » per share held")
	require.NotNil(t, release)
	require.NotEmpty(t, release.Cookie, "Mattermost gives the buttons of a private answer a cookie")

	click := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		_, err := m.Client.DoPostActionWithCookie(ctx, list.Id, release.Id, "", release.Cookie, nil, "")
		require.NoError(t, err)
	}
	click()
	watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "libère le lot **CAF**") })
	coordWatch.Wait(t, model.WebsocketEventPosted, func(ev *model.WebSocketEvent) bool {
		p, err := mmrig.EventPost(ev)
		return err == nil && p.ChannelId == w.coordChannel.Id && strings.Contains(mmrig.PostText(p), "CAF")
	})
	held := func(code string) guichet.ClaimStatus {
		l, err := rig.DB().LotByCode(t.Context(), w.event.ID, code)
		require.NoError(t, err)
		cs := claims(t, l.ID)
		require.Len(t, cs, 1)
		return cs[0].Status
	}
	require.Equal(t, guichet.ClaimWithdrawn, held("CAF"))
	require.Equal(t, guichet.ClaimAwarded, held("ACC"))

	before := len(watch.Ephemerals())
	click()
	rig.Eventually(t, "the second click is answered", func(context.Context) error {
		if len(watch.Ephemerals()) <= before {
			return context.DeadlineExceeded
		}
		return nil
	})
	second := watch.Ephemerals()[before]
	require.NotContains(t, second.Message, "libère le lot", "the share is released once")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit WHERE action = 'claim.withdraw' AND event_id = $1`, w.event.ID))
}
