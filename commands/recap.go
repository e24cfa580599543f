package commands

import (
	"context"

	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// recap queues the event's recap for posting, or shows it privately (Preview), changing
// nothing.
func (h *Handler) recap(ctx context.Context, c *call, cmd Recap) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	if cmd.Preview {
		r, err := report.Build(ctx, h.store, e.ID)
		if err != nil {
			return "", err
		}
		return report.Preview(h.cat, r, ""), nil
	}
	if err := h.store.QueueRecap(ctx, c.actor, e.ID); err != nil {
		return "", err
	}
	return h.t(c, "RecapQueued", map[string]any{"Event": e.Name, "ClientChannel": e.RecapChannelID != ""}), nil
}

// paid records a payment to a structure and answers with what remains due to it.
func (h *Handler) paid(ctx context.Context, c *call, cmd Paid) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	s, err := h.store.SupplierByRef(ctx, cmd.Supplier)
	if err != nil {
		return "", err
	}
	if cmd.Invoice != "" {
		inv, err := h.store.PayInvoice(ctx, c.actor, e.ID, s.ID, cmd.Invoice, cmd.Amount, cmd.Note)
		if err != nil {
			return "", err
		}
		amount := cmd.Amount
		if amount < 0 {
			amount = -amount
		}
		return h.t(c, "CmdInvoicePaid", map[string]any{"Amount": l10n.Money(amount, c.locale), "Correction": cmd.Amount < 0,
			"Number": inv.Number, "Supplier": inv.SupplierName, "Gross": l10n.Money(inv.Gross, c.locale),
			"Paid": l10n.Money(inv.Paid, c.locale), "Remaining": l10n.Money(inv.Remaining(), c.locale)}), nil
	}
	bal, err := h.store.RecordPayment(ctx, c.actor, e.ID, s.ID, cmd.Amount, cmd.Note)
	if err != nil {
		return "", err
	}
	return report.PaymentReply(h.cat, c.locale, cmd.Amount, bal), nil
}
