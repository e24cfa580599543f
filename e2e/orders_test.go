package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

const btnOrderAccept = "J'accepte le bon de commande"

// spaceless drops every kind of space, so that amounts read back from a PDF compare whatever
// space the text extraction gives for the narrow no-break one.
func spaceless(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\t':
			return -1
		}
		return r
	}, s)
}

// An award makes the structure's purchase order: its PDF in the structure's channel, whose
// totals are the structure's share; the member accepts it and the board says so; the member
// records an invoice that differs from the order and both sides are told; the coordinator
// records a payment, a payment above what is due is refused, and a correction is recorded.
func TestPurchaseOrderAcceptedInvoicedAndPaid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "bdc", "Scop Bdc Traiteur", "Asso Bdc Cuisine")
	profiles := []struct{ siret, form, kind, regime string }{
		{"73282932000074", "SCOP SARL", "scop", "liable"},
		{"44306184100047", "Association loi 1901", "association", "association"},
	}
	for i, p := range profiles {
		_, err := rig.DB().SQL().ExecContext(ctx, `UPDATE suppliers SET siret = $2, legal_form = $3, kind = $4, vat_regime = $5,
			vat_rate_bp = CASE WHEN $5 = 'liable' THEN 1000 ELSE 0 END, address = '3 rue de la Paix, 44000 Nantes' WHERE id = $1`,
			w.suppliers[i].ID, p.siret, p.form, p.kind, p.regime)
		require.NoError(t, err)
	}
	lot := w.addLot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner des délégués", Quantity: 300, Unit: "couverts", Budget: 450001,
		Mode: guichet.Shared, MaxSuppliers: 3, SlotStart: "12:00", SlotEnd: "14:00", Place: "Hall 2"})
	w.publish(t, 2)
	w.offerPost(t, 0, lot)
	w.offerPost(t, 1, lot)
	for i, qty := range []string{"100", "200"} {
		resp, err := w.members[i].Command(ctx, w.channels[i].Id, "/guichet prendre e2e-bdc/DEJ "+qty)
		require.NoError(t, err)
		require.Contains(t, resp.Text, "DEJ")
	}
	cl := claims(t, lot.ID)
	require.Len(t, cl, 2)
	require.Equal(t, guichet.Cents(450001), cl[0].Amount+cl[1].Amount)

	// The SCOP's order: its PDF in its channel, with the button; its totals are its share, with
	// 10 % VAT.
	orderPost := w.members[0].WaitPost(t, w.channels[0].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && len(p.FileIds) == 1 && (mmrig.Button(p, btnOrderAccept) != nil)
	})
	require.Contains(t, orderPost.Message, "BC-")
	data, _, err := w.members[0].Client.GetFile(ctx, orderPost.FileIds[0])
	require.NoError(t, err)
	text := readPDF(t, data)
	share := cl[0].Amount
	vat := guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 1000}.VAT(share)
	for _, want := range []string{l10n.Money(share, "fr"), l10n.Money(vat, "fr"), l10n.Money(share+vat, "fr"), "Scop Bdc Traiteur", "Hall 2", e2eIssuer["GUICHET_ISSUER_NAME"]} {
		require.Contains(t, spaceless(text), spaceless(want), "the order's PDF reads:\n%s", text)
	}

	// Someone who can read the channel but is no member of the structure clicks: refused,
	// nothing recorded, the button stays.
	_, _, err = rig.Admin().Client.AddChannelMember(ctx, w.channels[0].Id, w.observer.ID)
	require.NoError(t, err)
	watch := w.observer.Watch(t)
	require.NoError(t, w.observer.Click(t, orderPost.Id, btnOrderAccept))
	watch.Ephemeral(t, func(p *model.Post) bool { return p.ChannelId == w.channels[0].Id })
	require.Equal(t, 0, count(t, `SELECT count(*) FROM audit WHERE action = 'order.accept' AND supplier_id = $1`, w.suppliers[0].ID))
	require.Equal(t, 0, count(t, `SELECT count(*) FROM documents WHERE kind = 'order' AND supplier_id = $1 AND accepted_at IS NOT NULL`, w.suppliers[0].ID))

	// The member accepts it: the post loses its button and says who accepted; the board says
	// one order of two is accepted.
	require.NoError(t, w.members[0].Click(t, orderPost.Id, btnOrderAccept))
	rig.WaitPostByID(t, orderPost.Id, func(p *model.Post) bool {
		return !(mmrig.Button(p, btnOrderAccept) != nil) && strings.Contains(p.Message, "Accepté par @"+w.members[0].Username)
	})
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit WHERE action = 'order.accept' AND supplier_id = $1`, w.suppliers[0].ID))
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "**Bons de commande**") &&
			strings.Contains(p.Message, "1 accepté sur 2") && strings.Contains(p.Message, "✅ Scop Bdc Traiteur")
	})

	// The association invoices 3 000,00 € where its order says its share: both are told, the
	// amounts side by side.
	resp, err := w.members[1].Command(ctx, w.channels[1].Id, `/guichet facture e2e-bdc numéro=F-77 montant="3 000,00" date=20/04/2031`)
	require.NoError(t, err)
	require.Contains(t, resp.Text, "F-77")
	require.Contains(t, resp.Text, "20 mai 2031", "due 30 days after the invoice's date")
	differs := func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "F-77") && strings.Contains(p.Message, "ne correspond pas")
	}
	w.members[1].WaitPost(t, w.channels[1].Id, differs)
	rig.WaitPost(t, w.coordChannel.Id, differs)
	resp, err = w.members[1].Command(ctx, w.channels[1].Id, `/guichet facture e2e-bdc numéro=F-77 montant=10 date=21/04/2031`)
	require.NoError(t, err)
	require.Contains(t, resp.Text, "déjà enregistré une facture numéro F-77")

	// The coordinator pays 1 000,00 €, cannot pay more than what is due, and corrects 200,00 €
	// with a reason.
	pay := func(args string) string {
		resp, err := w.coord.Command(ctx, w.coordChannel.Id, `/guichet payer "Asso Bdc Cuisine" `+args)
		require.NoError(t, err)
		return resp.Text
	}
	require.Contains(t, pay(`1000 e2e-bdc facture=F-77`), "reste dû 2\u202f000,00")
	require.Contains(t, pay(`2500 e2e-bdc facture=F-77`), "Paiement refusé")
	require.Contains(t, pay(`-200 e2e-bdc facture=F-77`), "doit dire pourquoi")
	require.Contains(t, pay(`-200 e2e-bdc facture=F-77 motif="saisi en trop"`), "Correction de")
	require.Equal(t, 2, count(t, `SELECT count(*) FROM payments WHERE supplier_id = $1 AND invoice_id IS NOT NULL`, w.suppliers[1].ID))
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit WHERE action = 'payment.correct' AND supplier_id = $1`, w.suppliers[1].ID))
}
