package report_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// With purchase orders and invoices, the recap shows per structure what was ordered,
// delivered, invoiced, paid and is still due, and the chart draws paid and due.
func TestRecapShowsOrderedInvoicedPaidDue(t *testing.T) {
	t.Parallel()
	ev := &guichet.Event{ID: 1, Name: "Assises", Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), Locale: "fr"}
	lot := &guichet.Lot{ID: 1, EventID: 1, Code: "DEJ", Title: "Déjeuner", Quantity: 300, Budget: 450001, Status: guichet.LotFilled}
	d := &guichet.RecapData{
		Board: &guichet.Board{Event: ev, Lots: []*guichet.LotState{{Lot: lot, Claims: []*guichet.Claim{
			{ID: 1, LotID: 1, SupplierID: 10, SupplierName: "Scopéra", Quantity: 100, Amount: 150000, Status: guichet.ClaimAwarded},
			{ID: 2, LotID: 1, SupplierID: 20, SupplierName: "Les Écossolies", Quantity: 200, Amount: 300001, Status: guichet.ClaimAwarded},
		}}}},
		Orders: []*guichet.Order{
			{SupplierID: 10, SupplierName: "Scopéra", Gross: 165000},
			{SupplierID: 20, SupplierName: "Les Écossolies", Gross: 300001},
		},
		Invoices: []*guichet.Invoice{{SupplierID: 10, SupplierName: "Scopéra", Gross: 165000}},
		Payments: []*guichet.Payment{{SupplierID: 10, SupplierName: "Scopéra", Amount: 100000}},
	}
	r := report.FromData(d)
	require.True(t, r.Desk)
	require.Equal(t, guichet.Cents(465001), r.Ordered)
	require.Equal(t, guichet.Cents(165000), r.Invoiced)
	// Scopéra invoiced: 1 650,00 − 1 000,00 still due; Les Écossolies did not: its share.
	require.Equal(t, guichet.Cents(65000+300001), r.Owed())
	md := report.Markdown(cat, r, "fr")
	m := func(c guichet.Cents) string { return l10n.Money(c, "fr") }
	require.Contains(t, md, "| Structure | Commandé TTC | Livré HT | Facturé TTC | Payé | Reste dû |")
	require.Contains(t, md, "| Scopéra | "+m(165000)+" | "+m(150000)+" | "+m(165000)+" | "+m(100000)+" | "+m(65000)+" |")
	require.Contains(t, md, "| Les Écossolies | "+m(300001)+" | "+m(300001)+" | "+m(0)+" | "+m(0)+" | "+m(300001)+" |")

	c := report.ChartOf(cat, r, "fr")
	require.Equal(t, []string{"Les Écossolies", "Scopéra"}, c.Names)
	// Scopéra was paid 1 000,00 of the 1 650,00 it invoiced: that share of its 1 500,00 bar.
	require.Equal(t, []guichet.Cents{0, 90909}, c.Paid)
	require.Equal(t, "payé", c.PaidLabel)
	png, err := c.PNG()
	require.NoError(t, err)
	require.NotEmpty(t, png)

	// Without orders nor invoices, the recap and the chart are as they were.
	d.Orders, d.Invoices = nil, nil
	r = report.FromData(d)
	require.False(t, r.Desk)
	require.NotContains(t, report.Markdown(cat, r, "fr"), "Commandé TTC")
	require.Nil(t, report.ChartOf(cat, r, "fr").Paid)
}
