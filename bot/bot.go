// Package bot is Guichet's Mattermost adapter: the HTTP endpoints Mattermost calls (slash
// command, buttons, dialogs), the client the bot posts with, the outbox dispatcher that delivers
// every message the domain queues, and the rendering of offers and the status board.
//
// Every request is authenticated in verify.go before a handler runs. Posts are always rendered
// from the database: the bot never reads a Mattermost post to change it.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Store is everything the bot reads and writes in the database, in one interface: a store
// that lacks a method does not compile, so no feature is silently off. *db.DB satisfies it
// (checked in cmd/guichet). Errors meant for people are *guichet.Error; ENOTFOUND for an id
// that names nothing, unless said otherwise.
type Store interface {
	// Purchase orders (order.go).
	guichet.OrderStore

	// Offers and claims (action.go, offer.go, delivery.go, pass.go).

	// Event returns the event with that id.
	Event(ctx context.Context, id int64) (*guichet.Event, error)
	// Lot returns the lot with that id.
	Lot(ctx context.Context, id int64) (*guichet.Lot, error)
	// LotState returns the lot with its claims.
	LotState(ctx context.Context, lotID int64) (*guichet.LotState, error)
	// Board returns the event with every lot and its claims.
	Board(ctx context.Context, eventID int64) (*guichet.Board, error)
	// DeclineLot records « Pas pour nous » for the structures supplierIDs the actor is a
	// member of, and returns how many were newly recorded (guichet.DeclineStore).
	DeclineLot(ctx context.Context, actor guichet.Actor, lotID int64, supplierIDs []int64, now time.Time) (int, error)
	// JoinWaitlist and AcceptWaitlistOffer: a structure waits in a full first-come lot's line,
	// and takes the lot offered to it from there (guichet.WaitlistStore; waitlist.go).
	JoinWaitlist(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, now time.Time) (int, error)
	AcceptWaitlistOffer(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, now time.Time) (*guichet.WaitlistAnswer, error)
	// OfferPosts lists the posted copies of a lot's offer, each with the version of the lot's
	// state it was last rendered from; copies queued but not yet posted are left out.
	OfferPosts(ctx context.Context, lotID int64) ([]guichet.OfferPost, error)
	// RecordOffersShown records that the copies posts of the lot were just updated from its
	// state read at version (LotStates); if the lot changed since, the copies get no version,
	// and the next refresh updates them.
	RecordOffersShown(ctx context.Context, lotID int64, posts []guichet.OfferPost, version string) error
	// RecordOfferPost remembers a posted copy of an offer.
	RecordOfferPost(ctx context.Context, p guichet.OfferPost) error
	// ForgetOfferPost removes a copy of an offer queued but never posted (its delivery was
	// refused), so that publishing again queues it anew; a copy already posted is kept.
	ForgetOfferPost(ctx context.Context, lotID int64, channelID string) error
	// LotStates returns the states of the lots ids that exist, each with its version, a string
	// that changes whenever the lot or its claims change; a state is never older than its
	// version. It serves publications in batches (pass.go), as do OfferPostsOf and
	// RecordOfferDelivered.
	LotStates(ctx context.Context, ids []int64) (map[int64]*guichet.LotState, map[int64]string, error)
	// OfferPostsOf returns the posted copies of the offers of lots ids.
	OfferPostsOf(ctx context.Context, ids []int64) ([]guichet.OfferPost, error)
	// RecordOfferDelivered records, at once, copy p of an offer (rendered from the lot's state
	// at version) and outbox message msgID, held by token, delivered at now; when the lot
	// changed since version it also queues a refresh of the offer and returns true. A message
	// not held by token records nothing: guichet.ErrOutboxLeaseLost. msgID 0 records the copy
	// alone.
	RecordOfferDelivered(ctx context.Context, msgID, token int64, p guichet.OfferPost, now time.Time, version string) (bool, error)
	// Claim decides and records a claim, with the contract of guichet.ClaimStore.Claim.
	Claim(ctx context.Context, req guichet.ClaimRequest, now time.Time) (*guichet.ClaimResult, error)
	// Withdraw gives back a supplier's claim, with the contract of guichet.ClaimStore.Withdraw
	// (the « Libérer » button, release.go).
	Withdraw(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, reason string) (*guichet.Claim, error)
	// ReportDelivery records a structure's answer to « Livré comme prévu ? », with the
	// contract of guichet.DeliveryStore.ReportDelivery (delivered.go).
	ReportDelivery(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, r guichet.DeliveryReport, now time.Time) (*guichet.Delivery, *guichet.Claim, error)

	// Outbox (dispatcher.go, lease.go). TakeOutbox, RenewOutbox and what records an outcome
	// are fenced by the take's token: see lease.go.

	// Enqueue queues one message of kind, due at once.
	Enqueue(ctx context.Context, kind guichet.OutboxKind, p guichet.OutboxPayload) error
	// EnqueueGathered queues a message of kind due at at, unless one with the same kind and
	// payload is queued and not yet taken, which then stands for it.
	EnqueueGathered(ctx context.Context, kind guichet.OutboxKind, p guichet.OutboxPayload, at time.Time) error
	// TakeOutbox leases up to limit of the oldest due messages (and the urgent ones among the
	// newest) for lease, hidden meanwhile from other takers, stamped with one new token, by
	// id. Messages not finished when the lease ends come back.
	TakeOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*guichet.OutboxMessage, error)
	// RenewOutbox extends to until the lease of the messages ids still held by token and
	// returns those.
	RenewOutbox(ctx context.Context, ids []int64, token int64, until time.Time) ([]int64, error)
	// MarkDelivered records that message id, held by token, was delivered, with the post it
	// created if any; guichet.ErrOutboxLeaseLost, recording nothing, when not held by token.
	MarkDelivered(ctx context.Context, id, token int64, postID string, now time.Time) error
	// MarkFailed records a failed attempt of message id, held by token, due again at retryAt;
	// guichet.ErrOutboxLeaseLost when not held by token.
	MarkFailed(ctx context.Context, id, token int64, cause string, retryAt time.Time) error
	// ReleaseOutbox gives back, in one statement, taken messages ids held by token that were
	// not attempted: due again at retryAt, with cause. Others are left as they are.
	ReleaseOutbox(ctx context.Context, ids []int64, token int64, cause string, retryAt time.Time) error
	// Park stops retrying message id, held by token, and keeps it with its cause for the
	// coordinator; guichet.ErrOutboxLeaseLost when not held by token.
	Park(ctx context.Context, id, token int64, cause string, now time.Time) error
	// OutboxCounts returns how many messages wait for delivery and how many are parked.
	OutboxCounts(ctx context.Context) (pending, parked int, err error)
	// NextOutboxDue returns when the earliest undelivered message falls due, false when none.
	NextOutboxDue(ctx context.Context) (time.Time, bool, error)

	// Status board (board.go).

	// BoardPostID returns the id of the event's status board post, "" when none yet.
	BoardPostID(ctx context.Context, eventID int64) (string, error)
	// SetBoardPostID records newPostID as the event's board post if the recorded one is still
	// oldPostID, and reports whether it did (of two dispatchers posting at once, one wins).
	SetBoardPostID(ctx context.Context, eventID int64, oldPostID, newPostID string) (bool, error)
	// EventCoordinatorIDs lists the user ids of the event's coordinators, the earliest added
	// first (mentioned in reminders, told directly when coordination refuses a message); none
	// for an unknown event.
	EventCoordinatorIDs(ctx context.Context, eventID int64) ([]string, error)

	// Reminders (reminder.go).

	// Supplier returns the structure with that id, with its categories and members.
	Supplier(ctx context.Context, id int64) (*guichet.Supplier, error)
	// Reminder returns the reminder with that id; ENOTFOUND "ErrReminderNotFound" otherwise.
	Reminder(ctx context.Context, id int64) (*guichet.Reminder, error)
	// Confirmations returns the event's reminders of its confirmation kind (its last, J-1 by
	// default) to structures with an awarded lot: confirmed (when, by whom), problem text,
	// status.
	Confirmations(ctx context.Context, eventID int64) ([]*guichet.Reminder, error)
	// ConfirmReminder records that actor, a member of the reminder's structure, confirms: a
	// problem is cleared, coordination told, the board refreshed. Again, changed is false.
	// EFORBIDDEN "ErrNotMember" for someone else.
	ConfirmReminder(ctx context.Context, actor guichet.Actor, reminderID int64) (r *guichet.Reminder, changed bool, err error)
	// ReportProblem records the problem text of actor, a member of the reminder's structure:
	// a confirmation is withdrawn, coordination gets the text, the board is refreshed. The
	// same text again changes nothing. EINVALID for an empty or too long text, EFORBIDDEN
	// "ErrNotMember".
	ReportProblem(ctx context.Context, actor guichet.Actor, reminderID int64, text string) (r *guichet.Reminder, changed bool, err error)
	// Relaunch offers again, from the coordinator's digest reminderID, every lot of the event
	// still open, and returns how many. Once per digest (ECONFLICT "ErrRelaunchedAlready");
	// ECONFLICT "ErrEventOver" once the event is over or no longer published.
	Relaunch(ctx context.Context, actor guichet.Actor, reminderID int64) (int, error)
	// MarkReminderLate records that reminder id could reach nobody before the event's day
	// began: it becomes skipped; one already skipped is left as is.
	MarkReminderLate(ctx context.Context, id int64, now time.Time) error
	// DeliveredTargets returns the targets (user or channel ids) outbox message outboxID has
	// reached already, with their post ids.
	DeliveredTargets(ctx context.Context, outboxID int64) (map[string]string, error)
	// RecordDeliveredTarget records that outbox message outboxID reached target with postID;
	// twice keeps the first post id.
	RecordDeliveredTarget(ctx context.Context, outboxID int64, target, postID string) error

	// Recaps (recap.go).

	// RecapData reads the event's recap data in one snapshot (see report.Store).
	RecapData(ctx context.Context, eventID int64) (*guichet.RecapData, error)
	// Document returns a stored document of the client's desk with its files
	// (guichet.QuoteStore).
	Document(ctx context.Context, id int64) (*guichet.StoredDocument, error)
	// RecapPostOf returns the recap post already made for (outboxID, channelID), "" when none.
	RecapPostOf(ctx context.Context, outboxID int64, channelID string) (string, error)
	// RecordRecapPost records a posted recap, its audit entry, and the event recapped, in one
	// transaction; the same (outbox, channel) twice changes nothing.
	RecordRecapPost(ctx context.Context, p guichet.RecapPost) error
	// QueueRecap publishes the event's recap, once (guichet.RecapStore.QueueRecap).
	QueueRecap(ctx context.Context, actor guichet.Actor, eventID int64) error
	// The recap draft's post, re-rendered while the recap is not published (draftrecap.go).
	guichet.RecapDraftStore

	// Ping checks that the database answers (the readiness probe).
	Ping(ctx context.Context) error

	// The client page (clientgate.go, clientpage.go).
	guichet.ClientPageStore
	// What the WebSocket listener has read (listen.go).
	ListenStore
	// Questions on a lot and the replies relayed between their threads (question.go).
	QuestionStore
}

// Deps is what New needs. Store, Access, Catalog, Client, Signer, CommandTokens and PublicURL
// are required; Commands may be set later with SetCommands.
type Deps struct {
	Store    Store
	Commands guichet.CommandHandler
	Access   *guichet.Access
	Catalog  *l10n.Catalog
	Client   *Client
	Signer   *Signer
	// CommandTokens are the /guichet command's tokens; requests must carry one of them.
	CommandTokens []string
	// PublicURL is the bot's base URL as Mattermost reaches it; buttons and dialogs point to
	// PublicURL + "/mattermost/action" and "/mattermost/dialog".
	PublicURL string
	// Locale is the default language of messages, "fr" when empty.
	Locale string
	// Now returns the current time; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics default to a new set (NewMetrics).
	Metrics *Metrics

	// ListenOutbox, when set, listens for the database's notifications that outbox messages
	// were queued and calls onNotify with each one's payload until ctx ends or stop is called
	// (db.ListenOutbox); the dispatcher wakes on them. Without it the dispatcher only polls.
	// Claims do not notify: see Bot.Wake.
	ListenOutbox func(ctx context.Context, onNotify func(payload string)) (stop func())
	// PollInterval is how often the dispatcher looks for due messages when nothing wakes it.
	// Default 2s.
	PollInterval time.Duration
	// EditGap is the least time between two edits of an offer (or of a board) that claims ask
	// for: the claims of a burst in between are shown by one edit at the end of the gap (see
	// claimed). Default 3s; negative, every batch of claims edits at once.
	EditGap time.Duration
	// OutboxInFlight is how many offers the dispatcher posts at once, to different channels
	// (see deliverAll). Default 2; 1 delivers one message after the other.
	OutboxInFlight int
	// OutboxLease is how long the messages the dispatcher takes are hidden from other
	// dispatchers before it must renew its hold on them (see lease.go). Default 2m.
	OutboxLease time.Duration
	// ButtonTTL is how long a button stays valid after its post was last rendered. Default 180
	// days (offer posts are re-rendered, and so re-signed, whenever their lot changes).
	ButtonTTL time.Duration
	// DialogTTL is how long an opened dialog may wait for its submission. Default 2h.
	DialogTTL time.Duration
	// ReminderDelivery is where structures get their reminders: DeliverDM (to each member,
	// the default) or DeliverChannel (the structure's channel).
	ReminderDelivery string
	// Issuer and Legal are the network that issues the client's documents and the legal
	// mentions they print (the configuration's [issuer] and [legal]); purchase orders wait
	// for the issuer's name and legal profile (order.go).
	Issuer guichet.Issuer
	Legal  guichet.LegalMentions
}

// Bot is the Mattermost adapter: client, HTTP endpoints, outbox dispatcher, rendering.
type Bot struct {
	store     Store
	commands  atomic.Pointer[commandHandlerBox]
	access    *guichet.Access
	catalog   *l10n.Catalog
	client    *Client
	signer    *Signer
	tokens    []string
	publicURL string
	locale    string
	now       func() time.Time
	logger    *slog.Logger
	metrics   *Metrics

	readyMu       sync.Mutex
	readyWarnings map[string][]string

	listenOutbox func(ctx context.Context, onNotify func(payload string)) (stop func())
	pollInterval time.Duration
	editGap      time.Duration
	edits        editGate
	buttonTTL    time.Duration
	dialogTTL    time.Duration
	// handlerTimeout, usernameTimeout and unansweredWait are the constants of the same names;
	// tests shorten them.
	handlerTimeout, usernameTimeout, unansweredWait time.Duration
	// reminderDelivery is DeliverDM or DeliverChannel.
	reminderDelivery string
	// issuer and legal are Deps.Issuer and Deps.Legal.
	issuer guichet.Issuer
	legal  guichet.LegalMentions
	// inFlight is Deps.OutboxInFlight.
	inFlight int
	// outboxLease is Deps.OutboxLease; deliveryTimeout and leaseMargin are the constants of the
	// same names (tests shorten them).
	outboxLease, deliveryTimeout, leaseMargin time.Duration
	// jitter returns a number in [0, 1) for retry backoffs; tests fix it.
	jitter func() float64
	// outboxNow is the outbox's clock: the database's, real time, whatever Deps.Now says.
	outboxNow func() time.Time
	// wake wakes the dispatcher (see Wake); gathering is set while a gathered wake-up waits.
	wake      chan struct{}
	gathering atomic.Bool

	mu      sync.RWMutex
	actions map[string]ActionHandler
	dialogs map[string]DialogHandler
	outbox  map[guichet.OutboxKind]OutboxHandler
	// observers are told of the posts people write (observe.go).
	observers []PostObserver
	// sheets reads the spreadsheets coordinators drop in chat (sheets.go); nil until SetSheets.
	sheets guichet.SheetImporter
	// listen is the WebSocket listener's state (listen.go).
	listen *listener
}

type commandHandlerBox struct{ h guichet.CommandHandler }

var _ guichet.Chat = (*Bot)(nil)

// New checks d and returns the Bot with every action, dialog and outbox handler of routes.go
// registered.
func New(d Deps) (*Bot, error) {
	switch {
	case d.Store == nil:
		return nil, errors.New("bot: Store is required")
	case d.Access == nil:
		return nil, errors.New("bot: Access is required")
	case d.Catalog == nil:
		return nil, errors.New("bot: Catalog is required")
	case d.Client == nil:
		return nil, errors.New("bot: Client is required")
	case d.Signer == nil:
		return nil, errors.New("bot: Signer is required")
	}
	tokens := make([]string, 0, len(d.CommandTokens))
	for _, t := range d.CommandTokens {
		if t = strings.TrimSpace(t); t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		return nil, errors.New("bot: at least one command token is required")
	}
	u, err := url.Parse(d.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bot: PublicURL %q is not an http(s) URL", d.PublicURL)
	}
	b := &Bot{
		store: d.Store, access: d.Access, catalog: d.Catalog, client: d.Client, signer: d.Signer,
		tokens: tokens, publicURL: strings.TrimRight(d.PublicURL, "/"), locale: l10n.Locale(d.Locale),
		now: d.Now, logger: d.Logger, metrics: d.Metrics,
		listenOutbox: d.ListenOutbox, pollInterval: d.PollInterval, editGap: d.EditGap, buttonTTL: d.ButtonTTL, dialogTTL: d.DialogTTL,
		handlerTimeout: handlerTimeout, usernameTimeout: usernameTimeout, unansweredWait: unansweredWait,
		deliveryTimeout: deliveryTimeout, leaseMargin: leaseMargin,
		jitter: randFloat, outboxNow: time.Now, wake: make(chan struct{}, 1),
		actions: map[string]ActionHandler{}, dialogs: map[string]DialogHandler{},
		outbox: map[guichet.OutboxKind]OutboxHandler{},
	}
	b.reminderDelivery = d.ReminderDelivery
	b.issuer, b.legal = d.Issuer, d.Legal
	b.inFlight = d.OutboxInFlight
	b.outboxLease = d.OutboxLease
	if b.outboxLease <= 0 {
		b.outboxLease = outboxLease
	}
	if b.inFlight <= 0 {
		b.inFlight = 2
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	if b.metrics == nil {
		b.metrics = NewMetrics()
	}
	if b.pollInterval <= 0 {
		b.pollInterval = 2 * time.Second
	}
	if b.editGap == 0 {
		b.editGap = 3 * time.Second
	}
	if b.buttonTTL <= 0 {
		b.buttonTTL = 180 * 24 * time.Hour
	}
	if b.dialogTTL <= 0 {
		b.dialogTTL = 2 * time.Hour
	}
	if d.Commands != nil {
		b.SetCommands(d.Commands)
	}
	b.listen = newListener(b.client, b.metrics)
	b.registerRoutes()
	return b, nil
}

// SetCommands sets the slash-command handler (built after the Bot, which it uses as its Chat).
func (b *Bot) SetCommands(h guichet.CommandHandler) {
	b.commands.Store(&commandHandlerBox{h: h})
}

func (b *Bot) commandHandler() guichet.CommandHandler {
	if box := b.commands.Load(); box != nil {
		return box.h
	}
	return nil
}

// Client returns the bot's Mattermost client.
func (b *Bot) Client() *Client { return b.client }

// Metrics returns the bot's metrics.
func (b *Bot) Metrics() *Metrics { return b.metrics }

// OutboxHandler delivers one outbox message of a kind and returns the id of the post it
// created, if any. A Permanent error parks the message; any other is retried with backoff.
// Handlers must be idempotent: a message may be delivered again after a crash.
type OutboxHandler func(ctx context.Context, msg *guichet.OutboxMessage, p guichet.OutboxPayload) (postID string, err error)

// HandleOutbox registers the handler of an outbox kind, replacing any before it.
func (b *Bot) HandleOutbox(kind guichet.OutboxKind, h OutboxHandler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outbox[kind] = h
}

// ActionRequest is a verified button click.
type ActionRequest struct {
	Actor                                guichet.Actor
	ChannelID, TeamID, PostID, TriggerID string
	// Fields are the values the button was issued with, checked against its signature.
	Fields map[string]string
}

// ActionReply answers a click: Update replaces the clicked post (nil leaves it), Ephemeral is
// shown to the clicker only.
type ActionReply struct {
	Update    *model.Post
	Ephemeral string
}

// ActionHandler handles the clicks on buttons of one action. An error is shown to the clicker
// (cat.Error) and, if it is not a *guichet.Error, logged.
type ActionHandler func(ctx context.Context, req ActionRequest) (ActionReply, error)

var actionNameRe = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// HandleAction registers the handler of buttons made with ActionButton(…, action, …). Action
// names are letters and digits only (Mattermost ignores clicks on other ids); HandleAction
// panics otherwise.
func (b *Bot) HandleAction(action string, h ActionHandler) {
	if !actionNameRe.MatchString(action) {
		panic(fmt.Sprintf("bot: action name %q: letters and digits only", action))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.actions[action] = h
}

// ActionButton returns a button that calls the handler registered for action with fields,
// signed, valid for the Bot's ButtonTTL and, when userID is not empty, for that user only.
// style is "default", "primary", "success", "good", "warning" or "danger" ("" for default).
// The button's id is the action name: a post has at most one button per action.
func (b *Bot) ActionButton(label, action, style string, fields map[string]string, userID string) *model.PostAction {
	if !actionNameRe.MatchString(action) {
		panic(fmt.Sprintf("bot: action name %q: letters and digits only", action))
	}
	return &model.PostAction{
		Id:    action,
		Type:  model.PostActionTypeButton,
		Name:  label,
		Style: style,
		Integration: &model.PostActionIntegration{
			URL:     b.publicURL + "/mattermost/action",
			Context: b.signer.ButtonContext(action, fields, userID, b.now().Add(b.buttonTTL)),
		},
	}
}

// DialogHandler handles submissions of the dialogs whose callback id begins with a prefix.
type DialogHandler func(ctx context.Context, sub guichet.DialogSubmission) guichet.DialogReply

// HandleDialog registers h for dialogs whose callback id begins with callbackPrefix (the
// longest registered prefix wins). Callback ids beginning with "cmd." always go to the
// CommandHandler.
func (b *Bot) HandleDialog(callbackPrefix string, h DialogHandler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dialogs[callbackPrefix] = h
}

func (b *Bot) dialogHandler(callbackID string) DialogHandler {
	if strings.HasPrefix(callbackID, "cmd.") {
		if ch := b.commandHandler(); ch != nil {
			return ch.HandleDialog
		}
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var best string
	var h DialogHandler
	for p, ph := range b.dialogs {
		if strings.HasPrefix(callbackID, p) && (h == nil || len(p) > len(best)) {
			best, h = p, ph
		}
	}
	return h
}

// Username returns the current username of a user id, cached a few minutes: for display
// only, never to decide a right.
func (b *Bot) Username(ctx context.Context, userID string) (string, error) {
	return b.client.username(ctx, userID)
}

// UserByUsername implements guichet.Chat.
func (b *Bot) UserByUsername(ctx context.Context, username string) (string, error) {
	return b.client.UserByUsername(ctx, username)
}

// ChannelByName implements guichet.Chat.
func (b *Bot) ChannelByName(ctx context.Context, teamID, name string) (string, error) {
	return b.client.ChannelByName(ctx, teamID, name)
}

// JoinChannel implements guichet.Chat.
func (b *Bot) JoinChannel(ctx context.Context, channelID string) error {
	return b.client.JoinChannel(ctx, channelID)
}

// OpenDialog implements guichet.Chat: d.State is signed, bound to userID, d.CallbackID and the
// Bot's DialogTTL, and the dialog posts to PublicURL + "/mattermost/dialog".
func (b *Bot) OpenDialog(ctx context.Context, triggerID, userID string, d guichet.Dialog) error {
	md := model.Dialog{
		CallbackId:       d.CallbackID,
		Title:            d.Title,
		IntroductionText: harmlessText(d.IntroductionText),
		SubmitLabel:      d.SubmitLabel,
		State:            b.signer.DialogState(d.CallbackID, userID, d.State, b.now().Add(b.dialogTTL)),
	}
	for _, e := range d.Elements {
		me := model.DialogElement{
			DisplayName: e.DisplayName, Name: e.Name, Type: e.Type, SubType: e.SubType,
			Default: e.Default, HelpText: e.HelpText, Optional: e.Optional, MaxLength: e.MaxLength,
		}
		for _, o := range e.Options {
			me.Options = append(me.Options, &model.PostActionOptions{Text: o.Text, Value: o.Value})
		}
		md.Elements = append(md.Elements, me)
	}
	return b.client.OpenInteractiveDialog(ctx, model.OpenDialogRequest{
		TriggerId: triggerID, URL: b.publicURL + "/mattermost/dialog", Dialog: md,
	})
}

// eventLocale returns the locale of an event's messages, the Bot's default when unknown.
func (b *Bot) eventLocale(e *guichet.Event) string {
	if e != nil && e.Locale != "" {
		return l10n.Locale(e.Locale)
	}
	return b.locale
}
