package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// EventEdit edits, or postpones, an event: each field set is the new value.
type EventEdit struct {
	Event  string
	Change guichet.EventChange
}

// EventCancel cancels an event; the structures holding lots are told.
type EventCancel struct {
	Event  string
	Reason string
}

// CommandName implements Command.
func (EventEdit) CommandName() string { return "event edit" }

// CommandName implements Command.
func (EventCancel) CommandName() string { return "event cancel" }

// parseEventEdit reads "[<event>] date=… tz=… venue=… client=… reminders=…" (French keys:
// lieu, fuseau, rappels); with no field, it opens the dialog (EventEditDialog).
func parseEventEdit(a *args) (Command, error) {
	c := EventEdit{}
	if e, ok := a.next(); ok {
		if err := checkSlug(a, e); err != nil {
			return nil, err
		}
		c.Event = strings.ToLower(e)
	}
	if v, ok, err := a.opt("date", "day", "jour"); err != nil {
		return nil, err
	} else if ok {
		day, err := parseDay(v)
		if err != nil {
			return nil, a.bad(err)
		}
		c.Change.Day = &day
	}
	if v, ok, err := a.opt("tz", "timezone", "fuseau"); err != nil {
		return nil, err
	} else if ok {
		e := guichet.Event{TimeZone: v}
		if _, err := e.Location(); err != nil || v == "" {
			return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrTimeZone", "Value", v))
		}
		c.Change.TimeZone = &v
	}
	if v, ok, err := a.opt("venue", "lieu"); err != nil {
		return nil, err
	} else if ok {
		c.Change.Venue = &v
	}
	if v, ok, err := a.opt("client"); err != nil {
		return nil, err
	} else if ok {
		c.Change.Client = &v
	}
	if v, ok, err := a.opt("frais", "fee", "fees"); err != nil {
		return nil, err
	} else if ok {
		fee, err := parseFee(v)
		if err != nil {
			return nil, a.bad(err)
		}
		c.Change.Fee = &fee
	}
	if v, ok, err := a.opt("reminders", "rappels"); err != nil {
		return nil, err
	} else if ok {
		if _, err := guichet.ParseReminders(v); err != nil {
			return nil, a.bad(err)
		}
		c.Change.Reminders = &v
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	if c.Change.Empty() {
		// No field written: the dialog, prefilled with the event's, asks for them.
		return EventEditDialog{Event: c.Event}, nil
	}
	return c, nil
}

// parseEventCancel reads "[<event>] [reason=…]".
func parseEventCancel(a *args) (Command, error) {
	c := EventCancel{}
	if e, ok := a.next(); ok {
		if err := checkSlug(a, e); err != nil {
			return nil, err
		}
		c.Event = strings.ToLower(e)
	}
	var err error
	if c.Reason, err = a.typed(guichet.CancelReason, "reason", "motif", "raison"); err != nil {
		return nil, err
	}
	return c, a.finish()
}

// eventEdit applies the change to the event and answers with what changed, before → after,
// which the structures holding lots read too.
func (h *Handler) eventEdit(ctx context.Context, c *call, cmd EventEdit) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	after, err := cmd.Change.Apply(e, h.now())
	if err != nil {
		return "", err
	}
	change := cmd.Change
	// The structures read the change in the event's language, which the call now speaks.
	change.Summary = h.eventChanges(c, e, after)
	res, err := h.store.EditEvent(ctx, c.actor, e.ID, change, h.now())
	if err != nil {
		return "", err
	}
	changes := h.eventChanges(c, res.Before, res.After)
	if fee := h.feeChange(c, res.Before, res.After); fee != "" {
		if cmd.Change.OnlyFee() {
			// Nothing the structures or the offers show changed.
			return h.t(c, "CmdQuoteFeeSet", map[string]any{"Event": res.After.Name, "Changes": fee, "Slug": res.After.Slug}), nil
		}
		changes = lines(changes, fee)
	}
	return h.t(c, "CmdEventEdited", map[string]any{"Event": res.After.Name,
		"Changes": changes, "Rearmed": res.Rearmed, "Count": res.Told}), nil
}

// eventChanges writes one line per field that differs between before and after.
func (h *Handler) eventChanges(c *call, before, after *guichet.Event) string {
	var out []string
	line := func(id string, b, a string) {
		if b != a {
			out = append(out, h.t(c, id, map[string]any{"Before": b, "After": a}))
		}
	}
	line("CmdEventEditChangeDay", l10n.EventDay(before, c.locale), l10n.EventDay(after, c.locale))
	line("CmdEventEditChangeTimeZone", before.TimeZone, after.TimeZone)
	line("CmdEventEditChangeVenue", before.Venue, after.Venue)
	line("CmdEventEditChangeClient", before.Client, after.Client)
	line("CmdEventEditChangeReminders", before.Reminders, after.Reminders)
	if len(out) == 0 {
		return h.t(c, "CmdEventEditUnchanged", nil)
	}
	return strings.Join(out, "\n")
}

// eventCancel cancels the event and answers with what it stopped.
func (h *Handler) eventCancel(ctx context.Context, c *call, cmd EventCancel) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	res, err := h.store.CancelEvent(ctx, c.actor, e.ID, cmd.Reason, h.now())
	if err != nil {
		return "", err
	}
	if res.Already {
		return h.t(c, "CmdEventAlreadyCancelled", map[string]any{"Event": e.Name}), nil
	}
	return h.t(c, "CmdEventCancelled", map[string]any{"Event": e.Name, "Offers": res.Offers,
		"Reminders": res.Reminders, "Count": res.Told}), nil
}
