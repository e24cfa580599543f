package commands

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/assises"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	return assises.Read(name)
}

func paris(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	return loc
}

func TestReadSuppliersFixture(t *testing.T) {
	t.Parallel()
	recs, err := ReadSuppliers(fixture(t, "suppliers.csv"))
	require.NoError(t, err)
	require.Len(t, recs, 19)
	tak := recs[0]
	require.Equal(t, 2, tak.Row)
	require.Equal(t, "TAK-APRES", tak.Supplier.Name)
	require.Equal(t, "tak-apres", tak.Supplier.Slug)
	require.Equal(t, []string{"accueil", "restauration", "pause-cafe"}, tak.Supplier.Categories)
	require.Equal(t, "tak-apres", tak.Supplier.ChannelName)
	require.Equal(t, []guichet.Member{{Username: "takapres.anne"}, {Username: "takapres.yann"}}, tak.Supplier.Members)
	last := recs[18]
	require.Equal(t, 20, last.Row)
	require.Equal(t, "Yves Monteil", last.Supplier.Name)
	require.Equal(t, "Méli-Mélo d'Oser Forêt Vivante", recs[6].Supplier.Name)
}

func TestReadLotsFixture(t *testing.T) {
	t.Parallel()
	recs, err := ReadLots(fixture(t, "lots.csv"), paris(t))
	require.NoError(t, err)
	require.Len(t, recs, 14)
	var total guichet.Cents
	for _, r := range recs {
		total += r.Lot.Budget
	}
	require.Equal(t, guichet.Cents(1921000), total, "the fixture's budgets add up to 19 210 €")
	dej := recs[4].Lot
	require.Equal(t, 6, recs[4].Row)
	require.Equal(t, "DEJ", dej.Code)
	require.Equal(t, guichet.Shared, dej.Mode)
	require.Equal(t, 4, dej.MaxSuppliers)
	require.Equal(t, int64(450), dej.Quantity)
	require.Equal(t, "couverts", dej.Unit)
	require.Equal(t, "12:00", dej.SlotStart)
	require.Equal(t, "14:00", dej.SlotEnd)
	require.Equal(t, guichet.FirstCome, dej.Award)
	sce := recs[3].Lot
	require.Equal(t, guichet.Exclusive, sce.Mode)
	require.Equal(t, 1, sce.MaxSuppliers)
	require.Empty(t, sce.SlotStart)
}

// The same data written the way a French spreadsheet exports it: semicolons, a BOM, CRLF,
// amounts with a decimal comma and grouped thousands, French headers in another order, extra
// optional columns.
func TestReadLotsFrenchSpreadsheet(t *testing.T) {
	t.Parallel()
	data := "\ufeffCode;Intitulé;Catégorie;Quantité;Unité;Budget (€);Mode;Max;Créneau;Attribution;Date limite;Lieu\r\n" +
		"dej;Déjeuner;Restauration;450;couverts;5 400,50;partagé;4;12h00-14h00;choix;2011-04-10T18:00;Hall\r\n" +
		"\r\n" +
		"PAI;Pain;boulangerie;450;portions;\"1 234,5\";;;;;;\r\n"
	recs, err := ReadLots([]byte(data), paris(t))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	dej := recs[0].Lot
	require.Equal(t, "DEJ", dej.Code)
	require.Equal(t, "restauration", dej.Category)
	require.Equal(t, guichet.Cents(540050), dej.Budget)
	require.Equal(t, guichet.Review, dej.Award)
	require.Equal(t, "Hall", dej.Place)
	require.Equal(t, time.Date(2011, 4, 10, 16, 0, 0, 0, time.UTC), dej.Deadline.UTC())
	require.Equal(t, 4, recs[1].Row, "the blank line counts as a row, as the file shows it")
	require.Equal(t, guichet.Cents(123450), recs[1].Lot.Budget)
	require.Equal(t, guichet.Exclusive, recs[1].Lot.Mode)
}

func TestReadSuppliersTabsAndCommaLists(t *testing.T) {
	t.Parallel()
	data := "nom\tcatégories\tcanal\tmembres\nRomsi\trestauration, pause-cafe\t~romsi\t@romsi.ana @romsi.bo\n"
	recs, err := ReadSuppliers([]byte(data))
	require.NoError(t, err)
	require.Len(t, recs, 1)
	require.Equal(t, []string{"restauration", "pause-cafe"}, recs[0].Supplier.Categories)
	require.Equal(t, "romsi", recs[0].Supplier.ChannelName)
	require.Len(t, recs[0].Supplier.Members, 2)
}

// fortyLots writes a 40-row lots file whose row badRow (as a person counts, header = 1) has
// bad in column col.
func fortyLots(badRow int, col, bad string) []byte {
	var b strings.Builder
	b.WriteString("code,title,category,quantity,unit,budget_eur,mode,max_suppliers,slot,description\n")
	for i := 0; i < 40; i++ {
		cells := []string{fmt.Sprintf("L%d", i), fmt.Sprintf("Lot %d", i), "restauration", "10", "couverts", `"1 234,50"`, "shared", "2", "12:00-14:00", "x"}
		if i+2 == badRow {
			idx := map[string]int{"code": 0, "title": 1, "category": 2, "quantity": 3, "budget_eur": 5, "mode": 6, "max_suppliers": 7, "slot": 8}[col]
			cells[idx] = bad
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return []byte(b.String())
}

func TestReadLotsOneBadRowImportsNothing(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		row      int
		col, bad string
		problem  string
		letter   string
	}{
		"budget with three decimals": {row: 17, col: "budget_eur", bad: `"12,345"`, problem: "ErrAmountCents", letter: "F"},
		"budget in words":            {row: 41, col: "budget_eur", bad: "beaucoup", problem: "ErrAmount", letter: "F"},
		"quantity zero":              {row: 2, col: "quantity", bad: "0", problem: "ErrQuantity", letter: "D"},
		"bad code":                   {row: 30, col: "code", bad: "déj", problem: "ErrLotCode", letter: "A"},
		"code twice":                 {row: 12, col: "code", bad: "L0", problem: "CmdCSVDuplicate", letter: "A"},
		"empty title":                {row: 5, col: "title", bad: "", problem: "ErrLotTitle", letter: "B"},
		"bad category":               {row: 6, col: "category", bad: "Pause Café", problem: "ErrCategory", letter: "C"},
		"bad mode":                   {row: 7, col: "mode", bad: "moitié", problem: "ErrLotMode", letter: "G"},
		"bad max":                    {row: 8, col: "max_suppliers", bad: "zéro", problem: "ErrMaxSuppliers", letter: "H"},
		"bad slot":                   {row: 9, col: "slot", bad: "14:00-12:00", problem: "ErrSlot", letter: "I"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			recs, err := ReadLots(fortyLots(tc.row, tc.col, tc.bad), paris(t))
			require.Nil(t, recs)
			e := guichet.AsError(err)
			require.NotNil(t, e, "%v", err)
			require.Equal(t, "CmdCSVCell", e.MessageID)
			require.Equal(t, tc.row, e.Args["Row"])
			require.Equal(t, tc.col, e.Args["Column"])
			require.Equal(t, tc.letter, e.Args["Letter"])
			require.Equal(t, tc.problem, guichet.AsError(e.Args["Problem"].(error)).MessageID)
		})
	}
	recs, err := ReadLots(fortyLots(0, "", ""), paris(t))
	require.NoError(t, err)
	require.Len(t, recs, 40)
}

func TestReadCSVFileErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		suppliers bool
		data      string
		id        string
		args      map[string]any
	}{
		"empty":               {true, "", "CmdCSVEmpty", nil},
		"header only":         {true, "name,categories\n", "CmdCSVEmpty", nil},
		"missing column":      {false, "code,title,category,quantity\nDEJ,D,r,1\n", "CmdCSVMissingColumn", map[string]any{"Column": "budget_eur"}},
		"unknown column":      {true, "name,categories,colour\nA,b,red\n", "CmdCSVUnknownColumn", map[string]any{"Column": "colour", "Letter": "C"}},
		"column twice":        {true, "name,categories,nom\nA,b,c\n", "CmdCSVColumnTwice", map[string]any{"Column": "nom"}},
		"too many cells":      {true, "name,categories\nA,b\nB,c,d\n", "CmdCSVColumns", map[string]any{"Row": 3, "N": 3}},
		"supplier no cats":    {true, "name,categories\nA,b\nB,\n", "CmdCSVCell", map[string]any{"Row": 3, "Column": "categories"}},
		"supplier no name":    {true, "name,categories\n,b\n", "CmdCSVCell", map[string]any{"Row": 2, "Column": "name"}},
		"supplier twice":      {true, "name,categories\nRomsi,b\nROMSI,c\n", "CmdCSVCell", map[string]any{"Row": 3, "Column": "name"}},
		"supplier bad member": {true, "name,categories,members\nRomsi,b,ana;@\n", "CmdCSVCell", map[string]any{"Row": 2, "Column": "members"}},
		"supplier bad chan":   {true, "name,categories,channel\nRomsi,b,a/b\n", "CmdCSVCell", map[string]any{"Row": 2, "Column": "channel"}},
		"too big":             {true, strings.Repeat("x", MaxCSVBytes+1), "CmdCSVTooBig", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.suppliers {
				var recs []SupplierRecord
				recs, err = ReadSuppliers([]byte(tc.data))
				require.Nil(t, recs)
			} else {
				var recs []LotRecord
				recs, err = ReadLots([]byte(tc.data), time.UTC)
				require.Nil(t, recs)
			}
			e := guichet.AsError(err)
			require.NotNil(t, e, "%v", err)
			require.Equal(t, guichet.EINVALID, e.Code)
			require.Equal(t, tc.id, e.MessageID, "%v", e)
			for k, v := range tc.args {
				require.Equal(t, v, e.Args[k], "argument %s of %v", k, e)
			}
		})
	}
}

func TestColumnLetter(t *testing.T) {
	t.Parallel()
	for i, want := range map[int]string{0: "A", 5: "F", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		require.Equal(t, want, columnLetter(i))
	}
}
