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

// The event's state gates claims: nothing is taken on a draft event, nothing once it is over.

// msgNotPublished is what a member reads when naming a lot of a draft event.
const msgNotPublished = "Cet événement n'est pas encore publié\u202f: ses lots ne peuvent pas encore être pris. " +
	"Rien n'a été enregistré\u202f; la coordination le publie avec `/guichet publier` quand il est prêt."

// A member types the code of a lot of an event that was never published: refused with the
// message that says so, and nothing is written.
func TestClaimOnADraftEventIsRefusedFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "brouil", "Atelier Brouillon")
	lot := w.addLot(t, &guichet.Lot{Code: "BROUILLON", Title: "Buffet du brouillon", Quantity: 1, Unit: "buffet", Budget: 90000})
	before := takeSnapshot(t, w)
	for _, text := range []string{
		"/guichet prendre BROUILLON",
		"/guichet claim " + w.event.Slug + "/BROUILLON",
		"/guichet libérer BROUILLON",
	} {
		require.Equal(t, msgNotPublished, say(t, w.members[0], w.channels[0].Id, text), text)
	}
	require.Empty(t, claims(t, lot.ID))
	require.Equal(t, before, takeSnapshot(t, w))
	l, err := rig.DB().Lot(context.Background(), lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotOpen, l.Status)
	ev, err := rig.DB().Event(context.Background(), w.event.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.EventDraft, ev.Status)
}

// Once the event's day is over, its offers lose their buttons, and a click on a copy that
// still shows them is refused privately, re-renders that copy, and changes nothing.
func TestOffersCloseWhenTheEventIsOverFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "fini", "Traiteur Fini", "Cantine Finie")
	lot := w.addLot(t, &guichet.Lot{Code: "FIN", Title: "Déjeuner de clôture", Quantity: 100, Unit: "couverts",
		Budget: 120000, Mode: guichet.Shared, MaxSuppliers: 2})
	w.publish(t, 2)
	offers := []*model.Post{w.offerPost(t, 0, lot, btnShare, btnPass), w.offerPost(t, 1, lot, btnShare, btnPass)}
	// A copy the bot does not know of, still showing its buttons whatever happens next.
	stale := postStaleOffer(t, lot.ID, w.channels[0].Id, btnShare)
	before := takeSnapshot(t, w)

	// The event's day passes: moved three days back, as time would have.
	ev, err := rig.DB().Event(ctx, w.event.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.EventPublished, ev.Status)
	ev.Day = time.Now().AddDate(0, 0, -3)
	require.NoError(t, rig.DB().UpdateEvent(ctx, w.actor(), ev))

	for _, p := range offers {
		rig.WaitPostByID(t, p.Id, func(p *model.Post) bool {
			return mmrig.Button(p, btnShare) == nil && mmrig.Button(p, btnPass) == nil &&
				strings.Contains(mmrig.PostText(p), "L'événement est passé")
		})
	}

	watch := w.members[0].Watch(t)
	require.NoError(t, w.members[0].Click(t, stale.Id, btnShare))
	eph := watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "L'événement est passé") })
	require.Equal(t, w.channels[0].Id, eph.ChannelId)
	rig.WaitPostByID(t, stale.Id, func(p *model.Post) bool { return mmrig.Button(p, btnShare) == nil })
	require.Empty(t, claims(t, lot.ID))

	out := say(t, w.members[1], w.channels[1].Id, "/guichet prendre "+w.event.Slug+"/FIN 10")
	require.True(t, strings.HasPrefix(out, "L'événement est passé\u202f: plus de prise ni de libération"), out)
	require.Empty(t, claims(t, lot.ID))
	after := takeSnapshot(t, w)
	// What the bot writes of its own as the day passes (the event's update, the offers'
	// closing, the recap's trigger) is in the audit; nothing else changed.
	delete(before, "audit")
	delete(after, "audit")
	require.Equal(t, before, after)
	require.Zero(t, count(t, `SELECT count(*) FROM audit_trail WHERE event_id = $1 AND action LIKE 'claim.%'`, w.event.ID))
}
