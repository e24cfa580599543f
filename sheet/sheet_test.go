package sheet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func readFile(t *testing.T, name string) []Sheet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	sheets, err := Read(name, data)
	require.NoError(t, err)
	return sheets
}

// TestReadsFilesAsOfficesWriteThem reads the same 40 lots written by French Excel
// (Windows-1252, ";"), as Unicode text (UTF-16, tabs) and by LibreOffice (UTF-8 with a BOM,
// ","): every file gives the same cells.
func TestReadsFilesAsOfficesWriteThem(t *testing.T) {
	t.Parallel()
	want := sampleLots()
	for _, name := range []string{"lots-excel-fr.csv", "lots-utf16.txt", "lots-utf8-bom.csv"} {
		t.Run(name, func(t *testing.T) {
			sheets := readFile(t, name)
			require.Len(t, sheets, 1)
			rows := sheets[0].Rows
			require.Len(t, rows, 41)
			require.Equal(t, "intitulé", rows[0].Cells[1], "header decoded")
			require.Equal(t, 1, rows[0].Number)
			for i, l := range want {
				r := rows[i+1]
				require.Equal(t, i+2, r.Number, "row number")
				require.Len(t, r.Cells, 11, "row %d", r.Number)
				require.Equal(t, l.code, r.Cells[0])
				require.Equal(t, l.title, r.Cells[1], "quoted field, or a quote inside an unquoted one, kept")
				require.Equal(t, frenchAmount(l.budgetCents), r.Cells[5])
				require.Equal(t, l.description, r.Cells[10], "long description with ; and a quote")
			}
		})
	}
}

func TestDecodeDetectsTheEncoding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, enc, contains string
	}{
		{"lots-excel-fr.csv", Windows1252, "1\u00a0234,50 €"},
		{"lots-utf16.txt", UTF16LE, "Scénographie"},
		{"lots-utf8-bom.csv", UTF8, "créneau"},
		{"lots-iso-8859-15.csv", ISO885915, "1\u00a0234,50 €"},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", tc.file))
		require.NoError(t, err)
		text, enc, err := Decode(data)
		require.NoError(t, err)
		require.Equal(t, tc.enc, enc, tc.file)
		require.Contains(t, text, tc.contains, tc.file)
		require.False(t, strings.HasPrefix(text, "\ufeff"), "no BOM left in %s", tc.file)
	}
	text, enc, err := Decode([]byte{0xFE, 0xFF, 0, 'a', 0, ';', 0, 0xE9})
	require.NoError(t, err)
	require.Equal(t, UTF16BE, enc)
	require.Equal(t, "a;é", text)
}

// TestWorkbookEverySheetAsShown reads both sheets of the sample workbook, the date and the
// amount cells as the sheet shows them.
func TestWorkbookEverySheetAsShown(t *testing.T) {
	t.Parallel()
	sheets := readFile(t, "assises.xlsx")
	require.Len(t, sheets, 2)
	require.Equal(t, "Structures", sheets[0].Name)
	require.Len(t, sheets[0].Rows, len(sampleStructures))
	require.Equal(t, sampleStructures[1], sheets[0].Rows[1].Cells)
	lots := sheets[1]
	require.Equal(t, "Lots", lots.Name)
	require.Len(t, lots.Rows, 41)
	first := lots.Rows[1]
	require.Equal(t, 2, first.Number)
	require.Equal(t, "L01", first.Cells[0])
	require.Equal(t, "15/04/2031", first.Cells[9], "a date cell as shown")
	require.Equal(t, "1234.50", first.Cells[5], "a currency cell's shown digits")
	require.Equal(t, sampleLots()[39].description, lots.Rows[40].Cells[10])
}

func TestPlainNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ shown, raw, want string }{
		{"1,234.50 €", "1234.5", "1234.50"},
		{"15/04/2031", "47953", "15/04/2031"},
		{"50%", "0.5", "50%"},
		{"12", "12", "12"},
		{"Déjeuner", "Déjeuner", "Déjeuner"},
		{"1,5", "1.5", "1,5"},
	} {
		require.Equal(t, tc.want, plainNumber(tc.shown, tc.raw), tc.shown)
	}
}

func TestBounds(t *testing.T) {
	t.Parallel()
	_, err := Read("big.csv", bytes.Repeat([]byte("a"), MaxBytes+1))
	require.Equal(t, "MsgSheetsTooBig", guichet.AsError(err).MessageID)
	many := "code;titre\n" + strings.Repeat("A;b\n", MaxRows+1)
	_, err = Read("many.csv", []byte(many))
	require.Equal(t, "MsgSheetsTooManyRows", guichet.AsError(err).MessageID)
	_, err = Read("ok.csv", []byte("code;titre\n"+strings.Repeat("A;b\n", MaxRows)))
	require.NoError(t, err, "exactly MaxRows data rows")
	_, err = Read("blank.csv", []byte(";;\n\n"))
	require.Equal(t, "MsgSheetsEmpty", guichet.AsError(err).MessageID)
	_, err = Read("broken.xlsx", []byte("PK\x03\x04 not a zip"))
	require.Equal(t, "MsgSheetsUnreadable", guichet.AsError(err).MessageID)
}

// TestQuotesAsHandEdited checks what a quote does where encoding/csv refuses it by default.
func TestQuotesAsHandEdited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, text string
		want       [][]string
	}{
		{"inch mark in an unquoted field", "code;titre\nA;Écran 24\" HD\nB;x\n", [][]string{{"A", `Écran 24" HD`}, {"B", "x"}}},
		{"undoubled quote in a quoted field", "code;titre\nA;\"Le \"Petit\" café\"\nB;x\n", [][]string{{"A", `Le "Petit" café`}, {"B", "x"}}},
		{"doubled quotes", "code;titre\nA;\"Le \"\"Petit\"\" café\"\n", [][]string{{"A", `Le "Petit" café`}}},
		{"a quoted word starting a cell swallows no row", "code;titre;x\nA;\"Petit\" café;x\nB;y;z\nC;\"w;v\";u\n",
			[][]string{{"A", `"Petit" café`, "x"}, {"B", "y", "z"}, {"C", "w;v", "u"}}},
		{"unclosed quote", "code;titre\r\nA;\"Petit café\r\nB;y\r\n", [][]string{{"A", `"Petit café`}, {"B", "y"}}},
		{"line breaks in quoted cells when nothing is amiss", "code;titre\nA;\"deux\nlignes\"\nB;y\n", [][]string{{"A", "deux\nlignes"}, {"B", "y"}}},
	} {
		s, err := ReadCSV([]byte(tc.text))
		require.NoError(t, err, tc.name)
		var got [][]string
		for _, r := range s.Rows[1:] {
			got = append(got, r.Cells)
		}
		require.Equal(t, tc.want, got, tc.name)
	}
	s, err := ReadCSV([]byte("code;titre\n\nA;Écran 24\" HD\n"))
	require.NoError(t, err)
	require.Equal(t, 3, s.Rows[1].Number, "rows keep their line numbers when read line by line")
}

func TestSeparator(t *testing.T) {
	t.Parallel()
	require.Equal(t, ";", Separator("a;b;c\n1,5;2;3"))
	require.Equal(t, "\t", Separator("a\tb\n"))
	require.Equal(t, ",", Separator(`"a;b",c,d`))
	require.Equal(t, ",", Separator("single"))
}
