package commands

import (
	"strings"
	"testing"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

var fuzzCatalog = l10n.New()

// checkError fails unless err is a *guichet.Error whose message renders completely in every
// language: no missing id, no missing argument.
func checkError(t *testing.T, err error) {
	t.Helper()
	e := guichet.AsError(err)
	if e == nil {
		t.Fatalf("error %v (%T) is not a *guichet.Error", err, err)
	}
	if e.Code != guichet.EINVALID && e.Code != guichet.ECONFLICT {
		t.Fatalf("error %v has code %s", e, e.Code)
	}
	for _, loc := range l10n.Locales {
		text := Message(fuzzCatalog, loc, err)
		if strings.Contains(text, "<no value>") || strings.HasPrefix(text, "[") && strings.HasSuffix(text, "]") {
			t.Fatalf("%s rendering of %v is incomplete: %q", loc, e, text)
		}
	}
}

// FuzzParse: whatever is typed, the parser does not panic, and every error is a person's
// error with a complete message.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "aide", "event create assises-2011 2011-04-15 \"Assises\" venue=\"Cité\"", "claim DEJ 100 structure=«Kenja»",
		"lot add DEJ “Déjeuner” category=restauration qty=450 budget=\"5 400,50\" mode=shared max=4 slot=12:00-14:00 deadline=2011-04-10T18:00",
		"supplier add L'Équipage categories=librairie members=@a,@b channel=~x", "award a/B c", "decline DEJ x reason=\"\"",
		"release DEJ motif=«»", "event create x 2011-02-30 y", "\"", "«", "k=\"v", "=", "a=b=c", "lot", "lot add a B", "historique x/Y",
		"remind assises-2011 J-7 --preview", "rappel —aperçu j1", "remind j", "bilan x aperçu", "paid «\u202fLe Goût\u202f» \"1 320,50 €\" x note=y",
		"paid 1 2 3", "payé a € b", "paid structure= 5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, err := Parse(text)
		if err != nil {
			checkError(t, err)
			return
		}
		if cmd == nil || cmd.CommandName() == "" {
			t.Fatalf("Parse(%q) returned no command and no error", text)
		}
	})
}

// FuzzImportLots: whatever is pasted, the lots reader does not panic, returns records or an
// error for a person, never both, and every record is a valid lot.
func FuzzImportLots(f *testing.F) {
	f.Add(string(fixture(f, "lots.csv")))
	f.Add("code;title;category;quantity;budget\nDEJ;Déjeuner;r;1;\"1 234,50\"\n")
	f.Add("\ufeffcode\ttitle\tcategory\tquantity\tbudget_eur\tdeadline\nA\tB\tc\t1\t2\t2011-04-10T18:00\n")
	f.Add("code,title,category,quantity,budget_eur\nA,\"B\nC\",c,1,2\n")
	f.Fuzz(func(t *testing.T, data string) {
		recs, err := ReadLots([]byte(data), time.UTC)
		if err != nil {
			if recs != nil {
				t.Fatal("records and an error")
			}
			checkError(t, err)
			return
		}
		for _, r := range recs {
			if err := r.Lot.Validate(); err != nil {
				t.Fatalf("row %d: invalid lot %v", r.Row, err)
			}
			if r.Row < 2 {
				t.Fatalf("row %d", r.Row)
			}
		}
	})
}

// FuzzImportSuppliers: the same for the suppliers reader.
func FuzzImportSuppliers(f *testing.F) {
	f.Add(string(fixture(f, "suppliers.csv")))
	f.Add("nom;catégories;canal;membres\nRomsi;\"restauration,pause-cafe\";romsi;@a @b\n")
	f.Add("name,categories\n\"Les \"\"grandes\"\"\",a\n")
	f.Fuzz(func(t *testing.T, data string) {
		recs, err := ReadSuppliers([]byte(data))
		if err != nil {
			if recs != nil {
				t.Fatal("records and an error")
			}
			checkError(t, err)
			return
		}
		for _, r := range recs {
			if err := r.Supplier.Validate(); err != nil {
				t.Fatalf("row %d: invalid supplier %v", r.Row, err)
			}
		}
	})
}
