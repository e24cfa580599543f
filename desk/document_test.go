package desk_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

var (
	scop  = guichet.LegalProfile{SIRET: "73282932000074", LegalForm: "SCOP SARL", Kind: "scop", VATRegime: guichet.VATLiable, VATRateBP: 1000, Address: "3 rue de la Paix\n44000 Nantes"}
	asso  = guichet.LegalProfile{SIRET: "44306184100047", LegalForm: "Association loi 1901", Kind: "association", VATRegime: guichet.VATExemptAssociation, Address: "Nantes"}
	micro = guichet.LegalProfile{LegalForm: "Entreprise individuelle", Kind: "ei", VATRegime: guichet.VATFranchise, Address: "Rezé"}
)

func sample() *desk.Document {
	return &desk.Document{
		Kind: desk.Quote, Number: "DEV-2011-0001", Revision: 2, Replaces: "DEV-2011-0001, révision 1",
		Issued: time.Date(2011, 3, 1, 9, 0, 0, 0, time.UTC), Locale: "fr",
		Issuer:    guichet.Issuer{Name: "Réseau ESS", LegalProfile: scop},
		Recipient: desk.Party{Name: "Conseil régional"},
		Event:     &guichet.Event{Name: "Assises", Day: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC), Venue: "Nantes"},
		Lines: []desk.Line{
			desk.NewLine("DEJ", "Déjeuner", "Scopéra", 200, "couverts", 1250, 250000, scop),
			desk.NewLine("DEJ", "Déjeuner", "Les Écossolies", 250, "couverts", 1250, 312500, asso),
			desk.NewLine("PHOTO", "Photos", "Jean Photo", 1, "reportage", 0, 45055, micro),
		},
		Legal: guichet.DefaultLegalMentions(),
	}
}

func TestTotalsAddLinesPerRate(t *testing.T) {
	d := sample()
	tot := d.Totals()
	require.Equal(t, guichet.Cents(250000+312500+45055), tot.Net)
	require.Equal(t, guichet.Cents(25000), tot.VAT) // 10 % of the SCOP's line only
	require.Equal(t, tot.Net+tot.VAT, tot.Gross)
	require.Equal(t, []desk.RateTotal{{RateBP: 1000, Net: 250000, VAT: 25000}}, tot.ByRate)
	require.Equal(t, guichet.Cents(312500+45055), tot.NotLiable)
}

func TestPDFIsReproducibleAndReadable(t *testing.T) {
	c := l10n.New()
	a, err := desk.RenderPDF(sample(), c)
	require.NoError(t, err)
	b, err := desk.RenderPDF(sample(), c)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "the same document gives the same bytes")
	other := sample()
	other.Lines[0] = desk.NewLine("DEJ", "Déjeuner", "Scopéra", 200, "couverts", 1250, 250001, scop)
	c2, err := desk.RenderPDF(other, c)
	require.NoError(t, err)
	require.False(t, bytes.Equal(a, c2))

	text := pdfText(t, a)
	for _, want := range []string{"Devis DEV-2011-0001, révision 2", "Remplace DEV-2011-0001, révision 1", "Conseil régional",
		"Scopéra", "Les Écossolies", "SIRET 73282932000074", "6 075,55 €", "250,00 € (10 %)", "Total TTC", "6 325,55 €",
		"Exonération de TVA, article 261, 7-1° b du CGI", "TVA non applicable, article 293 B du CGI"} {
		require.Contains(t, text, want)
	}
}

func TestCSVForTreasurers(t *testing.T) {
	c := l10n.New()
	out, err := desk.RenderCSV(sample(), c)
	require.NoError(t, err)
	s := string(out)
	require.True(t, strings.HasPrefix(s, "\ufeff"))
	require.Contains(t, s, "DEV-2011-0001-r2;DEJ;Déjeuner;Scopéra;200;couverts;12,50;2500,00;10%;250,00;2750,00\n")
	require.Contains(t, s, ";Total TTC;;;;;6075,55;;250,00;6325,55\n")
	en := sample()
	en.Locale = "en"
	out, err = desk.RenderCSV(en, c)
	require.NoError(t, err)
	require.Contains(t, string(out), ";Total incl. VAT;;;;;6075.55;;250.00;6325.55\n")
}

func TestInconsistentDocumentIsRefused(t *testing.T) {
	d := sample()
	d.Lines[1].Gross++
	_, err := desk.RenderPDF(d, l10n.New())
	require.Error(t, err)
	_, err = desk.RenderCSV(d, l10n.New())
	require.Error(t, err)
}

func TestPDFTextRefusesNothingToRead(t *testing.T) {
	_, err := desk.PDFText(context.Background(), nil, true)
	require.Error(t, err)
	_, err = desk.PDFText(context.Background(), []byte("not a PDF"), true)
	require.Error(t, err)
}
