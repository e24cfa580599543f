package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// Phases of the purchase orders and of the invoices, as the transcript titles them.
const (
	phaseOrders   = "CmdDemoPhaseOrders"
	phaseInvoices = "CmdDemoPhaseInvoices"
)

// orders: the structures' legal profiles came with the structures file and the network's
// details with the bot's configuration (withIssuer), so every award made its structure's
// purchase order, revised when its shares changed; the coordinator looks at the board, and a
// member of each structure accepts its current order in its channel.
func (s *session) orders(ctx context.Context) error {
	s.progress.step("purchase orders: %d structures accept theirs", len(s.fx.suppliers))
	s.tr.beginPhase(phaseOrders, s.clock.now())
	if _, err := s.command(ctx, s.coordinator(), s.rig.CoordChannel().Id, "/guichet status"); err != nil {
		return err
	}
	label := s.cat.T(s.locale, "BtnOrderAccept", nil)
	for _, sup := range s.fx.suppliers {
		u := s.rig.User(sup.Members[0])
		ch := s.rig.Channel(sup.Channel)
		// The order was revised when its shares or the event's day changed: accept the current
		// revision's post, whose title names its number and revision.
		order, err := s.waitPost(ctx, u, ch.Id, "the current purchase order in ~"+ch.Name, func(p *model.Post) bool {
			if p.UserId != s.rig.BotUserID() || len(p.FileIds) != 1 || mmrig.Button(p, label) == nil {
				return false
			}
			cur, err := s.currentOrder(ctx, sup.Name)
			return err == nil && cur != nil &&
				strings.Contains(p.Message, s.cat.T(s.locale, "MsgOrderRevisionName", map[string]any{"Number": cur.Number, "Revision": cur.Revision})+"**")
		})
		if err != nil {
			return err
		}
		if err := s.click(ctx, u, order, label, s.t("CmdDemoOrder")); err != nil {
			return err
		}
	}
	if err := s.until(ctx, waitMessages, "every purchase order accepted", func(ctx context.Context) error {
		orders, err := s.rig.DB().Orders(ctx, s.event.ID)
		if err != nil {
			return err
		}
		accepted := 0
		for _, o := range orders {
			if o.Accepted() {
				accepted++
			}
		}
		if accepted != len(s.fx.suppliers) {
			return fmt.Errorf("%d of %d orders accepted", accepted, len(orders))
		}
		return nil
	}); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// invoices: on the event's day, each structure records its invoice for the amount of its order,
// and the coordinator records the payment of each.
func (s *session) invoices(ctx context.Context) error {
	s.progress.step("invoices recorded by the %d structures, and paid", len(s.fx.suppliers))
	s.tr.beginPhase(phaseInvoices, s.clock.now())
	orders, err := s.rig.DB().Orders(ctx, s.event.ID)
	if err != nil {
		return err
	}
	day := s.event.Day.Format("02/01/2006")
	for i, o := range orders {
		sup := s.fx.supplier(o.SupplierName)
		if sup == nil {
			return fmt.Errorf("order %s: unknown structure %s", o.Number, o.SupplierName)
		}
		amount := strings.ReplaceAll(strings.TrimSuffix(o.Gross.String(), "\u00a0€"), "\u202f", "")
		number := fmt.Sprintf("F-2011-%03d", i+1)
		if _, err := s.command(ctx, s.rig.User(sup.Members[0]), s.rig.Channel(sup.Channel).Id,
			fmt.Sprintf("/guichet facture %s numéro=%s montant=%s date=%s", slug, number, amount, day)); err != nil {
			return err
		}
		if _, err := s.command(ctx, s.coordinator(), s.rig.CoordChannel().Id,
			fmt.Sprintf(`/guichet payer "%s" %s %s facture=%s note="virement"`, o.SupplierName, amount, slug, number)); err != nil {
			return err
		}
	}
	if err := s.until(ctx, waitMessages, "every invoice recorded and paid", func(ctx context.Context) error {
		inv, err := s.rig.DB().Invoices(ctx, s.event.ID)
		if err != nil {
			return err
		}
		paid := 0
		for _, i := range inv {
			if i.Remaining() == 0 && !i.Differs() {
				paid++
			}
		}
		if paid != len(s.fx.suppliers) {
			return fmt.Errorf("%d invoice(s) recorded, %d paid in full", len(inv), paid)
		}
		return nil
	}); err != nil {
		return err
	}
	return s.endPhase(ctx)
}

// checkOrders reads every structure's purchase order back as text (pdftotext) and finds its net
// total equal, to the cent, to the sum of the structure's shares, and its VAT and gross totals
// those of its profile; every order accepted, invoiced and paid; the PDFs are saved into out.
func (s *session) checkOrders(ctx context.Context, out string) result {
	if s.event == nil {
		return fail("purchase orders: the event was not created")
	}
	orders, err := s.rig.DB().Orders(ctx, s.event.ID)
	if err != nil {
		return fail("purchase orders: %v", err)
	}
	board, err := s.rig.DB().Board(ctx, s.event.ID)
	if err != nil {
		return fail("purchase orders: %v", err)
	}
	shares := map[int64][]guichet.Cents{}
	var budget guichet.Cents
	for _, st := range board.Lots {
		for _, c := range st.Awarded() {
			shares[c.SupplierID] = append(shares[c.SupplierID], c.Amount)
			budget += c.Amount
		}
	}
	invoices, err := s.rig.DB().Invoices(ctx, s.event.ID)
	if err != nil {
		return fail("purchase orders: %v", err)
	}
	paid := map[int64]bool{}
	for _, inv := range invoices {
		paid[inv.SupplierID] = inv.Remaining() == 0
	}
	dir := filepath.Join(out, "orders")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail("purchase orders: %v", err)
	}
	var problems []string
	var net guichet.Cents
	accepted := 0
	for _, o := range orders {
		sup, err := s.rig.DB().Supplier(ctx, o.SupplierID)
		if err != nil {
			return fail("purchase orders: %v", err)
		}
		var wantNet, wantVAT guichet.Cents
		for _, a := range shares[o.SupplierID] {
			wantNet += a
			wantVAT += sup.VAT(a)
		}
		_, pdf, err := s.rig.DB().OrderFile(ctx, o.ID)
		if err != nil {
			return fail("purchase orders: %v", err)
		}
		path := filepath.Join(dir, o.Number+".pdf")
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			return fail("purchase orders: %v", err)
		}
		text, err := desk.PDFText(ctx, pdf, true)
		if err != nil {
			return fail("purchase orders: %s: %v", path, err)
		}
		read := spaceless(text)
		for _, want := range []guichet.Cents{wantNet, wantVAT, wantNet + wantVAT} {
			if !strings.Contains(read, spaceless(l10n.Money(want, s.locale))) {
				problems = append(problems, fmt.Sprintf("%s (%s) does not read %s", o.Number, o.SupplierName, l10n.Money(want, s.locale)))
			}
		}
		if o.Net != wantNet || o.Gross != wantNet+wantVAT {
			problems = append(problems, fmt.Sprintf("%s records %s net, %s gross", o.Number, l10n.Money(o.Net, s.locale), l10n.Money(o.Gross, s.locale)))
		}
		if o.Accepted() {
			accepted++
		}
		if !paid[o.SupplierID] {
			problems = append(problems, o.SupplierName+"'s invoice is not paid in full")
		}
		net += o.Net
	}
	if net != budget {
		problems = append(problems, fmt.Sprintf("the orders add up to %s net, the shares to %s", l10n.Money(net, s.locale), l10n.Money(budget, s.locale)))
	}
	r := fmt.Sprintf("%d purchase orders, %d accepted, each read back with pdftotext: totals equal to the structures' shares (%s net in all); %d invoices recorded and paid; PDFs saved in %s",
		len(orders), accepted, l10n.Money(net, s.locale), len(invoices), dir)
	if len(orders) != len(s.fx.suppliers) || accepted != len(orders) || len(invoices) != len(orders) {
		problems = append(problems, fmt.Sprintf("want %d of each", len(s.fx.suppliers)))
	}
	if len(problems) > 0 {
		return fail("%s; but %s", r, strings.Join(problems, "; "))
	}
	return pass("%s", r)
}

// spaceless drops every kind of space, so that amounts read back from a PDF compare whatever
// space the text extraction gives for the narrow no-break one.
func spaceless(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\t', '\n':
			return -1
		}
		return r
	}, s)
}

// currentOrder returns the current revision of the structure's order for the event, nil when it
// has none.
func (s *session) currentOrder(ctx context.Context, supplier string) (*guichet.Order, error) {
	orders, err := s.rig.DB().Orders(ctx, s.event.ID)
	if err != nil {
		return nil, err
	}
	for i := range orders {
		if orders[i].SupplierName == supplier && orders[i].ReplacedBy == nil {
			return orders[i], nil
		}
	}
	return nil, nil
}
