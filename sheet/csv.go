package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
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
// chosen by which of them the header line has most of outside quotes. Blank lines are skipped;
// the sheet's rows are numbered by the line they start on.
//
// A file that encoding/csv reads as it is (RFC 4180: quoted cells may hold separators, line
// breaks and doubled quotes) is read so. A file it refuses for a quote (a quote inside an
// unquoted cell, `Écran 24" HD`, or a quoted cell that goes on after its closing quote,
// `"Petit" café`), as hand-edited files have, is read line by line instead (readLoose): such
// quotes are kept as characters. encoding/csv's LazyQuotes is not used: it reads a cell that
// begins with a quote up to the next quote followed by a separator, anywhere further in the
// file, so that `"Petit" café;x` swallows the rows after it into one cell.
func ReadCSV(data []byte) (Sheet, error) {
	text, _, err := Decode(data)
	if err != nil {
		return Sheet{}, err
	}
	sep, _ := utf8.DecodeRuneInString(Separator(text))
	s, err := readStrict(text, sep)
	var pe *csv.ParseError
	if errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote)) {
		s, err = readLoose(text, sep), nil
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
	if len(s.Rows) > MaxRows+1 {
		return Sheet{}, guichet.Errorf(guichet.EINVALID, "MsgSheetsTooManyRows", "Max", MaxRows, "N", len(s.Rows)-1)
	}
	return s, nil
}

// readStrict reads text with encoding/csv, as RFC 4180 says.
func readStrict(text string, sep rune) (Sheet, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sep
	r.FieldsPerRecord = -1
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
			return s, nil
		}
	}
}

// readLoose reads text as a person reads a hand-edited file: each line is a row (a quoted
// cell does not go on to the next line); a cell that begins with a quote is quoted when a
// quote followed by the separator or the end of the line closes it, and its doubled quotes
// read as one; any other quote is a character of its cell.
func readLoose(text string, sep rune) Sheet {
	var s Sheet
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", "\n"), "\n") {
		var cells []string
		for rest, more := line, true; more; {
			var cell string
			cell, rest, more = looseCell(rest, sep)
			cells = append(cells, cell)
		}
		row := Row{Number: i + 1, Cells: cells}
		if row.Blank() {
			continue
		}
		s.Rows = append(s.Rows, row)
		if len(s.Rows) > MaxRows+1 {
			break
		}
	}
	return s
}

// looseCell reads the first cell of line and returns it, the rest of the line after its
// separator, and whether there is a rest (a separator followed it).
func looseCell(line string, sep rune) (cell, rest string, more bool) {
	if strings.HasPrefix(line, `"`) {
		for j := 1; j < len(line); j++ {
			if line[j] != '"' {
				continue
			}
			if j+1 < len(line) && line[j+1] == '"' {
				j++
				continue
			}
			after := line[j+1:]
			if after == "" {
				return strings.ReplaceAll(line[1:j], `""`, `"`), "", false
			}
			if r, size := utf8.DecodeRuneInString(after); r == sep {
				return strings.ReplaceAll(line[1:j], `""`, `"`), after[size:], true
			}
		}
	}
	i := strings.IndexRune(line, sep)
	if i < 0 {
		return line, "", false
	}
	return line[:i], line[i+utf8.RuneLen(sep):], true
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
