package sheet

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"guichet.dev/guichet"
)

// FuzzRead feeds Read any bytes, as a CSV or a workbook: it never panics, refuses only with an
// error meant for a person, and what it reads is valid text in rows numbered in order.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"lots-excel-fr.csv", "lots-utf16.txt", "lots-iso-8859-15.csv", "assises.xlsx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, data)
	}
	f.Add("x.csv", []byte("code;titre\nA;\"Le \"Petit\" café\nB;x"))
	f.Add("x.csv", []byte{0xFF, 0xFE, 'a', 0, '\t', 0})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		sheets, err := Read(name, data)
		if err != nil {
			if guichet.AsError(err) == nil {
				t.Fatalf("an error not meant for a person: %v", err)
			}
			return
		}
		for _, s := range sheets {
			last := 0
			for _, r := range s.Rows {
				if r.Number <= last {
					t.Fatalf("row %d after row %d", r.Number, last)
				}
				last = r.Number
				if r.Blank() {
					t.Fatalf("blank row %d kept", r.Number)
				}
				for _, c := range r.Cells {
					if !utf8.ValidString(c) {
						t.Fatalf("row %d: invalid UTF-8 %q", r.Number, c)
					}
				}
			}
		}
	})
}
