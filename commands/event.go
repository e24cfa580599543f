package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Callback ids of the dialogs the commands open.
const (
	callbackEventCreate    = "cmd.event.create"
	callbackSupplierImport = "cmd.supplier.import"
	callbackLotImport      = "cmd.lot.import"
)

// eventCreate creates the event bound to the call's channel and joins the channel, or opens
// the dialog that asks for the fields.
func (h *Handler) eventCreate(ctx context.Context, c *call, cmd EventCreate) (string, error) {
	if cmd.Dialog {
		return "", h.openEventDialog(ctx, c)
	}
	e, warnings, err := h.createEvent(ctx, c, cmd)
	if err != nil {
		return "", err
	}
	return lines(h.eventCreated(c, e), warnings), nil
}

// createEvent creates the event and joins its channel; a channel the bot cannot join is a
// warning for the coordinator, not a failure.
func (h *Handler) createEvent(ctx context.Context, c *call, cmd EventCreate) (*guichet.Event, string, error) {
	e := &guichet.Event{
		Slug: cmd.Slug, Name: cmd.Name, Day: cmd.Day, Venue: cmd.Venue, Client: cmd.Client,
		TimeZone: cmd.TimeZone, Reminders: cmd.Reminders, Locale: cmd.Locale, CoordChannelID: c.channelID,
	}
	if e.Locale == "" {
		e.Locale = h.locale
	}
	if err := h.store.CreateEvent(ctx, c.actor, e); err != nil {
		return nil, "", err
	}
	c.locale = l10n.Locale(e.Locale)
	return e, h.join(ctx, c, c.channelID, ""), nil
}

func (h *Handler) eventCreated(c *call, e *guichet.Event) string {
	return h.t(c, "CmdEventCreated", map[string]any{"Name": e.Name, "Slug": e.Slug, "Day": l10n.EventDay(e, c.locale)})
}

// join makes the bot a member of a channel. It returns "" on success, or a warning telling
// the coordinator what to do when the bot cannot join (a private channel); other failures are
// logged and reported the same way, since they do not undo what was saved.
func (h *Handler) join(ctx context.Context, c *call, channelID, channelName string) string {
	err := h.chat.JoinChannel(ctx, channelID)
	if err == nil {
		return ""
	}
	if guichet.ErrorCode(err) != guichet.EFORBIDDEN && guichet.ErrorCode(err) != guichet.ENOTFOUND {
		h.log.Error("join channel", "channel_id", channelID, "error", err)
	}
	if channelName == "" {
		return h.t(c, "CmdCannotJoinHere", nil)
	}
	return h.t(c, "CmdCannotJoin", map[string]any{"Channel": channelName})
}

// eventStatusID names each event status in the catalogue.
var eventStatusID = map[guichet.EventStatus]string{
	guichet.EventDraft:     "CmdEventDraft",
	guichet.EventPublished: "CmdEventPublished",
	guichet.EventDone:      "CmdEventDone",
	guichet.EventRecapped:  "CmdEventRecapped",
	guichet.EventCancelled: "CmdEventCancelledStatus",
}

func (h *Handler) eventStatus(c *call, s guichet.EventStatus) string {
	return statusText(h, c, eventStatusID, s)
}

// statusText renders a status through its catalogue message in ids, or as is when it has none.
func statusText[S ~string](h *Handler, c *call, ids map[S]string, s S) string {
	if id, ok := ids[s]; ok {
		return h.t(c, id, nil)
	}
	return string(s)
}

func (h *Handler) eventList(ctx context.Context, c *call) (string, error) {
	events, err := h.store.Events(ctx)
	if err != nil {
		return "", err
	}
	if len(events) == 0 {
		return h.t(c, "CmdEventListEmpty", nil), nil
	}
	out := []string{h.t(c, "CmdEventListTitle", map[string]any{"N": len(events)})}
	for _, e := range events {
		out = append(out, h.t(c, "CmdEventListLine", map[string]any{
			"Slug": e.Slug, "Name": e.Name, "Day": l10n.EventDay(e, c.locale), "Status": h.eventStatus(c, e.Status),
			"Here": e.CoordChannelID == c.channelID}))
	}
	return strings.Join(out, "\n"), nil
}

func (h *Handler) eventShow(ctx context.Context, c *call, cmd EventShow) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	lots, err := h.store.Lots(ctx, e.ID)
	if err != nil {
		return "", err
	}
	var budget guichet.Cents
	for _, l := range lots {
		if l.Status != guichet.LotCancelled {
			budget += l.Budget
		}
	}
	return h.t(c, "CmdEventShow", map[string]any{
		"Name": e.Name, "Slug": e.Slug, "Day": l10n.EventDay(e, c.locale), "TimeZone": e.TimeZone,
		"Venue": e.Venue, "Client": e.Client, "Status": h.eventStatus(c, e.Status), "Reminders": e.Reminders,
		"Locale": e.Locale, "Lots": len(lots), "Budget": l10n.Money(budget, c.locale), "Here": e.CoordChannelID == c.channelID,
	}), nil
}
