package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// The chart is drawn with gonum/plot: it is maintained by the Gonum project (go-chart, the
// other common choice, is archived), draws horizontal bar charts on a nominal axis — the
// structures' names, long and accented, are written in full on the left instead of crammed
// under vertical bars — and embeds the Liberation fonts, which have every French letter and
// the narrow no-break space used in amounts.

// BarColor is the colour of the chart's bars.
var BarColor = color.RGBA{R: 0x2e, G: 0x7d, B: 0x5b, A: 0xff}

// ErrNothingToChart is returned by Chart when no structure has an agreed amount.
var ErrNothingToChart = errors.New("report: no structure has an agreed amount")

// ChartData is what the chart shows, in the recap's language: one bar per structure with an
// agreed amount, the largest first.
type ChartData struct {
	Title     string
	AxisLabel string
	// Names, Amounts and Labels go together: the structure, its agreed amount and the text
	// written at the end of its bar.
	Names   []string
	Amounts []guichet.Cents
	Labels  []string
	// Locale is the language the axis's amounts are written in.
	Locale string
	// Paid, when set (an event with purchase orders or invoices), goes with Names: the part of
	// each structure's bar that is paid (paidPart); the bar is then drawn in two parts, paid
	// and still due, named in a legend by PaidLabel and DueLabel.
	Paid                []guichet.Cents
	PaidLabel, DueLabel string
}

// paidPart returns the part of the structure's agreed amount that is paid, in the proportion
// of what it was paid to what it is owed in all (paid and still owed, VAT included once it
// invoiced), rounded to the cent: the whole when nothing is owed any more, none before a
// payment.
func paidPart(s *SupplierPart) guichet.Cents {
	owed := s.Owed()
	if owed < 0 {
		owed = 0
	}
	if s.Paid <= 0 {
		return 0
	}
	if owed == 0 {
		return s.Agreed
	}
	return guichet.Cents((int64(s.Agreed)*int64(s.Paid) + int64(s.Paid+owed)/2) / int64(s.Paid+owed))
}

// DueColor is the colour of the part of a bar still due (Paid charts).
var DueColor = color.RGBA{R: 0xe0, G: 0x8a, B: 0x1e, A: 0xff}

// ChartOf returns what the recap's chart shows in locale ("" for the event's language).
func ChartOf(cat *l10n.Catalog, r *Recap, locale string) ChartData {
	locale = r.Locale(locale)
	c := ChartData{
		Title:     cat.T(locale, "RecapChartTitle", map[string]any{"Event": shorten(r.Event.Name, 70), "Total": l10n.Money(r.Agreed, locale)}),
		AxisLabel: cat.T(locale, "RecapChartAxis", nil),
		Locale:    locale,
	}
	for _, s := range r.Suppliers {
		if s.Agreed <= 0 {
			continue
		}
		c.Names = append(c.Names, s.Name)
		c.Amounts = append(c.Amounts, s.Agreed)
		c.Labels = append(c.Labels, l10n.Money(s.Agreed, locale))
		if r.Desk {
			c.Paid = append(c.Paid, paidPart(s))
		}
	}
	if r.Desk {
		c.PaidLabel, c.DueLabel = cat.T(locale, "RecapChartPaid", nil), cat.T(locale, "RecapChartDue", nil)
	}
	return c
}

// Chart draws the recap's bar chart of euros per structure as a PNG, in locale ("" for the
// event's language). ErrNothingToChart when no structure has an agreed amount.
func Chart(cat *l10n.Catalog, r *Recap, locale string) ([]byte, error) {
	return ChartOf(cat, r, locale).PNG()
}

// Chart geometry, in points (1/72 inch); the image is drawn at 96 dots per inch.
const (
	chartDPI    = 96
	chartWidth  = 900
	chartHeader = 110 // title, axis and margins
	chartRow    = 28  // per structure
	chartBar    = 18  // bar thickness
)

// PNG draws the chart: horizontal bars, the largest at the top, each structure's name on the
// left and its amount at the end of its bar, the euro axis at the bottom.
func (c ChartData) PNG() ([]byte, error) {
	n := len(c.Names)
	if n == 0 {
		return nil, ErrNothingToChart
	}
	sans := func(size vg.Length, bold bool) font.Font {
		f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
		if bold {
			f.Weight = xfont.WeightBold
		}
		return f
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.Title.TextStyle.Font = sans(15, true)
	p.Title.Padding = vg.Points(10)
	p.X.Label.Text = c.AxisLabel
	p.X.Label.TextStyle.Font = sans(12, false)
	p.X.Tick.Label.Font = sans(11, false)
	p.Y.Tick.Label.Font = sans(12, false)

	// Bar i sits at y = i: put the largest (first) at the top.
	values := make(plotter.Values, n)
	names := make([]string, n)
	xys := make(plotter.XYs, n)
	labels := make([]string, n)
	var maxEuros float64
	for i := range c.Names {
		y := n - 1 - i
		euros := float64(c.Amounts[i]) / 100
		values[y] = euros
		names[y] = c.Names[i]
		xys[y] = plotter.XY{X: euros, Y: float64(y)}
		labels[y] = c.Labels[i]
		maxEuros = math.Max(maxEuros, euros)
	}
	// Vertical lines only, under the bars: lines between names would cross them.
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = color.Gray{Y: 0xdd}
	p.Add(grid)
	if len(c.Paid) == n {
		// Two parts per bar: paid, then what is still due stacked on it.
		paid, due := make(plotter.Values, n), make(plotter.Values, n)
		for i := range c.Names {
			y := n - 1 - i
			paid[y] = math.Max(0, math.Min(values[y], float64(c.Paid[i])/100))
			due[y] = values[y] - paid[y]
		}
		paidBars, err := plotter.NewBarChart(paid, vg.Points(chartBar))
		if err != nil {
			return nil, fmt.Errorf("chart bars: %w", err)
		}
		dueBars, err := plotter.NewBarChart(due, vg.Points(chartBar))
		if err != nil {
			return nil, fmt.Errorf("chart bars: %w", err)
		}
		paidBars.Horizontal, dueBars.Horizontal = true, true
		paidBars.Color, dueBars.Color = BarColor, DueColor
		paidBars.LineStyle.Width, dueBars.LineStyle.Width = 0, 0
		dueBars.StackOn(paidBars)
		p.Add(paidBars, dueBars)
		p.Legend.Add(c.PaidLabel, paidBars)
		p.Legend.Add(c.DueLabel, dueBars)
		p.Legend.TextStyle.Font = sans(11, false)
	} else {
		bars, err := plotter.NewBarChart(values, vg.Points(chartBar))
		if err != nil {
			return nil, fmt.Errorf("chart bars: %w", err)
		}
		bars.Horizontal = true
		bars.Color = BarColor
		bars.LineStyle.Width = 0
		p.Add(bars)
	}
	p.NominalY(names...)

	amounts, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("chart labels: %w", err)
	}
	for i := range amounts.TextStyle {
		amounts.TextStyle[i].Font = sans(11, false)
		amounts.TextStyle[i].YAlign = text.YCenter
	}
	amounts.Offset = vg.Point{X: vg.Points(5)}
	p.Add(amounts)

	if maxEuros <= 0 {
		maxEuros = 1
	}
	p.X.Min = 0
	// Room on the right for the amount written after the longest bar.
	p.X.Max = maxEuros * 1.22
	p.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { return euroTicks(min, max, c.Locale) })

	height := vg.Points(float64(chartHeader + chartRow*n))
	canvas := vgimg.NewWith(vgimg.UseWH(vg.Points(chartWidth), height), vgimg.UseDPI(chartDPI))
	margin := vg.Points(12)
	p.Draw(draw.Crop(draw.New(canvas), margin, -margin, margin/2, -margin))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart png: %w", err)
	}
	return buf.Bytes(), nil
}

// euroTicks marks the euro axis every 1, 2 or 5 times a power of ten, about five times.
func euroTicks(min, max float64, locale string) []plot.Tick {
	step := math.Pow(10, math.Floor(math.Log10(max/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if max/(step*m) <= 6 {
			step *= m
			break
		}
	}
	var ticks []plot.Tick
	for v := 0.0; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: euroTick(v, locale)})
	}
	return ticks
}

// euroTick writes an amount for the axis in locale: "12 000 €" (fr) or "€12,000" (en), with
// cents only when it has some.
func euroTick(euros float64, locale string) string {
	cents := math.Round(euros * 100)
	if math.Mod(cents, 100) != 0 {
		return l10n.Money(guichet.Cents(cents), locale)
	}
	if l10n.Locale(locale) == "en" {
		return strings.TrimSuffix(l10n.Money(guichet.Cents(cents), locale), ".00")
	}
	s := strconv.FormatInt(int64(math.Round(euros)), 10)
	var out []rune
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '\u202f')
		}
		out = append(out, r)
	}
	return string(out) + "\u00a0€"
}

// shorten cuts s to at most n characters, ending it with "…" when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}
