package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// QuestionStore keeps the questions asked about lots and the replies relayed between their
// threads. *db.DB implements it.
type QuestionStore interface {
	// AskQuestion records a question of actor, a member of structure supplierID, about lot
	// lotID from the offer in channelID, and queues its post in the coordination channel (and
	// its echo under the offer). EINVALID for an empty or too long body, EFORBIDDEN for
	// someone who is not a member of the structure.
	AskQuestion(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, channelID, body string, now time.Time) (*guichet.LotQuestion, error)
	// Question returns the question with that id.
	Question(ctx context.Context, id int64) (*guichet.LotQuestion, error)
	// RecordQuestionPost records the question's thread root in the coordination channel,
	// unless one is recorded already.
	RecordQuestionPost(ctx context.Context, id int64, postID string) error
	// QuestionOfThread returns the question a thread (channel, root post) belongs to and
	// whether it is the coordination side; ENOTFOUND when it is no question's.
	QuestionOfThread(ctx context.Context, channelID, rootID string) (*guichet.LotQuestion, bool, error)
	// QueueRelay queues a reply's relay unless the reply was relayed already, and reports
	// whether it did.
	QueueRelay(ctx context.Context, r guichet.QuestionRelay) (bool, error)
}

const (
	// actionQuestion is the offer's « Une question » button.
	actionQuestion = "question"
	// questionDialog is the callback id of the dialog it opens; questionField its text.
	questionDialog = "question"
	questionField  = "question"
)

// questionButton returns the offer's « Une question » button, shown while the offer can be
// answered (claimed, or waited for) and, once the lot is filled, until the event is over: its
// holders may still have questions. nil otherwise.
func (b *Bot) questionButton(st *guichet.LotState, ev *guichet.Event, loc string) *model.PostAction {
	if ev == nil || ev.Over(b.now()) {
		return nil
	}
	if !b.claimable(st, ev) && !b.waitlistOpen(st, ev) && st.Lot.Status != guichet.LotFilled {
		return nil
	}
	return b.ActionButton(b.t(loc, "BtnListenQuestion"), actionQuestion, "default",
		map[string]string{"lot": strconv.FormatInt(st.Lot.ID, 10)}, "")
}

// questionClicked opens the question dialog at once (its trigger lives 3 seconds) for a
// member of a structure the offer is for: the structure whose channel the offer was clicked
// in, else the clicker's first structure serving the lot.
func (b *Bot) questionClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	click, reply, err := b.readOfferClick(ctx, req)
	if reply != nil || err != nil {
		return *reply, err
	}
	cands := click.cands
	if here := inChannel(cands, req.ChannelID); len(here) > 0 {
		cands = here
	}
	if len(cands) == 0 {
		return ActionReply{Ephemeral: b.t(click.loc, "ErrListenNotMember", "Code", click.st.Lot.Code)}, nil
	}
	s, lot := cands[0], click.st.Lot
	err = b.OpenDialog(ctx, req.TriggerID, req.Actor.UserID, guichet.Dialog{
		CallbackID:       questionDialog,
		Title:            b.t(click.loc, "DialogListenQuestionTitle"),
		IntroductionText: b.t(click.loc, "DialogListenQuestionIntro", "Code", lot.Code, "Title", lot.Title, "Supplier", s.Name, "Event", click.ev.Name),
		SubmitLabel:      b.t(click.loc, "DialogListenQuestionSubmit"),
		Elements: []guichet.DialogElement{{
			Name: questionField, DisplayName: b.t(click.loc, "DialogListenQuestionField"), Type: "textarea",
			HelpText: b.t(click.loc, "DialogListenQuestionHelp"), MaxLength: guichet.MaxNoteLength,
		}},
		State: strings.Join([]string{strconv.FormatInt(lot.ID, 10), strconv.FormatInt(s.ID, 10), req.ChannelID}, ":"),
	})
	if err != nil {
		return ActionReply{}, err
	}
	return ActionReply{}, nil
}

// questionSubmitted records the question typed in the dialog; the outbox posts it in the
// coordination channel and under the offer. An empty or too long text, or someone who is no
// longer a member of the structure, keeps the dialog open with the reason under the field.
func (b *Bot) questionSubmitted(ctx context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
	if sub.Cancelled {
		return guichet.DialogReply{}
	}
	parts := strings.SplitN(sub.State, ":", 3)
	var lotID, supplierID int64
	var err1, err2 error
	if len(parts) == 3 {
		lotID, err1 = strconv.ParseInt(parts[0], 10, 64)
		supplierID, err2 = strconv.ParseInt(parts[1], 10, 64)
	}
	if len(parts) != 3 || err1 != nil || err2 != nil {
		b.logger.Warn("question dialog with a malformed state", "state", sub.State)
		return guichet.DialogReply{Errors: map[string]string{questionField: b.t(b.locale, "MsgDialogGone")}}
	}
	channelID := parts[2]
	loc := b.locale
	if _, ev, l, err := b.lotView(ctx, lotID); err == nil && ev != nil {
		loc = l
	}
	fail := func(err error) guichet.DialogReply {
		return guichet.DialogReply{Errors: map[string]string{questionField: b.personError(loc, err)}}
	}
	text, _ := sub.Submission[questionField].(string)
	text = strings.TrimSpace(text)
	if text == "" {
		return fail(guichet.Errorf(guichet.EINVALID, "ErrListenQuestionEmpty"))
	}
	if err := guichet.QuestionText.Check(text); err != nil {
		return fail(err)
	}
	if _, err := b.access.SupplierFor(ctx, sub.Actor, supplierID); err != nil {
		return fail(err)
	}
	q, err := b.store.AskQuestion(ctx, sub.Actor, lotID, supplierID, channelID, text, b.now())
	if err != nil {
		return fail(err)
	}
	b.logger.Info("question asked", "question_id", q.ID, "lot_id", lotID, "supplier_id", supplierID, "user_id", sub.Actor.UserID)
	return guichet.DialogReply{}
}

// relayQuestionReply is the observer that relays the replies written in a question's threads:
// a coordinator's (or administrator's) reply in the coordination thread goes to the
// structure's channel under the offer; a reply under the offer in the structure's channel goes
// to the coordination thread. Replies by others in the coordination thread, posts that are no
// reply, and replies in other threads are left alone. The relay is queued once per reply.
func (b *Bot) relayQuestionReply(ctx context.Context, p *model.Post) error {
	if p.RootId == "" || strings.TrimSpace(p.Message) == "" {
		return nil
	}
	q, toStructure, err := b.store.QuestionOfThread(ctx, p.ChannelId, p.RootId)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if toStructure {
		actor := guichet.Actor{UserID: p.UserId}
		ok, err := b.access.IsEventCoordinator(ctx, actor, q.EventID)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
	queued, err := b.store.QueueRelay(ctx, guichet.QuestionRelay{
		QuestionID: q.ID, SourcePostID: p.Id, ToStructure: toStructure, AuthorID: p.UserId, Text: p.Message,
	})
	if err != nil {
		return err
	}
	if queued {
		b.logger.Info("question reply relayed", "question_id", q.ID, "post_id", p.Id, "to_structure", toStructure)
	}
	return nil
}

// deliverQuestion posts a question in its event's coordination channel, as a thread root, and
// records the post; a question already posted is left as it is.
func (b *Bot) deliverQuestion(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	q, err := b.questionOf(ctx, p)
	if err != nil {
		return "", err
	}
	if q.CoordPostID != "" {
		return q.CoordPostID, nil
	}
	ev, err := b.store.Event(ctx, q.EventID)
	if err != nil {
		return "", err
	}
	if ev.CoordChannelID == "" {
		return "", fmt.Errorf("%w: the event has no coordination channel", errBadMessage)
	}
	loc := b.eventLocale(ev)
	post := &model.Post{ChannelId: ev.CoordChannelID, Message: b.t(loc, "MsgListenQuestion",
		"Event", ev.Name, "Code", q.LotCode, "Title", q.LotTitle, "Supplier", q.SupplierName,
		"Author", b.displayName(ctx, q.AskedBy), "Text", quoteLines(q.Body))}
	created, err := b.client.CreatePost(ctx, post, dedupeKey(m, ev.CoordChannelID))
	if err != nil {
		return "", err
	}
	if err := b.store.RecordQuestionPost(ctx, q.ID, created.Id); err != nil {
		return "", err
	}
	return created.Id, nil
}

// deliverQuestionRelay posts a relayed reply (or the question's echo under the offer) in the
// other thread of its question: under the offer in the structure's channel, or under the
// question in the coordination channel (retried until the question is posted there).
func (b *Bot) deliverQuestionRelay(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	q, err := b.questionOf(ctx, p)
	if err != nil {
		return "", err
	}
	ev, err := b.store.Event(ctx, q.EventID)
	if err != nil {
		return "", err
	}
	loc := b.eventLocale(ev)
	toStructure, _ := p.Args["to_structure"].(bool)
	echo, _ := p.Args["echo"].(bool)
	authorID, _ := p.Args["author_id"].(string)
	text, _ := p.Args["text"].(string)
	author := b.displayName(ctx, authorID)
	post := &model.Post{}
	switch {
	case toStructure:
		post.ChannelId, post.RootId = q.OfferChannelID, q.OfferPostID
		post.Message = b.t(loc, "MsgListenReplyToStructure", "Author", author, "Code", q.LotCode, "Text", quoteLines(text))
		if echo {
			post.Message = b.t(loc, "MsgListenQuestionEcho", "Author", author, "Code", q.LotCode, "Text", quoteLines(text))
		}
	default:
		if q.CoordPostID == "" {
			return "", errors.New("the question is not posted in the coordination channel yet")
		}
		post.ChannelId, post.RootId = q.CoordChannelID, q.CoordPostID
		post.Message = b.t(loc, "MsgListenReplyToCoordination", "Author", author, "Supplier", q.SupplierName, "Text", quoteLines(text))
	}
	created, err := b.client.CreatePost(ctx, post, dedupeKey(m, post.ChannelId))
	if err != nil {
		return "", err
	}
	return created.Id, nil
}

// questionOf reads the question named by a payload's Args["question_id"].
func (b *Bot) questionOf(ctx context.Context, p guichet.OutboxPayload) (*guichet.LotQuestion, error) {
	// Args come back from JSON as a json.Number or a float64, depending on the decoder.
	id, err := strconv.ParseInt(fmt.Sprint(p.Args["question_id"]), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("%w: no question id", errBadMessage)
	}
	return b.store.Question(ctx, id)
}

// displayName is a user's username, for display only, the id when Mattermost does not say.
func (b *Bot) displayName(ctx context.Context, userID string) string {
	if userID == "" {
		return "?"
	}
	if name, err := b.Username(ctx, userID); err == nil && name != "" {
		return name
	}
	return userID
}

// quoteLines turns text into a Markdown quote, line by line.
func quoteLines(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}
