package commands

import (
	"context"
	"encoding/json"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// status answers with the event's status in text: every lot, who holds what, and the totals.
// The board post in the coordination channel shows the same, kept up to date by the bot.
func (h *Handler) status(ctx context.Context, c *call, cmd Status) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	board, err := h.store.Board(ctx, e.ID)
	if err != nil {
		return "", err
	}
	// The board's refresh also makes the purchase orders that waited for legal details
	// (bot/order.go).
	if err := h.store.Enqueue(ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: e.ID}); err != nil {
		return "", err
	}
	var budget, awarded guichet.Cents
	filled, live, pending := 0, 0, 0
	var out []string
	for _, st := range board.Lots {
		var holders []string
		for _, cl := range st.Awarded() {
			awarded += cl.Amount
			holders = append(holders, h.t(c, "CmdStatusHolder", map[string]any{"Supplier": cl.SupplierName, "Quantity": cl.Quantity, "Amount": l10n.Money(cl.Amount, c.locale)}))
		}
		if st.Lot.Status != guichet.LotCancelled {
			live++
			budget += st.Lot.Budget
			if st.Lot.Status == guichet.LotFilled {
				filled++
			}
		}
		pending += len(st.Pending())
		out = append(out, h.t(c, "CmdStatusLine", map[string]any{
			"Code": st.Lot.Code, "Title": st.Lot.Title, "Status": string(st.Lot.Status), "StatusText": h.lotStatus(c, st.Lot.Status),
			"Awarded": st.AwardedQuantity(), "Quantity": st.Lot.Quantity, "Unit": st.Lot.Unit,
			"Holders": strings.Join(holders, ", "), "Pending": len(st.Pending()),
		}))
		if line := h.answersLine(c, st); line != "" {
			out = append(out, line)
		}
	}
	head := h.t(c, "CmdStatusTitle", map[string]any{
		"Name": e.Name, "Day": l10n.EventDay(e, c.locale), "Status": h.eventStatus(c, e.Status),
		"Filled": filled, "Lots": live, "Awarded": l10n.Money(awarded, c.locale), "Budget": l10n.Money(budget, c.locale), "Pending": pending,
	})
	if len(board.Lots) == 0 {
		return lines(head, h.t(c, "CmdLotListEmpty", map[string]any{"Event": e.Slug})), nil
	}
	missing, err := h.statusMissing(ctx, c, board)
	if err != nil {
		return "", err
	}
	return lines(head+"\n"+strings.Join(out, "\n"), missing), nil
}

// myLots lists what the person's structures hold or applied for, by event, with a « Libérer »
// button for each share whose event still takes changes.
func (h *Handler) myLots(ctx context.Context, c *call) (string, error) {
	mine, err := h.access.SuppliersOf(ctx, c.actor)
	if err != nil {
		return "", err
	}
	ids := make([]int64, len(mine))
	for i, s := range mine {
		ids[i] = s.ID
	}
	states, err := h.store.SupplierLots(ctx, ids)
	if err != nil {
		return "", err
	}
	if len(states) == 0 {
		return h.t(c, "CmdMyLotsEmpty", nil), nil
	}
	out := []string{h.t(c, "CmdMyLotsTitle", nil)}
	var current int64
	events := map[int64]*guichet.Event{}
	for _, st := range states {
		e := events[st.Lot.EventID]
		if e == nil {
			if e, err = h.store.Event(ctx, st.Lot.EventID); err != nil {
				return "", err
			}
			events[e.ID] = e
		}
		if e.ID != current {
			current = e.ID
			out = append(out, h.t(c, "CmdMyLotsEvent", map[string]any{"Name": e.Name, "Slug": e.Slug, "Day": l10n.EventDay(e, c.locale)}))
		}
		for _, cl := range st.Claims {
			out = append(out, h.t(c, "CmdMyLotsLine", map[string]any{
				"Code": st.Lot.Code, "Title": st.Lot.Title, "Supplier": cl.SupplierName, "Quantity": cl.Quantity,
				"Unit": st.Lot.Unit, "Amount": l10n.Money(cl.Amount, c.locale), "Status": h.claimStatus(c, cl.Status),
				"Pending": cl.Status == guichet.ClaimPending, "Slot": st.Lot.Slot(), "Event": e.Slug,
			}))
			if e.ClaimChangesOpen(h.now()) != nil {
				// Over or cancelled: a release would be refused, no button offers one.
				continue
			}
			c.releases = append(c.releases, guichet.ReleaseButton{LotID: st.Lot.ID, SupplierID: cl.SupplierID,
				Text: h.t(c, "MsgI19bReleaseLine", map[string]any{"Code": st.Lot.Code, "Title": st.Lot.Title, "Supplier": cl.SupplierName,
					"Quantity": cl.Quantity, "Unit": st.Lot.Unit, "Event": e.Name}),
				Label: h.t(c, "BtnI19bRelease", nil)})
		}
	}
	return strings.Join(out, "\n"), nil
}

// historyID names each audited action on a lot in the catalogue.
var historyID = map[string]string{
	"lot.add":         "CmdHistoryLotAdd",
	"lot.cancel":      "CmdHistoryLotCancel",
	"claim.award":     "CmdHistoryAward",
	"claim.candidacy": "CmdHistoryCandidacy",
	"claim.withdraw":  "CmdHistoryWithdraw",
	"claim.decline":   "CmdHistoryDecline",
	// A coordinator's claim for a structure (onbehalf.go).
	"claim.behalf":           "CmdOnbehalfHistoryClaim",
	"claim.behalf.candidacy": "CmdOnbehalfHistoryCandidacy",
}

// history lists who did what on a lot, oldest first, in the event's time zone.
func (h *Handler) history(ctx context.Context, c *call, cmd History) (string, error) {
	l, e, err := h.lot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	entries, err := h.store.LotHistory(ctx, l.ID)
	if err != nil {
		return "", err
	}
	loc := location(e)
	out := []string{h.t(c, "CmdHistoryTitle", map[string]any{"Code": l.Code, "Title": l.Title, "Event": e.Slug})}
	names := map[int64]string{}
	for _, a := range entries {
		var detail struct {
			Quantity int64  `json:"quantity"`
			Reason   string `json:"reason"`
			Note     string `json:"note"`
		}
		_ = json.Unmarshal(a.Detail, &detail)
		args := map[string]any{
			"At": l10n.DateTime(a.At, loc, c.locale), "Actor": a.ActorName, "Action": a.Action,
			"Quantity": detail.Quantity, "Unit": l.Unit, "Reason": detail.Reason, "Note": detail.Note,
		}
		if a.SupplierID != nil {
			name, ok := names[*a.SupplierID]
			if !ok {
				s, err := h.store.Supplier(ctx, *a.SupplierID)
				if err != nil {
					return "", err
				}
				name = s.Name
				names[*a.SupplierID] = name
			}
			args["Supplier"] = name
		}
		id, ok := historyID[a.Action]
		if !ok {
			id = "CmdHistoryOther"
		}
		out = append(out, h.t(c, id, args))
	}
	return strings.Join(out, "\n"), nil
}
