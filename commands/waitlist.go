package commands

import (
	"context"
)

// Promote gives a lot to a structure in its waitlist, whatever its place
// (`promouvoir <lot> structure=…`).
type Promote struct {
	Lot      LotRef
	Supplier string
}

// CommandName implements Command.
func (Promote) CommandName() string { return "promote" }

// parsePromote reads `<lot> structure=…`; the structure may also be written after the lot,
// without its key.
func parsePromote(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := Promote{Lot: ref}
	if c.Supplier, err = a.supplierArg(); err != nil {
		return nil, err
	}
	return c, a.finish()
}

// promote gives the lot to the structure from its line (Store.PromoteWaitlist, decided by the
// claim's one rule) and answers with its share, or says that nothing is free.
func (h *Handler) promote(ctx context.Context, c *call, cmd Promote) (string, error) {
	l, s, err := h.lotAndSupplier(ctx, c, cmd.Lot, cmd.Supplier)
	if err != nil {
		return "", err
	}
	ans, err := h.store.PromoteWaitlist(ctx, c.actor, l.ID, s.ID, h.now())
	if err != nil {
		return "", err
	}
	args := map[string]any{"Supplier": s.Name, "Code": l.Code, "Title": l.Title}
	if ans.Full {
		return h.t(c, "CmdWaitlistFull", args), nil
	}
	args["Quantity"], args["Unit"], args["Amount"] = ans.Claim.Quantity, l.Unit, ans.Claim.Amount
	return h.t(c, "CmdWaitlistPromoted", args), nil
}
