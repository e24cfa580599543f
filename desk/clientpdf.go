package desk

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// RenderClientPDF writes the client page as an A4 PDF in its language, with chart (a PNG, the
// recap's; nil for none) after the report's tables. The same page gives the same bytes. It
// fails on a page whose amounts do not add up (ClientPage.Check).
func RenderClientPDF(p *ClientPage, c *l10n.Catalog, chart []byte) ([]byte, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	t := func(id string, args map[string]any) string { return c.T(p.Locale, id, args) }
	money := func(v guichet.Cents) string { return l10n.Money(v, p.Locale) }
	title := t("MsgClientPageTitle", map[string]any{"Event": p.Event})

	pdf := newPDF(c, p.Locale, title, "", p.Issued)

	pdf.SetFont("sans", "B", 16)
	pdf.MultiCell(0, 8, p.Event, "", "L", false)
	pdf.SetFont("sans", "", 10)
	pdf.MultiCell(0, lineH, p.When, "", "L", false)
	pdf.MultiCell(0, lineH, t("MsgClientAsOf", map[string]any{"Date": p.AsOf}), "", "L", false)

	heading := func(text string, size float64) {
		pdf.Ln(4)
		if pdf.GetY() > 297-margin-40 {
			pdf.AddPage()
		}
		pdf.SetFont("sans", "B", size)
		pdf.MultiCell(0, 7, text, "", "L", false)
		pdf.SetFont("sans", "", 10)
	}
	para := func(text string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("sans", style, 10)
		pdf.MultiCell(0, lineH, text, "", "L", false)
		pdf.SetFont("sans", "", 10)
	}
	tbl := &pdfTable{pdf: pdf}

	if p.After {
		heading(t("MsgClientReportHeading", nil), 14)
		para(t("MsgClientReportTotal", map[string]any{"Total": money(p.Total), "Structures": len(p.Structures)}), true)
		tbl.begin(t("MsgClientAmountsCaption", nil), []float64{58, 38, 60, 24}, "LLLR",
			t("MsgClientColStructure", nil), t("MsgClientColKind", nil), t("MsgClientColLots", nil), t("MsgClientColAmount", nil))
		for _, s := range p.Structures {
			tbl.row(false, s.Name, s.Kind, s.Lots, money(s.Amount))
		}
		tbl.row(true, t("MsgClientTotal", nil), "", "", money(p.Total))
		tbl.begin(t("MsgClientKindsCaption", nil), []float64{100, 40, 40}, "LRR",
			t("MsgClientColKind", nil), t("MsgClientColCount", nil), t("MsgClientColAmount", nil))
		for _, k := range p.Kinds {
			tbl.row(false, k.Kind, strconv.Itoa(k.Structures), money(k.Amount))
		}
		tbl.row(true, t("MsgClientTotal", nil), strconv.Itoa(len(p.Structures)), money(p.Total))
		if p.Chart && len(chart) > 0 {
			heading(t("MsgClientChartHeading", nil), 12)
			pdf.RegisterImageOptionsReader("chart", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(chart))
			info := pdf.GetImageInfo("chart")
			if info != nil {
				w := pageW - 2*margin
				h := w * info.Height() / info.Width()
				if pdf.GetY()+h > 297-margin-5 {
					pdf.AddPage()
				}
				pdf.ImageOptions("chart", margin, pdf.GetY(), w, h, true, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
			}
		}
	} else {
		heading(t("MsgClientBeforeHeading", nil), 14)
		para(t("MsgClientCoverage", map[string]any{"Covered": p.Covered, "Lots": len(p.Lots), "Structures": len(p.Structures)}), true)
		tbl.begin(t("MsgClientLotsCaption", nil), []float64{56, 28, 58, 38}, "LLLL",
			t("MsgClientColLot", nil), t("MsgClientColQuantity", nil), t("MsgClientColStructures", nil), t("MsgClientColState", nil))
		for _, l := range p.Lots {
			who := strings.Join(l.Structures, "\n")
			if who == "" {
				who = t("MsgClientNobody", nil)
			}
			tbl.row(false, l.Title, l.Quantity, who, l.State)
		}
		tbl.begin(t("MsgClientStructuresCaption", nil), []float64{46, 30, 42, 38, 24}, "LLLLR",
			t("MsgClientColStructure", nil), t("MsgClientColKind", nil), t("MsgClientColLots", nil), t("MsgClientColConfirmed", nil), t("MsgClientColAmount", nil))
		for _, s := range p.Structures {
			tbl.row(false, s.Name, s.Kind, s.Lots, s.Confirmation, money(s.Amount))
		}
		tbl.row(true, t("MsgClientTotal", nil), "", "", "", money(p.Total))
	}

	heading(t("MsgClientQuoteHeading", nil), 14)
	if q := p.Quote; q != nil {
		para(t("MsgClientQuote", map[string]any{"Number": q.Number, "Revision": q.Revision, "Date": p.QuoteDate,
			"Net": money(q.Net), "VAT": money(q.VAT), "Gross": money(q.Gross)}), false)
	} else {
		para(t("MsgClientNoQuote", nil), false)
	}
	pdf.Ln(4)
	pdf.SetFont("sans", "", 8)
	pdf.MultiCell(0, 4, t("MsgClientFooter", nil), "", "L", false)

	if pdf.Err() {
		return nil, fmt.Errorf("desk: client page: %w", pdf.Error())
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("desk: client page: %w", err)
	}
	return buf.Bytes(), nil
}

// pdfTable draws a table with a caption and a header row, its rows wrapped within their
// columns and kept whole on a page; the header is repeated on each new page.
type pdfTable struct {
	pdf    *fpdf.Fpdf
	widths []float64
	aligns string
	header []string
}

func (tb *pdfTable) begin(caption string, widths []float64, aligns string, header ...string) {
	tb.widths, tb.aligns, tb.header = widths, aligns, header
	tb.pdf.Ln(3)
	if tb.pdf.GetY() > 297-margin-30 {
		tb.pdf.AddPage()
	}
	tb.pdf.SetFont("sans", "B", 10)
	tb.pdf.MultiCell(0, 6, caption, "", "L", false)
	tb.head()
}

func (tb *pdfTable) head() {
	tb.pdf.SetFont("sans", "B", 9)
	tb.pdf.SetFillColor(230, 240, 235)
	tb.cells(tb.header, true)
	tb.pdf.SetFont("sans", "", 9)
}

func (tb *pdfTable) row(bold bool, cells ...string) {
	if bold {
		tb.pdf.SetFont("sans", "B", 9)
	}
	tb.cells(cells, false)
	tb.pdf.SetFont("sans", "", 9)
}

// cells draws one row: each cell wrapped to its column, the row as high as its tallest cell.
func (tb *pdfTable) cells(cells []string, fill bool) {
	pdf := tb.pdf
	wrapped := make([][]string, len(cells))
	lines := 1
	for i, c := range cells {
		for _, part := range strings.Split(c, "\n") {
			wrapped[i] = append(wrapped[i], pdf.SplitText(part, tb.widths[i]-2)...)
		}
		lines = max(lines, len(wrapped[i]))
	}
	h := float64(lines)*4.5 + 1
	if pdf.GetY()+h > 297-margin-10 {
		pdf.AddPage()
		if !fill {
			tb.head()
		}
	}
	x, y := margin, pdf.GetY()
	for i := range cells {
		pdf.SetXY(x, y)
		if fill {
			pdf.Rect(x, y, tb.widths[i], h, "F")
		}
		pdf.MultiCell(tb.widths[i], 4.5, strings.Join(wrapped[i], "\n"), "", string(tb.aligns[i]), false)
		x += tb.widths[i]
	}
	pdf.SetXY(margin, y+h)
	pdf.Line(margin, pdf.GetY(), pageW-margin, pdf.GetY())
}
