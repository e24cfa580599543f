package desk

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-pdf/fpdf"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Rate writes a VAT rate in basis points as people read it: "20 %", "5,5 %" in French, "20%",
// "5.5%" in English.
func Rate(bp int, locale string) string {
	s := strconv.Itoa(bp / 100)
	if frac := bp % 100; frac != 0 {
		f := strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
		if l10n.Locale(locale) == "en" {
			s += "." + f
		} else {
			s += "," + f
		}
	}
	if l10n.Locale(locale) == "en" {
		return s + "%"
	}
	return s + "\u202f%"
}

// Title returns the document's title in its language, with its number and revision
// ("Devis DEV-2027-0001, révision 2").
func (d *Document) Title(c *l10n.Catalog) string {
	return c.T(d.Locale, fmt.Sprintf("DocTitle%s", d.Kind), map[string]any{"Number": d.Number, "Revision": d.Revision})
}

// FileName is the document's file name: its number, its revision when above 1, and ext
// ("BC-2027-0001.pdf", "DEV-2027-0001-r2.csv").
func (d *Document) FileName(ext string) string {
	name := d.Number
	if d.Revision > 1 {
		name += fmt.Sprintf("-r%d", d.Revision)
	}
	return name + "." + ext
}

// page geometry, in millimetres (A4 portrait).
const (
	pageW, margin = 210.0, 15.0
	lineH         = 5.0
)

// columns of the lines' table: label key, width, alignment.
var pdfColumns = []struct {
	id    string
	w     float64
	align string
}{
	{"DocColLot", 54, "L"}, {"DocColQuantity", 20, "R"}, {"DocColUnitPrice", 24, "R"},
	{"DocColNet", 24, "R"}, {"DocColVAT", 32, "R"}, {"DocColGross", 26, "R"},
}

// RenderPDF writes the document as an A4 PDF in its language. The same document gives the
// same bytes. It fails on a document whose amounts do not add up (Document.Check) or whose
// issuer's logo cannot be read.
func RenderPDF(d *Document, c *l10n.Catalog) ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	pdf := newPDF(c, d.Locale, d.Title(c), d.Issuer.Name, d.Issued)
	t := func(id string, args map[string]any) string { return c.T(d.Locale, id, args) }
	money := func(v guichet.Cents) string { return l10n.Money(v, d.Locale) }

	// Issuer, top left, with its logo.
	top := pdf.GetY()
	if d.Issuer.Logo != "" {
		data, err := os.ReadFile(d.Issuer.Logo)
		if err != nil {
			return nil, fmt.Errorf("desk: issuer logo: %w", err)
		}
		typ := strings.TrimPrefix(strings.ToUpper(filepath.Ext(d.Issuer.Logo)), ".")
		if typ == "JPEG" {
			typ = "JPG"
		}
		pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(data))
		if pdf.Err() {
			return nil, fmt.Errorf("desk: issuer logo: %w", pdf.Error())
		}
		pdf.ImageOptions("logo", margin, top, 0, 18, false, fpdf.ImageOptions{ImageType: typ}, 0, "")
		pdf.SetY(top + 20)
	}
	pdf.SetFont("sans", "B", 11)
	pdf.MultiCell(90, lineH, d.Issuer.Name, "", "L", false)
	pdf.SetFont("sans", "", 9)
	party(pdf, t, d.Issuer.LegalProfile)
	left := pdf.GetY()

	// Recipient, top right.
	pdf.SetXY(pageW/2+5, top)
	pdf.SetFont("sans", "", 8)
	pdf.CellFormat(0, 4, t("DocTo", nil), "", 2, "L", false, 0, "")
	pdf.SetX(pageW/2 + 5)
	pdf.SetFont("sans", "B", 11)
	pdf.MultiCell(0, lineH, d.Recipient.Name, "", "L", false)
	pdf.SetFont("sans", "", 9)
	pdf.SetLeftMargin(pageW/2 + 5)
	party(pdf, t, d.Recipient.LegalProfile)
	pdf.SetLeftMargin(margin)
	pdf.SetY(max(left, pdf.GetY()) + 6)

	// Title, number, dates, event.
	pdf.SetFont("sans", "B", 14)
	pdf.MultiCell(0, 7, d.Title(c), "", "L", false)
	pdf.SetFont("sans", "", 9)
	pdf.MultiCell(0, lineH, t("DocIssued", map[string]any{"Date": l10n.Date(d.Issued, loc, d.Locale)}), "", "L", false)
	if d.Replaces != "" {
		pdf.MultiCell(0, lineH, t("DocReplaces", map[string]any{"Replaced": d.Replaces}), "", "L", false)
	}
	if d.Event != nil {
		pdf.MultiCell(0, lineH, t("DocEvent", map[string]any{"Event": d.Event.Name, "Day": l10n.EventDay(d.Event, d.Locale), "Venue": d.Event.Venue}), "", "L", false)
	}
	for _, s := range d.Details {
		pdf.MultiCell(0, lineH, s, "", "L", false)
	}
	pdf.Ln(4)

	// The lines.
	pdf.SetFont("sans", "B", 9)
	pdf.SetFillColor(230, 230, 230)
	for _, col := range pdfColumns {
		pdf.CellFormat(col.w, 6, t(col.id, nil), "B", 0, col.align, true, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("sans", "", 9)
	for _, l := range d.Lines {
		desc := l.Label
		if l.Lot != "" {
			desc = l.Lot + " — " + desc
		}
		if l.Supplier != "" {
			desc += "\n" + l.Supplier
		}
		var wrapped []string
		for _, part := range strings.Split(desc, "\n") {
			wrapped = append(wrapped, pdf.SplitText(part, pdfColumns[0].w-2)...)
		}
		h := float64(len(wrapped)) * lineH
		if pdf.GetY()+h > 297-margin-10 {
			pdf.AddPage()
		}
		x, y := pdf.GetXY()
		pdf.MultiCell(pdfColumns[0].w, lineH, strings.Join(wrapped, "\n"), "", "L", false)
		pdf.SetXY(x+pdfColumns[0].w, y)
		qty, unit := "", ""
		if l.Quantity > 0 {
			qty = strconv.Itoa(l.Quantity) + " " + l.Unit
		}
		if l.UnitCents > 0 {
			unit = money(l.UnitCents)
		}
		vat := money(l.VAT)
		if l.Regime == guichet.VATLiable {
			vat += " (" + Rate(l.VATRateBP, d.Locale) + ")"
		}
		for i, v := range []string{qty, unit, money(l.Net), vat, money(l.Gross)} {
			col := pdfColumns[i+1]
			pdf.CellFormat(col.w, lineH, v, "", 0, col.align, false, 0, "")
		}
		pdf.SetXY(margin, y+h)
		pdf.Line(margin, pdf.GetY(), pageW-margin, pdf.GetY())
	}

	// Totals.
	tot := d.Totals()
	pdf.Ln(3)
	labelW := pageW - 2*margin - 40
	row := func(label, value string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("sans", style, 10)
		pdf.CellFormat(labelW, 6, label, "", 0, "R", false, 0, "")
		pdf.CellFormat(40, 6, value, "", 1, "R", false, 0, "")
	}
	row(t("DocTotalNet", nil), money(tot.Net), false)
	for _, r := range tot.ByRate {
		row(t("DocTotalVATAt", map[string]any{"Rate": Rate(r.RateBP, d.Locale), "Net": money(r.Net)}), money(r.VAT), false)
	}
	if tot.NotLiable != 0 && len(tot.ByRate) > 0 {
		row(t("DocTotalNotLiable", map[string]any{"Net": money(tot.NotLiable)}), money(0), false)
	}
	row(t("DocTotalVAT", nil), money(tot.VAT), false)
	row(t("DocTotalGross", nil), money(tot.Gross), true)

	// Mentions.
	if ms := d.mentions(); len(ms) > 0 {
		pdf.Ln(4)
		pdf.SetFont("sans", "", 8)
		for _, m := range ms {
			pdf.MultiCell(0, 4, m, "", "L", false)
		}
	}
	if pdf.Err() {
		return nil, fmt.Errorf("desk: %w", pdf.Error())
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	return buf.Bytes(), nil
}

// newPDF starts a reproducible A4 document in locale: its creation date is issued, its catalogue
// sorted, its fonts (Liberation Sans, regular as "sans" and bold as "sans" "B") embedded from
// the binary; every page ends with the title and the page's number. Its first page is added.
func newPDF(c *l10n.Catalog, locale, title, author string, issued time.Time) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetProducer("Guichet", true)
	pdf.SetTitle(title, true)
	if author != "" {
		pdf.SetAuthor(author, true)
	}
	pdf.SetLang(l10n.Locale(locale))
	pdf.AddUTF8FontFromBytes("sans", "", liberationsansregular.TTF)
	pdf.AddUTF8FontFromBytes("sans", "B", liberationsansbold.TTF)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+5)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-margin)
		pdf.SetFont("sans", "", 8)
		pdf.CellFormat(0, 4, title+" — "+c.T(locale, "DocPage", map[string]any{"Page": pdf.PageNo()}), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	return pdf
}

// party prints a profile's address, legal form, SIRET and VAT regime, one per line, skipping
// what is unknown.
func party(pdf *fpdf.Fpdf, t func(string, map[string]any) string, p guichet.LegalProfile) {
	x := pdf.GetX()
	for _, l := range strings.Split(strings.TrimSpace(p.Address), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			pdf.SetX(x)
			pdf.MultiCell(90, 4.5, l, "", "L", false)
		}
	}
	if p.LegalForm != "" {
		pdf.SetX(x)
		pdf.MultiCell(90, 4.5, p.LegalForm, "", "L", false)
	}
	if p.SIRET != "" {
		pdf.SetX(x)
		pdf.MultiCell(90, 4.5, t("DocSIRET", map[string]any{"SIRET": p.SIRET}), "", "L", false)
	}
	if p.BillingEmail != "" {
		pdf.SetX(x)
		pdf.MultiCell(90, 4.5, p.BillingEmail, "", "L", false)
	}
}

// RenderCSV writes the document's lines and totals as a spreadsheet a treasurer opens: UTF-8
// with a byte order mark, ";" between fields, amounts in euros with two decimals written the
// reader's way ("1234,50" in French, "1234.50" in English), no thousands separator.
func RenderCSV(d *Document, c *l10n.Catalog) ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	t := func(id string) string { return c.T(d.Locale, id, nil) }
	num := func(v guichet.Cents) string {
		s := fmt.Sprintf("%d.%02d", int64(v)/100, abs(int64(v))%100)
		if v < 0 && v > -100 {
			s = "-" + s
		}
		if l10n.Locale(d.Locale) != "en" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	_ = w.Write([]string{t("DocColNumber"), t("DocColCode"), t("DocColLabel"), t("DocColStructure"), t("DocColQuantity"), t("DocColUnit"),
		t("DocColUnitPrice"), t("DocColNet"), t("DocColVATRate"), t("DocColVAT"), t("DocColGross")})
	for _, l := range d.Lines {
		rate := ""
		if l.Regime == guichet.VATLiable {
			rate = Rate(l.VATRateBP, "en")
		}
		unit := ""
		if l.UnitCents > 0 {
			unit = num(l.UnitCents)
		}
		_ = w.Write([]string{d.FileName("")[:len(d.FileName(""))-1], l.Lot, l.Label, l.Supplier, strconv.Itoa(l.Quantity), l.Unit,
			unit, num(l.Net), rate, num(l.VAT), num(l.Gross)})
	}
	tot := d.Totals()
	_ = w.Write([]string{d.FileName("")[:len(d.FileName(""))-1], "", t("DocTotalGross"), "", "", "", "", num(tot.Net), "", num(tot.VAT), num(tot.Gross)})
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("desk: %w", err)
	}
	return buf.Bytes(), nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
