package commands

import (
	"context"
	"strconv"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

func (h *Handler) award(ctx context.Context, c *call, cmd Award) (string, error) {
	l, s, err := h.lotAndSupplier(ctx, c, cmd.Lot, cmd.Supplier)
	if err != nil {
		return "", err
	}
	cl, err := h.store.Award(ctx, c.actor, l.ID, s.ID)
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdAwarded", map[string]any{
		"Code": l.Code, "Title": l.Title, "Supplier": s.Name, "Quantity": cl.Quantity, "Unit": l.Unit, "Amount": l10n.Money(cl.Amount, c.locale),
	}), nil
}

func (h *Handler) decline(ctx context.Context, c *call, cmd Decline) (string, error) {
	l, s, err := h.lotAndSupplier(ctx, c, cmd.Lot, cmd.Supplier)
	if err != nil {
		return "", err
	}
	if _, err := h.store.Decline(ctx, c.actor, l.ID, s.ID, cmd.Reason); err != nil {
		return "", err
	}
	st, err := h.store.LotState(ctx, l.ID)
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdDeclined", map[string]any{"Code": l.Code, "Supplier": s.Name, "Pending": len(st.Pending())}), nil
}

// actingSupplier picks the supplier (structure) a member acts for: the one named (which they
// must be a member of), or their only one. Among several, they must say which: holding, when
// not nil, narrows the choice to the structures it accepts.
func (h *Handler) actingSupplier(ctx context.Context, c *call, named, code string, example string, holding func(*guichet.Supplier) bool) (*guichet.Supplier, error) {
	mine, err := h.access.SuppliersOf(ctx, c.actor)
	if err != nil {
		return nil, err
	}
	if named != "" {
		for _, s := range mine {
			if fold(s.Name) == fold(named) || s.Slug == guichet.Slugify(named) {
				return h.access.SupplierFor(ctx, c.actor, s.ID)
			}
		}
		s, err := h.store.SupplierByRef(ctx, named)
		if err != nil {
			return nil, err
		}
		// Not one of theirs: Access says so in its words.
		return h.access.SupplierFor(ctx, c.actor, s.ID)
	}
	candidates := mine
	if holding != nil && len(mine) > 1 {
		candidates = nil
		for _, s := range mine {
			if holding(s) {
				candidates = append(candidates, s)
			}
		}
		if len(candidates) == 0 {
			candidates = mine
		}
	}
	if len(candidates) == 1 {
		return h.access.SupplierFor(ctx, c.actor, candidates[0].ID)
	}
	names := make([]string, len(candidates))
	for i, s := range candidates {
		names[i] = s.Name
	}
	return nil, guichet.Errorf(guichet.EINVALID, "CmdWhichStructure", "Code", code,
		"Structures", h.quoteList(c, names), "Example", strings.ReplaceAll(example, "%s", names[0]))
}

func (h *Handler) claim(ctx context.Context, c *call, cmd Claim) (string, error) {
	if behalf, err := h.claimsOnBehalf(ctx, c, cmd); behalf || err != nil {
		if err != nil {
			return "", err
		}
		return h.claimOnBehalf(ctx, c, cmd)
	}
	example := "/guichet claim " + cmd.Lot.String()
	if cmd.Quantity > 0 {
		example += " " + strconv.FormatInt(cmd.Quantity, 10)
	}
	s, err := h.actingSupplier(ctx, c, cmd.Supplier, cmd.Lot.Code, example+` structure="%s"`, nil)
	if err != nil {
		return "", err
	}
	l, e, err := h.memberLot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	res, err := h.store.Claim(ctx, guichet.ClaimRequest{Actor: c.actor, LotID: l.ID, SupplierID: s.ID, Quantity: cmd.Quantity, Note: cmd.Note}, h.now())
	if err != nil {
		return "", err
	}
	args := map[string]any{
		"Code": l.Code, "Title": l.Title, "Supplier": s.Name, "Quantity": res.Claim.Quantity, "Unit": l.Unit,
		"Amount": l10n.Money(res.Claim.Amount, c.locale), "Event": e.Name, "Day": l10n.EventDay(e, c.locale), "Slot": l.Slot(),
	}
	switch {
	case res.Existing:
		args["Status"] = h.claimStatus(c, res.Claim.Status)
		return h.t(c, "CmdClaimExisting", args), nil
	case res.Claim.Status == guichet.ClaimPending:
		return h.t(c, "CmdCandidacy", args), nil
	}
	return h.t(c, "CmdClaimed", args), nil
}

func (h *Handler) release(ctx context.Context, c *call, cmd Release) (string, error) {
	l, _, err := h.memberLot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	st, err := h.store.LotState(ctx, l.ID)
	if err != nil {
		return "", err
	}
	holding := func(s *guichet.Supplier) bool {
		for _, cl := range st.Claims {
			if cl.SupplierID == s.ID && cl.Status.Active() {
				return true
			}
		}
		return false
	}
	s, err := h.actingSupplier(ctx, c, cmd.Supplier, l.Code, "/guichet release "+cmd.Lot.String()+` structure="%s"`, holding)
	if err != nil {
		return "", err
	}
	cl, err := h.store.Withdraw(ctx, c.actor, l.ID, s.ID, cmd.Reason)
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdReleased", map[string]any{"Code": l.Code, "Title": l.Title, "Supplier": s.Name, "Quantity": cl.Quantity, "Unit": l.Unit}), nil
}

// claimStatusID names each claim status in the catalogue.
var claimStatusID = map[guichet.ClaimStatus]string{
	guichet.ClaimPending:   "CmdClaimPending",
	guichet.ClaimAwarded:   "CmdClaimAwarded",
	guichet.ClaimDeclined:  "CmdClaimDeclined",
	guichet.ClaimWithdrawn: "CmdClaimWithdrawn",
	guichet.ClaimCancelled: "CmdClaimCancelled",
}

func (h *Handler) claimStatus(c *call, s guichet.ClaimStatus) string {
	if id, ok := claimStatusID[s]; ok {
		return h.t(c, id, nil)
	}
	return string(s)
}
