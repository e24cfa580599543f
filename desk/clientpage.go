package desk

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// ClientPage is what an event's client page says, in its language: the HTML page
// (RenderClientHTML) and its PDF (RenderClientPDF) are both rendered from it, so they say the
// same. Its figures come from the event's recap (package report): they are not computed here.
type ClientPage struct {
	// Locale is the page's language, "fr" or "en".
	Locale string
	// Event is the event's name; When its day, venue and client as people read them; AsOf the
	// time the page was made, in the event's time zone.
	Event, When, AsOf string
	// Issued is the PDF's creation date: the event's day, so that the same data gives the same
	// bytes whenever it is asked.
	Issued time.Time
	// After is true once the event is over: the page is then its final report.
	After bool
	// Lots are the event's lots, in the order they were added.
	Lots []ClientLot
	// Covered counts the lots fully covered.
	Covered int
	// Structures are those with an awarded share, the largest amount first.
	Structures []ClientStructure
	// Kinds are the amounts by kind of structure, the largest first.
	Kinds []ClientKind
	// Total is what goes to the social and solidarity economy: the sum of Structures' amounts.
	Total guichet.Cents
	// Quote is the event's current quote, nil when none; QuoteDate its date as people read it.
	Quote     *guichet.ClientQuote
	QuoteDate string
	// PDFName is the file name of the page's PDF, QuoteName the quote's ("" when none), and
	// OtherLocale the language the page is also offered in.
	PDFName, QuoteName, OtherLocale string
	// Chart tells whether the chart is shown (after the event, when a structure has an amount).
	Chart bool
}

// ClientLot is one lot as the client reads it.
type ClientLot struct {
	Code, Title, Quantity, State string
	// Structures are the names of the structures holding it.
	Structures []string
}

// ClientStructure is one structure's part.
type ClientStructure struct {
	Name, Kind, Lots, Confirmation string
	Amount                         guichet.Cents
}

// ClientKind is the part of one kind of structure.
type ClientKind struct {
	Kind       string
	Structures int
	Amount     guichet.Cents
}

// Check returns an error unless the amounts add up to the cent: the structures' amounts and
// the kinds' amounts each to Total.
func (p *ClientPage) Check() error {
	var byStructure, byKind guichet.Cents
	n := 0
	for _, s := range p.Structures {
		byStructure += s.Amount
	}
	for _, k := range p.Kinds {
		byKind += k.Amount
		n += k.Structures
	}
	if byStructure != p.Total || byKind != p.Total || n != len(p.Structures) {
		return fmt.Errorf("desk: client page of %q does not add up: total %d, structures %d, kinds %d (%d structures of %d)",
			p.Event, p.Total, byStructure, byKind, n, len(p.Structures))
	}
	return nil
}

// QuoteFileName is the file name of a quote's PDF, as Document.FileName writes it.
func QuoteFileName(q *guichet.ClientQuote) string {
	d := Document{Number: q.Number, Revision: q.Revision}
	return d.FileName("pdf")
}

//go:embed clientpage.html
var clientPageHTML string

var clientPageTemplate = template.Must(template.New("client").Funcs(template.FuncMap{
	"t":     func(string, ...any) string { return "" },
	"money": func(guichet.Cents) string { return "" },
}).Parse(clientPageHTML))

// RenderClientHTML writes the page as a complete HTML document: semantic and accessible
// (landmarks, headings in order, tables with captions and header scopes, the page's language),
// readable without any script, with a print style sheet. Links are relative to the page's own
// address (…/client/<token>/): the chart, the PDF, the quote, the other language.
func RenderClientHTML(p *ClientPage, c *l10n.Catalog) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	tmpl, err := clientPageTemplate.Clone()
	if err != nil {
		return nil, err
	}
	tmpl.Funcs(template.FuncMap{
		"t": func(id string, kv ...any) string {
			args := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				args[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return c.T(p.Locale, id, args)
		},
		"money": func(v guichet.Cents) string { return l10n.Money(v, p.Locale) },
	})
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("desk: client page: %w", err)
	}
	return buf.Bytes(), nil
}
