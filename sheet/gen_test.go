package sheet

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// update rewrites the files of testdata/ from the lots below: go test ./sheet -run
// TestTestdataFiles -update. They are committed, so that the tests read the bytes an office
// wrote, not what the code under test would write.
var update = flag.Bool("update", false, "rewrite the files of testdata/")

// sampleLot is one lot of the sample files: the same 40 in every file.
type sampleLot struct {
	code, title, category string
	quantity              int
	unit                  string
	budgetCents           int64
	mode                  string
	max                   int
	slot, description     string
}

// sampleLots returns the sample files' 40 lots, with long descriptions, titles with the
// characters that need quoting (";", ",", quotes) and accents that Windows-1252 has.
func sampleLots() []sampleLot {
	kinds := []struct{ title, category, unit string }{
		{"Accueil des participants", "accueil", "hôtes"},
		{"Déjeuner; service à table", "restauration", "couverts"},
		{`Pause-café "bio", matin`, "pause-cafe", "pauses"},
		{"Pochettes congressistes", "pochettes", "pochettes"},
		{"Scénographie de la salle", "scenographie", "forfait"},
	}
	var lots []sampleLot
	for i := 0; i < 40; i++ {
		k := kinds[i%len(kinds)]
		mode, max := "exclusif", 1
		if i%3 == 0 {
			mode, max = "partagé", 3
		}
		slot := ""
		if i%4 == 1 {
			slot = "12:00-14:00"
		}
		lots = append(lots, sampleLot{
			code: fmt.Sprintf("L%02d", i+1), title: fmt.Sprintf("%s n°%d", k.title, i+1), category: k.category,
			quantity: 10 + i*7, unit: k.unit, budgetCents: int64(123450 + i*100037), mode: mode, max: max, slot: slot,
			description: fmt.Sprintf("Lot %d : prestation complète, livrée et installée sur place avant l'ouverture des portes ; "+
				"matériel fourni par la structure, équipe présente pendant toute la durée du créneau, "+
				"nettoyage et reprise des déchets compris. Écran 24\" et câbles si besoin. Contact sur place : "+
				"l'équipe d'accueil, à l'entrée principale de la Cité des Congrès (niveau 0).", i+1),
		})
	}
	return lots
}

// frenchAmount writes cents the way French Excel writes a currency cell to CSV:
// "1 234,50 €" with a no-break space between thousands.
func frenchAmount(c int64) string {
	euros := fmt.Sprint(c / 100)
	var b strings.Builder
	for i, r := range euros {
		if i > 0 && (len(euros)-i)%3 == 0 {
			b.WriteRune('\u00a0')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s,%02d €", b.String(), c%100)
}

// csvQuote quotes a field as Excel does: only when it has the separator, a quote or a line
// break... except that it leaves a quote inside a field alone when nothing else calls for
// quotes, as a hand-edited file does.
func csvQuote(s, sep string, bareQuotes bool) string {
	needs := strings.Contains(s, sep) || strings.ContainsAny(s, "\r\n")
	if !needs && (bareQuotes || !strings.Contains(s, `"`)) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

const frenchHeader = "code;intitulé;catégorie;quantité;unité;budget (€);mode;max structures;créneau;jour;description"

// lotsCSV writes the lots as CSV with sep, one line per lot, each line ending in eol.
func lotsCSV(lots []sampleLot, sep, eol string, bareQuotes bool) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(frenchHeader, ";", sep) + eol)
	for _, l := range lots {
		fields := []string{l.code, l.title, l.category, fmt.Sprint(l.quantity), l.unit, frenchAmount(l.budgetCents),
			l.mode, fmt.Sprint(l.max), l.slot, "15/04/2031", l.description}
		for i, f := range fields {
			fields[i] = csvQuote(f, sep, bareQuotes)
		}
		b.WriteString(strings.Join(fields, sep) + eol)
	}
	return b.String()
}

// sampleStructures are the structures sheet of the sample workbook.
var sampleStructures = [][]string{
	{"Nom", "Catégories"},
	{"Les Tabliers Solidaires (échantillon)", "restauration; pause-cafe"},
	{"Atelier Pochettes & Cie (échantillon)", "pochettes"},
	{"Accueil Plus (échantillon)", "accueil"},
	{"Scène Ouverte (échantillon)", "scenographie"},
}

func writeTestdata(t *testing.T) {
	lots := sampleLots()
	dir := "testdata"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// French Excel, "CSV (séparateur: point-virgule)": Windows-1252, CRLF, a hand-added inch mark.
	w1252, err := charmap.Windows1252.NewEncoder().String(lotsCSV(lots, ";", "\r\n", true))
	must(err)
	must(os.WriteFile(filepath.Join(dir, "lots-excel-fr.csv"), []byte(w1252), 0o644))
	// The same with a bad amount on row 7 (the sixth lot) and a bad quantity on row 12.
	bad := append([]sampleLot(nil), lots...)
	text := lotsCSV(bad, ";", "\r\n", true)
	lines := strings.Split(text, "\r\n")
	lines[6] = strings.Replace(lines[6], frenchAmount(bad[5].budgetCents), "mille euros", 1)
	lines[11] = strings.Replace(lines[11], fmt.Sprintf(";%d;", bad[10].quantity), ";douze;", 1)
	wbad, err := charmap.Windows1252.NewEncoder().String(strings.Join(lines, "\r\n"))
	must(err)
	must(os.WriteFile(filepath.Join(dir, "lots-bad-row.csv"), []byte(wbad), 0o644))
	// Excel's "Texte Unicode": UTF-16 little endian with a BOM, tabs.
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(lotsCSV(lots, "\t", "\r\n", false))
	must(err)
	must(os.WriteFile(filepath.Join(dir, "lots-utf16.txt"), []byte(u16), 0o644))
	// LibreOffice's default: UTF-8 with a BOM, commas, LF.
	must(os.WriteFile(filepath.Join(dir, "lots-utf8-bom.csv"), append([]byte("\ufeff"), lotsCSV(lots, ",", "\n", false)...), 0o644))
	// An old Unix box: ISO-8859-15, with the euro sign where that encoding puts it.
	iso, err := charmap.ISO8859_15.NewEncoder().String(lotsCSV(lots[:3], ";", "\n", false))
	must(err)
	must(os.WriteFile(filepath.Join(dir, "lots-iso-8859-15.csv"), []byte(iso), 0o644))

	// A workbook with a structures sheet and a lots sheet: the day a date cell shown
	// dd/mm/yyyy, the budget a number cell shown "# ##0,00 €".
	f := excelize.NewFile()
	defer f.Close()
	must(f.SetSheetName("Sheet1", "Structures"))
	for i, row := range sampleStructures {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		must(f.SetSheetRow("Structures", cell, &row))
	}
	_, err = f.NewSheet("Lots")
	must(err)
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("dd/mm/yyyy")})
	must(err)
	moneyStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr(`#,##0.00\ "€"`)})
	must(err)
	header := strings.Split(frenchHeader, ";")
	must(f.SetSheetRow("Lots", "A1", &header))
	for i, l := range lots {
		r := i + 2
		row := []any{l.code, l.title, l.category, l.quantity, l.unit, float64(l.budgetCents) / 100, l.mode, l.max, l.slot, nil, l.description}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		must(f.SetSheetRow("Lots", cell, &row))
		must(f.SetCellValue("Lots", fmt.Sprintf("J%d", r), 47953)) // 15 April 2031, as Excel counts days
		must(f.SetCellStyle("Lots", fmt.Sprintf("J%d", r), fmt.Sprintf("J%d", r), dateStyle))
		must(f.SetCellStyle("Lots", fmt.Sprintf("F%d", r), fmt.Sprintf("F%d", r), moneyStyle))
	}
	var buf bytes.Buffer
	must(f.Write(&buf))
	must(os.WriteFile(filepath.Join(dir, "assises.xlsx"), buf.Bytes(), 0o644))
}

func ptr[T any](v T) *T { return &v }

func TestTestdataFiles(t *testing.T) {
	if *update {
		writeTestdata(t)
	}
	for _, name := range []string{"lots-excel-fr.csv", "lots-bad-row.csv", "lots-utf16.txt", "lots-utf8-bom.csv", "lots-iso-8859-15.csv", "assises.xlsx"} {
		if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
			t.Fatalf("testdata/%s is missing: go test ./sheet -run TestTestdataFiles -update", name)
		}
	}
}
