package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/internal/assises"
)

// fixtureDir holds the Assises fixture's files, for the commands that read a path.
var fixtureDir = assises.Dir() + "/"

func TestImportSuppliersAndLotsFromFiles(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t)
	t.Setenv("GUICHET_DATABASE_URL", url)
	t.Setenv("GUICHET_MATTERMOST_URL", "")
	t.Setenv("GUICHET_BOT_TOKEN", "")
	t.Setenv("GUICHET_LOCALE", "fr")
	d, err := db.Open(ctx, url)
	require.NoError(t, err)
	defer d.Close()

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"import", "suppliers", fixtureDir + "suppliers.csv"}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "19 structures importées")
	require.Contains(t, stdout.String(), "21 membres sans identifiant Mattermost")
	sups, err := d.Suppliers(ctx)
	require.NoError(t, err)
	require.Len(t, sups, 19)
	for _, s := range sups {
		require.NotEmpty(t, s.ChannelName)
		require.Empty(t, s.ChannelID, "no Mattermost configured: channels stay names")
		for _, m := range s.Members {
			require.Empty(t, m.UserID)
			require.NotEmpty(t, m.Username)
		}
	}

	// Importing again keeps the user ids already known, and a file without the members column
	// keeps the members.
	_, err = d.SQL().ExecContext(ctx, `UPDATE supplier_members SET user_id = 'u-anne' WHERE username = 'takapres.anne'`)
	require.NoError(t, err)
	require.NoError(t, run(ctx, []string{"import", "suppliers", fixtureDir + "suppliers.csv"}, &stdout, &stderr))
	short := filepath.Join(t.TempDir(), "short.csv")
	require.NoError(t, os.WriteFile(short, []byte("name;categories\nTAK-APRES;accueil;restauration;pause-cafe;traiteur\n"), 0o600))
	err = run(ctx, []string{"import", "suppliers", short}, &stdout, &stderr)
	require.ErrorContains(t, err, "Ligne 2\u202f: 5 cellules", "a ;-separated file needs its lists quoted")
	require.NoError(t, os.WriteFile(short, []byte("name;categories\nTAK-APRES;\"accueil;restauration;pause-cafe;traiteur\"\n"), 0o600))
	require.NoError(t, run(ctx, []string{"import", "suppliers", short}, &stdout, &stderr))
	tak, err := d.SupplierByRef(ctx, "TAK-APRES")
	require.NoError(t, err)
	require.Equal(t, []string{"accueil", "restauration", "pause-cafe", "traiteur"}, tak.Categories)
	require.Equal(t, "tak-apres", tak.ChannelName)
	require.Equal(t, []guichet.Member{{UserID: "u-anne", Username: "takapres.anne"}, {Username: "takapres.yann"}}, tak.Members)

	err = run(ctx, []string{"import", "lots", "--event", "assises-2011", fixtureDir + "lots.csv"}, &stdout, &stderr)
	require.EqualError(t, err, "Aucun événement `assises-2011`. La liste\u202f: `/guichet événement liste`.")
	e := &guichet.Event{Slug: "assises-2011", Name: "Assises", Day: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, d.CreateEvent(ctx, guichet.Actor{UserID: "u", Username: "coord"}, e))

	// One bad row: nothing imported, the row and the column named.
	bad, err := os.ReadFile(fixtureDir + "lots.csv")
	require.NoError(t, err)
	badPath := filepath.Join(t.TempDir(), "lots.csv")
	require.NoError(t, os.WriteFile(badPath, []byte(strings.Replace(string(bad), "PAI,Pain du déjeuner,boulangerie,450", "PAI,Pain du déjeuner,boulangerie,beaucoup", 1)), 0o600))
	err = run(ctx, []string{"import", "lots", "--event", "assises-2011", badPath}, &stdout, &stderr)
	require.Error(t, err)
	require.Contains(t, err.Error(), "Ligne 7, colonne D «\u202fquantity\u202f»\u202f: «\u202fbeaucoup\u202f» n'est pas une quantité valide")
	lots, err := d.Lots(ctx, e.ID)
	require.NoError(t, err)
	require.Empty(t, lots)

	stdout.Reset()
	require.NoError(t, run(ctx, []string{"import", "lots", "--event", "assises-2011", fixtureDir + "lots.csv"}, &stdout, &stderr))
	require.Contains(t, stdout.String(), "14 lots importés dans Assises (assises-2011)")
	lots, err = d.Lots(ctx, e.ID)
	require.NoError(t, err)
	require.Len(t, lots, 14)
	var audit string
	require.NoError(t, d.SQL().GetContext(ctx, &audit, `SELECT actor_id FROM audit_trail WHERE action = 'lot.add' LIMIT 1`))
	require.Equal(t, "cli", audit)

	err = run(ctx, []string{"import", "lots", "--event", "assises-2011", fixtureDir + "lots.csv"}, &stdout, &stderr)
	require.ErrorContains(t, err, "Ligne 2, colonne A «\u202fcode\u202f»\u202f: Le code `ACC` est déjà pris")

	require.Error(t, run(ctx, []string{"import", "lots", fixtureDir + "lots.csv"}, &stdout, &stderr), "--event is required")
	require.Error(t, run(ctx, []string{"import", "bananes"}, &stdout, &stderr))
}
