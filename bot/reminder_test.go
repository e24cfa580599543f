package bot

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// reminderBundle is a published event (15 April 2011, Paris) with two structures holding lots
// — the first with two members — and one lot still open, on a real database and a fake
// Mattermost.
type reminderBundle struct {
	*dispatchBundle
	sups []*guichet.Supplier
	lots []*guichet.Lot
}

// j1 is the J-1 reminders' time: 14 April 2011, 09:00 in Paris.
var j1 = time.Date(2011, 4, 14, 7, 0, 0, 0, time.UTC)

func setupReminders(t *testing.T, delivery string) *reminderBundle {
	t.Helper()
	bd := setupDispatch(t)
	bd.bot.reminderDelivery = delivery
	bd.mm.set(func(f *fakeMM) { f.users["coord"] = &model.User{Id: coordActor.UserID, Username: "coord"} })
	sups := bd.suppliers(t, 2, "resto", "restauration")
	sups[0].Members = append(sups[0].Members, guichet.Member{UserID: "resto0-second", Username: "resto0b"})
	require.NoError(t, bd.db.UpsertSuppliers(bd.ctx, coordActor, sups[:1]))
	lots := []*guichet.Lot{
		bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 100, Unit: "couverts",
			Budget: 300000, Mode: guichet.Shared, MaxSuppliers: 2, SlotStart: "12:00", SlotEnd: "14:00", Place: "Salle 2"}),
		bd.lot(t, &guichet.Lot{Code: "PCM", Title: "Pause café", Category: "restauration", Quantity: 1, Budget: 45000}),
		bd.lot(t, &guichet.Lot{Code: "APE", Title: "Apéritif", Category: "restauration", Quantity: 1, Budget: 30000}),
	}
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	for _, c := range []guichet.ClaimRequest{
		{Actor: guichet.Actor{UserID: "resto0-user"}, LotID: lots[0].ID, SupplierID: sups[0].ID, Quantity: 60},
		{Actor: guichet.Actor{UserID: "resto1-user"}, LotID: lots[0].ID, SupplierID: sups[1].ID, Quantity: 40},
		{Actor: guichet.Actor{UserID: "resto1-user"}, LotID: lots[1].ID, SupplierID: sups[1].ID},
	} {
		_, err := bd.db.Claim(bd.ctx, c, time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC))
		require.NoError(t, err)
	}
	bd.drain(t, bd.bot)
	return &reminderBundle{dispatchBundle: bd, sups: sups, lots: lots}
}

// takeJ1 lets the scheduler's side take the J-1 reminders and the dispatcher deliver them.
func (rb *reminderBundle) takeJ1(t *testing.T) {
	t.Helper()
	sent, _, err := rb.db.TakeDueReminders(rb.ctx, j1, 100)
	require.NoError(t, err)
	require.Equal(t, 3, sent, "the coordinator and two structures")
	rb.drain(t, rb.bot)
}

func (rb *reminderBundle) reminderOf(t *testing.T, s *guichet.Supplier) *guichet.Reminder {
	t.Helper()
	conf, err := rb.db.Confirmations(rb.ctx, rb.event.ID)
	require.NoError(t, err)
	for _, r := range conf {
		if *r.SupplierID == s.ID {
			return r
		}
	}
	t.Fatalf("no reminder for %s", s.Name)
	return nil
}

// onlyPost returns the one reminder among posts (offers share the structures' channels).
func onlyPost(t *testing.T, posts []*model.Post) *model.Post {
	t.Helper()
	var out []*model.Post
	for _, p := range posts {
		if a := p.Attachments(); len(a) > 0 && strings.Contains(a[0].Pretext, "Rappel") {
			out = append(out, p)
		}
	}
	require.Len(t, out, 1)
	return out[0]
}

func actionNames(a *model.MessageAttachment) []string {
	var out []string
	for _, act := range a.Actions {
		out = append(out, act.Id)
	}
	return out
}

func TestReminderByDirectMessageToEachMember(t *testing.T) {
	rb := setupReminders(t, DeliverDM)
	rb.takeJ1(t)

	for _, dm := range []string{"dm-resto0-user", "dm-resto0-second"} {
		att := attachmentOf(t, onlyPost(t, rb.mm.postsIn(dm)))
		require.Contains(t, att.Pretext, "Rappel J-1")
		require.Contains(t, att.Text, "Bonjour **resto 0**\u202f! C'est demain")
		require.Contains(t, att.Text, "**DEJ** — Déjeuner\u202f: 60 couverts, de 12 h 00 à 14 h 00, Salle 2 — 1\u202f800,00\u00a0€")
		require.NotContains(t, att.Text, "PCM", "only its own lots")
		require.Contains(t, att.Text, "Votre contact\u202f: @coord")
		require.Equal(t, []string{actionConfirm, actionProblem}, actionNames(att))
	}
	att := attachmentOf(t, onlyPost(t, rb.mm.postsIn("dm-resto1-user")))
	require.Contains(t, att.Text, "**PCM** — Pause café\u202f: 1 — 450,00\u00a0€")
	require.Contains(t, att.Text, "Montant pour votre structure\u202f: **1\u202f650,00\u00a0€**")
	for _, p := range rb.mm.postsIn("resto-0-channel") {
		require.NotContains(t, attachmentOf(t, p).Pretext, "Rappel", "nothing in the channel in dm mode")
	}

	var digest *model.Post
	for _, p := range rb.mm.postsIn("coord-channel") {
		if a := attachmentsOf(p); len(a) > 0 && strings.Contains(a[0].Pretext, "le point pour la coordination") {
			require.Nil(t, digest, "one digest")
			digest = p
		}
	}
	require.NotNil(t, digest)
	datt := attachmentOf(t, digest)
	require.Contains(t, datt.Text, "2 structures reçoivent leur rappel")
	require.Contains(t, datt.Text, "**APE** — Apéritif\u202f: il manque 1 sur 1")
	require.NotContains(t, datt.Text, "DEJ")
	require.Equal(t, []string{actionRelaunch}, actionNames(datt))
	require.Equal(t, 4, rb.count(t, `SELECT count(*) FROM outbox_targets`), "three DMs and the digest, each recorded")
}

func attachmentsOf(p *model.Post) []*model.MessageAttachment { return p.Attachments() }

func TestReminderInTheStructuresChannel(t *testing.T) {
	rb := setupReminders(t, DeliverChannel)
	rb.takeJ1(t)
	att := attachmentOf(t, onlyPost(t, rb.mm.postsIn("resto-0-channel")))
	require.Contains(t, att.Text, "**DEJ**")
	require.Empty(t, rb.mm.postsIn("dm-resto0-user"))
	onlyPost(t, rb.mm.postsIn("resto-1-channel"))
}

// A delivery cut short midway (one member's DM fails) is retried for that member only.
func TestReminderRetryReachesOnlyTheMissingTargets(t *testing.T) {
	rb := setupReminders(t, DeliverDM)
	rb.mm.set(func(f *fakeMM) { f.refuse["dm-resto0-second"] = http.StatusServiceUnavailable })
	sent, _, err := rb.db.TakeDueReminders(rb.ctx, j1, 100)
	require.NoError(t, err)
	require.Equal(t, 3, sent)
	_, err = rb.bot.DeliverDue(rb.ctx)
	require.NoError(t, err)
	require.Len(t, rb.mm.postsIn("dm-resto0-user"), 1)
	require.Empty(t, rb.mm.postsIn("dm-resto0-second"))
	require.Equal(t, 1, rb.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND delivered_at IS NULL AND last_error <> ''`))

	rb.mm.set(func(f *fakeMM) { delete(f.refuse, "dm-resto0-second") })
	posts := rb.mm.countCalls("POST /api/v4/posts")
	rb.bot.outboxNow = func() time.Time { return time.Now().Add(time.Hour) }
	rb.drain(t, rb.bot)
	require.Len(t, rb.mm.postsIn("dm-resto0-second"), 1)
	require.Len(t, rb.mm.postsIn("dm-resto0-user"), 1)
	require.Equal(t, 1, rb.mm.countCalls("POST /api/v4/posts")-posts, "the member already reached is not posted to again")
}

func TestReminderTooLateIsNotPosted(t *testing.T) {
	rb := setupReminders(t, DeliverDM)
	sent, _, err := rb.db.TakeDueReminders(rb.ctx, j1, 100)
	require.NoError(t, err)
	require.Equal(t, 3, sent)
	// Mattermost came back only on the event's day.
	rb.bot.now = func() time.Time { return time.Date(2011, 4, 15, 8, 0, 0, 0, time.UTC) }
	rb.drain(t, rb.bot)
	require.Empty(t, rb.mm.postsIn("dm-resto0-user"))
	require.Equal(t, 3, rb.count(t, `SELECT count(*) FROM reminders WHERE kind = 'j1' AND status = 'skipped' AND skip_reason = 'event_started'`))
	require.Zero(t, rb.count(t, `SELECT count(*) FROM outbox WHERE kind = 'reminder' AND delivered_at IS NULL`))
}

func TestConfirmFromTheReminder(t *testing.T) {
	rb := setupReminders(t, DeliverDM)
	rb.takeJ1(t)
	r := rb.reminderOf(t, rb.sups[0])
	post := onlyPost(t, rb.mm.postsIn("dm-resto0-second"))
	member := guichet.Actor{UserID: "resto0-second", Username: "resto0b"}
	req := ActionRequest{Actor: member, ChannelID: "dm-resto0-second", PostID: post.Id,
		Fields: map[string]string{"reminder": strconv.FormatInt(r.ID, 10)}}

	_, err := rb.bot.confirmClicked(rb.ctx, ActionRequest{Actor: guichet.Actor{UserID: "resto1-user"},
		ChannelID: "dm-resto1-user", Fields: req.Fields})
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err), "another structure's member cannot confirm")

	reply, err := rb.bot.confirmClicked(rb.ctx, req)
	require.NoError(t, err)
	require.Equal(t, "Merci\u202f! La coordination voit votre confirmation.", reply.Ephemeral)
	att := attachmentOf(t, reply.Update)
	require.Contains(t, att.Text, "✅ Confirmé par @resto0b")
	require.Equal(t, []string{actionProblem}, actionNames(att), "no second confirmation button")
	require.Equal(t, post.Id, reply.Update.Id)

	reply, err = rb.bot.confirmClicked(rb.ctx, req)
	require.NoError(t, err)
	require.Equal(t, "C'était déjà confirmé\u202f: rien de plus à faire.", reply.Ephemeral)

	board, err := rb.db.Board(rb.ctx, rb.event.ID)
	require.NoError(t, err)
	section, err := rb.bot.ReminderBoardSection(rb.ctx, board)
	require.NoError(t, err)
	require.Contains(t, section, "**Confirmations du rappel J-1**")
	require.Contains(t, section, "✅ resto 0 — confirmé par @resto0b")
	require.Contains(t, section, "⏳ resto 1 — pas encore confirmé")
	rb.drain(t, rb.bot)
	require.Equal(t, 1, countMessages(rb.mm.postsIn("coord-channel"), "**resto 0** confirme sa participation (@resto0b)"))
	require.Equal(t, 1, countMessages(rb.mm.postsIn("coord-channel"), "✅ resto 0 — confirmé par @resto0b"), "the board shows it")
}

func countMessages(posts []*model.Post, text string) int {
	n := 0
	for _, p := range posts {
		if strings.Contains(p.Message, text) {
			n++
		}
	}
	return n
}

func TestProblemReachesTheCoordinator(t *testing.T) {
	rb := setupReminders(t, DeliverChannel)
	rb.takeJ1(t)
	r := rb.reminderOf(t, rb.sups[1])
	post := onlyPost(t, rb.mm.postsIn("resto-1-channel"))
	member := guichet.Actor{UserID: "resto1-user", Username: "resto1"}
	req := ActionRequest{Actor: member, ChannelID: "resto-1-channel", PostID: post.Id, TriggerID: "trigger-1",
		Fields: map[string]string{"reminder": strconv.FormatInt(r.ID, 10)}}

	_, err := rb.bot.problemClicked(rb.ctx, ActionRequest{Actor: guichet.Actor{UserID: "resto0-user"}, Fields: req.Fields})
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))
	_, err = rb.bot.problemClicked(rb.ctx, req)
	require.NoError(t, err)
	rb.mm.mu.Lock()
	require.Len(t, rb.mm.dialogs, 1)
	dlg := rb.mm.dialogs[0]
	rb.mm.mu.Unlock()
	require.Equal(t, "trigger-1", dlg.TriggerId)
	require.Equal(t, problemDialog, dlg.Dialog.CallbackId)
	require.Equal(t, problemField, dlg.Dialog.Elements[0].Name)
	require.LessOrEqual(t, len([]rune(dlg.Dialog.Title)), 24)

	state := strconv.FormatInt(r.ID, 10) + ":resto-1-channel:" + post.Id
	reply := rb.bot.problemSubmitted(rb.ctx, guichet.DialogSubmission{Actor: member, CallbackID: problemDialog,
		State: state, Submission: map[string]any{problemField: "  "}})
	require.Contains(t, reply.Errors[problemField], "Décrivez le souci", "an empty problem keeps the dialog open")

	text := "Le four est en panne\u202f: déjeuner froid, ou report à 13 h\u202f?"
	reply = rb.bot.problemSubmitted(rb.ctx, guichet.DialogSubmission{Actor: member, CallbackID: problemDialog,
		State: state, Submission: map[string]any{problemField: text}})
	require.Empty(t, reply.Errors)
	att := attachmentOf(t, rb.mm.post(post.Id))
	require.Contains(t, att.Text, "⚠️ Souci signalé\u202f: «\u202f"+text+"\u202f»")
	require.Equal(t, []string{actionConfirm, actionProblem}, actionNames(att), "the channel's buttons stay for every member")
	rb.drain(t, rb.bot)
	require.Equal(t, 1, countMessages(rb.mm.postsIn("coord-channel"), "**resto 1** signale un souci pour **Assises métropolitaines** (@resto1)\u202f: «\u202f"+text+"\u202f»"))
	require.Equal(t, 1, countMessages(rb.mm.postsIn("coord-channel"), "⚠️ resto 1 — souci\u202f: «\u202f"+text+"\u202f»"), "the board shows it")
}

func TestRelaunchFromTheDigest(t *testing.T) {
	rb := setupReminders(t, DeliverDM)
	rb.bot.access = guichet.NewAccess(rb.db)
	rb.takeJ1(t)
	// The coordinator clicks before the event is over, on the bot's clock.
	rb.db.Now = func() time.Time { return renderNow }
	var digestID int64
	require.NoError(t, rb.db.SQL().GetContext(rb.ctx, &digestID, `SELECT id FROM reminders WHERE kind = 'j1' AND supplier_id IS NULL`))
	fields := map[string]string{"reminder": strconv.FormatInt(digestID, 10)}

	_, err := rb.bot.relaunchClicked(rb.ctx, ActionRequest{Actor: guichet.Actor{UserID: "resto0-user", Username: "resto0"}, Fields: fields})
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err), "only a coordinator relaunches")
	// The coordinator of another event, even under the creator's name, relaunches nothing here.
	other := guichet.Actor{UserID: "other-coord", Username: "coord"}
	require.NoError(t, rb.db.CreateEvent(rb.ctx, other, &guichet.Event{Slug: "autre", Name: "Autre", Day: time.Date(2011, 5, 1, 0, 0, 0, 0, time.UTC)}))
	_, err = rb.bot.relaunchClicked(rb.ctx, ActionRequest{Actor: other, Fields: fields})
	require.Equal(t, "ErrAccessNotEventCoordinator", guichet.AsError(err).MessageID, "a coordinator of another event relaunches nothing")
	require.Equal(t, 0, rb.count(t, `SELECT count(*) FROM audit WHERE action = 'lot.relaunch'`))
	reply, err := rb.bot.relaunchClicked(rb.ctx, ActionRequest{Actor: coordActor, ChannelID: "coord-channel", PostID: "p", Fields: fields})
	require.NoError(t, err)
	require.Equal(t, "🔔 1 lot proposé de nouveau aux structures qui n'avaient pas répondu.", reply.Ephemeral)
	att := attachmentOf(t, reply.Update)
	require.Empty(t, att.Actions)
	require.Contains(t, att.Text, "Relancé par @coord")
	before := len(rb.mm.postsIn("resto-0-channel"))
	rb.drain(t, rb.bot)
	// As `relancer APE`: the offer posted anew at the bottom of each channel of a structure
	// that has not answered it, the older copy pointing to the new one.
	for _, ch := range []string{"resto-0-channel", "resto-1-channel"} {
		posts := rb.mm.postsIn(ch)
		last := posts[len(posts)-1]
		require.Contains(t, attachmentOf(t, last).Title, "APE", "%s: the new offer is the newest post", ch)
		var older *model.Post
		for _, p := range posts {
			if p.GetProp(propRelaunchedTo) == last.Id {
				older = p
			}
		}
		require.NotNil(t, older, "%s: the older copy points to the new one", ch)
		require.Contains(t, older.Message, "APE")
	}
	require.Len(t, rb.mm.postsIn("resto-0-channel"), before+1, "one new post, no separate notice")
	_, err = rb.bot.relaunchClicked(rb.ctx, ActionRequest{Actor: coordActor, ChannelID: "coord-channel", Fields: fields})
	require.Equal(t, "ErrRelaunchedAlready", guichet.AsError(err).MessageID)
}
