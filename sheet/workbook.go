package sheet

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"guichet.dev/guichet"
)

// maxUnzipped bounds what a workbook may hold once unzipped, so that a small file cannot fill
// the memory (a "zip bomb"): far more than 5,000 rows of long descriptions need.
const maxUnzipped = 64 << 20

// readWorkbook reads every sheet of an .xlsx workbook. A cell is read as the sheet shows it
// (its number format applied: a date as "15/04/2011"), except that a number shown with
// thousands separators or a currency ("1,234.50 €") is given as a plain number with the
// digits shown ("1234.50"), which the amount and quantity readers take whatever the
// spreadsheet's language.
func readWorkbook(data []byte) ([]Sheet, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped})
	if err != nil {
		return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsUnreadable")
	}
	defer f.Close()
	var sheets []Sheet
	total := 0
	for _, name := range f.GetSheetList() {
		shown, err := f.GetRows(name)
		if err != nil {
			return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsUnreadable")
		}
		raw, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsUnreadable")
		}
		s := Sheet{Name: name}
		for i, cells := range shown {
			for j := range cells {
				if i < len(raw) && j < len(raw[i]) {
					cells[j] = plainNumber(cells[j], raw[i][j])
				}
			}
			row := Row{Number: i + 1, Cells: cells}
			if row.Blank() {
				continue
			}
			s.Rows = append(s.Rows, row)
			total++
			if total > MaxRows+len(sheets)+1 {
				return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsTooManyRows", "Max", MaxRows, "N", total)
			}
		}
		sheets = append(sheets, s)
	}
	return sheets, nil
}

// plainNumber returns the cell as shown, or, when the cell holds a number (raw) shown as that
// number with grouping, spaces or a currency sign, the digits shown without them. Dates,
// times and percentages, whose text is not their number, stay as shown.
func plainNumber(shown, raw string) string {
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || shown == raw {
		return shown
	}
	var b strings.Builder
	for _, r := range shown {
		switch {
		case r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		case r == ',', r == ' ', r == '\u00a0', r == '\u202f', r == '€', r == '$', r == '£':
		default:
			return shown
		}
	}
	plain := b.String()
	w, err := strconv.ParseFloat(plain, 64)
	if err != nil {
		return shown
	}
	// The shown digits may round the number; anything further off is not this number.
	if math.Abs(w-v) > 0.5 {
		return shown
	}
	return plain
}
