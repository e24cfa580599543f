// Package sheet reads the tables people keep in office files: CSV as any office saves it
// (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252 or ISO-8859-15; separated by
// ";", "," or tabs) and every sheet of an Excel workbook (.xlsx), cells as the sheet shows
// them. It knows nothing of what the tables mean: package commands recognises structures and
// lots by their header.
package sheet

import (
	"bytes"
	"path"
	"strings"

	"guichet.dev/guichet"
)

// Bounds of a file: MaxBytes its size as received, MaxRows its data rows (all sheets together,
// blank rows not counted). Past either, Read returns EINVALID "MsgSheetsTooBig" or
// "MsgSheetsTooManyRows".
const (
	MaxBytes = 5 << 20
	MaxRows  = 5000
)

// A Sheet is one table of a file: a CSV file has one, named "", a workbook one per sheet
// that has any cell, named as the workbook names it.
type Sheet struct {
	Name string
	// Rows are the sheet's rows that have at least one non-blank cell, in order; the first is
	// normally the header.
	Rows []Row
}

// A Row is a row of a sheet: its number as the spreadsheet shows it (the first line of a CSV
// file is row 1; for a record spanning several lines, the line it starts on) and its cells.
type Row struct {
	Number int
	Cells  []string
}

// Blank reports whether every cell of the row is empty or spaces.
func (r Row) Blank() bool {
	for _, c := range r.Cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// IsWorkbook reports whether a file named name with content data is an Excel workbook
// (.xlsx) rather than text: its name ends in .xlsx or its content is a zip archive.
func IsWorkbook(name string, data []byte) bool {
	return strings.EqualFold(path.Ext(name), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04"))
}

// Read reads the file named name: a workbook when IsWorkbook says so, else CSV text. It
// returns the sheets that have at least one non-blank row. Errors are EINVALID errors for the
// person who sent the file: too big (MsgSheetsTooBig), too many rows (MsgSheetsTooManyRows),
// not a workbook nor text (MsgSheetsUnreadable), no table at all (MsgSheetsEmpty).
func Read(name string, data []byte) ([]Sheet, error) {
	if len(data) > MaxBytes {
		return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsTooBig", "Max", MaxBytes>>20)
	}
	var sheets []Sheet
	var err error
	if IsWorkbook(name, data) {
		sheets, err = readWorkbook(data)
	} else {
		var s Sheet
		s, err = ReadCSV(data)
		sheets = []Sheet{s}
	}
	if err != nil {
		return nil, err
	}
	kept := sheets[:0]
	rows := 0
	for _, s := range sheets {
		if len(s.Rows) == 0 {
			continue
		}
		// The header does not count as data.
		rows += len(s.Rows) - 1
		kept = append(kept, s)
	}
	if rows > MaxRows {
		return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsTooManyRows", "Max", MaxRows, "N", rows)
	}
	if len(kept) == 0 {
		return nil, guichet.Errorf(guichet.EINVALID, "MsgSheetsEmpty")
	}
	return kept, nil
}
