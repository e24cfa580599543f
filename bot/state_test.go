package bot

import (
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// eventEnd is midnight at the end of the Assises' day (15 April 2011) in Paris.
var eventEnd = time.Date(2011, 4, 15, 22, 0, 0, 0, time.UTC)

func TestOfferOfAnEventOverHasNoButtons(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		now     time.Time
		status  guichet.EventStatus
		locale  string
		buttons []string
		text    string
	}{
		"the evening of its day": {now: eventEnd.Add(-time.Minute), buttons: []string{"share", "pass", "question"}},
		"at its end":             {now: eventEnd, text: "L'événement est passé\u202f: cette offre est close."},
		"the day after":          {now: eventEnd.Add(11 * time.Hour), text: "L'événement est passé"},
		"done before its day":    {now: renderNow, status: guichet.EventDone, text: "L'événement est passé"},
		"recapped, in English":   {now: renderNow, status: guichet.EventRecapped, locale: "en", text: "The event is over: this offer is closed."},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := unitBot(t, nil, nil, tc.now)
			ev := assisesEvent()
			if tc.status != "" {
				ev.Status = tc.status
			}
			if tc.locale != "" {
				ev.Locale = tc.locale
			}
			a := attachmentOf(t, b.OfferPost(&guichet.LotState{Lot: dejLot(), Claims: []*guichet.Claim{
				{SupplierName: "Romsi", Quantity: 100, Amount: 120000, Status: guichet.ClaimAwarded}}}, ev, "c"))
			require.Equal(t, tc.buttons, actionIDs(a))
			if tc.text == "" {
				require.Equal(t, colorOpen, a.Color)
				return
			}
			require.Contains(t, a.Text, tc.text)
			require.Equal(t, colorClosed, a.Color)
			f := fieldsOf(a)
			require.Contains(t, f, map[string]string{"fr": "Attribué à", "en": "Awarded to"}[ev.Locale], "who holds it is still shown")
		})
	}
}

// A click on an offer still showing its buttons after the event is over is refused, changes
// nothing, and re-renders the offer without its buttons; a share click opens no dialog.
func TestClickAfterTheEventIsRefused(t *testing.T) {
	for name, lot := range map[string]*guichet.Lot{
		"claim": {Code: "SCE", Title: "Scénographie", Category: "restauration", Quantity: 1, Budget: 350000},
		"share": {Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000,
			Mode: guichet.Shared, MaxSuppliers: 4},
	} {
		t.Run(name, func(t *testing.T) {
			cb := setupClicks(t, lot)
			a := cb.sups[0]
			post, button := cb.offerIn(t, a.ChannelID, name)
			cb.bot.now = func() time.Time { return eventEnd.Add(time.Hour) }

			before := cb.snapshot(t)
			resp := cb.click(t, member(a), a.ChannelID, post, button)
			require.Equal(t, "L'événement est passé\u202f: plus de prise ni de libération, plus d'attribution, de refus, d'annulation ni de modification des lots\u202f; "+
				"le bilan et les paiements restent tels quels. Rien n'a changé\u202f; pour une correction, écrivez à la coordination.", resp.EphemeralText)
			require.NotNil(t, resp.Update, "the clicked copy is re-rendered")
			att := attachmentOf(t, resp.Update)
			require.Empty(t, att.Actions)
			require.Contains(t, att.Text, "L'événement est passé")
			require.Equal(t, before, cb.snapshot(t))
			cb.mm.mu.Lock()
			require.Empty(t, cb.mm.dialogs, "no dialog once the event is over")
			cb.mm.mu.Unlock()
		})
	}
}

// When the event is over, the scheduler's pass queues the refresh of its offers, and the
// dispatcher edits every posted copy: they lose their buttons.
func TestOffersLoseTheirButtonsWhenTheEventIsOver(t *testing.T) {
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 2, "resto", "restauration")
	bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000,
		Mode: guichet.Shared, MaxSuppliers: 4})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	copies := func() []*model.Post {
		var out []*model.Post
		for _, s := range sups {
			posts := bd.mm.postsIn(s.ChannelID)
			require.Len(t, posts, 1, "one offer in %s", s.ChannelID)
			out = append(out, posts[0])
		}
		return out
	}
	for _, p := range copies() {
		require.Equal(t, []string{"share", "pass", "question"}, actionIDs(attachmentOf(t, p)))
	}

	// The evening before its end, nothing happens.
	n, err := bd.db.CloseEndedOffers(bd.ctx, eventEnd.Add(-time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)

	bd.bot.now = func() time.Time { return eventEnd.Add(time.Minute) }
	n, err = bd.db.CloseEndedOffers(bd.ctx, eventEnd.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	bd.drain(t, bd.bot)
	for _, p := range copies() {
		a := attachmentOf(t, p)
		require.Empty(t, a.Actions, "the copy in %s lost its buttons", p.ChannelId)
		require.Contains(t, a.Text, "L'événement est passé")
	}
}
