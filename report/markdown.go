package report

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// MaxMessage is the longest message Markdown returns, in characters: Mattermost refuses posts
// above 16383.
const MaxMessage = 16000

// Locale returns the language the recap is written in: locale when it is supported, the
// event's language otherwise (French by default).
func (r *Recap) Locale(locale string) string {
	if locale == "" && r.Event != nil {
		locale = r.Event.Locale
	}
	return l10n.Locale(locale)
}

// Markdown writes the recap as a Mattermost message in locale ("" for the event's language):
// a title, the totals (money to the network, structures, lots filled and unfilled, J-1
// confirmations, paid and remaining), a table with one row per structure (its lots, agreed,
// paid, remaining, confirmation of the last reminder) and the lots left unfilled or cancelled. When the full table would make
// the message longer than MaxMessage, the lots column is left out (the CSV has it), then rows
// are cut with a line that says so.
func Markdown(cat *l10n.Catalog, r *Recap, locale string) string {
	locale = r.Locale(locale)
	if s := markdown(cat, r, locale, true, len(r.Suppliers)); utf8.RuneCountInString(s) <= MaxMessage {
		return s
	}
	rows := len(r.Suppliers)
	for rows > 0 {
		s := markdown(cat, r, locale, false, rows)
		if utf8.RuneCountInString(s) <= MaxMessage {
			return s
		}
		rows = rows * 9 / 10
	}
	return markdown(cat, r, locale, false, 0)
}

// Preview writes the recap as Markdown under a line saying that nothing was published, for the
// coordinator's eyes only.
func Preview(cat *l10n.Catalog, r *Recap, locale string) string {
	locale = r.Locale(locale)
	return cat.T(locale, "RecapPreviewNote", map[string]any{"Slug": r.Event.Slug}) + "\n\n" + Markdown(cat, r, locale)
}

func markdown(cat *l10n.Catalog, r *Recap, locale string, withLots bool, rows int) string {
	e := r.Event
	var b strings.Builder
	line := func(id string, args map[string]any) {
		b.WriteString(cat.T(locale, id, args))
		b.WriteString("\n")
	}
	line("RecapTitle", map[string]any{"Event": e.Name})
	line("RecapSubtitle", map[string]any{"Day": l10n.EventDay(e, locale), "Venue": e.Venue, "Client": e.Client})
	b.WriteString("\n")
	if len(r.Suppliers) == 0 {
		line("RecapNoClaims", nil)
	} else {
		line("RecapTotals", map[string]any{"Total": l10n.Money(r.Agreed, locale), "Count": r.SupplierCount()})
	}
	line("RecapLots", map[string]any{"Filled": r.LotsFilled, "Total": len(r.Lots),
		"Unfilled": r.LotsUnfilled, "Cancelled": r.LotsCancelled})
	reminder := r.ConfirmReminder
	if reminder == "" {
		reminder = "J-1"
	}
	if r.ConfirmAsked == 0 {
		line("RecapNoConfirmations", map[string]any{"Reminder": reminder})
	} else {
		line("RecapConfirmations", map[string]any{"Reminder": reminder, "Confirmed": r.Confirmed, "Asked": r.ConfirmAsked, "Problems": r.Problems})
	}
	if len(r.Suppliers) > 0 {
		line("RecapPayments", map[string]any{"Paid": l10n.Money(r.Paid, locale), "Remaining": l10n.Money(r.Remaining(), locale)})
		b.WriteString("\n")
		if withLots {
			line("RecapTableHeader", map[string]any{"Reminder": reminder})
			b.WriteString("|:--|:--|--:|--:|--:|:--:|\n")
		} else {
			line("RecapTableHeaderShort", map[string]any{"Reminder": reminder})
			b.WriteString("|:--|--:|--:|--:|:--:|\n")
		}
		for i, s := range r.Suppliers {
			if i >= rows {
				break
			}
			cells := []string{cell(s.Name)}
			if withLots {
				var items []string
				for _, it := range s.Items {
					items = append(items, cat.T(locale, "RecapItem", map[string]any{
						"Code": it.LotCode, "Title": cell(it.LotTitle), "Quantity": it.Quantity,
						"Unit": cell(it.Unit), "Amount": l10n.Money(it.Amount, locale)}))
				}
				cells = append(cells, strings.Join(items, " · "))
			}
			cells = append(cells, l10n.Money(s.Agreed, locale), l10n.Money(s.Paid, locale), l10n.Money(s.Remaining(), locale), j1Cell(cat, locale, s.J1))
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
		total := []string{cat.T(locale, "RecapTotalRow", nil)}
		if withLots {
			total = append(total, "")
		}
		j1 := ""
		if r.ConfirmAsked > 0 {
			j1 = strconv.Itoa(r.Confirmed) + "/" + strconv.Itoa(r.ConfirmAsked)
		}
		total = append(total, bold(l10n.Money(r.Agreed, locale)), bold(l10n.Money(r.Paid, locale)), bold(l10n.Money(r.Remaining(), locale)), j1)
		b.WriteString("| " + strings.Join(total, " | ") + " |\n")
		if rows < len(r.Suppliers) {
			b.WriteString("\n")
			line("RecapTruncated", map[string]any{"Shown": rows, "Total": len(r.Suppliers)})
		} else if !withLots {
			b.WriteString("\n")
			line("RecapLotsInCSV", nil)
		}
	}
	if r.Desk {
		writeDesk(&b, cat, r, locale, rows)
	}
	if r.Deliveries+r.Adjustments > 0 {
		writeDeliveries(&b, cat, r, locale)
	}
	var unfilled, cancelled []string
	for _, l := range r.Lots {
		switch l.Outcome {
		case LotUnfilled:
			unfilled = append(unfilled, cat.T(locale, "RecapUnfilledLot", map[string]any{
				"Code": l.Lot.Code, "Title": l.Lot.Title, "Remaining": l.Lot.Quantity - l.AwardedQty,
				"Quantity": l.Lot.Quantity, "Unit": l.Lot.Unit}))
		case LotCancelled:
			cancelled = append(cancelled, cat.T(locale, "RecapCancelledLot", map[string]any{
				"Code": l.Lot.Code, "Title": l.Lot.Title, "Reason": l.Lot.CancelReason}))
		}
	}
	if len(unfilled)+len(cancelled) > 0 {
		b.WriteString("\n")
	}
	for _, s := range append(unfilled, cancelled...) {
		b.WriteString("- " + s + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeDesk writes, per structure, what was ordered, delivered (agreed with adjustments),
// invoiced, paid and is still owed (SupplierPart.Owed), then the totals.
func writeDesk(b *strings.Builder, cat *l10n.Catalog, r *Recap, locale string, rows int) {
	b.WriteString("\n")
	b.WriteString(cat.T(locale, "RecapDeskHeader", nil))
	b.WriteString("\n|:--|--:|--:|--:|--:|--:|\n")
	money := func(c guichet.Cents) string { return l10n.Money(c, locale) }
	for i, s := range r.Suppliers {
		if i >= rows {
			break
		}
		b.WriteString("| " + strings.Join([]string{cell(s.Name), money(s.Ordered), money(s.Due), money(s.Invoiced), money(s.Paid), money(s.Owed())}, " | ") + " |\n")
	}
	b.WriteString("| " + strings.Join([]string{cat.T(locale, "RecapTotalRow", nil), bold(money(r.Ordered)), bold(money(r.Due)),
		bold(money(r.Invoiced)), bold(money(r.Paid)), bold(money(r.Owed()))}, " | ") + " |\n")
}

// writeDeliveries writes, for each awarded share, what was agreed, what the structure reported
// delivered and what a coordinator adjusted, then what is due after the adjustments.
func writeDeliveries(b *strings.Builder, cat *l10n.Catalog, r *Recap, locale string) {
	b.WriteString("\n" + cat.T(locale, "RecapDeliveredTitle", nil) + "\n")
	for _, s := range r.Suppliers {
		for _, it := range s.Items {
			args := map[string]any{"Supplier": s.Name, "Code": it.LotCode, "Title": it.LotTitle, "Agreed": it.Quantity,
				"Unit": it.Unit, "AgreedAmount": l10n.Money(it.Amount, locale), "Reported": it.Delivered != nil,
				"Comment": it.Comment, "Adjusted": it.Adjusted != nil, "Reason": it.Reason}
			if it.Delivered != nil {
				args["Delivered"] = *it.Delivered
			}
			if it.Adjusted != nil {
				args["AdjustedAmount"] = l10n.Money(*it.Adjusted, locale)
			}
			b.WriteString(cat.T(locale, "RecapDeliveredLine", args) + "\n")
		}
	}
	b.WriteString(cat.T(locale, "RecapDeliveredDue", map[string]any{"Due": l10n.Money(r.Due, locale), "Agreed": l10n.Money(r.Agreed, locale)}) + "\n")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func bold(s string) string { return "**" + s + "**" }

func j1Cell(cat *l10n.Catalog, locale string, c Confirmation) string {
	id := map[Confirmation]string{
		J1None:       "RecapJ1None",
		J1Waiting:    "RecapJ1Waiting",
		J1Unanswered: "RecapJ1Unanswered",
		J1Confirmed:  "RecapJ1Confirmed",
		J1Problem:    "RecapJ1Problem",
	}[c]
	return cat.T(locale, id, nil)
}

// PaymentReply writes what a recorded payment leaves: agreed, paid, remaining, for the
// coordinator who typed `paid`.
func PaymentReply(cat *l10n.Catalog, locale string, amount guichet.Cents, b *guichet.Balance) string {
	return cat.T(l10n.Locale(locale), "RecapPaymentRecorded", map[string]any{
		"Amount": l10n.Money(amount, locale), "Supplier": b.SupplierName, "Event": b.EventSlug,
		"Agreed": l10n.Money(b.Agreed, locale), "Paid": l10n.Money(b.Paid, locale), "Remaining": l10n.Money(b.Remaining(), locale)})
}
