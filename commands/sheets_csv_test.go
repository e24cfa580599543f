package commands

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// TestImportReadsFilesAsOfficesWriteThem: the import (dialogs, `guichet import`, files dropped
// in chat) reads what French offices save, where it used to refuse it: Windows-1252 with ";"
// and amounts written "1 234,50 €", a quote inside an unquoted field kept as a character.
func TestImportReadsFilesAsOfficesWriteThem(t *testing.T) {
	t.Parallel()
	recs, err := ReadSuppliers([]byte("name,categories\nCaf\xe9 des Z\xe9bres,b\nLes \"grandes\" tables,c\n"))
	require.NoError(t, err)
	require.Equal(t, "Café des Zébres", recs[0].Supplier.Name)
	require.Equal(t, `Les "grandes" tables`, recs[1].Supplier.Name)

	for _, name := range []string{"lots-excel-fr.csv", "lots-utf16.txt", "lots-utf8-bom.csv"} {
		data, err := os.ReadFile("../sheet/testdata/" + name)
		require.NoError(t, err)
		lots, err := ReadLots(data, time.UTC)
		require.NoError(t, err, name)
		require.Len(t, lots, 40, name)
		require.Equal(t, guichet.Cents(123450), lots[0].Lot.Budget, "%s: 1 234,50 €", name)
		require.Equal(t, guichet.Cents(123450+39*100037), lots[39].Lot.Budget, name)
		require.Equal(t, guichet.Shared, lots[0].Lot.Mode, name)
		require.Equal(t, `Pause-café "bio", matin n°3`, lots[2].Lot.Title, name)
		require.Equal(t, 5, lots[3].Row, name)
	}
}

// TestImportReadsAWorkbook: `guichet import` given an .xlsx reads its sheet of the kind asked.
func TestImportReadsAWorkbook(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../sheet/testdata/assises.xlsx")
	require.NoError(t, err)
	lots, err := ReadLots(data, time.UTC)
	require.NoError(t, err)
	require.Len(t, lots, 40)
	require.Equal(t, guichet.Cents(123450), lots[0].Lot.Budget)
	sups, err := ReadSuppliers(data)
	require.NoError(t, err)
	require.Len(t, sups, 4)
	require.Equal(t, []string{"restauration", "pause-cafe"}, sups[0].Supplier.Categories)
}
