package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"guichet.dev/guichet"
)

// Encodings a CSV file may come in, as Decode names them.
const (
	UTF8        = "UTF-8"
	UTF16LE     = "UTF-16LE"
	UTF16BE     = "UTF-16BE"
	Windows1252 = "Windows-1252"
	ISO885915   = "ISO-8859-15"
)

// Decode returns data as UTF-8 text without a byte order mark, and the encoding it was in: a
// byte order mark says UTF-8 or UTF-16 (little or big endian); without one, text that is valid
// UTF-8 is UTF-8; anything else is a one-byte Western European encoding, ISO-8859-15 when it
// has the euro sign where that encoding puts it (0xA4) and none of the bytes 0x80–0x9F that
// only Windows-1252 uses, Windows-1252 otherwise (what French Excel writes).
func Decode(data []byte) (string, string, error) {
	var enc encoding.Encoding
	name := UTF8
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:]), UTF8, nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		enc, name = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), UTF16LE
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		enc, name = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), UTF16BE
	case utf8.Valid(data):
		return string(data), UTF8, nil
	case isoEuro(data):
		enc, name = charmap.ISO8859_15, ISO885915
	default:
		enc, name = charmap.Windows1252, Windows1252
	}
	text, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return "", name, guichet.Errorf(guichet.EINVALID, "MsgSheetsUnreadable")
	}
	return string(text), name, nil
}

// isoEuro reports whether one-byte text reads as ISO-8859-15 rather than Windows-1252: it has
// 0xA4 (€ in ISO-8859-15, ¤ in Windows-1252) and no byte in 0x80–0x9F (control characters in
// ISO-8859-15, letters and punctuation in Windows-1252).
func isoEuro(data []byte) bool {
	euro := false
	for _, c := range data {
		switch {
		case c >= 0x80 && c <= 0x9F:
			return false
		case c == 0xA4:
			euro = true
		}
	}
	return euro
}

// ReadCSV reads a CSV file in any encoding Decode knows, its separator (";", "," or tab)
// chosen by which of them the header line has most of outside quotes. A quote inside an
// unquoted field, or an unescaped one inside a quoted field (hand-edited files have them), is
// kept as a character. Blank lines are skipped. The sheet's rows are numbered by the line they
// start on.
func ReadCSV(data []byte) (Sheet, error) {
	text, _, err := Decode(data)
	if err != nil {
		return Sheet{}, err
	}
	sep := Separator(text)
	s, err := readCSV(text, sep, false)
	var pe *csv.ParseError
	if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)) {
		s, err = readCSV(text, sep, true)
	}
	if guichet.AsError(err) != nil {
		return Sheet{}, err
	}
	if err != nil {
		line := 0
		if errors.As(err, &pe) {
			line = pe.StartLine
		}
		return Sheet{}, guichet.Errorf(guichet.EINVALID, "CmdCSVSyntax", "Row", line)
	}
	return s, nil
}

func readCSV(text, sep string, lazy bool) (Sheet, error) {
	r := csv.NewReader(bytes.NewReader([]byte(text)))
	r.Comma, _ = utf8.DecodeRuneInString(sep)
	r.FieldsPerRecord = -1
	r.LazyQuotes = lazy
	r.ReuseRecord = false
	var s Sheet
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return Sheet{}, err
		}
		line, _ := r.FieldPos(0)
		row := Row{Number: line, Cells: rec}
		if row.Blank() {
			continue
		}
		s.Rows = append(s.Rows, row)
		if len(s.Rows) > MaxRows+1 {
			return Sheet{}, guichet.Errorf(guichet.EINVALID, "MsgSheetsTooManyRows", "Max", MaxRows, "N", MaxRows+1)
		}
	}
}

// Separator returns the field separator of CSV text: a tab, ";" or ",", whichever the first
// line has most of outside quotes (a comma when none).
func Separator(text string) string {
	line := text
	if i := indexLineEnd(text); i >= 0 {
		line = text[:i]
	}
	counts := map[rune]int{}
	inQuote := false
	for _, r := range line {
		switch {
		case r == '"':
			inQuote = !inQuote
		case !inQuote && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	sep := ','
	for _, r := range []rune{'\t', ';'} {
		if counts[r] > counts[sep] {
			sep = r
		}
	}
	return string(sep)
}

func indexLineEnd(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return i
		}
	}
	return -1
}
