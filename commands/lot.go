package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

func (h *Handler) lotAdd(ctx context.Context, c *call, cmd LotAdd) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	l := cmd.Lot
	if cmd.Deadline != nil {
		at := cmd.Deadline.In(location(e))
		l.Deadline = &at
	}
	if err := h.store.AddLots(ctx, c.actor, e.ID, []*guichet.Lot{&l}); err != nil {
		return "", err
	}
	return h.t(c, "CmdLotAdded", map[string]any{
		"Code": l.Code, "Title": l.Title, "Event": e.Slug, "Summary": h.lotSummary(c, e, &l),
		"Published": e.Status != guichet.EventDraft,
	}), nil
}

// lotSummary writes a lot's terms on one line: quantity, budget, mode, slot, award rule and
// deadline.
func (h *Handler) lotSummary(c *call, e *guichet.Event, l *guichet.Lot) string {
	args := map[string]any{
		"Quantity": l.Quantity, "Unit": l.Unit, "Budget": l10n.Money(l.Budget, c.locale), "Shared": l.Mode == guichet.Shared,
		"Max": l.MaxSuppliers, "Slot": l.Slot(), "Review": l.Award == guichet.Review, "Category": l.Category,
	}
	if l.Deadline != nil {
		args["Deadline"] = l10n.DateTime(*l.Deadline, location(e), c.locale)
	}
	return h.t(c, "CmdLotSummary", args)
}

// lotStatusID names each lot status in the catalogue.
var lotStatusID = map[guichet.LotStatus]string{
	guichet.LotOpen:      "CmdLotOpen",
	guichet.LotFilled:    "CmdLotFilled",
	guichet.LotClosed:    "CmdLotClosed",
	guichet.LotCancelled: "CmdLotCancelledStatus",
}

func (h *Handler) lotStatus(c *call, s guichet.LotStatus) string {
	return statusText(h, c, lotStatusID, s)
}

func (h *Handler) lotList(ctx context.Context, c *call, cmd LotList) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	board, err := h.store.Board(ctx, e.ID)
	if err != nil {
		return "", err
	}
	if len(board.Lots) == 0 {
		return h.t(c, "CmdLotListEmpty", map[string]any{"Event": e.Slug}), nil
	}
	out := []string{h.t(c, "CmdLotListTitle", map[string]any{"Name": e.Name, "N": len(board.Lots)})}
	for _, st := range board.Lots {
		out = append(out, h.t(c, "CmdLotListLine", map[string]any{
			"Code": st.Lot.Code, "Title": st.Lot.Title, "Summary": h.lotSummary(c, e, st.Lot),
			"Status": h.lotStatus(c, st.Lot.Status), "Awarded": st.AwardedQuantity(), "Quantity": st.Lot.Quantity,
			"Unit": st.Lot.Unit, "Pending": len(st.Pending()),
		}))
	}
	return strings.Join(out, "\n"), nil
}

func (h *Handler) lotCancel(ctx context.Context, c *call, cmd LotCancel) (string, error) {
	l, _, err := h.lot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	if l.Status == guichet.LotCancelled {
		return h.t(c, "CmdLotAlreadyCancelled", map[string]any{"Code": l.Code}), nil
	}
	st, err := h.store.LotState(ctx, l.ID)
	if err != nil {
		return "", err
	}
	active := len(st.Awarded()) + len(st.Pending())
	if err := h.store.CancelLot(ctx, c.actor, l.ID, cmd.Reason); err != nil {
		return "", err
	}
	return h.t(c, "CmdLotCancelled", map[string]any{"Code": l.Code, "Title": l.Title, "Claimants": active}), nil
}

// importLots reads a pasted lots file and adds its lots to the event, all or nothing.
func (h *Handler) importLots(ctx context.Context, c *call, e *guichet.Event, data []byte) (int, error) {
	recs, err := ReadLots(data, location(e))
	if err != nil {
		return 0, err
	}
	if err := CheckNewCodes(ctx, h.store, e.ID, recs); err != nil {
		return 0, err
	}
	lots := make([]*guichet.Lot, len(recs))
	for i, r := range recs {
		lots[i] = r.Lot
	}
	if err := h.store.AddLots(ctx, c.actor, e.ID, lots); err != nil {
		return 0, err
	}
	return len(lots), nil
}

// CheckNewCodes returns an error naming the row and column of the first record whose code the
// event already has.
func CheckNewCodes(ctx context.Context, store interface {
	Lots(ctx context.Context, eventID int64) ([]*guichet.Lot, error)
}, eventID int64, recs []LotRecord) error {
	existing, err := store.Lots(ctx, eventID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range existing {
		have[l.Code] = true
	}
	for _, r := range recs {
		if have[r.Lot.Code] {
			return r.CellError("code", guichet.Errorf(guichet.ECONFLICT, "ErrLotCodeExists", "Code", r.Lot.Code))
		}
	}
	return nil
}

// publish posts the offers of the event's open lots to the suppliers serving their
// categories. Before that, it looks again for the channels of those suppliers that had none
// and joins every channel, so that the coordinator learns now of a channel that will not get
// its offers; lots that no supplier serves are named too.
func (h *Handler) publish(ctx context.Context, c *call, cmd Publish) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	lots, err := h.store.Lots(ctx, e.ID)
	if err != nil {
		return "", err
	}
	suppliers, err := h.store.Suppliers(ctx)
	if err != nil {
		return "", err
	}
	var warnings []string
	served := map[string]bool{}
	joined := map[string]bool{}
	for _, s := range suppliers {
		concerned := false
		for _, l := range lots {
			if l.Status == guichet.LotOpen && s.Serves(l.Category) {
				concerned = true
			}
		}
		if !concerned {
			continue
		}
		if s.ChannelID == "" && s.ChannelName != "" && c.teamID != "" {
			if w, err := h.findChannel(ctx, c, s); err != nil {
				return "", err
			} else if w != "" {
				warnings = append(warnings, w)
			}
		}
		if s.ChannelID == "" {
			if s.ChannelName == "" {
				warnings = append(warnings, h.t(c, "CmdSupplierNoChannel", map[string]any{"Name": s.Name}))
			}
			continue
		}
		for _, cat := range s.Categories {
			served[cat] = true
		}
		if joined[s.ChannelID] {
			continue
		}
		joined[s.ChannelID] = true
		if w := h.join(ctx, c, s.ChannelID, s.ChannelName); w != "" {
			warnings = append(warnings, w)
		}
	}
	for _, l := range lots {
		if l.Status == guichet.LotOpen && !served[l.Category] {
			warnings = append(warnings, h.t(c, "CmdNobodyServes", map[string]any{"Code": l.Code, "Category": l.Category}))
		}
	}
	n, err := h.store.Publish(ctx, c.actor, e.ID)
	if err != nil {
		return "", err
	}
	id := "CmdPublished"
	if n == 0 {
		id = "CmdPublishedNothing"
	}
	return lines(h.t(c, id, map[string]any{"N": n, "Name": e.Name}), strings.Join(warnings, "\n")), nil
}

// findChannel looks up the channel of a supplier saved without its id and saves it when found.
// It returns a warning when the channel still cannot be found.
func (h *Handler) findChannel(ctx context.Context, c *call, s *guichet.Supplier) (string, error) {
	id, err := h.chat.ChannelByName(ctx, c.teamID, s.ChannelName)
	switch guichet.ErrorCode(err) {
	case "":
	case guichet.ENOTFOUND, guichet.EFORBIDDEN:
		return h.t(c, "CmdChannelNotFound", map[string]any{"Channel": s.ChannelName}), nil
	default:
		return "", err
	}
	s.ChannelID = id
	if err := h.store.UpsertSuppliers(ctx, c.actor, []*guichet.Supplier{s}); err != nil {
		return "", err
	}
	return "", nil
}
