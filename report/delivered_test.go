package report_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// The recap shows, per structure and lot, what was agreed, what was delivered and what was
// adjusted; what remains due follows the adjustments, to the cent.
func TestRecapShowsAgreedDeliveredAdjusted(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	r0, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)
	require.NotContains(t, report.Markdown(cat, r0, "fr"), "**Livraisons**", "no section while nothing was reported")

	var kenja *report.SupplierPart
	for _, s := range r0.Suppliers {
		if s.Name == "Kenja" {
			kenja = s
		}
	}
	require.NotNil(t, kenja)
	it := kenja.Items[0]
	lot := a.lots[it.LotCode]
	after := a.event.Day.AddDate(0, 0, 1)
	_, _, err = a.db.ReportDelivery(a.ctx, dbtest.Member(a.suppliers["Kenja"]), lot.ID, kenja.SupplierID,
		guichet.DeliveryReport{Quantity: it.Quantity - 1, Comment: "un de moins"}, after)
	require.NoError(t, err)
	adjusted := it.Amount - 1_01
	_, err = a.db.AdjustAmount(a.ctx, coordinator, lot.ID, kenja.SupplierID, adjusted, "un de moins", after)
	require.NoError(t, err)

	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)
	require.Equal(t, r0.Agreed, r.Agreed, "what was agreed stays")
	require.Equal(t, r0.Agreed-1_01, r.Due)
	require.Equal(t, r0.Agreed-1_01, r.Remaining())
	md := report.Markdown(cat, r, "fr")
	require.Contains(t, md, "**Livraisons** (convenu · livré · ajusté)")
	require.Contains(t, md, "- **Kenja** — `"+it.LotCode+"` "+it.LotTitle+"\u202f: convenu ")
	require.Contains(t, md, " · livré ")
	require.Contains(t, md, "(«\u202fun de moins\u202f») · ajusté à **"+l10n.Money(adjusted, "fr")+"**")
	require.Contains(t, md, "Dû aux structures après ajustements\u202f: **"+l10n.Money(r.Due, "fr")+"** (convenu\u202f: "+l10n.Money(r.Agreed, "fr")+").")
}
