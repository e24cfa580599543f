package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Adjust sets the amount due to a structure for its awarded share of a lot, with a reason
// (`ajuster <lot> structure=… montant=… motif=…`).
type Adjust struct {
	Lot      LotRef
	Supplier string
	Amount   guichet.Cents // zero or more
	Reason   string        // not empty
}

// CommandName implements Command.
func (Adjust) CommandName() string { return "adjust" }

// parseAdjust reads `<lot> structure=… montant=… motif=…`; the structure may also be written
// after the lot, without its key, when the amount and reason are given by key.
func parseAdjust(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := Adjust{Lot: ref}
	if c.Supplier, err = a.supplierArg(); err != nil {
		return nil, err
	}
	amount, ok, err := a.opt("montant", "amount", "somme")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, a.missing("CmdArgAmount")
	}
	if c.Amount, err = guichet.ParseEuros(amount); err != nil {
		return nil, a.bad(err)
	}
	if c.Amount < 0 {
		return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrDeliveredAmount", "Value", amount))
	}
	if c.Reason, err = a.typed(guichet.AdjustReason, "motif", "reason", "raison", "note"); err != nil {
		return nil, err
	}
	if c.Reason = strings.TrimSpace(c.Reason); c.Reason == "" {
		return nil, a.missing("CmdArgDeliveredReason")
	}
	return c, a.finish()
}

// adjust sets a structure's amount for a lot and answers with the amounts before and after.
func (h *Handler) adjust(ctx context.Context, c *call, cmd Adjust) (string, error) {
	l, s, err := h.lotAndSupplier(ctx, c, cmd.Lot, cmd.Supplier)
	if err != nil {
		return "", err
	}
	adj, err := h.store.AdjustAmount(ctx, c.actor, l.ID, s.ID, cmd.Amount, cmd.Reason, h.now())
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdDeliveredAdjusted", map[string]any{"Supplier": adj.Claim.SupplierName, "Code": l.Code,
		"Title": l.Title, "Before": l10n.Money(adj.Before, c.locale), "After": l10n.Money(cmd.Amount, c.locale),
		"Agreed": l10n.Money(adj.Claim.Amount, c.locale), "Reason": cmd.Reason}), nil
}
