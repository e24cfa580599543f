package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

const btnQuestion = "Une question"

// askQuestion has structure i's member ask question about lot from its offer, and returns the
// offer and the question's thread root in the coordination channel.
func askQuestion(t *testing.T, w *world, i int, lot *guichet.Lot, question string) (offer, root *model.Post) {
	t.Helper()
	offer = w.offerPost(t, i, lot, btnQuestion)
	watch := w.members[i].Watch(t)
	require.NoError(t, w.members[i].Click(t, offer.Id, btnQuestion))
	dlg := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "question" })
	resp := submitDialog(t, w.members[i], w.channels[i].Id, dlg, map[string]any{"question": question})
	require.Empty(t, resp.Errors)
	root = w.coord.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == "" && strings.Contains(p.Message, question) &&
			strings.Contains(p.Message, lot.Code) && strings.Contains(p.Message, w.suppliers[i].Name) &&
			strings.Contains(p.Message, w.event.Name) && strings.Contains(p.Message, w.members[i].Username)
	})
	return offer, root
}

// reply posts message as u in the thread rooted at root.
func reply(t *testing.T, u *mmrig.User, root *model.Post, message string) *model.Post {
	t.Helper()
	p, _, err := u.Client.CreatePost(context.Background(), &model.Post{ChannelId: root.ChannelId, RootId: root.Id, Message: message})
	require.NoError(t, err)
	return p
}

// countReplies counts the bot's posts in the thread of root in channelID that hold text.
func countReplies(t *testing.T, u *mmrig.User, channelID, rootID, text string) int {
	t.Helper()
	posts, err := u.Posts(context.Background(), channelID)
	require.NoError(t, err)
	n := 0
	for _, p := range posts {
		if p.UserId == rig.BotUserID() && p.RootId == rootID && strings.Contains(p.Message, text) {
			n++
		}
	}
	return n
}

// A structure asks a question from the offer; the coordinator answers in the coordination
// thread; the structure reads the answer under the offer, and its reply there comes back to
// the coordination thread. The observer's messages in the thread are not relayed.
func TestQuestionOnALotRelayedBothWays(t *testing.T) {
	t.Parallel()
	dumpBotLog(t)
	w := newWorld(t, "lsnq", "Traiteur Question")
	lot := w.addLot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner des délégués", Quantity: 120, Unit: "couverts", Budget: 240000})
	w.publish(t, 1)

	// An empty or too long question keeps the dialog open, saying why; nothing is sent.
	offer0 := w.offerPost(t, 0, lot, btnQuestion)
	watch := w.members[0].Watch(t)
	require.NoError(t, w.members[0].Click(t, offer0.Id, btnQuestion))
	dlg := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "question" })
	require.Contains(t, dlg.Dialog.IntroductionText, "Traiteur Question")
	resp := submitDialog(t, w.members[0], w.channels[0].Id, dlg, map[string]any{"question": "   "})
	require.Contains(t, resp.Errors["question"], "La question est vide")
	resp = submitDialog(t, w.members[0], w.channels[0].Id, dlg, map[string]any{"question": strings.Repeat("é", 1001)})
	require.Contains(t, resp.Errors["question"], "La question est trop longue\u202f: 1001 caractères, 1000 au plus")
	require.Zero(t, count(t, `SELECT count(*) FROM lot_questions WHERE lot_id = $1`, lot.ID))

	question := "Faut-il prévoir des repas végétariens\u202f?"
	offer, root := askQuestion(t, w, 0, lot, question)
	// The question is also shown under the offer, where the answer will come.
	w.members[0].WaitPost(t, w.channels[0].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == offer.Id && strings.Contains(p.Message, question)
	})

	answer := "Oui, une trentaine, merci."
	reply(t, w.coord, root, answer)
	reply(t, w.observer, root, "Je ne suis pas coordinatrice.")
	w.members[0].WaitPost(t, w.channels[0].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == offer.Id && strings.Contains(p.Message, answer) &&
			strings.Contains(p.Message, w.coord.Username)
	})

	back := "Entendu, nous prévoyons 30 couverts végétariens."
	reply(t, w.members[0], offer, back)
	w.coord.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == root.Id && strings.Contains(p.Message, back) &&
			strings.Contains(p.Message, w.suppliers[0].Name)
	})
	require.Equal(t, 1, countReplies(t, w.members[0], w.channels[0].Id, offer.Id, answer), "the answer is relayed once")
	require.Equal(t, 0, countReplies(t, w.members[0], w.channels[0].Id, offer.Id, "pas coordinatrice"), "only coordinators' replies are relayed")
	require.Equal(t, 1, countReplies(t, w.coord, w.coordChannel.Id, root.Id, back), "the structure's reply is relayed once")
}

// Not parallel: it stops the bot, which every other test needs.
//
// The bot is stopped while the coordinator answers: once it is back, it catches up and
// relays the answer once.
func TestQuestionAnswerWrittenWhileTheBotIsDownIsRelayedOnce(t *testing.T) {
	dumpBotLog(t)
	w := newWorld(t, "lsndown", "Fleurs Question")
	lot := w.addLot(t, &guichet.Lot{Code: "FLE", Title: "Fleurs de scène", Quantity: 30, Unit: "bouquets", Budget: 90000})
	w.publish(t, 1)
	offer, root := askQuestion(t, w, 0, lot, "Quelles couleurs pour les bouquets\u202f?")

	require.NoError(t, rig.StopBot(syscall.SIGTERM))
	answer := "Blanc et vert, aux couleurs de la Ville."
	reply(t, w.coord, root, answer)
	require.NoError(t, rig.StartBot(context.Background()))

	w.members[0].WaitPost(t, w.channels[0].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == offer.Id && strings.Contains(p.Message, answer)
	})
	// A second restart reads the same posts again and relays nothing more.
	require.NoError(t, rig.RestartBot(context.Background(), syscall.SIGTERM))
	next := "Et du lierre si possible."
	reply(t, w.coord, root, next)
	w.members[0].WaitPost(t, w.channels[0].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == offer.Id && strings.Contains(p.Message, next)
	})
	require.Equal(t, 1, countReplies(t, w.members[0], w.channels[0].Id, offer.Id, answer), "the answer is relayed once")
}

// Not parallel: it stops the rig's bot and runs two replicas in its place.
//
// With two replicas, which both hear every reply, a question's answer reaches the structure
// once and the structure's reply the coordination once.
func TestQuestionRelayedOnceByTwoReplicas(t *testing.T) {
	dumpBotLog(t)
	w := newWorld(t, "lsnrepq", "Sono Question")
	lot := w.addLot(t, &guichet.Lot{Code: "SON", Title: "Sonorisation", Quantity: 1, Unit: "salle", Budget: 150000})
	startReplicas(t, 2)
	w.publish(t, 1)
	offer, root := askQuestion(t, w, 0, lot, "Combien de micros HF\u202f?")

	answer := "Quatre micros HF et deux pupitres."
	reply(t, w.coord, root, answer)
	back := "Parfait, c'est noté."
	reply(t, w.members[0], offer, back)
	w.members[0].WaitPost(t, w.channels[0].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == offer.Id && strings.Contains(p.Message, answer)
	})
	w.coord.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && p.RootId == root.Id && strings.Contains(p.Message, back)
	})
	// Both replicas have read both replies by now (each relay follows its reply).
	rig.Eventually(t, "both replies handled", func(ctx context.Context) error {
		if n := count(t, `SELECT count(*) FROM question_relays r JOIN lot_questions q ON q.id = r.question_id
			WHERE q.lot_id = $1 AND r.source_post_id NOT LIKE 'question:%'`, lot.ID); n != 2 {
			return fmt.Errorf("%d relays", n)
		}
		return nil
	})
	require.Equal(t, 1, countReplies(t, w.members[0], w.channels[0].Id, offer.Id, answer))
	require.Equal(t, 1, countReplies(t, w.coord, w.coordChannel.Id, root.Id, back))
}
