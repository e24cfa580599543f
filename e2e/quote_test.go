package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

// e2eIssuer is the network the rig's bot issues documents as (a fictitious SIRET, generated
// to pass the Luhn check).
var e2eIssuer = map[string]string{
	"GUICHET_ISSUER_NAME":        "Réseau e2e",
	"GUICHET_ISSUER_SIRET":       "99900024300017",
	"GUICHET_ISSUER_LEGAL_FORM":  "Association loi 1901",
	"GUICHET_ISSUER_VAT_REGIME":  "liable",
	"GUICHET_ISSUER_VAT_RATE_BP": "2000",
	"GUICHET_ISSUER_ADDRESS":     "1 rue du Réseau, 44000 Nantes",
}

// The coordinator writes the structures' legal profiles from chat, sets the fee and runs
// devis: the bot attaches the PDF and the CSV in the coordination channel, and the PDF, read
// back with pdftotext, shows a total equal, to the cent, to the shares, their VAT and the fee.
func TestQuoteFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "devis", "Devis Coop", "Devis Asso", "Devis Solo")
	coord, ch := w.coord, w.coordChannel.Id
	slug := w.event.Slug
	out := say(t, coord, ch, "/guichet devis "+slug)
	require.Contains(t, out, "rien à mettre au devis")

	for _, cmd := range []string{
		`/guichet structure modifier "Devis Coop" siret=99900001100018 forme="SCOP SARL" type=scop tva=assujettie taux=10 adresse="1 rue A, Nantes"`,
		`/guichet structure modifier "Devis Asso" siret=99900002900010 forme="Association loi 1901" type=association tva=association adresse="2 rue B, Nantes"`,
	} {
		require.Contains(t, say(t, coord, ch, cmd), "Profil légal")
	}
	// A shared lot of 1 000 € for 3 couverts: shares of 666,67 € and 333,33 €.
	w.addLot(t, &guichet.Lot{Code: "REP", Title: "Repas", Quantity: 3, Unit: "couverts", Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 3})
	w.addLot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Quantity: 1, Unit: "reportage", Budget: 45050})
	w.publish(t, 6)
	require.Contains(t, say(t, w.members[0], w.channels[0].Id, "/guichet prendre "+slug+"/REP 2"), "prend le lot")
	require.Contains(t, say(t, w.members[1], w.channels[1].Id, "/guichet prendre "+slug+"/REP 1"), "prend le lot")
	require.Contains(t, say(t, w.members[2], w.channels[2].Id, "/guichet prendre "+slug+"/PHO"), "prend le lot")

	out = say(t, coord, ch, "/guichet statut "+slug)
	require.Contains(t, out, "**Devis Solo**\u202f: le SIRET, la forme juridique, le type de structure, le régime de TVA, l'adresse")
	out = say(t, coord, ch, "/guichet devis "+slug)
	require.Contains(t, out, "Je ne peux pas faire le devis")
	require.Contains(t, out, `/guichet structure modifier "Devis Solo" siret=… forme=… type=… tva=… adresse=…`)
	// The dialog, prefilled with what is known: a bad SIRET keeps it open, saying why.
	watch := coord.Watch(t)
	require.Empty(t, say(t, coord, ch, `/guichet structure modifier "Devis Solo"`))
	d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.supplier.edit" })
	fields := map[string]any{"siret": "99900003700014", "legal_form": "Entreprise individuelle", "kind": "ei",
		"vat_regime": "franchise", "vat_rate": "", "address": "3 rue C, Nantes", "billing_email": ""}
	resp := submitDialog(t, coord, ch, d, fields)
	require.Contains(t, resp.Errors["siret"], "n'est pas valide")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM suppliers WHERE name = 'Devis Solo' AND siret = '' AND address = ''`), "nothing saved")
	fields["siret"] = "999 000 037 00013"
	require.Empty(t, submitDialog(t, coord, ch, d, fields).Errors)
	require.Contains(t, say(t, coord, ch, "/guichet événement modifier "+slug+" frais=5%"), "5\u202f%")

	out = say(t, coord, ch, "/guichet devis "+slug)
	require.Contains(t, out, "Devis **DEV-2031-")

	// What the document must say, from the shares as the database holds them.
	var shares []struct {
		Amount int64  `db:"amount_cents"`
		Regime string `db:"vat_regime"`
		Rate   int    `db:"vat_rate_bp"`
	}
	require.NoError(t, rig.DB().SQL().SelectContext(ctx, &shares, `SELECT c.amount_cents, s.vat_regime, s.vat_rate_bp
		FROM claims c JOIN lots l ON l.id = c.lot_id JOIN suppliers s ON s.id = c.supplier_id
		WHERE l.event_id = $1 AND c.status = 'awarded'`, w.event.ID))
	require.Len(t, shares, 3)
	var net, vat guichet.Cents
	for _, s := range shares {
		net += guichet.Cents(s.Amount)
		if s.Regime == "liable" {
			vat += guichet.VATOn(guichet.Cents(s.Amount), s.Rate)
		}
	}
	require.Equal(t, guichet.Cents(145050), net)
	fee := guichet.VATOn(net, 500)
	gross := net + fee + vat + guichet.VATOn(fee, 2000)

	post := rig.WaitPost(t, ch, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "📄 Devis DEV-2031-") && len(p.FileIds) == 2
	})
	infos, _, err := coord.Client.GetFileInfosForPost(ctx, post.Id, "")
	require.NoError(t, err)
	var pdf []byte
	for _, info := range infos {
		if strings.HasSuffix(info.Name, ".pdf") {
			pdf, _, err = coord.Client.GetFile(ctx, info.Id)
			require.NoError(t, err)
		}
	}
	require.NotEmpty(t, pdf, "the PDF is attached")
	text := readPDF(t, pdf)
	plain := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, "\u202f", " "), "\u00a0", " ")
	}
	require.Contains(t, text, "Total TTC")
	require.Contains(t, text, plain(l10n.Money(gross, "fr")), "the total is the shares' net, their VAT and the fee, to the cent")
	require.Contains(t, text, plain(l10n.Money(net+fee, "fr")))
	for _, want := range []string{"666,67 €", "333,33 €", "450,50 €", "Devis Coop", "Devis Asso", "Devis Solo", "Réseau e2e",
		"TVA non applicable, article 293 B du CGI", "Exonération de TVA, article 261, 7-1° b du CGI"} {
		require.Contains(t, text, want)
	}

	// Nothing changed: the same revision is posted again; the shares change: revision 2.
	require.Contains(t, say(t, coord, ch, "/guichet devis "+slug), "Rien n'a changé")
	require.Contains(t, say(t, w.members[2], w.channels[2].Id, "/guichet libérer "+slug+"/PHO"), "libère")
	out = say(t, coord, ch, "/guichet devis "+slug)
	require.Contains(t, out, "révision 2")
	require.Equal(t, 2, count(t, `SELECT count(*) FROM documents WHERE kind = 'quote' AND event_id = $1`, w.event.ID))
	require.Equal(t, 1, count(t, `SELECT count(*) FROM documents WHERE kind = 'quote' AND event_id = $1 AND replaced_by IS NULL`, w.event.ID))
	rig.WaitPost(t, ch, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "révision 2") && len(p.FileIds) == 2
	})
}

// readPDF reads a PDF back as text laid out as printed, spaces made plain (desk.PDFText).
func readPDF(t *testing.T, pdf []byte) string {
	t.Helper()
	text, err := desk.PDFText(context.Background(), pdf, true)
	require.NoError(t, err)
	return text
}
