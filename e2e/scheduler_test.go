package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/scheduler"
)

// Labels of the reminder buttons, as people read them.
const (
	btnConfirm = "Je confirme"
	btnProblem = "Un souci"
)

// remindSoon moves the world's event so that its one reminder, J-1, falls lead ahead (rounded
// up to the minute) in the event's time zone, and returns when.
func (w *world) remindSoon(t *testing.T, lead time.Duration) time.Time {
	t.Helper()
	zone, err := w.event.Location()
	require.NoError(t, err)
	due := time.Now().Add(lead).Truncate(time.Minute).Add(time.Minute).In(zone)
	w.event.Day = time.Date(due.Year(), due.Month(), due.Day()+1, 0, 0, 0, 0, time.UTC)
	w.event.Reminders = fmt.Sprintf("J-1@%02d:%02d", due.Hour(), due.Minute())
	require.NoError(t, rig.DB().UpdateEvent(context.Background(), w.actor(), w.event))
	return due
}

// award gives the lot to structure i, as its member would by clicking.
func (w *world) award(t *testing.T, i int, lot *guichet.Lot, quantity int64) {
	t.Helper()
	_, err := rig.DB().Claim(context.Background(), guichet.ClaimRequest{
		Actor: guichet.Actor{UserID: w.members[i].ID, Username: w.members[i].Username}, LotID: lot.ID,
		SupplierID: w.suppliers[i].ID, Quantity: quantity}, time.Now())
	require.NoError(t, err)
}

// reminders returns the bot's J-1 reminders of the world's event in a channel.
func (w *world) reminders(ctx context.Context, channelID string) ([]*model.Post, error) {
	posts, err := rig.BotPosts(ctx, channelID)
	if err != nil {
		return nil, err
	}
	var out []*model.Post
	for _, p := range posts {
		text := mmrig.PostText(p)
		if strings.Contains(text, "Rappel J-1") && strings.Contains(text, w.event.Name) {
			out = append(out, p)
		}
	}
	return out, nil
}

// waitOneReminder waits for the J-1 reminder in a channel, checks after a few more scheduler
// ticks that it came once, and returns it.
func (w *world) waitOneReminder(t *testing.T, channelID string, within time.Duration) *model.Post {
	t.Helper()
	var got *model.Post
	rig.EventuallyWithin(t, within, "the J-1 reminder in "+channelID, func(ctx context.Context) error {
		posts, err := w.reminders(ctx, channelID)
		if err != nil {
			return err
		}
		if len(posts) == 0 {
			return fmt.Errorf("no reminder yet")
		}
		got = posts[0]
		return nil
	})
	time.Sleep(3 * time.Second) // three more scheduler ticks
	posts, err := w.reminders(context.Background(), channelID)
	require.NoError(t, err)
	require.Len(t, posts, 1, "the reminder came more than once")
	return got
}

// An event whose J-1 falls two minutes ahead: each structure's member gets the reminder once,
// by direct message, at that minute; "Je confirme" shows on the status board; "Un souci"
// opens a dialog whose text reaches the coordination channel.
func TestReminderArrivesOnTimeAndIsConfirmed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "rappel", "Traiteur Rappel", "Fleurs Rappel")
	dej := w.addLot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner rappel", Quantity: 120, Unit: "couverts",
		Budget: 360000, Mode: guichet.Shared, MaxSuppliers: 2, SlotStart: "12:00", SlotEnd: "14:00", Place: "Grand hall"})
	fleurs := w.addLot(t, &guichet.Lot{Code: "FLE", Title: "Fleurs rappel", Quantity: 1, Unit: "lot", Budget: 50000})
	due := w.remindSoon(t, 2*time.Minute)
	w.publish(t, 4)
	w.award(t, 0, dej, 80)
	w.award(t, 1, dej, 40)
	w.award(t, 1, fleurs, 0)

	dms := []string{directChannel(t, w.members[0]), directChannel(t, w.members[1])}
	first := w.waitOneReminder(t, dms[0], 4*time.Minute)
	second := w.waitOneReminder(t, dms[1], 30*time.Second)
	sentAt := time.UnixMilli(first.CreateAt)
	require.False(t, sentAt.Before(due), "sent at %s, before its time %s", sentAt, due)
	require.Less(t, sentAt.Sub(due), 30*time.Second, "sent at %s, late for %s", sentAt, due)

	text := mmrig.PostText(first)
	require.Contains(t, text, "Bonjour **Traiteur Rappel**\u202f! C'est demain")
	require.Contains(t, text, "**DEJ** — Déjeuner rappel\u202f: 80 couverts, de 12 h 00 à 14 h 00, Grand hall — 2\u202f400,00\u00a0€")
	require.NotContains(t, text, "FLE")
	require.Contains(t, text, "@"+w.coord.Username)
	require.ElementsMatch(t, []string{btnConfirm, btnProblem}, mmrig.Buttons(first))
	require.Contains(t, mmrig.PostText(second), "**FLE** — Fleurs rappel")
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		text := mmrig.PostText(p)
		return p.UserId == rig.BotUserID() && strings.Contains(text, "le point pour la coordination") &&
			strings.Contains(text, w.event.Name)
	})

	// "Je confirme": the reminder says so, and so does the status board.
	require.NoError(t, w.members[0].Click(t, first.Id, btnConfirm))
	rig.WaitPostByID(t, first.Id, func(p *model.Post) bool {
		return strings.Contains(mmrig.PostText(p), "Confirmé par @"+w.members[0].Username) && mmrig.Button(p, btnConfirm) == nil
	})
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "Tableau de bord") &&
			strings.Contains(p.Message, "✅ Traiteur Rappel — confirmé par @"+w.members[0].Username) &&
			strings.Contains(p.Message, "⏳ Fleurs Rappel — pas encore confirmé")
	})

	// "Un souci": a dialog; what the member types reaches the coordination channel.
	watch := w.members[1].Watch(t)
	require.NoError(t, w.members[1].Click(t, second.Id, btnProblem))
	dlg := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "reminder.problem" })
	problem := "La camionnette frigorifique est en panne\u202f: livraison à 11 h au lieu de 9 h, est-ce possible\u202f?"
	resp := submitDialog(t, w.members[1], dms[1], dlg, map[string]any{"problem": problem})
	require.Empty(t, resp.Errors)
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "**Fleurs Rappel** signale un souci") &&
			strings.Contains(p.Message, problem)
	})
	rig.WaitPostByID(t, second.Id, func(p *model.Post) bool {
		return strings.Contains(mmrig.PostText(p), "Souci signalé\u202f: «\u202f"+problem+"\u202f»")
	})
	require.Equal(t, 1, count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND problem = $2`, w.event.ID, problem))
	require.Equal(t, 3, count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND (payload->>'event_id')::bigint = $1`, w.event.ID),
		"one message per structure and one for the coordinator")
}

// Not parallel: it stops Mattermost, which every other test needs.
//
// Mattermost is down when the reminders fall due: the scheduler takes them on time, the
// dispatcher keeps them, and once Mattermost is back each member gets the reminder once.
func TestRemindersDueWhileMattermostIsDownArriveOnce(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, "panner", "Traiteur Panne", "Vaisselle Panne", "Sono Panne")
	var lots []*guichet.Lot
	for i := range w.suppliers {
		lots = append(lots, w.addLot(t, &guichet.Lot{Code: fmt.Sprintf("P%d", i), Title: fmt.Sprintf("Lot panne %d", i),
			Quantity: 1, Unit: "lot", Budget: 10000}))
	}
	due := w.remindSoon(t, 50*time.Second)
	w.publish(t, 9)
	for i, l := range lots {
		w.award(t, i, l, 0)
	}
	dms := make([]string, len(w.members))
	for i, m := range w.members {
		dms[i] = directChannel(t, m)
	}
	t.Cleanup(func() {
		// Leave Mattermost running for the other tests, whatever happened.
		_ = rig.StartMattermost(context.Background())
	})
	require.NoError(t, rig.StopMattermost())

	// The reminders fall due while Mattermost is down: taken once, tried, kept.
	rig.EventuallyWithin(t, 3*time.Minute, "the reminders taken and tried while Mattermost is down", func(ctx context.Context) error {
		if time.Now().Before(due) {
			return fmt.Errorf("not due before %s", due)
		}
		var rows []struct {
			Attempts  int        `db:"attempts"`
			Delivered *time.Time `db:"delivered_at"`
		}
		if err := rig.DB().SQL().SelectContext(ctx, &rows, `SELECT attempts, delivered_at FROM outbox
			WHERE kind = 'reminder' AND (payload->>'event_id')::bigint = $1`, w.event.ID); err != nil {
			return err
		}
		if len(rows) != 4 {
			return fmt.Errorf("%d reminder messages queued, want 4", len(rows))
		}
		for _, r := range rows {
			if r.Delivered != nil {
				return fmt.Errorf("a reminder was delivered while Mattermost was down")
			}
			if r.Attempts == 0 {
				return fmt.Errorf("not tried yet")
			}
		}
		return nil
	})
	require.Equal(t, 4, count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND status = 'sent'`, w.event.ID))
	time.Sleep(3 * time.Second)
	require.NoError(t, rig.StartMattermost(ctx))

	for i, dm := range dms {
		post := w.waitOneReminder(t, dm, 3*time.Minute)
		require.Contains(t, mmrig.PostText(post), fmt.Sprintf("Lot panne %d", i))
	}
	time.Sleep(5 * time.Second)
	for _, dm := range dms {
		posts, err := w.reminders(ctx, dm)
		require.NoError(t, err)
		require.Len(t, posts, 1, "each reminder arrives once")
	}
	require.Equal(t, 4, count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND (payload->>'event_id')::bigint = $1`, w.event.ID))
	require.Zero(t, count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND (payload->>'event_id')::bigint = $1
		AND delivered_at IS NULL`, w.event.ID))
}

// Three more schedulers run on the bot's database beside the one in `guichet serve`: when the
// reminders fall due, each structure's member still gets one post, and the outbox holds one
// message per reminder.
func TestFourSchedulersPostEachReminderOnce(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := newWorld(t, "quatre", "Accueil Quatre", "Vestiaire Quatre", "Navette Quatre", "Badges Quatre")
	var lots []*guichet.Lot
	for i := range w.suppliers {
		lots = append(lots, w.addLot(t, &guichet.Lot{Code: fmt.Sprintf("Q%d", i), Title: fmt.Sprintf("Lot quatre %d", i),
			Quantity: 1, Unit: "lot", Budget: 20000}))
	}
	w.remindSoon(t, time.Minute)
	w.publish(t, 16)
	for i, l := range lots {
		w.award(t, i, l, 0)
	}
	done := make(chan error, 3)
	for i := 0; i < 3; i++ {
		s, err := scheduler.New(scheduler.Deps{Store: rig.DB(), Tick: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		require.NoError(t, err)
		go func() { done <- s.Run(ctx) }()
	}
	for i, m := range w.members {
		post := w.waitOneReminder(t, directChannel(t, m), 3*time.Minute)
		require.Contains(t, mmrig.PostText(post), fmt.Sprintf("Lot quatre %d", i))
	}
	cancel()
	for i := 0; i < 3; i++ {
		require.NoError(t, <-done)
	}
	require.Equal(t, 5, count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND (payload->>'event_id')::bigint = $1`, w.event.ID),
		"one message per structure and one for the coordinator")
	require.Equal(t, 5, count(t, `SELECT count(*) FROM audit_trail WHERE event_id = $1 AND action = 'reminder.send'`, w.event.ID))
}
