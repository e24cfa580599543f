// Package commands is the /guichet slash-command language: it parses what people type into
// typed commands (Parse), runs them against the store and Mattermost (Handler, which
// implements guichet.CommandHandler), and reads the CSV import formats (ReadSuppliers,
// ReadLots). Every answer comes from the catalogues, in the event's language or the default
// one; the recap's text comes from package report.
package commands

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// Store is what the commands need from persistence; *db.DB satisfies it.
type Store interface {
	guichet.Store
	guichet.CoordinatorStore
	guichet.DeliveryStore
	guichet.WaitlistStore
	guichet.ClientLinkStore
	guichet.QuoteStore
	guichet.InvoiceStore
	// Enqueue writes one outbox message, due at once.
	Enqueue(ctx context.Context, kind guichet.OutboxKind, p guichet.OutboxPayload) error
	// SupplierLots returns the lots on which the suppliers hold active claims, with those
	// claims.
	SupplierLots(ctx context.Context, supplierIDs []int64) ([]*guichet.LotState, error)
	// LotHistory returns the lot's audit entries, oldest first.
	LotHistory(ctx context.Context, lotID int64) ([]*guichet.AuditEntry, error)
	// LotsByCode returns the lots with that code in events in progress.
	LotsByCode(ctx context.Context, code string) ([]*guichet.Lot, error)
	// BindPendingMembers binds the supplier's pending memberships to the user ids given by
	// username, and returns how many it bound.
	BindPendingMembers(ctx context.Context, actor guichet.Actor, supplierID int64, ids map[string]string) (int, error)
	// SendRemindersNow queues the event's reminder of kind now, to the coordinator and to
	// every structure holding an awarded lot, and returns how many it queued. EINVALID
	// "ErrEventDraft" or "ErrReminderKind" (a kind not in the event's schedule).
	SendRemindersNow(ctx context.Context, actor guichet.Actor, eventID int64, kind guichet.ReminderKind) (int, error)
	// PreviewReminders returns what SendRemindersNow would send, changing nothing: the
	// reminders (the coordinator's first, SupplierID nil) and the board they are made from.
	PreviewReminders(ctx context.Context, eventID int64, kind guichet.ReminderKind) ([]*guichet.Reminder, *guichet.Board, error)
	// RecapData reads the event's recap data (report.Build uses it).
	report.Store
	// QueueRecap asks for the event's recap to be posted, with its audit entry.
	QueueRecap(ctx context.Context, actor guichet.Actor, eventID int64) error
	// RecordPayment records a payment to the structure for the event and returns its balance
	// after it. EINVALID "ErrPaymentAmount", "ErrPaymentNothingAgreed"; ECONFLICT
	// "ErrPaymentTooMuch".
	RecordPayment(ctx context.Context, actor guichet.Actor, eventID, supplierID int64, amount guichet.Cents, note string) (*guichet.Balance, error)
}

// Deps are the handler's dependencies.
type Deps struct {
	Store   Store
	Chat    guichet.Chat
	Access  *guichet.Access
	Catalog *l10n.Catalog
	// Sheets keeps the spreadsheets dropped in chat between preview and import (sheets.go);
	// nil when the handler previews none.
	Sheets guichet.SheetDropStore
	// Locale is the language of answers outside an event: "fr" (default) or "en".
	Locale string
	// Now returns the current time; defaults to time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// ClientLinkURL returns the address of a client link's page (bot.Bot.ClientLinkURL);
	// without it, client-link answers with an internal error.
	ClientLinkURL func(*guichet.ClientLink) string
	// Issuer is the network that issues the client's documents (its PaymentDays is the
	// invoices' term when the event sets none; 0 means guichet.DefaultPaymentDays), and Legal
	// the mentions they print (config [issuer] and [legal]; Legal defaults to
	// guichet.DefaultLegalMentions).
	Issuer guichet.Issuer
	Legal  guichet.LegalMentions
}

// Handler runs the command language. It is safe for concurrent use.
type Handler struct {
	store  Store
	chat   guichet.Chat
	access *guichet.Access
	cat    *l10n.Catalog
	sheets guichet.SheetDropStore
	locale string
	now    func() time.Time
	log    *slog.Logger
	// clientLinkURL is Deps.ClientLinkURL.
	clientLinkURL func(*guichet.ClientLink) string
	issuer        guichet.Issuer
	legal         guichet.LegalMentions
}

var _ guichet.CommandHandler = (*Handler)(nil)

// New returns a Handler.
func New(d Deps) *Handler {
	h := &Handler{store: d.Store, chat: d.Chat, access: d.Access, cat: d.Catalog, sheets: d.Sheets, locale: l10n.Locale(d.Locale), now: d.Now, log: d.Logger,
		clientLinkURL: d.ClientLinkURL, issuer: d.Issuer, legal: d.Legal}
	if h.legal == (guichet.LegalMentions{}) {
		h.legal = guichet.DefaultLegalMentions()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.cat == nil {
		h.cat = l10n.New()
	}
	return h
}

// maxReply keeps answers under Mattermost's post size (16383 characters).
const maxReply = 15000

// call is one command being run: the request and the language of the answer, which becomes
// the event's once the event is known.
type call struct {
	actor     guichet.Actor
	channelID string
	teamID    string
	triggerID string
	locale    string
	// fileID is the file posted with the words (guichet.CommandRequest.FileID).
	fileID string
	// role is who may run the command; for roleEventCoordinator, checked is set once the
	// actor's right on the event it acts on has been checked (Handler.entered).
	role    role
	checked bool
	// releases are the « Libérer » buttons the answer carries (mylots).
	releases []guichet.ReleaseButton
}

// t renders a catalogue message in the call's language.
func (h *Handler) t(c *call, id string, args map[string]any) string {
	return h.cat.T(c.locale, id, args)
}

// HandleCommand implements guichet.CommandHandler: it parses and runs the command and
// answers privately. Errors meant for people are answered in their language; other errors
// are logged and answered with the generic message.
func (h *Handler) HandleCommand(ctx context.Context, req guichet.CommandRequest) guichet.CommandReply {
	c := &call{actor: req.Actor, channelID: req.ChannelID, teamID: req.TeamID, triggerID: req.TriggerID, locale: h.locale, fileID: req.FileID}
	if e, err := h.store.EventByChannel(ctx, req.ChannelID); err == nil {
		c.locale = l10n.Locale(e.Locale)
	}
	cmd, err := Parse(req.Text)
	name := "parse"
	var text string
	if err == nil {
		name = cmd.CommandName()
		text, err = h.run(ctx, c, cmd)
	}
	if err != nil {
		if guichet.AsError(err) == nil || guichet.ErrorCode(err) == guichet.EINTERNAL {
			h.log.Error("command failed", "command", name, "user", req.Actor.Username, "error", err)
		}
		text = Message(h.cat, c.locale, err)
	}
	if err != nil {
		c.releases = nil
	}
	return guichet.CommandReply{Text: clip(text, h.t(c, "CmdTruncated", nil)), Releases: c.releases}
}

// clip cuts text to maxReply bytes at a line break, ending with more.
func clip(text, more string) string {
	if len(text) <= maxReply {
		return text
	}
	cut := strings.LastIndexByte(text[:maxReply], '\n')
	if cut < 0 {
		cut = maxReply
	}
	return text[:cut] + "\n" + more
}

// run checks the role the command needs and runs it. A command acting on an event is checked
// once its event is known: Handler.event and Handler.lot, the only ways commands find the
// event they act on, refuse an actor who does not coordinate it before anything is done.
// Before that, someone who coordinates no event at all is refused at once.
func (h *Handler) run(ctx context.Context, c *call, cmd Command) (string, error) {
	if s := specFor(cmd.CommandName()); s != nil {
		c.role = s.role
	}
	if c.role != roleAnyone {
		if err := h.access.RequireAnyCoordinator(ctx, c.actor); err != nil {
			return "", err
		}
	}
	text, err := h.dispatch(ctx, c, cmd)
	if err == nil && c.role == roleEventCoordinator && !c.checked {
		// A command of an event that never looked its event up: a bug, not to be shown as a
		// success.
		return "", fmt.Errorf("command %q ran without checking its event's coordinators", cmd.CommandName())
	}
	return text, err
}

// dispatch runs the command.
func (h *Handler) dispatch(ctx context.Context, c *call, cmd Command) (string, error) {
	switch cmd := cmd.(type) {
	case Help:
		return h.help(c, cmd.Topic)
	case EventCreate:
		return h.eventCreate(ctx, c, cmd)
	case EventList:
		return h.eventList(ctx, c)
	case EventShow:
		return h.eventShow(ctx, c, cmd)
	case EventEdit:
		return h.eventEdit(ctx, c, cmd)
	case EventCancel:
		return h.eventCancel(ctx, c, cmd)
	case EventEditDialog:
		return h.openEventEditDialog(ctx, c, cmd)
	case LotEditDialog:
		return h.openLotEditDialog(ctx, c, cmd)
	case SupplierAdd:
		return h.supplierAdd(ctx, c, cmd)
	case SupplierList:
		return h.supplierList(ctx, c)
	case SupplierImport:
		return h.openSupplierImport(ctx, c)
	case SupplierEdit:
		return h.supplierEdit(ctx, c, cmd)
	case Quote:
		return h.quote(ctx, c, cmd)
	case LotAdd:
		return h.lotAdd(ctx, c, cmd)
	case LotList:
		return h.lotList(ctx, c, cmd)
	case LotCancel:
		return h.lotCancel(ctx, c, cmd)
	case LotEdit:
		return h.lotEdit(ctx, c, cmd)
	case LotImport:
		return h.openLotImport(ctx, c, cmd)
	case Publish:
		return h.publish(ctx, c, cmd)
	case Status:
		return h.status(ctx, c, cmd)
	case Award:
		return h.award(ctx, c, cmd)
	case Decline:
		return h.decline(ctx, c, cmd)
	case Claim:
		return h.claim(ctx, c, cmd)
	case Release:
		return h.release(ctx, c, cmd)
	case Remind:
		return h.remind(ctx, c, cmd)
	case Recap:
		return h.recap(ctx, c, cmd)
	case Paid:
		return h.paid(ctx, c, cmd)
	case InvoiceRecord:
		return h.invoice(ctx, c, cmd)
	case InvoiceList:
		return h.invoices(ctx, c, cmd)
	case Adjust:
		return h.adjust(ctx, c, cmd)
	case Promote:
		return h.promote(ctx, c, cmd)
	case MyLots:
		return h.myLots(ctx, c)
	case History:
		return h.history(ctx, c, cmd)
	case ClientLink:
		return h.clientLink(ctx, c, cmd)
	case Relaunch:
		return h.relaunch(ctx, c, cmd)
	case CoordinatorAdd:
		return h.coordinatorAdd(ctx, c, cmd)
	case CoordinatorRemove:
		return h.coordinatorRemove(ctx, c, cmd)
	case CoordinatorList:
		return h.coordinatorList(ctx, c, cmd)
	case SupplierBind:
		return h.supplierBind(ctx, c, cmd)
	}
	return "", guichet.Errorf(guichet.EINVALID, "CmdUnknown", "Word", cmd.CommandName())
}

// event returns the event named by slug, or the one bound to the call's channel when slug is
// empty, and answers in its language from then on. For a coordinator's command, it is
// EFORBIDDEN unless the actor coordinates that event (see entered).
func (h *Handler) event(ctx context.Context, c *call, slug string) (*guichet.Event, error) {
	var e *guichet.Event
	var err error
	if slug != "" {
		e, err = h.store.EventBySlug(ctx, slug)
	} else {
		e, err = h.store.EventByChannel(ctx, c.channelID)
	}
	if err != nil {
		return nil, err
	}
	return e, h.entered(ctx, c, e)
}

// entered is called whenever a command learns the event it acts on: it answers in the
// event's language from then on and, for a command of the event's coordinators, returns
// EFORBIDDEN unless the actor is an administrator or one of them.
func (h *Handler) entered(ctx context.Context, c *call, e *guichet.Event) error {
	c.locale = l10n.Locale(e.Locale)
	if c.role != roleEventCoordinator {
		return nil
	}
	if err := h.access.RequireEventCoordinator(ctx, c.actor, e); err != nil {
		return err
	}
	c.checked = true
	return nil
}

// lot finds the lot a reference names: in its event when given, else in the channel's event,
// else among the events in progress when only one has a lot with that code.
func (h *Handler) lot(ctx context.Context, c *call, ref LotRef) (*guichet.Lot, *guichet.Event, error) {
	return h.findLot(ctx, c, ref, false)
}

// lotAndSupplier finds the lot a coordinator's command names (lot) and the structure it names
// (by slug or name, as SupplierByRef does), for the commands that act on one structure's part
// of a lot.
func (h *Handler) lotAndSupplier(ctx context.Context, c *call, ref LotRef, supplier string) (*guichet.Lot, *guichet.Supplier, error) {
	l, _, err := h.lot(ctx, c, ref)
	if err != nil {
		return nil, nil, err
	}
	s, err := h.store.SupplierByRef(ctx, supplier)
	if err != nil {
		return nil, nil, err
	}
	return l, s, nil
}

// findLot is lot; with hideDrafts, lots of draft events the actor does not coordinate are not
// found: a reference to one (its event named, bound to the channel, or the only events with
// that code being such drafts) gets ECONFLICT "ErrEventNotPublished", which names no event nor
// lot.
func (h *Handler) findLot(ctx context.Context, c *call, ref LotRef, hideDrafts bool) (*guichet.Lot, *guichet.Event, error) {
	hidden := func(e *guichet.Event) (bool, error) {
		if !hideDrafts || e.Status != guichet.EventDraft {
			return false, nil
		}
		coordinates, err := h.access.IsEventCoordinator(ctx, c.actor, e.ID)
		return !coordinates, err
	}
	// found is a lot's event, once found: entered (the event's language, the coordinator's
	// check) unless the event is hidden from the actor.
	found := func(e *guichet.Event) error {
		hide, err := hidden(e)
		if err != nil {
			return err
		}
		if hide {
			return guichet.Errorf(guichet.ECONFLICT, "ErrEventNotPublished")
		}
		return h.entered(ctx, c, e)
	}
	if ref.Event != "" {
		var e *guichet.Event
		var err error
		if e, err = h.store.EventBySlug(ctx, ref.Event); err != nil {
			return nil, nil, err
		}
		if err := found(e); err != nil {
			return nil, nil, err
		}
		l, err := h.store.LotByCode(ctx, e.ID, ref.Code)
		return l, e, err
	}
	e, err := h.store.EventByChannel(ctx, c.channelID)
	if err == nil {
		if err := found(e); err != nil {
			return nil, nil, err
		}
		l, err := h.store.LotByCode(ctx, e.ID, ref.Code)
		return l, e, err
	}
	if guichet.ErrorCode(err) != guichet.ENOTFOUND {
		return nil, nil, err
	}
	all, err := h.store.LotsByCode(ctx, ref.Code)
	if err != nil {
		return nil, nil, err
	}
	var lots []*guichet.Lot
	var events []*guichet.Event
	drafts := 0
	for _, l := range all {
		e, err := h.store.Event(ctx, l.EventID)
		if err != nil {
			return nil, nil, err
		}
		hide, err := hidden(e)
		if err != nil {
			return nil, nil, err
		}
		if hide {
			drafts++
			continue
		}
		lots, events = append(lots, l), append(events, e)
	}
	switch len(lots) {
	case 0:
		if drafts > 0 {
			return nil, nil, guichet.Errorf(guichet.ECONFLICT, "ErrEventNotPublished")
		}
		return nil, nil, guichet.Errorf(guichet.ENOTFOUND, "ErrLotNotFound", "Code", ref.Code)
	case 1:
		if err := h.entered(ctx, c, events[0]); err != nil {
			return nil, nil, err
		}
		return lots[0], events[0], nil
	}
	var choices []string
	for i, l := range lots {
		choices = append(choices, "`"+events[i].Slug+"/"+l.Code+"`")
	}
	return nil, nil, guichet.Errorf(guichet.EINVALID, "CmdAmbiguousLot", "Code", ref.Code, "Choices", strings.Join(choices, ", "))
}

// location returns the event's time zone, Paris if it cannot be loaded.
func location(e *guichet.Event) *time.Location {
	if loc, err := e.Location(); err == nil {
		return loc
	}
	loc, err := time.LoadLocation(guichet.DefaultTimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// lines joins non-empty lines.
func lines(ls ...string) string {
	var out []string
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// quoteList writes names for a message: « Kenja », « Regart's ».
func (h *Handler) quoteList(c *call, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = h.t(c, "CmdQuoted", map[string]any{"Value": n})
	}
	return strings.Join(out, ", ")
}
