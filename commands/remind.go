package commands

import (
	"context"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// kindLabel writes a reminder kind as people read it: "J-7".
func kindLabel(kind guichet.ReminderKind) string {
	return "J-" + strings.TrimPrefix(string(kind), "j")
}

// remind sends the event's reminder now, or previews it.
func (h *Handler) remind(ctx context.Context, c *call, cmd Remind) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	if cmd.Preview {
		return h.remindPreview(ctx, c, e, cmd.Kind)
	}
	n, err := h.store.SendRemindersNow(ctx, c.actor, e.ID, cmd.Kind)
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdRemindSent", map[string]any{"Kind": kindLabel(cmd.Kind), "Event": e.Name, "N": n}), nil
}

// remindPreview lists who would get the reminder and what it would say: for the coordinator,
// the lots still to fill; for each structure, where it goes and the lots it holds. It
// changes nothing.
func (h *Handler) remindPreview(ctx context.Context, c *call, e *guichet.Event, kind guichet.ReminderKind) (string, error) {
	rows, board, err := h.store.PreviewReminders(ctx, e.ID, kind)
	if err != nil {
		return "", err
	}
	loc := location(e)
	structures := 0
	for _, r := range rows {
		if r.SupplierID != nil {
			structures++
		}
	}
	out := []string{h.t(c, "CmdRemindPreviewTitle", map[string]any{"Kind": kindLabel(kind), "Event": e.Name, "Structures": structures})}
	for _, r := range rows {
		when := h.reminderWhen(c, r, loc)
		if r.SupplierID == nil {
			out = append(out, h.digestPreview(c, board, when)...)
			continue
		}
		s, err := h.store.Supplier(ctx, *r.SupplierID)
		if err != nil {
			return "", err
		}
		var lots []string
		var total guichet.Cents
		for _, st := range board.Lots {
			if st.Lot.Status == guichet.LotCancelled {
				continue
			}
			for _, cl := range st.Awarded() {
				if cl.SupplierID != s.ID {
					continue
				}
				total += cl.Amount
				lots = append(lots, h.t(c, "CmdRemindPreviewLot", map[string]any{
					"Code": st.Lot.Code, "Title": st.Lot.Title, "Quantity": cl.Quantity, "Unit": st.Lot.Unit,
					"Slot": st.Lot.Slot(), "Place": st.Lot.Place, "Amount": l10n.Money(cl.Amount, c.locale)}))
			}
		}
		out = append(out, h.t(c, "CmdRemindPreviewSupplier", map[string]any{
			"Supplier": s.Name, "Recipients": recipients(s), "Total": l10n.Money(total, c.locale), "When": when}))
		out = append(out, lots...)
	}
	out = append(out, "", h.t(c, "CmdRemindPreviewFooter", map[string]any{"Slug": e.Slug, "Kind": string(kind)}))
	return strings.Join(out, "\n"), nil
}

// digestPreview writes the coordinator's part: the lots still open or under-filled, as the
// digest lists them.
func (h *Handler) digestPreview(c *call, board *guichet.Board, when string) []string {
	var lots []string
	for _, st := range board.Lots {
		var missing int64
		switch st.Lot.Status {
		case guichet.LotOpen:
			missing = st.Remaining()
		case guichet.LotClosed:
			missing = st.Lot.Quantity - st.AwardedQuantity()
		}
		if missing <= 0 {
			continue
		}
		lots = append(lots, h.t(c, "CmdRemindPreviewOpenLot", map[string]any{
			"Code": st.Lot.Code, "Title": st.Lot.Title, "Missing": missing, "Unit": st.Lot.Unit,
			"Quantity": st.Lot.Quantity, "Pending": len(st.Pending())}))
	}
	head := h.t(c, "CmdRemindPreviewCoordinator", map[string]any{"When": when, "Open": len(lots)})
	return append([]string{head}, lots...)
}

// reminderWhen says where a reminder row stands: planned, or already sent and to be sent
// again.
func (h *Handler) reminderWhen(c *call, r *guichet.Reminder, loc *time.Location) string {
	at := r.DueAt
	if r.SentAt != nil && r.Status != guichet.ReminderDue {
		at = *r.SentAt
	}
	return h.t(c, "CmdRemindPreviewWhen", map[string]any{"Status": string(r.Status), "At": l10n.DateTime(at, loc, c.locale)})
}

// recipients writes where a structure's reminder goes: its members, and its channel.
func recipients(s *guichet.Supplier) string {
	var out []string
	for _, m := range s.Members {
		out = append(out, "@"+m.Username)
	}
	if s.ChannelName != "" && s.ChannelID != "" {
		out = append(out, "~"+s.ChannelName)
	}
	return strings.Join(out, ", ")
}
