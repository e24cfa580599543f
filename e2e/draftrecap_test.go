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

// The day-after recap through real Mattermost: the scheduler's J+1 pass shows the recap as a
// draft in the coordination channel only, its head giving what was agreed, delivered and
// adjusted; a member of the coordination channel who does not coordinate the event cannot
// publish it; the coordinator's click on « Publier le bilan » posts the final recap once, in
// the coordination and client channels, and the draft loses its button; `bilan` afterwards
// says it is published already and posts nothing.
//
// Not parallel: the scheduler's recap pass, run here with a clock in 2031, takes every event
// whose recap is due by then, and the parallel tests' events are in 2031 too.
func TestRecapDraftPublishedByTheCoordinator(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "brouill", "Traiteur Nord", "Traiteur Sud")
	client, err := rig.NewChannel(ctx, "brouil-client", w.observer.Username)
	require.NoError(t, err)
	_, err = rig.DB().SQL().ExecContext(ctx, `UPDATE events SET recap_channel_id = $2 WHERE id = $1`, w.event.ID, client.Id)
	require.NoError(t, err)
	lot := w.addLot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Quantity: 200, Unit: "couverts",
		Budget: 240000, Mode: guichet.Shared, MaxSuppliers: 2})
	w.publish(t, 2)
	w.award(t, 0, lot, 100)
	w.award(t, 1, lot, 100)

	// The day after, past 09:00 in any European zone: one amount adjusted, then the scheduler's recap pass.
	dayAfter := time.Date(2031, 4, 16, 10, 0, 0, 0, time.UTC)
	_, err = rig.DB().AdjustAmount(ctx, w.actor(), lot.ID, w.suppliers[0].ID, 100000, "20 couverts non servis", dayAfter)
	require.NoError(t, err)
	n, err := rig.DB().TriggerRecaps(ctx, dayAfter, guichet.ReminderSpec{DaysBefore: -1, Hour: 9})
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 1, "this event's recap at least (the serial tests before may have left events)")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM events WHERE id = $1 AND status = 'done'`, w.event.ID))

	title := "### Bilan — " + w.event.Name
	draft := w.coord.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, title) && mmrig.Button(p, "Publier le bilan") != nil
	})
	require.Contains(t, draft.Message, "Brouillon du bilan de "+w.event.Name)
	require.Contains(t, draft.Message, "Convenu\u202f: 2\u202f400,00\u00a0€")
	require.Contains(t, draft.Message, "livraisons déclarées\u202f: 0 part sur 2\u202f; 1 montant ajusté")
	require.Contains(t, draft.Message, "dû après ajustements\u202f: **2\u202f200,00\u00a0€**")
	require.Empty(t, draft.FileIds)
	isRecap := func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.HasPrefix(p.Message, title) && len(p.FileIds) > 0
	}
	posts, err := rig.BotPosts(ctx, client.Id)
	require.NoError(t, err)
	for _, p := range posts {
		require.NotContains(t, p.Message, title, "the client sees nothing before it is published")
	}

	// Someone who reads the coordination channel but does not coordinate the event.
	watch := w.observer.Watch(t)
	require.NoError(t, w.observer.Click(t, draft.Id, "Publier le bilan"))
	refused := watch.Ephemeral(t, func(p *model.Post) bool { return p.ChannelId == w.coordChannel.Id })
	require.NotContains(t, refused.Message, "C'est fait")
	require.Zero(t, count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap' AND (payload->>'event_id')::bigint = $1`, w.event.ID))

	// The coordinator publishes it.
	coordWatch := w.coord.Watch(t)
	require.NoError(t, w.coord.Click(t, draft.Id, "Publier le bilan"))
	done := coordWatch.Ephemeral(t, func(p *model.Post) bool { return p.ChannelId == w.coordChannel.Id })
	require.Contains(t, done.Message, "C'est fait\u202f: le bilan de **"+w.event.Name+"** est publié")
	final := w.coord.WaitPost(t, w.coordChannel.Id, isRecap)
	require.Contains(t, final.Message, "2\u202f200,00\u00a0€")
	clientPost := w.observer.WaitPost(t, client.Id, isRecap)
	require.Equal(t, final.Message, clientPost.Message)
	rig.WaitPostByID(t, draft.Id, func(p *model.Post) bool {
		return mmrig.Button(p, "Publier le bilan") == nil && strings.Contains(p.Message, "publié** par @"+w.coord.Username)
	})
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit_trail WHERE event_id = $1 AND action = 'recap.publish' AND actor_id = $2`,
		w.event.ID, w.coord.ID), "audited under the coordinator's user id")

	// Published once.
	out := say(t, w.coord, w.coordChannel.Id, "/guichet bilan "+w.event.Slug)
	require.Contains(t, out, "est déjà publié")
	rig.Eventually(t, "the event recapped", func(ctx context.Context) error {
		e, err := rig.DB().Event(ctx, w.event.ID)
		if err != nil {
			return err
		}
		if e.Status != guichet.EventRecapped {
			return errStatus(e.Status)
		}
		return nil
	})
	for _, ch := range []string{w.coordChannel.Id, client.Id} {
		posts, err := rig.BotPosts(ctx, ch)
		require.NoError(t, err)
		recaps := 0
		for _, p := range posts {
			if isRecap(p) {
				recaps++
			}
		}
		require.Equal(t, 1, recaps, "one recap per channel")
	}
}

type errStatus guichet.EventStatus

func (e errStatus) Error() string { return "status " + string(e) }
