package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// travel drives the event's calendar, as remindSoon does: it moves the event, its reminders
// (their moments, the day they count back from and the day a re-armed one was first sent for)
// days earlier, so that what was due days ahead falls due now, with every date the bot shows
// keeping its place relative to the others.
func travel(t *testing.T, eventID int64, days int) {
	t.Helper()
	ctx := context.Background()
	_, err := rig.DB().SQL().ExecContext(ctx, `UPDATE events SET day = day - $2::int WHERE id = $1`, eventID, days)
	require.NoError(t, err)
	_, err = rig.DB().SQL().ExecContext(ctx, `UPDATE reminders SET due_at = due_at - make_interval(days => $2::int),
		day = day - $2::int, previous_day = previous_day - $2::int WHERE event_id = $1`, eventID, days)
	require.NoError(t, err)
}

// posted waits, on w, for a post in channelID whose text holds every part, and returns it.
func posted(t *testing.T, w *mmrig.Watch, channelID string, parts ...string) *model.Post {
	t.Helper()
	ev := w.Wait(t, model.WebsocketEventPosted, func(ev *model.WebSocketEvent) bool {
		p, err := mmrig.EventPost(ev)
		if err != nil || p.ChannelId != channelID {
			return false
		}
		text := mmrig.PostText(p)
		for _, part := range parts {
			if !strings.Contains(text, part) {
				return false
			}
		}
		return true
	})
	p, err := mmrig.EventPost(ev)
	require.NoError(t, err)
	return p
}

// The 2011 Assises replayed through real Mattermost with the changes a real event had to
// absorb, each read by the people it touches on their own WebSockets: J-7 goes out, the event
// is postponed by a week (J-7 comes again, once, saying the date changed), the lunch goes from
// 450 to 380 covers two days before (the four caterers' shares shrink as the coordinator says,
// each is told and re-confirms on its J-1), one structure releases the afternoon coffee break at
// J-1 (the coordinators are told at once) and the first on its waitlist, which joined it by
// clicking the full lot, accepts the freed share; the coordinator records a claim by phone on
// another lot, a caterer reports a delivery short by 20 covers and the recap shows it; the
// money adds up to the cent.
//
// The event's calendar is driven by moving the event days earlier (travel), not the clock: the
// bot's commands and scheduler keep real time.
func TestAssisesChangesReplayedFromChat(t *testing.T) {
	// Not parallel: it uses the rig's Assises structures, which TestAssisesReplayedFromChat
	// imports again into the one directory.
	ctx := context.Background()
	coord := rig.Coordinator()
	ch, err := rig.NewChannel(ctx, "chg-assises", coord.Username)
	require.NoError(t, err)
	const slug = "chg-assises"
	const name = "Assises 2011 rejouées avec leurs changements"
	zone, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)

	// The event a week and a day ahead; its reminders are set once the lots are taken.
	start := time.Now().In(zone)
	day0 := time.Date(start.Year(), start.Month(), start.Day()+7, 0, 0, 0, 0, time.UTC)
	out := say(t, coord, ch.Id, `/guichet event create `+slug+` `+day0.Format(time.DateOnly)+` "`+name+`" venue="Cité des Congrès, Nantes" client="Nantes Métropole"`)
	require.Contains(t, out, "(`"+slug+"`) créé")
	watch := coord.Watch(t)
	say(t, coord, ch.Id, "/guichet lot import")
	d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.lot.import" })
	require.Empty(t, submitDialog(t, coord, ch.Id, d, map[string]any{"csv": fixtureText(t, "lots.csv")}).Errors)
	botPostContaining(t, directChannel(t, coord), "14 lots importés")
	require.NotContains(t, say(t, coord, ch.Id, "/guichet publier"), "⚠️")

	e, err := rig.DB().EventBySlug(ctx, slug)
	require.NoError(t, err)
	lots, err := rig.DB().Lots(ctx, e.ID)
	require.NoError(t, err)
	var budgets guichet.Cents
	lotOf := map[string]*guichet.Lot{}
	for _, l := range lots {
		budgets += l.Budget
		lotOf[l.Code] = l
	}
	require.Equal(t, guichet.Cents(1921000), budgets)
	channelOf := map[string]*model.Channel{}
	memberOf := map[string]*mmrig.User{}
	for _, s := range rig.Suppliers() {
		channelOf[s.Name] = rig.Channel(s.Channel)
		memberOf[s.Name] = rig.User(s.Members[0])
	}
	for _, row := range readFixture(t, "replay.csv") {
		name, qty := row["supplier"], row["quantity"]
		switch row["lot"] + "/" + name {
		case "PCA/TAK-APRES":
			// It finds the afternoon coffee break full and waits in line for it (below).
			continue
		case "PCA/Napce":
			qty = "300"
		case "TEN/Regart's":
			// Regart's takes its two outfits by phone, later.
			continue
		}
		out := say(t, memberOf[name], channelOf[name].Id, "/guichet prendre "+slug+"/"+row["lot"]+" "+qty)
		require.Contains(t, out, "**"+name+"** prend le lot `"+row["lot"]+"`", "%s claims %s", name, row["lot"])
	}

	// TAK-APRES finds the afternoon coffee break full in its channel and joins its waitlist.
	const btnJoin, btnAccept = "Me mettre en liste d'attente", "J'accepte"
	pcaOffer := rig.WaitPost(t, channelOf["TAK-APRES"].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(mmrig.PostText(p), "PCA") && mmrig.Button(p, btnJoin) != nil
	})
	takWatch := memberOf["TAK-APRES"].Watch(t)
	require.NoError(t, memberOf["TAK-APRES"].Click(t, pcaOffer.Id, btnJoin))
	takWatch.Ephemeral(t, func(p *model.Post) bool {
		return strings.Contains(p.Message, "**TAK-APRES** est en liste d'attente pour le lot **PCA**, à la place 1")
	})

	// The people whose WebSockets each step is read from.
	caterers := []string{"Méli-Mélo d'Oser Forêt Vivante", "Romsi", "TAK-APRES", "Le Goût des Autres"}
	watches := map[string]*mmrig.Watch{}
	for _, s := range append(caterers, "Emoqui", "Regart's") {
		watches[s] = memberOf[s].Watch(t, model.WebsocketEventPosted, model.WebsocketEventPostEdited)
	}
	coordWatch := coord.Watch(t, model.WebsocketEventPosted)
	dms := map[string]string{}
	for _, s := range caterers {
		dms[s] = directChannel(t, memberOf[s])
	}
	coordDM := directChannel(t, coord)

	// J-7 and J-1 at the same minute of the day, J-7 a minute or two from now.
	due := time.Now().Add(time.Minute).Truncate(time.Minute).Add(time.Minute).In(zone)
	require.Equal(t, day0.AddDate(0, 0, -7).Format(time.DateOnly), due.Format(time.DateOnly), "the test does not run across midnight")
	at := fmt.Sprintf("%02d:%02d", due.Hour(), due.Minute())
	require.Contains(t, say(t, coord, ch.Id, "/guichet événement modifier rappels=J-7@"+at+",J-1@"+at), "J-7@"+at)

	// J-7 goes out: each caterer reads it.
	time.Sleep(time.Until(due))
	for _, s := range caterers {
		posted(t, watches[s], dms[s], "Rappel J-7", name, "**DEJ** — Déjeuner")
	}

	// Postponed by a week after J-7 went out: the structures are told, J-7 is due again.
	day1 := day0.AddDate(0, 0, 7)
	out = say(t, coord, ch.Id, "/guichet événement reporter date="+day1.Format("02/01/2006"))
	long := func(d time.Time) string { return l10n.Date(d, time.UTC, "fr") }
	require.Contains(t, out, "→ **"+long(day1)+"**", out)
	for _, s := range caterers {
		posted(t, watches[s], channelOf[s].Id, name, long(day1))
	}
	require.Equal(t, 20, count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND kind = 'j7' AND status = 'due'
		AND previous_day IS NOT NULL`, e.ID), "J-7 re-armed for the 19 structures and the coordination")

	// A week later, J-7 comes again, once, at the new date, saying the date changed.
	travel(t, e.ID, 7)
	for _, s := range caterers {
		posted(t, watches[s], dms[s], "Rappel J-7", "La date a changé")
	}
	time.Sleep(3 * time.Second) // three more scheduler ticks
	require.Equal(t, 2*20, count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND (payload->>'reminder_id')::bigint IN
		(SELECT id FROM reminders WHERE event_id = $1 AND kind = 'j7')`, e.ID), "J-7 twice for each, not more")

	// Two days before, the lunch goes from 450 to 380 covers, the caterers' shares shrink as
	// the coordinator says; each is told what changed for it and asked to confirm again.
	dej := lotOf["DEJ"]
	out = say(t, coord, ch.Id, `/guichet lot modifier DEJ quantité=380 réduire="Méli-Mélo d'Oser Forêt Vivante: 100; Romsi: 95; TAK-APRES: 95; Le Goût des Autres: 90"`)
	require.Contains(t, out, "- Quantité\u202f: 450 → 380", out)
	require.Contains(t, out, "4 structures sont prévenues", out)
	shares := map[string]string{
		"Méli-Mélo d'Oser Forêt Vivante": "120 → 100", "Romsi": "110 → 95", "TAK-APRES": "110 → 95", "Le Goût des Autres": "110 → 90"}
	for _, s := range caterers {
		posted(t, watches[s], channelOf[s].Id, "a modifié le lot **DEJ**", "- Votre part\u202f: "+shares[s]+" couverts", "confirmer de nouveau")
	}
	// 5 400 € over 380 covers, by the largest remainder: 1 421,05 + 1 350 + 1 350 + 1 278,95.
	amounts := map[string]guichet.Cents{"Méli-Mélo d'Oser Forêt Vivante": 142105, "Romsi": 135000, "TAK-APRES": 135000, "Le Goût des Autres": 127895}
	for _, c := range claims(t, dej.ID) {
		if c.Status != guichet.ClaimAwarded {
			continue
		}
		var who string
		require.NoError(t, rig.DB().SQL().GetContext(ctx, &who, `SELECT name FROM suppliers WHERE id = $1`, c.SupplierID))
		require.Equal(t, amounts[who], c.Amount, who)
	}
	require.Equal(t, int64(380), claimsTotal(t, dej.ID))

	// J-1 (six days later): each caterer reads its new share and confirms it.
	travel(t, e.ID, 6)
	quantities := map[string]string{"Méli-Mélo d'Oser Forêt Vivante": "100", "Romsi": "95", "TAK-APRES": "95", "Le Goût des Autres": "90"}
	for _, s := range caterers {
		p := posted(t, watches[s], dms[s], "Rappel J-1", "**DEJ** — Déjeuner\u202f: "+quantities[s]+" couverts", l10n.Money(amounts[s], "fr"))
		require.NoError(t, memberOf[s].Click(t, p.Id, btnConfirm))
		rig.WaitPostByID(t, p.Id, func(p *model.Post) bool { return mmrig.Button(p, btnConfirm) == nil })
	}
	require.Equal(t, 4, count(t, `SELECT count(*) FROM reminders r JOIN suppliers s ON s.id = r.supplier_id
		WHERE r.event_id = $1 AND r.kind = 'j1' AND r.confirmed_at IS NOT NULL AND s.name = ANY($2)`, e.ID, pq.Array(caterers)))

	// At J-1, Emoqui releases the afternoon coffee break: the coordinators are told at once.
	out = say(t, memberOf["Emoqui"], channelOf["Emoqui"].Id, "/guichet libérer "+slug+"/PCA")
	require.Contains(t, out, "**Emoqui** libère le lot `PCA`", out)
	posted(t, coordWatch, coordDM, "Libération tardive", "**Emoqui** libère le lot **PCA**")

	// The first on the lot's waitlist, TAK-APRES, is offered the freed 150 by direct message and
	// accepts them; the coordination channel is told.
	offer := posted(t, watches["TAK-APRES"], dms["TAK-APRES"], "Une place se libère sur le lot **PCA**", "150 personnes pour **TAK-APRES**")
	require.NotNil(t, mmrig.Button(offer, btnAccept))
	require.NoError(t, memberOf["TAK-APRES"].Click(t, offer.Id, btnAccept))
	watches["TAK-APRES"].Wait(t, model.WebsocketEventPostEdited, func(ev *model.WebSocketEvent) bool {
		p, err := mmrig.EventPost(ev)
		return err == nil && p.Id == offer.Id && strings.Contains(p.Message, "a accepté pour **TAK-APRES** le lot **PCA**")
	})
	posted(t, coordWatch, ch.Id, "**TAK-APRES**, depuis la liste d'attente, prend le lot **PCA**", "150 personnes")
	require.Equal(t, int64(450), claimsTotal(t, lotOf["PCA"].ID))
	// 900 € over 450 people: Napce's 300 and TAK-APRES's 150.
	pcaAmounts := map[int64]guichet.Cents{}
	for _, c := range claims(t, lotOf["PCA"].ID) {
		if c.Status == guichet.ClaimAwarded {
			pcaAmounts[c.SupplierID] = c.Amount
		}
	}
	napce, err := rig.DB().SupplierByRef(ctx, "Napce")
	require.NoError(t, err)
	tak, err := rig.DB().SupplierByRef(ctx, "TAK-APRES")
	require.NoError(t, err)
	require.Equal(t, map[int64]guichet.Cents{napce.ID: 60000, tak.ID: 30000}, pcaAmounts)

	// The coordinator records, by phone, Regart's taking the two outfits still free.
	out = say(t, coord, ch.Id, `/guichet prendre TEN 2 structure="Regart's" note="au téléphone"`)
	require.Contains(t, out, "C'est noté : **Regart's** prend le lot `TEN`", out)
	posted(t, watches["Regart's"], channelOf["Regart's"].Id, "a pris pour **Regart's**", "TEN")
	require.Equal(t, int64(8), claimsTotal(t, lotOf["TEN"].ID))

	// The day itself: Romsi reports 75 covers delivered of its 95 (« Livré comme prévu ? » is
	// asked on J+1 with the recap's trigger; here it is asked directly, as delivered_test does).
	travel(t, e.ID, 1)
	romsi, err := rig.DB().SupplierByRef(ctx, "Romsi")
	require.NoError(t, err)
	require.NoError(t, rig.DB().Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{
		ChannelID: channelOf["Romsi"].Id, EventID: e.ID, LotID: dej.ID, Locale: "fr",
		MessageID: "NoticeDeliveredAsk", DeliverySupplierID: romsi.ID, Args: map[string]any{
			"Event": name, "Supplier": "Romsi", "Code": "DEJ", "Title": dej.Title, "Quantity": 95, "Unit": dej.Unit}}))
	ask := posted(t, watches["Romsi"], channelOf["Romsi"].Id, "livré comme prévu")
	romsiWatch := memberOf["Romsi"].Watch(t)
	require.NoError(t, memberOf["Romsi"].Click(t, ask.Id, "Un écart"))
	dlg := romsiWatch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "bot.delivered" })
	require.Empty(t, submitDialog(t, memberOf["Romsi"], channelOf["Romsi"].Id, dlg,
		map[string]any{"delivered": "75", "comment": "20 convives absents"}).Errors)
	posted(t, coordWatch, ch.Id, "Écart de livraison", "**Romsi**", "75 couverts livrés sur 95")

	// The recap shows the short delivery, and the money adds up to the cent.
	say(t, coord, ch.Id, "/guichet bilan")
	recap := posted(t, coordWatch, ch.Id, "### Bilan — "+name)
	require.Contains(t, recap.Message, "**19\u202f210,00\u00a0€** pour le réseau")
	require.Contains(t, recap.Message, "- **Romsi** — `DEJ` Déjeuner\u202f: convenu 95 couverts, 1\u202f350,00\u00a0€ · livré 75 couverts («\u202f20 convives absents\u202f»)")
	checkRecapFiles(t, attachedFiles(t, ctx, coord, recap), slug, budgets)
	require.Equal(t, int(budgets), count(t, `SELECT sum(c.amount_cents) FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.status = 'awarded'`, e.ID))
}
