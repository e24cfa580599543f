package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// InvoiceRecord records a structure's invoice for an event (Event empty: the channel's),
// matched to its purchase order: `facture <event> numéro=… montant=… [date=…]`.
type InvoiceRecord struct {
	Event, Supplier, Number string
	// Gross is the amount invoiced, VAT included.
	Gross guichet.Cents
	// Day is the invoice's date, "YYYY-MM-DD" or "DD/MM/YYYY"; empty: today.
	Day string
}

// InvoiceList lists an event's invoices with what was paid and what is due.
type InvoiceList struct{ Event string }

// CommandName implements Command.
func (InvoiceRecord) CommandName() string { return "invoice" }

// CommandName implements Command.
func (InvoiceList) CommandName() string { return "invoices" }

// parseInvoice reads "[<event>] numéro=… montant=… [date=…] [structure=…]".
func parseInvoice(a *args) (Command, error) {
	c := InvoiceRecord{}
	var err error
	if c.Supplier, _, err = a.opt("structure", "supplier", "fournisseur"); err != nil {
		return nil, err
	}
	number, ok, err := a.opt("numéro", "numero", "number", "num", "no")
	if err != nil {
		return nil, err
	}
	if !ok || strings.TrimSpace(number) == "" {
		return nil, a.missing("CmdArgInvoiceNumber")
	}
	if c.Number, err = guichet.CheckInvoiceNumber(number); err != nil {
		return nil, a.bad(err)
	}
	amount, ok, err := a.opt("montant", "amount", "ttc")
	if err != nil {
		return nil, err
	}
	if !ok || amount == "" {
		return nil, a.missing("CmdArgAmount")
	}
	if c.Gross, err = guichet.ParseEuros(amount); err != nil {
		return nil, a.bad(err)
	}
	if c.Gross <= 0 {
		return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrInvoiceAmount", "Value", amount))
	}
	if day, ok, err := a.opt("date", "le", "on"); err != nil {
		return nil, err
	} else if ok {
		if _, err := parseDay(day); err != nil {
			return nil, a.bad(err)
		}
		c.Day = day
	}
	if e, _ := a.next(); e != "" {
		if err := checkSlug(a, e); err != nil {
			return nil, err
		}
		c.Event = strings.ToLower(e)
	}
	return c, a.finish()
}

// invoice records the invoice of the member's structure and answers with its due date, and
// the difference with the order when there is one (both sides are told by the store).
func (h *Handler) invoice(ctx context.Context, c *call, cmd InvoiceRecord) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	s, err := h.actingSupplier(ctx, c, cmd.Supplier, e.Slug, "/guichet facture "+e.Slug+` numéro=`+cmd.Number+` structure="%s"`, nil)
	if err != nil {
		return "", err
	}
	in := guichet.InvoiceInput{Number: cmd.Number, Gross: cmd.Gross, IssuedOn: h.now(), FileID: c.fileID}
	if loc, err := e.Location(); err == nil {
		in.IssuedOn = in.IssuedOn.In(loc)
	}
	if cmd.Day != "" {
		if in.IssuedOn, err = parseDay(cmd.Day); err != nil {
			return "", err
		}
	}
	inv, err := h.store.RecordInvoice(ctx, c.actor, e.ID, s.ID, in, h.issuer.PaymentDays)
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdInvoiceRecorded", map[string]any{"Number": inv.Number, "Supplier": inv.SupplierName, "Order": inv.OrderNumber,
		"Gross": l10n.Money(inv.Gross, c.locale), "Ordered": l10n.Money(inv.OrderGross, c.locale), "Differs": inv.Differs(),
		"Due": l10n.Date(inv.DueOn, inv.DueOn.Location(), c.locale)}), nil
}

// invoices lists the event's invoices: per invoice its amount, what was paid, what is due and
// when, overdue ones marked.
func (h *Handler) invoices(ctx context.Context, c *call, cmd InvoiceList) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	list, err := h.store.Invoices(ctx, e.ID)
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return h.t(c, "CmdInvoicesNone", map[string]any{"Event": e.Name}), nil
	}
	zone, err := e.Location()
	if err != nil {
		return "", err
	}
	out := []string{h.t(c, "CmdInvoicesTitle", map[string]any{"Event": e.Name, "Count": len(list)})}
	for _, inv := range list {
		out = append(out, h.t(c, "CmdInvoicesLine", map[string]any{"Supplier": inv.SupplierName, "Number": inv.Number,
			"Gross": l10n.Money(inv.Gross, c.locale), "Paid": l10n.Money(inv.Paid, c.locale), "Remaining": l10n.Money(inv.Remaining(), c.locale),
			"Due": l10n.Date(inv.DueOn, inv.DueOn.Location(), c.locale), "Overdue": inv.Overdue(h.now(), zone), "Differs": inv.Differs(),
			"Ordered": l10n.Money(inv.OrderGross, c.locale)}))
	}
	return strings.Join(out, "\n"), nil
}
