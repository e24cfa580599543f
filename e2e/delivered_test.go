package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/internal/mmrig"
)

// « Livré comme prévu ? » through real Mattermost: on the event's day, a structure holding
// the lunch is asked; its member answers « Un écart » in the dialog (80 delivered of 100, with
// a comment); the delivery is recorded, the post loses its buttons, the coordination channel is
// told with the command that adjusts the amount; the coordinator adjusts it; the second share's
// « Oui » records the whole share.
func TestDeliveryReportedFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "livre", "Cuisine Ouest", "Cuisine Est")
	lot := w.addLot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Quantity: 200, Unit: "couverts",
		Budget: 240000, Mode: guichet.Shared, MaxSuppliers: 2})
	w.publish(t, 2)
	// The event is today, in its time zone: claims are still open, deliveries already.
	_, err := rig.DB().SQL().ExecContext(ctx, `UPDATE events SET day = (now() AT TIME ZONE time_zone)::date WHERE id = $1`, w.event.ID)
	require.NoError(t, err)
	for i := range 2 {
		_, err := rig.DB().Claim(ctx, guichet.ClaimRequest{Actor: dbtest.Member(w.suppliers[i]), LotID: lot.ID,
			SupplierID: w.suppliers[i].ID, Quantity: 100}, time.Now())
		require.NoError(t, err)
	}
	ev, err := rig.DB().Event(ctx, w.event.ID)
	require.NoError(t, err)
	for i, s := range w.suppliers {
		require.NoError(t, rig.DB().Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: w.channels[i].Id, EventID: ev.ID, LotID: lot.ID, Locale: ev.Locale,
			MessageID: "NoticeDeliveredAsk", DeliverySupplierID: s.ID, Args: map[string]any{
				"Event": ev.Name, "Supplier": s.Name, "Code": lot.Code, "Title": lot.Title, "Quantity": 100, "Unit": lot.Unit}}))
	}
	asked := func(i int) *model.Post {
		return rig.WaitPost(t, w.channels[i].Id, func(p *model.Post) bool {
			return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "livré comme prévu") &&
				mmrig.Button(p, "Un écart") != nil && mmrig.Button(p, "Oui") != nil
		})
	}

	// « Un écart »: the dialog, 80 delivered.
	first := asked(0)
	watch := w.members[0].Watch(t)
	require.NoError(t, w.members[0].Click(t, first.Id, "Un écart"))
	dlg := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "bot.delivered" })
	resp := submitDialog(t, w.members[0], w.channels[0].Id, dlg, map[string]any{"delivered": "80", "comment": "vingt convives absents"})
	require.Empty(t, resp.Errors)
	require.Equal(t, 1, count(t, `SELECT count(*) FROM deliveries WHERE lot_id = $1 AND supplier_id = $2 AND delivered_qty = 80
		AND comment = 'vingt convives absents'`, lot.ID, w.suppliers[0].ID))
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit_trail WHERE lot_id = $1 AND action = 'delivery.report' AND actor_id = $2`,
		lot.ID, w.members[0].ID), "audited under the member's user id")
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "Écart de livraison") &&
			strings.Contains(p.Message, "80 couverts livrés sur 100") && strings.Contains(p.Message, "/guichet ajuster DEJ")
	})
	rig.WaitPostByID(t, first.Id, func(p *model.Post) bool {
		return mmrig.Button(p, "Un écart") == nil && strings.Contains(mmrig.PostText(p), "a livré 80 couverts sur 100")
	})

	// The coordinator adjusts the structure's amount.
	out := say(t, w.coord, w.coordChannel.Id, `/guichet ajuster DEJ structure="Cuisine Ouest" montant=960 motif="80 couverts servis"`)
	require.Contains(t, out, "960,00")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM deliveries WHERE lot_id = $1 AND supplier_id = $2 AND adjusted_cents = 96000`,
		lot.ID, w.suppliers[0].ID))

	// « Oui »: the whole share.
	second := asked(1)
	require.NoError(t, w.members[1].Click(t, second.Id, "Oui"))
	rig.WaitPostByID(t, second.Id, func(p *model.Post) bool {
		return mmrig.Button(p, "Oui") == nil && strings.Contains(mmrig.PostText(p), "a livré comme prévu")
	})
	require.Equal(t, 1, count(t, `SELECT count(*) FROM deliveries WHERE lot_id = $1 AND supplier_id = $2 AND delivered_qty = 100`,
		lot.ID, w.suppliers[1].ID))
}
