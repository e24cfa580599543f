// Package desk makes the client's documents: the quote for the client, the purchase orders to
// the structures. A Document holds what a document says, its amounts computed from integer
// cents (lines, VAT per line under each structure's legal profile, totals); RenderPDF and
// RenderCSV write it in the reader's language.
//
// Documents are reproducible: the same Document gives the same bytes (the PDF's creation date
// is the document's issue date, its catalogue sorted, its fonts embedded from the binary).
//
// The legal facts a document rests on (VAT regimes and their mentions, SIRET) are in the root
// package's legal.go, with their sources.
package desk

import (
	"fmt"
	"slices"
	"time"

	"guichet.dev/guichet"
)

// Kind is what a document is.
type Kind string

const (
	// Quote is the client's quote (devis): every lot, its structures, the network's fee.
	Quote Kind = "quote"
	// Order is a purchase order (bon de commande) to one structure.
	Order Kind = "order"
)

// Party is who a document is from or to: a name and what the law asks to print of it.
type Party struct {
	Name string
	guichet.LegalProfile
}

// Line is one line of a document: what, by whom, how much.
type Line struct {
	// Lot is the lot's code ("DEJ"), Label its title; Supplier the structure that does it ("" on
	// the network's fee line).
	Lot, Label, Supplier string
	// Quantity and Unit ("couverts"); UnitCents the net price of one unit, 0 when the line is
	// priced as a whole.
	Quantity  int
	Unit      string
	UnitCents guichet.Cents
	// Net, VAT and Gross in cents: Gross = Net + VAT.
	Net, VAT, Gross guichet.Cents
	// VATRateBP is the VAT rate applied (0 for a structure that charges none); Regime the
	// structure's regime, whose mention the document prints.
	VATRateBP int
	Regime    guichet.VATRegime
}

// NewLine returns the line for net cents done by a structure of profile p: VAT per p (rounded
// half up to the cent, legal.go) and gross.
func NewLine(lot, label, supplier string, quantity int, unit string, unitCents, net guichet.Cents, p guichet.LegalProfile) Line {
	vat := p.VAT(net)
	rate := 0
	if p.VATRegime == guichet.VATLiable {
		rate = p.VATRateBP
	}
	return Line{Lot: lot, Label: label, Supplier: supplier, Quantity: quantity, Unit: unit,
		UnitCents: unitCents, Net: net, VAT: vat, Gross: net + vat, VATRateBP: rate, Regime: p.VATRegime}
}

// RateTotal is the net and VAT of a document's lines at one rate.
type RateTotal struct {
	RateBP   int
	Net, VAT guichet.Cents
}

// Totals are a document's sums: Net + VAT = Gross; ByRate lists the liable lines per rate, by
// rate ascending; NotLiable is the net of the lines that charge no VAT.
type Totals struct {
	Net, VAT, Gross guichet.Cents
	ByRate          []RateTotal
	NotLiable       guichet.Cents
}

// Document is what a quote or a purchase order says.
type Document struct {
	Kind Kind
	// Number is the document's number ("DEV-2027-0001", "BC-2027-0001"); Revision counts from
	// 1; Replaces names the revision it replaces ("" for the first).
	Number   string
	Revision int
	Replaces string
	// Issued is when it was made: printed, and the PDF's creation date.
	Issued time.Time
	// Locale is the reader's language ("fr", "en"); Location the event's time zone, for dates.
	Locale   string
	Location *time.Location
	// Issuer is the network; Recipient the client (quote) or the structure (order).
	Issuer    guichet.Issuer
	Recipient Party
	// Event is the event the document is for; Details are lines printed under the recipient
	// (the day, the slot and the place of an order…), already in the reader's language.
	Event   *guichet.Event
	Details []string
	Lines   []Line
	// Mentions are printed at the bottom, in order, besides the VAT mentions of the lines'
	// regimes (added by Render from Legal).
	Mentions []string
	// Legal gives the VAT mentions of the regimes (guichet.DefaultLegalMentions, or the
	// configuration's).
	Legal guichet.LegalMentions
}

// Totals adds the document's lines.
func (d *Document) Totals() Totals {
	var t Totals
	byRate := map[int]*RateTotal{}
	for _, l := range d.Lines {
		t.Net += l.Net
		t.VAT += l.VAT
		t.Gross += l.Gross
		if l.Regime == guichet.VATLiable {
			r := byRate[l.VATRateBP]
			if r == nil {
				r = &RateTotal{RateBP: l.VATRateBP}
				byRate[l.VATRateBP] = r
			}
			r.Net += l.Net
			r.VAT += l.VAT
		} else {
			t.NotLiable += l.Net
		}
	}
	for _, r := range byRate {
		t.ByRate = append(t.ByRate, *r)
	}
	slices.SortFunc(t.ByRate, func(a, b RateTotal) int { return a.RateBP - b.RateBP })
	return t
}

// mentions returns the document's mentions: the VAT mention of each regime its lines (and the
// issuer, on a quote's fee line) use, in the order of VATRegimes, then d.Mentions; no
// duplicates, no empty lines.
func (d *Document) mentions() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, r := range guichet.VATRegimes {
		for _, l := range d.Lines {
			if l.Regime == r {
				add(d.Legal.For(r))
				break
			}
		}
	}
	for _, m := range d.Mentions {
		add(m)
	}
	return out
}

// Check returns an error when the document's amounts do not add up (a line whose gross is not
// net + VAT): a document is never made from inconsistent figures.
func (d *Document) Check() error {
	for i, l := range d.Lines {
		if l.Gross != l.Net+l.VAT {
			return fmt.Errorf("desk: line %d (%s): gross %d ≠ net %d + VAT %d", i+1, l.Lot, l.Gross, l.Net, l.VAT)
		}
	}
	if d.Number == "" || d.Revision < 1 {
		return fmt.Errorf("desk: document without number or revision")
	}
	return nil
}
