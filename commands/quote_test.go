package commands_test

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

// testIssuer is a coordinating network with everything a document needs (a fictitious SIRET,
// generated to pass the Luhn check).
var testIssuer = guichet.Issuer{Name: "Réseau des Écossolies", PaymentDays: 30, LegalProfile: guichet.LegalProfile{
	SIRET: "99900024300017", LegalForm: "Association loi 1901", VATRegime: guichet.VATLiable, VATRateBP: 2000,
	Address: "1 rue du Réseau\n44000 Nantes"}}

// withIssuer gives the bundle's handler an issuer.
func (b *bundle) withIssuer(t *testing.T, is guichet.Issuer) {
	t.Helper()
	b.h = commands.New(commands.Deps{Store: b.db, Chat: b.chat, Access: guichet.NewAccess(b.db, coord.UserID),
		Catalog: l10n.New(), Locale: "fr", Now: func() time.Time { return b.now }, Issuer: is})
}

// claimed2011 imports the Assises, publishes and makes every 2011 claim.
func (b *bundle) claimed2011(t *testing.T) {
	t.Helper()
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	recs, err := commands.ReadSuppliers([]byte(readFixture(t, "suppliers.csv")))
	require.NoError(t, err)
	byName := map[string]*guichet.Supplier{}
	for _, r := range recs {
		byName[r.Supplier.Name] = r.Supplier
	}
	rows, err := csv.NewReader(strings.NewReader(readFixture(t, "replay.csv"))).ReadAll()
	require.NoError(t, err)
	for _, row := range rows[1:] {
		s := byName[row[1]]
		out := b.run(t, member(s.Members[0].Username), "c-"+s.ChannelName, "prendre "+row[0]+" "+row[2])
		require.Contains(t, out, "prend le lot `"+row[0]+"`")
	}
}

// pdfText reads a PDF back as text, spaces made plain (desk.PDFText).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	text, err := desk.PDFText(context.Background(), pdf, true)
	require.NoError(t, err)
	return text
}

func TestSupplierEditRightsAndAudit(t *testing.T) {
	b := setup(t)
	b.assises(t)
	out := b.run(t, member("kenja.malik"), "c-kenja", `structure modifier Kenja siret=99900001100018`)
	require.Contains(t, out, "réservée", "a member who coordinates nothing is refused")
	var siret string
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &siret, `SELECT siret FROM suppliers WHERE slug = 'kenja'`))
	require.NotEqual(t, "99900001100018", siret)

	out = b.run(t, coord, coordChannel, `structure modifier Kenja siret="999 000 011 00018" tva=franchise adresse=""`)
	require.Contains(t, out, "Profil légal de **Kenja**")
	require.Contains(t, out, "SIRET 99900001100018")
	require.Contains(t, out, "franchise en base de TVA")
	require.Contains(t, out, "Il manque encore pour ses documents\u202f: l'adresse — `/guichet structure modifier \"Kenja\" adresse=…`")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'supplier.profile' AND actor_id = $1`, coord.UserID))

	out = b.run(t, coord, coordChannel, `structure modifier Kenja siret=99900001100019 adresse="2 rue B"`)
	require.Contains(t, out, "n'est pas valide")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM suppliers WHERE slug = 'kenja' AND address = ''`), "nothing half-done")
}

func TestSupplierEditDialog(t *testing.T) {
	b := setup(t)
	b.assises(t)
	require.Equal(t, "", b.run(t, coord, coordChannel, `structure modifier "Style Alpaga"`))
	d := b.chat.lastDialog(t)
	require.Equal(t, "cmd.supplier.edit", d.CallbackID)
	require.Equal(t, "style-alpaga", d.State)
	fields := map[string]any{}
	for _, e := range d.Elements {
		fields[e.Name] = e.Default
	}
	require.Equal(t, "SCOP SARL", fields["legal_form"], "prefilled")
	require.Equal(t, "liable", fields["vat_regime"])
	require.Equal(t, "20", fields["vat_rate"])

	fields["vat_rate"] = "120"
	reply := b.submit(t, coord, coordChannel, d, fields)
	require.Contains(t, reply.Errors["vat_rate"], "entre 0 et 100")

	fields["vat_rate"] = "10"
	fields["address"] = ""
	reply = b.submit(t, coord, coordChannel, d, fields)
	require.Empty(t, reply.Errors)
	var got struct {
		Rate    int    `db:"vat_rate_bp"`
		Address string `db:"address"`
	}
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &got, `SELECT vat_rate_bp, address FROM suppliers WHERE slug = 'style-alpaga'`))
	require.Equal(t, 1000, got.Rate)
	require.Equal(t, "", got.Address, "an emptied field is cleared")
	require.Contains(t, b.notices(t), "CmdQuoteSupplierEdited")

	reply = b.submit(t, member("kenja.malik"), "c-kenja", d, fields)
	require.NotEmpty(t, reply.Errors, "the submission checks the rights again")
}

// status says, before any document, which holders lack what and how to mend it, and what
// the configuration's issuer lacks; devis is refused with the same list.
func TestStatusAndQuoteListWhatIsMissing(t *testing.T) {
	b := setup(t)
	b.claimed2011(t)
	b.run(t, coord, coordChannel, `structure modifier Kenja siret="" forme=""`)
	out := b.run(t, coord, coordChannel, "statut")
	require.Contains(t, out, "Avant le devis et les bons de commande, il manque")
	require.Contains(t, out, "- **Kenja**\u202f: le SIRET, la forme juridique — `/guichet structure modifier \"Kenja\" siret=… forme=…`")
	require.Contains(t, out, "section [issuer] de la configuration, clés name, siret, legal_form, vat_regime, address")
	out = b.run(t, coord, coordChannel, "devis")
	require.Contains(t, out, "Je ne peux pas faire le devis")
	require.Contains(t, out, "**Kenja**")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM documents`))

	b.withIssuer(t, testIssuer)
	b.run(t, coord, coordChannel, `structure modifier Kenja siret=99900001100018 forme="Association loi 1901"`)
	out = b.run(t, coord, coordChannel, "statut")
	require.NotContains(t, out, "il manque")
}

// The quote: one line per share with its structure's VAT, the fee, totals equal to the sum of
// the shares to the cent; again unchanged posts the same; a changed share makes revision 2.
func TestQuoteOfTheAssises(t *testing.T) {
	b := setup(t)
	b.withIssuer(t, testIssuer)
	b.claimed2011(t)
	out := b.run(t, coord, coordChannel, "événement modifier frais=5%")
	require.Contains(t, out, "Frais de coordination\u202f: (aucun) → **5\u202f%**")
	require.Contains(t, out, "les structures n'en sont pas prévenues")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE fee_bp = 500 AND fee_cents = 0`))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeEventChanged'`),
		"the structures are not told of the fee")

	out = b.run(t, coord, coordChannel, "devis")
	require.Contains(t, out, "Devis **DEV-2011-0001**")
	var doc struct {
		ID    int64  `db:"id"`
		Net   int64  `db:"net_cents"`
		VAT   int64  `db:"vat_cents"`
		Gross int64  `db:"gross_cents"`
		PDF   []byte `db:"pdf"`
		CSV   []byte `db:"csv"`
	}
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &doc, `SELECT id, net_cents, vat_cents, gross_cents, pdf, csv FROM documents`))
	// The shares add up to 19 210 €; the fee is 5 % of that, 960,50 €.
	require.Equal(t, int64(1921000+96050), doc.Net)
	var shareVAT int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &shareVAT, `SELECT coalesce(sum(round(c.amount_cents * s.vat_rate_bp / 10000.0)), 0)
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.status = 'awarded' AND s.vat_regime = 'liable'`))
	require.Equal(t, shareVAT+19210, doc.VAT, "each share's VAT by its structure's regime, and the fee's at the issuer's 20 %")
	require.Equal(t, doc.Net+doc.VAT, doc.Gross)

	text := pdfText(t, doc.PDF)
	for _, want := range []string{"Devis DEV-2011-0001", "Réseau des Écossolies", "Nantes Métropole", "DEJ — ", "Romsi",
		"Yves Monteil", "Frais de coordination du réseau (5", "% de 19 210,00 € HT)", "960,50 €",
		l10n.Money(guichet.Cents(doc.Gross), "fr"), "Exonération de TVA, article 261, 7-1° b du CGI", "TVA non applicable, article 293 B du CGI"} {
		require.Contains(t, text, strings.ReplaceAll(strings.ReplaceAll(want, "\u202f", " "), "\u00a0", " "))
	}
	require.Contains(t, string(doc.CSV), "DEV-2011-0001;DEJ;")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'document' AND payload->>'channel_id' = $1`, coordChannel))
	var msg guichet.OutboxMessage
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &msg, `SELECT id, kind, payload FROM outbox WHERE kind = 'document'`))
	p, err := msg.Payload()
	require.NoError(t, err)
	require.Equal(t, doc.ID, p.DocumentID)
	require.Equal(t, "📄 Devis DEV-2011-0001 — Assises métropolitaines de la Politique de la Ville\u202f: "+l10n.Money(guichet.Cents(doc.Net), "fr")+" HT, TVA "+
		l10n.Money(guichet.Cents(doc.VAT), "fr")+", **"+l10n.Money(guichet.Cents(doc.Gross), "fr")+" TTC**. PDF et tableur joints.", l10n.New().T(p.Locale, p.MessageID, p.Args))

	out = b.run(t, coord, coordChannel, "devis")
	require.Contains(t, out, "Rien n'a changé depuis le devis **DEV-2011-0001**")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM documents`))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'document'`), "posted again")

	out = b.run(t, member("yves.monteil"), "c-yves-monteil", "libérer PHO")
	require.Contains(t, out, "libère")
	out = b.run(t, coord, coordChannel, "devis")
	require.Contains(t, out, "révision 2 (remplace DEV-2011-0001")
	require.Contains(t, out, "PHO")
	var pdf2 []byte
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &pdf2, `SELECT pdf FROM documents WHERE revision = 2`))
	require.Contains(t, pdfText(t, pdf2), "Remplace DEV-2011-0001, révision 1")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM documents WHERE revision = 1 AND replaced_by IS NOT NULL`))

	// A fixed fee instead: a new revision whose fee line is that amount.
	require.Contains(t, b.run(t, coord, coordChannel, "événement modifier frais=300€"), "5\u202f% → **300,00\u00a0€**")
	require.Contains(t, b.run(t, coord, coordChannel, "devis"), "révision 3")
	var net3 int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &net3, `SELECT net_cents FROM documents WHERE revision = 3`))
	require.Equal(t, int64(1921000-60000+30000), net3)
	require.Contains(t, b.run(t, coord, coordChannel, "événement modifier frais=0"), "300,00\u00a0€ → **(aucun)**")
}
