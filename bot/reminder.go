package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Reminders: the J-7 and J-1 messages the scheduler queues (guichet.OutboxReminder), their
// buttons ("Je confirme", "Un souci", "Relancer") and the "Un souci" dialog.

// Actions of the reminder buttons (letters and digits only) and the problem dialog's callback.
const (
	actionConfirm  = "remindconfirm"
	actionProblem  = "remindproblem"
	actionRelaunch = "remindrelaunch"
	problemDialog  = "reminder.problem"
	// problemField is the dialog's text field.
	problemField = "problem"
)

// Reminder delivery modes (configuration key reminder_delivery).
const (
	// DeliverDM sends a structure's reminder as a direct message to each of its members.
	DeliverDM = "dm"
	// DeliverChannel posts it in the structure's channel.
	DeliverChannel = "channel"
)

// reminderView is everything one reminder message is made of, read from the database at
// delivery (or click) time.
type reminderView struct {
	r        *guichet.Reminder
	board    *guichet.Board
	supplier *guichet.Supplier // nil: the coordinator's digest
	// confirm is true for the event's last reminder before it (J-1 by default), which
	// structures confirm.
	confirm bool
	days    int
	// contact is how structures reach the event's coordinators ("@anne, @yann").
	contact string
	loc     string
}

func (b *Bot) reminderView(ctx context.Context, r *guichet.Reminder) (*reminderView, error) {
	board, err := b.store.Board(ctx, r.EventID)
	if err != nil {
		return nil, err
	}
	ev := board.Event
	v := &reminderView{r: r, board: board, loc: b.eventLocale(ev)}
	v.days, _ = strconv.Atoi(strings.TrimPrefix(string(r.Kind), "j"))
	if specs, err := guichet.ParseReminders(ev.Reminders); err == nil && len(specs) > 0 {
		v.confirm = specs[len(specs)-1].Kind() == r.Kind
	}
	if r.SupplierID != nil {
		if v.supplier, err = b.store.Supplier(ctx, *r.SupplierID); err != nil {
			return nil, err
		}
		if v.contact, err = b.coordinatorContacts(ctx, ev); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// coordinatorContacts writes the event's coordinators as mentions looked up by their ids,
// "@anne, @yann", in the order they were added; "" when it has none.
func (b *Bot) coordinatorContacts(ctx context.Context, ev *guichet.Event) (string, error) {
	ids, err := b.store.EventCoordinatorIDs(ctx, ev.ID)
	if err != nil {
		return "", err
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = b.client.userMention(ctx, id)
	}
	return strings.Join(out, ", "), nil
}

// heldLot is a structure's awarded claim on a lot that is not cancelled.
type heldLot struct {
	lot   *guichet.Lot
	claim *guichet.Claim
}

func (v *reminderView) held() []heldLot {
	var out []heldLot
	for _, st := range v.board.Lots {
		if st.Lot.Status == guichet.LotCancelled {
			continue
		}
		for _, c := range st.Awarded() {
			if c.SupplierID == v.supplier.ID {
				out = append(out, heldLot{st.Lot, c})
			}
		}
	}
	return out
}

func kindLabel(kind guichet.ReminderKind) string {
	return "J-" + strings.TrimPrefix(string(kind), "j")
}

// eventStarted reports whether the day reminder r counts back from (its own Day, or the
// event's) has begun in the event's time zone at now.
func eventStarted(ev *guichet.Event, r *guichet.Reminder, now time.Time) bool {
	start, err := ev.LocalTime(guichet.DaysBetween(ev.Day, reminderDay(ev, r)), 0, 0)
	return err == nil && !now.Before(start)
}

// reminderDay returns the day reminder r counts back from: its own Day, or the event's.
func reminderDay(ev *guichet.Event, r *guichet.Reminder) time.Time {
	if r != nil && r.Day != nil {
		return *r.Day
	}
	return ev.Day
}

// deliverReminder posts reminder p.ReminderID, rendered from the database now: the
// coordinator's digest in the coordination channel, or a structure's reminder to each of its
// members (DeliverDM) or in its channel (DeliverChannel). Each target reached is recorded, so
// a retry (a DM refused, Mattermost down midway) reaches only the others. A reminder whose
// structure no longer holds a lot, or that comes after the event's day has begun (Mattermost
// was down), posts nothing. It returns the first post's id.
func (b *Bot) deliverReminder(ctx context.Context, msg *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.ReminderID == 0 {
		return "", fmt.Errorf("%w: reminder without its id", errBadMessage)
	}
	r, err := b.store.Reminder(ctx, p.ReminderID)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		b.logger.Info("reminder gone before delivery", "reminder_id", p.ReminderID)
		return "", nil
	}
	if err != nil {
		return "", err
	}
	v, err := b.reminderView(ctx, r)
	if err != nil {
		return "", err
	}
	ev := v.board.Event
	if ev.Status == guichet.EventCancelled {
		b.logger.Info("reminder not posted: the event is cancelled", "reminder_id", r.ID, "event", ev.Slug)
		return "", nil
	}
	if eventStarted(ev, r, b.now()) {
		b.logger.Info("reminder not posted: the event has begun", "reminder_id", r.ID, "event", ev.Slug)
		return "", b.store.MarkReminderLate(ctx, r.ID, b.now())
	}
	if v.supplier == nil {
		if ev.CoordChannelID == "" {
			return "", nil
		}
		return b.postReminder(ctx, msg, "channel:"+ev.CoordChannelID, ev.CoordChannelID, b.digestPost(v, ev.CoordChannelID, nil))
	}
	if len(v.held()) == 0 {
		b.logger.Info("reminder not posted: the structure holds no lot any more", "reminder_id", r.ID, "supplier", v.supplier.Name)
		return "", nil
	}
	done, err := b.store.DeliveredTargets(ctx, msg.ID)
	if err != nil {
		return "", err
	}
	var first string
	var refused error
	reached := 0
	for _, tg := range b.reminderTargets(ctx, v.supplier) {
		if postID, ok := done[tg.key]; ok {
			reached++
			first = firstNonEmpty(first, postID)
			continue
		}
		channelID := tg.channelID
		if channelID == "" {
			if channelID, err = b.client.DirectChannel(ctx, tg.userID); err != nil {
				if Permanent(err) {
					refused = err
					b.logger.Warn("reminder: no direct channel with a member", "reminder_id", r.ID, "user_id", tg.userID, "error", err)
					continue
				}
				return "", err
			}
		}
		postID, err := b.postReminder(ctx, msg, tg.key, channelID, b.supplierReminderPost(v, channelID, tg.userID))
		if err != nil {
			if Permanent(err) {
				refused = err
				b.logger.Warn("reminder refused for one target", "reminder_id", r.ID, "target", tg.key, "error", err)
				continue
			}
			return "", err
		}
		reached++
		first = firstNonEmpty(first, postID)
	}
	if reached == 0 {
		if refused == nil {
			refused = fmt.Errorf("%w: structure %s has neither a channel nor members", errBadMessage, v.supplier.Name)
		}
		return "", refused
	}
	return first, nil
}

// postReminder creates the post for one target and records it.
func (b *Bot) postReminder(ctx context.Context, msg *guichet.OutboxMessage, key, channelID string, post *model.Post) (string, error) {
	created, err := b.client.CreatePost(ctx, post, dedupeKey(msg, channelID))
	if err != nil {
		return "", err
	}
	if err := b.store.RecordDeliveredTarget(ctx, msg.ID, key, created.Id); err != nil {
		return "", err
	}
	return created.Id, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// reminderTarget is one place a structure's reminder goes: a member (userID, to a direct
// channel; its buttons are bound to that member) or the structure's channel.
type reminderTarget struct {
	key       string
	userID    string
	channelID string
}

// reminderTargets returns where a structure's reminder goes: its members bound to a
// Mattermost user id (DeliverDM, the default; pending members are skipped), or its channel (DeliverChannel); each falls back on the
// other when the structure has none.
func (b *Bot) reminderTargets(ctx context.Context, s *guichet.Supplier) []reminderTarget {
	channel := func() []reminderTarget {
		if s.ChannelID == "" {
			return nil
		}
		return []reminderTarget{{key: "channel:" + s.ChannelID, channelID: s.ChannelID}}
	}
	members := func() []reminderTarget {
		var out []reminderTarget
		seen := map[string]bool{}
		for _, m := range s.Members {
			uid := m.UserID
			if uid == "" {
				// A pending member (imported without an account) gets nothing until a
				// coordinator binds it: a name is never resolved at delivery.
				b.logger.Info("reminder: member pending, not bound to an account", "supplier", s.Name, "username", m.Username)
				continue
			}
			if !seen[uid] {
				seen[uid] = true
				out = append(out, reminderTarget{key: "user:" + uid, userID: uid})
			}
		}
		return out
	}
	if b.reminderDelivery == DeliverChannel {
		if out := channel(); len(out) > 0 {
			return out
		}
		return members()
	}
	if out := members(); len(out) > 0 {
		return out
	}
	return channel()
}

// supplierReminderPost renders a structure's reminder for channelID: the event, each lot it
// holds (quantity, slot, place, amount), its total, whom to contact, and for the confirmation
// reminder its state and the buttons "Je confirme" and "Un souci", bound to userID when not
// empty (a direct message).
func (b *Bot) supplierReminderPost(v *reminderView, channelID, userID string) *model.Post {
	ev, loc := v.board.Event, v.loc
	var text strings.Builder
	text.WriteString(b.dateChanged(v.r, ev, loc))
	text.WriteString(b.t(loc, "ReminderIntro", "Supplier", v.supplier.Name, "Days", v.days, "Event", ev.Name,
		"Day", l10n.Date(reminderDay(ev, v.r), time.UTC, loc), "Venue", ev.Venue))
	var total guichet.Cents
	for _, h := range v.held() {
		place := h.lot.Place
		text.WriteString("\n")
		text.WriteString(b.t(loc, "ReminderLotLine", "Code", h.lot.Code, "Title", h.lot.Title,
			"Quantity", b.t(loc, "OfferQuantity", "Quantity", h.claim.Quantity, "Unit", h.lot.Unit),
			"Slot", b.slot(h.lot, ev, loc), "Place", place, "Amount", l10n.Money(h.claim.Amount, loc)))
		total += h.claim.Amount
	}
	text.WriteString("\n\n")
	text.WriteString(b.t(loc, "ReminderTotal", "Amount", l10n.Money(total, loc)))
	if v.contact != "" {
		text.WriteString("\n")
		text.WriteString(b.t(loc, "ReminderContact", "Coordinator", v.contact))
	}
	att := &model.MessageAttachment{
		Pretext:  b.t(loc, "ReminderTitle", "Kind", kindLabel(v.r.Kind), "Event", ev.Name),
		Fallback: b.t(loc, "ReminderTitle", "Kind", kindLabel(v.r.Kind), "Event", ev.Name),
		Color:    colorOpen,
	}
	if v.confirm {
		text.WriteString("\n\n")
		fields := map[string]string{"reminder": strconv.FormatInt(v.r.ID, 10)}
		switch {
		case v.r.ConfirmedAt != nil:
			att.Color = colorFilled
			text.WriteString(b.t(loc, "ReminderConfirmedBy", "By", v.r.ConfirmedBy, "At", b.dateTime(*v.r.ConfirmedAt, ev, loc)))
		case v.r.Problem != "":
			att.Color = "warning"
			text.WriteString(b.t(loc, "ReminderProblemReported", "Text", v.r.Problem))
		default:
			text.WriteString(b.t(loc, "ReminderAskConfirm"))
		}
		if v.r.ConfirmedAt == nil {
			att.Actions = append(att.Actions, b.ActionButton(b.t(loc, "BtnReminderConfirm"), actionConfirm, "success", fields, userID))
		}
		att.Actions = append(att.Actions, b.ActionButton(b.t(loc, "BtnReminderProblem"), actionProblem, "danger", fields, userID))
	}
	att.Text = text.String()
	post := &model.Post{ChannelId: channelID}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{att})
	return post
}

// slot writes a lot's slot as local times, "" without one, preceded by its day when the lot
// falls on another day than the event's.
func (b *Bot) slot(lot *guichet.Lot, ev *guichet.Event, loc string) string {
	if lot.OwnDay(ev) {
		return b.t(loc, "ReminderOtherdaysSlot", "Day", l10n.Date(*lot.Day, time.UTC, loc), "Slot", lot.SlotStart != "",
			"Start", b.clock(ev, lot.SlotStart, loc), "End", b.clock(ev, lot.SlotEnd, loc))
	}
	if lot.SlotStart == "" {
		return ""
	}
	return b.t(loc, "ReminderSlot", "Start", b.clock(ev, lot.SlotStart, loc), "End", b.clock(ev, lot.SlotEnd, loc))
}

// relaunched says who relaunched a digest's lots, for its re-rendering after the click.
type relaunched struct {
	by    string
	count int
}

// digestPost renders the coordinator's digest: the event, how many structures got their
// reminder, and what is still open or under-filled (lots closed by their deadline with too
// little awarded included), with a "Relancer" button while some lot can still be offered.
func (b *Bot) digestPost(v *reminderView, channelID string, done *relaunched) *model.Post {
	ev, loc := v.board.Event, v.loc
	structures := map[int64]bool{}
	var lines []string
	relaunchable := false
	for _, st := range v.board.Lots {
		lot := st.Lot
		if lot.Status == guichet.LotCancelled {
			continue
		}
		for _, c := range st.Awarded() {
			structures[c.SupplierID] = true
		}
		var missing int64
		switch lot.Status {
		case guichet.LotOpen:
			missing = st.Remaining()
			if !b.pastDeadline(lot) {
				relaunchable = true
			}
		case guichet.LotClosed:
			missing = lot.Quantity - st.AwardedQuantity()
		}
		if missing <= 0 {
			continue
		}
		lines = append(lines, b.t(loc, "ReminderDigestLine", "Code", lot.Code, "Title", lot.Title, "Missing", missing,
			"Unit", lot.Unit, "Quantity", lot.Quantity, "Pending", len(st.Pending()),
			"Closed", lot.Status == guichet.LotClosed || b.pastDeadline(lot)))
	}
	var text strings.Builder
	text.WriteString(b.dateChanged(v.r, ev, loc))
	text.WriteString(b.t(loc, "ReminderDigestIntro", "Days", v.days, "Event", ev.Name, "Day", l10n.Date(reminderDay(ev, v.r), time.UTC, loc),
		"Structures", len(structures)))
	text.WriteString("\n\n")
	att := &model.MessageAttachment{
		Pretext:  b.t(loc, "ReminderDigestTitle", "Kind", kindLabel(v.r.Kind), "Event", ev.Name),
		Fallback: b.t(loc, "ReminderDigestTitle", "Kind", kindLabel(v.r.Kind), "Event", ev.Name),
		Color:    colorFilled,
	}
	if len(lines) == 0 {
		text.WriteString(b.t(loc, "ReminderDigestAllFilled"))
	} else {
		att.Color = "warning"
		text.WriteString(b.t(loc, "ReminderDigestOpenHeader"))
		for _, l := range lines {
			text.WriteString("\n")
			text.WriteString(l)
		}
	}
	if v.confirm {
		text.WriteString("\n\n")
		text.WriteString(b.t(loc, "ReminderDigestConfirmHint"))
	}
	switch {
	case done != nil:
		text.WriteString("\n\n")
		text.WriteString(b.t(loc, "ReminderRelaunched", "By", done.by, "Lots", done.count))
	case relaunchable:
		text.WriteString("\n\n")
		text.WriteString(b.t(loc, "ReminderDigestRelaunchHint"))
		att.Actions = []*model.PostAction{b.ActionButton(b.t(loc, "BtnReminderRelaunch"), actionRelaunch, "primary",
			map[string]string{"reminder": strconv.FormatInt(v.r.ID, 10)}, "")}
	}
	att.Text = text.String()
	post := &model.Post{ChannelId: channelID}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{att})
	return post
}

// reminderField reads the reminder id a button was issued with.
func reminderField(fields map[string]string) (int64, error) {
	id, err := strconv.ParseInt(fields["reminder"], 10, 64)
	if err != nil || id <= 0 {
		return 0, guichet.Errorf(guichet.ENOTFOUND, "ErrReminderNotFound")
	}
	return id, nil
}

// bindingFor returns whom a re-rendered reminder's buttons are bound to: nobody in the
// structure's channel, the clicker in a direct message.
func bindingFor(v *reminderView, channelID string, actor guichet.Actor) string {
	if v.supplier != nil && channelID == v.supplier.ChannelID {
		return ""
	}
	return actor.UserID
}

// confirmClicked records "Je confirme" and redraws the reminder with the confirmation.
func (b *Bot) confirmClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	id, err := reminderField(req.Fields)
	if err != nil {
		return ActionReply{}, err
	}
	r, changed, err := b.store.ConfirmReminder(ctx, req.Actor, id)
	if err != nil {
		return ActionReply{}, err
	}
	v, err := b.reminderView(ctx, r)
	if err != nil {
		return ActionReply{}, err
	}
	post := b.supplierReminderPost(v, req.ChannelID, bindingFor(v, req.ChannelID, req.Actor))
	post.Id = req.PostID
	msg := "ReminderThanksConfirm"
	if !changed {
		msg = "ReminderAlreadyConfirmed"
	}
	return ActionReply{Update: post, Ephemeral: b.t(v.loc, msg)}, nil
}

// problemClicked opens the "Un souci" dialog at once (its trigger lives 3 seconds), for a
// member of the reminder's structure.
func (b *Bot) problemClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	id, err := reminderField(req.Fields)
	if err != nil {
		return ActionReply{}, err
	}
	r, err := b.store.Reminder(ctx, id)
	if err != nil {
		return ActionReply{}, err
	}
	if r.SupplierID == nil {
		return ActionReply{}, guichet.Errorf(guichet.ENOTFOUND, "ErrReminderNotFound")
	}
	s, err := b.access.SupplierFor(ctx, req.Actor, *r.SupplierID)
	if err != nil {
		return ActionReply{}, err
	}
	ev, err := b.store.Event(ctx, r.EventID)
	if err != nil {
		return ActionReply{}, err
	}
	loc := b.eventLocale(ev)
	err = b.OpenDialog(ctx, req.TriggerID, req.Actor.UserID, guichet.Dialog{
		CallbackID:       problemDialog,
		Title:            b.t(loc, "DialogReminderProblemTitle"),
		IntroductionText: b.t(loc, "DialogReminderProblemIntro", "Supplier", s.Name, "Event", ev.Name),
		SubmitLabel:      b.t(loc, "DialogReminderProblemSubmit"),
		Elements: []guichet.DialogElement{{
			Name: problemField, DisplayName: b.t(loc, "DialogReminderProblemField"), Type: "textarea",
			HelpText: b.t(loc, "DialogReminderProblemHelp"), MaxLength: guichet.MaxNoteLength, Default: r.Problem,
		}},
		State: strings.Join([]string{strconv.FormatInt(r.ID, 10), req.ChannelID, req.PostID}, ":"),
	})
	if err != nil {
		return ActionReply{}, err
	}
	return ActionReply{}, nil
}

// problemSubmitted records the problem typed in the dialog (the coordinator gets it) and
// redraws the reminder the dialog was opened from. Empty or too long text keeps the dialog
// open with the reason under the field.
func (b *Bot) problemSubmitted(ctx context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
	if sub.Cancelled {
		return guichet.DialogReply{}
	}
	parts := strings.SplitN(sub.State, ":", 3)
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || len(parts) != 3 {
		b.logger.Warn("problem dialog with a malformed state", "state", sub.State)
		return guichet.DialogReply{Errors: map[string]string{problemField: b.t(b.locale, "MsgDialogGone")}}
	}
	channelID, postID := parts[1], parts[2]
	loc := b.locale
	if r, err := b.store.Reminder(ctx, id); err == nil {
		if ev, err := b.store.Event(ctx, r.EventID); err == nil {
			loc = b.eventLocale(ev)
		}
	}
	text, _ := sub.Submission[problemField].(string)
	if err := guichet.ProblemText.Check(strings.TrimSpace(text)); err != nil {
		return guichet.DialogReply{Errors: map[string]string{problemField: b.catalog.Error(loc, err)}}
	}
	r, _, err := b.store.ReportProblem(ctx, sub.Actor, id, text)
	if err != nil {
		if guichet.AsError(err) == nil {
			b.logger.Error("reporting a problem", "reminder_id", id, "error", err)
		}
		return guichet.DialogReply{Errors: map[string]string{problemField: b.catalog.Error(loc, err)}}
	}
	v, err := b.reminderView(ctx, r)
	if err == nil && postID != "" {
		post := b.supplierReminderPost(v, channelID, bindingFor(v, channelID, sub.Actor))
		post.Id = postID
		_, err = b.client.UpdatePost(ctx, post)
	}
	if err != nil {
		// The problem is recorded and the coordinator told; only the redraw failed.
		b.logger.Warn("redrawing a reminder after a problem", "reminder_id", id, "error", err)
	}
	return guichet.DialogReply{}
}

// relaunchClicked offers the digest's open lots again, for an administrator or a coordinator
// of the digest's event, and redraws the digest without its button.
func (b *Bot) relaunchClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	id, err := reminderField(req.Fields)
	if err != nil {
		return ActionReply{}, err
	}
	before, err := b.store.Reminder(ctx, id)
	if err != nil {
		return ActionReply{}, err
	}
	ev, err := b.store.Event(ctx, before.EventID)
	if err != nil {
		return ActionReply{}, err
	}
	if err := b.access.RequireEventCoordinator(ctx, req.Actor, ev); err != nil {
		return ActionReply{}, err
	}
	n, err := b.store.Relaunch(ctx, req.Actor, id)
	if err != nil {
		return ActionReply{}, err
	}
	r, err := b.store.Reminder(ctx, id)
	if err != nil {
		return ActionReply{}, err
	}
	v, err := b.reminderView(ctx, r)
	if err != nil {
		return ActionReply{}, err
	}
	post := b.digestPost(v, req.ChannelID, &relaunched{by: req.Actor.Username, count: n})
	post.Id = req.PostID
	return ActionReply{Update: post, Ephemeral: b.t(v.loc, "ReminderRelaunchDone", "Lots", n)}, nil
}

// ReminderBoardSection renders, for the status board, who confirmed the event's last reminder
// (J-1): one line per structure, confirmed (by whom), problem reported (with its text),
// waiting, or reminder not sent yet. It returns "" when no structure has a reminder.
func (b *Bot) ReminderBoardSection(ctx context.Context, board *guichet.Board) (string, error) {
	if board.Event.Status == guichet.EventDraft {
		return "", nil
	}
	rows, err := b.store.Confirmations(ctx, board.Event.ID)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	ev := board.Event
	loc := b.eventLocale(ev)
	names := map[int64]string{}
	for _, st := range board.Lots {
		for _, c := range st.Claims {
			names[c.SupplierID] = c.SupplierName
		}
	}
	var sb strings.Builder
	sb.WriteString(b.t(loc, "ReminderBoardHeader", "Kind", kindLabel(rows[0].Kind)))
	for _, r := range rows {
		name := names[*r.SupplierID]
		sb.WriteString("\n")
		switch {
		case r.ConfirmedAt != nil:
			sb.WriteString(b.t(loc, "ReminderBoardConfirmed", "Supplier", name, "By", r.ConfirmedBy,
				"At", b.dateTime(*r.ConfirmedAt, ev, loc)))
		case r.Problem != "":
			sb.WriteString(b.t(loc, "ReminderBoardProblem", "Supplier", name, "Text", r.Problem))
		case r.Status == guichet.ReminderSent:
			sb.WriteString(b.t(loc, "ReminderBoardWaiting", "Supplier", name))
		case r.Status == guichet.ReminderSkipped:
			sb.WriteString(b.t(loc, "ReminderBoardSkipped", "Supplier", name))
		default:
			sb.WriteString(b.t(loc, "ReminderBoardPlanned", "Supplier", name, "At", b.dateTime(r.DueAt, ev, loc)))
		}
	}
	return sb.String(), nil
}
