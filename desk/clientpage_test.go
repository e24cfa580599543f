package desk_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

func clientPage(after bool) *desk.ClientPage {
	return &desk.ClientPage{
		Locale: "fr", Event: "Assises métropolitaines", When: "vendredi 15 avril 2011, Cité des Congrès", AsOf: "jeudi 14 avril 2011, 9 h 00",
		Issued: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC), After: after,
		Lots: []desk.ClientLot{
			{Code: "DEJ", Title: "Déjeuner", Quantity: "450 repas", State: "couvert", Structures: []string{"Les Écossolies", "Scopéra"}},
			{Code: "LIB", Title: "Librairie", Quantity: "1 stand", State: "pas encore couvert"},
		},
		Covered: 1,
		Structures: []desk.ClientStructure{
			{Name: "Les Écossolies", Kind: "association", Lots: "Déjeuner", Confirmation: "confirmé", Amount: 123456},
			{Name: "Scopéra", Kind: "SCOP", Lots: "Déjeuner", Confirmation: "pas encore confirmé", Amount: 100001},
		},
		Kinds: []desk.ClientKind{{Kind: "association", Structures: 1, Amount: 123456}, {Kind: "SCOP", Structures: 1, Amount: 100001}},
		Total: 223457, PDFName: "guichet-assises.pdf", OtherLocale: "en",
		Quote: &guichet.ClientQuote{Number: "DEV-2011-0001", Revision: 1, Net: 200000, VAT: 23457, Gross: 223457}, QuoteDate: "mardi 1er mars 2011",
		QuoteName: "DEV-2011-0001.pdf",
	}
}

// pdfText reads a PDF back as text, spaces made plain (desk.PDFText).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	text, err := desk.PDFText(context.Background(), pdf, true)
	require.NoError(t, err)
	return text
}

// The client page's PDF says what the page says, the same bytes each time, before and after
// the day.
func TestClientPagePDFReadsBack(t *testing.T) {
	t.Parallel()
	c := l10n.New()
	for _, after := range []bool{false, true} {
		p := clientPage(after)
		a, err := desk.RenderClientPDF(p, c, nil)
		require.NoError(t, err)
		b, err := desk.RenderClientPDF(clientPage(after), c, nil)
		require.NoError(t, err)
		require.True(t, bytes.Equal(a, b), "reproducible")
		text := pdfText(t, a)
		for _, want := range []string{"Assises métropolitaines", "Les Écossolies", "Scopéra", "1 234,56 €", "1 000,01 €", "2 234,57 €",
			"Devis DEV-2011-0001, du mardi 1er mars 2011"} {
			require.Contains(t, text, want, "after=%v", after)
		}
		if after {
			require.Contains(t, text, "2 234,57 € pour l'économie sociale et solidaire, répartis entre 2 structures.")
			require.Contains(t, text, "Les montants par type de structure")
		} else {
			require.Contains(t, text, "1 sur 2 lots est couvert, par 2 structures.")
			require.Contains(t, text, "pas encore confirmé")
		}
	}
}

// A page whose amounts do not add up to the cent is refused, in HTML and PDF alike.
func TestClientPageMustAddUp(t *testing.T) {
	t.Parallel()
	c := l10n.New()
	p := clientPage(true)
	p.Kinds[1].Amount++
	_, err := desk.RenderClientPDF(p, c, nil)
	require.ErrorContains(t, err, "does not add up")
	_, err = desk.RenderClientHTML(p, c)
	require.ErrorContains(t, err, "does not add up")
	p = clientPage(true)
	p.Total--
	_, err = desk.RenderClientHTML(p, c)
	require.ErrorContains(t, err, "does not add up")
}
