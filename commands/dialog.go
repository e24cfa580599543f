package commands

import (
	"context"
	"fmt"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// maxPaste is the most a dialog's text area holds in Mattermost; larger files go through
// `guichet import`.
const maxPaste = 3000

func (h *Handler) openEventDialog(ctx context.Context, c *call) error {
	d := guichet.Dialog{
		CallbackID:       callbackEventCreate,
		Title:            h.t(c, "DialogCmdEventTitle", nil),
		IntroductionText: h.t(c, "DialogCmdEventIntro", nil),
		SubmitLabel:      h.t(c, "DialogCmdEventSubmit", nil),
		Elements: []guichet.DialogElement{
			{Name: "slug", Type: "text", DisplayName: h.t(c, "DialogCmdEventSlug", nil), HelpText: h.t(c, "DialogCmdEventSlugHelp", nil), MaxLength: 63},
			{Name: "day", Type: "text", DisplayName: h.t(c, "DialogCmdEventDay", nil), HelpText: h.t(c, "DialogCmdEventDayHelp", nil), MaxLength: 10},
			{Name: "name", Type: "text", DisplayName: h.t(c, "DialogCmdEventName", nil), MaxLength: 200},
			{Name: "venue", Type: "text", DisplayName: h.t(c, "DialogCmdEventVenue", nil), Optional: true, MaxLength: 300},
			{Name: "client", Type: "text", DisplayName: h.t(c, "DialogCmdEventClient", nil), Optional: true, MaxLength: 300},
			{Name: "tz", Type: "text", DisplayName: h.t(c, "DialogCmdEventTimeZone", nil), Optional: true, Default: guichet.DefaultTimeZone, MaxLength: 64},
			{Name: "reminders", Type: "text", DisplayName: h.t(c, "DialogCmdEventReminders", nil), HelpText: h.t(c, "DialogCmdEventRemindersHelp", nil), Optional: true, Default: guichet.DefaultReminders, MaxLength: 100},
			{Name: "locale", Type: "select", DisplayName: h.t(c, "DialogCmdEventLocale", nil), Default: h.locale, Options: []guichet.DialogOption{
				{Text: h.t(c, "DialogCmdLocaleFr", nil), Value: "fr"}, {Text: h.t(c, "DialogCmdLocaleEn", nil), Value: "en"}}},
		},
	}
	return h.openDialog(ctx, c, d)
}

func (h *Handler) openDialog(ctx context.Context, c *call, d guichet.Dialog) error {
	if c.triggerID == "" {
		return guichet.Errorf(guichet.EINVALID, "CmdNoDialog")
	}
	if err := h.chat.OpenDialog(ctx, c.triggerID, c.actor.UserID, d); err != nil {
		return fmt.Errorf("open dialog %s: %w", d.CallbackID, err)
	}
	return nil
}

func (h *Handler) openSupplierImport(ctx context.Context, c *call) (string, error) {
	return "", h.openDialog(ctx, c, guichet.Dialog{
		CallbackID:       callbackSupplierImport,
		Title:            h.t(c, "DialogCmdSupplierImportTitle", nil),
		IntroductionText: h.t(c, "DialogCmdSupplierImportIntro", nil),
		SubmitLabel:      h.t(c, "DialogCmdImportSubmit", nil),
		Elements: []guichet.DialogElement{{Name: "csv", Type: "textarea", DisplayName: h.t(c, "DialogCmdCSV", nil),
			HelpText: h.t(c, "DialogCmdSupplierImportHelp", nil), MaxLength: maxPaste}},
	})
}

func (h *Handler) openLotImport(ctx context.Context, c *call, cmd LotImport) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	return "", h.openDialog(ctx, c, guichet.Dialog{
		CallbackID:       callbackLotImport,
		Title:            h.t(c, "DialogCmdLotImportTitle", nil),
		IntroductionText: h.t(c, "DialogCmdLotImportIntro", map[string]any{"Name": e.Name, "Slug": e.Slug}),
		SubmitLabel:      h.t(c, "DialogCmdImportSubmit", nil),
		State:            e.Slug,
		Elements: []guichet.DialogElement{{Name: "csv", Type: "textarea", DisplayName: h.t(c, "DialogCmdCSV", nil),
			HelpText: h.t(c, "DialogCmdLotImportHelp", nil), MaxLength: maxPaste}},
	})
}

// HandleDialog implements guichet.CommandHandler for the dialogs the commands open. Errors
// keep the dialog open with the message under the field at fault; on success the outcome
// comes to the person as a direct message from the bot.
func (h *Handler) HandleDialog(ctx context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
	if sub.Cancelled {
		return guichet.DialogReply{}
	}
	c := &call{actor: sub.Actor, channelID: sub.ChannelID, teamID: sub.TeamID, locale: h.locale}
	if e, err := h.store.EventByChannel(ctx, sub.ChannelID); err == nil {
		c.locale = l10n.Locale(e.Locale)
	}
	at := "csv"
	var err error
	switch sub.CallbackID {
	case callbackEventCreate:
		at, err = h.submitEvent(ctx, c, sub)
	case callbackSupplierImport:
		err = h.submitSupplierImport(ctx, c, sub)
	case callbackLotImport:
		err = h.submitLotImport(ctx, c, sub)
	case callbackLotEdit:
		c.role = roleEventCoordinator
		at, err = h.submitLotEdit(ctx, c, sub)
	case callbackEventEdit:
		c.role = roleEventCoordinator
		at, err = h.submitEventEdit(ctx, c, sub)
	case callbackSupplierEdit:
		at, err = h.submitSupplierEdit(ctx, c, sub)
	default:
		h.log.Warn("unknown dialog", "callback_id", sub.CallbackID, "user", sub.Actor.Username)
		return guichet.DialogReply{}
	}
	if err == nil {
		return guichet.DialogReply{}
	}
	if guichet.AsError(err) == nil || guichet.ErrorCode(err) == guichet.EINTERNAL {
		h.log.Error("dialog failed", "callback_id", sub.CallbackID, "user", sub.Actor.Username, "error", err)
	}
	return guichet.DialogReply{Errors: map[string]string{at: Message(h.cat, c.locale, err)}}
}

// field returns a submitted value as text.
func field(sub guichet.DialogSubmission, name string) string {
	v, ok := sub.Submission[name]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// eventFieldOf maps the errors of an event's fields to the dialog's fields.
var eventFieldOf = []errorPlace{
	{guichet.ErrSlug, "slug"}, {guichet.ErrEventExists, "slug"}, {guichet.ErrDate, "day"},
	{guichet.ErrEventName, "name"}, {guichet.ErrTimeZone, "tz"}, {guichet.ErrReminders, "reminders"},
	{guichet.ErrLocale, "locale"}, {guichet.ErrTooLong, "venue"},
}

// submitEvent creates the event from the dialog; it returns the field an error belongs to.
func (h *Handler) submitEvent(ctx context.Context, c *call, sub guichet.DialogSubmission) (string, error) {
	if err := h.access.RequireAnyCoordinator(ctx, c.actor); err != nil {
		return "slug", err
	}
	cmd := EventCreate{
		Slug: strings.ToLower(field(sub, "slug")), Name: field(sub, "name"), Venue: field(sub, "venue"),
		Client: field(sub, "client"), TimeZone: field(sub, "tz"), Reminders: field(sub, "reminders"), Locale: field(sub, "locale"),
	}
	day, err := parseDay(field(sub, "day"))
	if err != nil {
		return "day", err
	}
	cmd.Day = day
	e, warnings, err := h.createEvent(ctx, c, cmd)
	if err != nil {
		return placeOf(err, eventFieldOf, "slug"), err
	}
	return "", h.tell(ctx, c, "CmdEventCreatedNotice", map[string]any{
		"Name": e.Name, "Slug": e.Slug, "Day": l10n.EventDay(e, c.locale), "Warnings": warnings})
}

func (h *Handler) submitSupplierImport(ctx context.Context, c *call, sub guichet.DialogSubmission) error {
	if err := h.access.RequireAnyCoordinator(ctx, c.actor); err != nil {
		return err
	}
	n, warnings, err := h.importSuppliers(ctx, c, []byte(field(sub, "csv")))
	if err != nil {
		return err
	}
	return h.tell(ctx, c, "CmdSuppliersImported", map[string]any{"N": n, "Warnings": warnings})
}

// submitLotImport imports the pasted lots into the event the dialog was opened for (its
// state), for an administrator or a coordinator of that event, checked again here: the
// submission comes later than the command and the rights may have changed.
func (h *Handler) submitLotImport(ctx context.Context, c *call, sub guichet.DialogSubmission) error {
	if err := h.access.RequireAnyCoordinator(ctx, c.actor); err != nil {
		return err
	}
	c.role = roleEventCoordinator
	e, err := h.event(ctx, c, sub.State)
	if err != nil {
		return err
	}
	n, err := h.importLots(ctx, c, e, []byte(field(sub, "csv")))
	if err != nil {
		return err
	}
	return h.tell(ctx, c, "CmdLotsImported", map[string]any{"N": n, "Name": e.Name, "Slug": e.Slug, "Published": e.Status != guichet.EventDraft})
}

// tell sends the person a direct message from the bot, through the outbox: a dialog's answer
// cannot carry text. The arguments must be plain values: the bot renders the message. It
// follows a change already made, so it is queued even when the request's time ran out.
func (h *Handler) tell(ctx context.Context, c *call, id string, args map[string]any) error {
	ctx, cancel := guichet.AfterChange(ctx)
	defer cancel()
	return h.store.Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{UserID: c.actor.UserID, MessageID: id, Args: args, Locale: c.locale})
}
