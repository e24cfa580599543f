package assises_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/internal/assises"
)

func TestFixture(t *testing.T) {
	t.Parallel()
	ev, err := assises.LoadEvent()
	require.NoError(t, err)
	require.Equal(t, "Assises métropolitaines de la Politique de la Ville", ev.Name)
	require.Equal(t, "2011-04-15", ev.Day.Format("2006-01-02"))
	require.Equal(t, "Europe/Paris", ev.TimeZone)

	for name, want := range map[string]int{assises.SuppliersFile: 19, assises.LotsFile: 14, assises.ReplayFile: 26} {
		rows, err := assises.Rows(name)
		require.NoError(t, err)
		require.Len(t, rows, want, name)
		// The files on disk, for commands that take a path, are the embedded ones.
		onDisk, err := os.ReadFile(filepath.Join(assises.Dir(), name))
		require.NoError(t, err)
		require.Equal(t, string(assises.Read(name)), string(onDisk))
	}
	rows, err := assises.Rows(assises.ReplayFile, "lot", "supplier", "quantity")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"lot": "ACC", "supplier": "TAK-APRES", "quantity": "5"}, rows[0])

	_, err = assises.Rows(assises.ReplayFile, "price")
	require.EqualError(t, err, `replay.csv: no column "price"`)
	require.Panics(t, func() { assises.Read("other.csv") })
}
