package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// csvWriter writes the package's CSV dialect (see the package documentation): UTF-8 BOM,
// semicolons, CRLF.
func csvWriter(w io.Writer) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	return cw, nil
}

// EurosCSV writes an amount as a French spreadsheet reads a number: "1320,50", "-12,00".
func EurosCSV(c guichet.Cents) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d,%02d", sign, int64(c)/100, int64(c)%100)
}

// textCell keeps a spreadsheet from running a cell as a formula.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ClaimsCSV writes every awarded claim of the recap, one row each, in locale ("" for the
// event's language): event, lot code, lot title, structure, quantity, unit, amount in euros
// ("1320,00"), amount in cents (132000), status. The amounts add up to the recap's total.
func ClaimsCSV(w io.Writer, cat *l10n.Catalog, r *Recap, locale string) error {
	locale = r.Locale(locale)
	cw, err := csvWriter(w)
	if err != nil {
		return err
	}
	header := []string{}
	for _, id := range []string{"ReportColEvent", "ReportColLot", "ReportColLotTitle", "ReportColStructure",
		"ReportColQuantity", "ReportColUnit", "ReportColAmount", "ReportColAmountCents", "ReportColStatus"} {
		header = append(header, cat.T(locale, id, nil))
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, c := range r.Claims() {
		if err := cw.Write([]string{
			textCell(r.Event.Name), c.LotCode, textCell(c.LotTitle), textCell(c.Supplier),
			strconv.FormatInt(c.Quantity, 10), textCell(c.Unit), EurosCSV(c.Amount),
			strconv.FormatInt(int64(c.Amount), 10), claimStatus(cat, locale, c.Status),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func claimStatus(cat *l10n.Catalog, locale string, s guichet.ClaimStatus) string {
	id, ok := map[guichet.ClaimStatus]string{
		guichet.ClaimPending:   "ReportClaimPending",
		guichet.ClaimAwarded:   "ReportClaimAwarded",
		guichet.ClaimDeclined:  "ReportClaimDeclined",
		guichet.ClaimWithdrawn: "ReportClaimWithdrawn",
		guichet.ClaimCancelled: "ReportClaimCancelled",
	}[s]
	if !ok {
		return string(s)
	}
	return cat.T(locale, id, nil)
}

// AuditCSV writes audit entries, one row each, in locale ("" for the event's language), with
// times in the event's time zone: number, date and time, person, action, lot code, structure,
// detail (JSON as recorded).
func AuditCSV(w io.Writer, cat *l10n.Catalog, e *guichet.Event, lines []*guichet.AuditLine, locale string) error {
	if locale == "" {
		locale = e.Locale
	}
	locale = l10n.Locale(locale)
	loc, err := e.Location()
	if err != nil {
		return err
	}
	cw, err := csvWriter(w)
	if err != nil {
		return err
	}
	header := []string{}
	for _, id := range []string{"ReportColNumber", "ReportColAt", "ReportColActor", "ReportColAction",
		"ReportColLot", "ReportColStructure", "ReportColDetail"} {
		header = append(header, cat.T(locale, id, nil))
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, a := range lines {
		actor := a.ActorName
		if actor == "" {
			actor = a.ActorID
		}
		if err := cw.Write([]string{
			strconv.FormatInt(a.ID, 10), a.At.In(loc).Format("2006-01-02 15:04:05"), textCell(actor),
			a.Action, a.LotCode, textCell(a.SupplierName), textCell(string(a.Detail)),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// FileName returns the base name of the recap's files in locale, without extension:
// "bilan-assises-2011" (fr), "recap-assises-2011" (en).
func FileName(cat *l10n.Catalog, r *Recap, locale string) string {
	return cat.T(r.Locale(locale), "ReportFileName", map[string]any{"Slug": r.Event.Slug})
}
