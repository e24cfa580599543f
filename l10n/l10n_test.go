package l10n_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

func TestCataloguesHaveTheSameIDs(t *testing.T) {
	c := l10n.New()
	fr, en := c.IDs("fr"), c.IDs("en")
	require.NotEmpty(t, fr)
	for _, id := range fr {
		require.True(t, c.Has("en", id), "message %s is in French but not in English", id)
	}
	for _, id := range en {
		require.True(t, c.Has("fr", id), "message %s is in English but not in French", id)
	}
}

// Every message id written in the code exists in both catalogues.
func TestEveryIDInCodeIsInTheCatalogues(t *testing.T) {
	c := l10n.New()
	idRe := regexp.MustCompile(`"((?:` + strings.Join(l10n.Prefixes, "|") + `)[A-Z][A-Za-z0-9]*)"`)
	root := filepath.Join("..")
	found := 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range idRe.FindAllStringSubmatch(string(src), -1) {
			found++
			for _, loc := range l10n.Locales {
				require.True(t, c.Has(loc, m[1]), "%s uses message %s, missing in %s", path, m[1], loc)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, found, 40)
}

func TestRenderings(t *testing.T) {
	c := l10n.New()
	require.Equal(t, "Le lot DEJ est complet. Rien n'a changé pour vous.", c.Error("fr", guichet.Errorf(guichet.ECONFLICT, "ErrLotFull", "Code", "DEJ")))
	require.Equal(t, "Lot DEJ is full. Nothing changed for you.", c.Error("en", guichet.Errorf(guichet.ECONFLICT, "ErrLotFull", "Code", "DEJ")))
	require.Contains(t, c.Error("fr", os.ErrNotExist), "Rien n'a été modifié")
	require.Equal(t, "fr", l10n.Locale("de"))
	// A Count argument on a message without plural forms renders its one form.
	for _, n := range []int{0, 1, 2} {
		for _, loc := range l10n.Locales {
			require.NotContains(t, c.T(loc, "ErrLotFull", map[string]any{"Code": "DEJ", "Count": n}), "[")
		}
	}

	paris, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2011, 4, 15, 10, 0, 0, 0, time.UTC)
	require.Equal(t, "vendredi 15 avril 2011, 12 h 00", l10n.DateTime(at, paris, "fr"))
	require.Equal(t, "Friday 15 April 2011, 12:00", l10n.DateTime(at, paris, "en"))
	require.Equal(t, "mardi 1er mars 2011", l10n.Date(time.Date(2011, 3, 1, 12, 0, 0, 0, paris), paris, "fr"))
	require.Equal(t, "1\u202f234,50\u00a0€", l10n.Money(123450, "fr"))
	require.Equal(t, "€1,234.50", l10n.Money(123450, "en"))
	require.Equal(t, "-€0.05", l10n.Money(-5, "en"))
	require.Equal(t, "€12,345,678.90", l10n.Money(1234567890, "en"))
	// An amount given as guichet.Cents is written in the message's language.
	require.Contains(t, c.T("en", "ErrPaymentAmount", map[string]any{"Value": guichet.Cents(-123450)}), "“-€1,234.50”")
	require.Contains(t, c.T("fr", "ErrPaymentAmount", map[string]any{"Value": guichet.Cents(-123450)}), "«\u202f-1\u202f234,50\u00a0€\u202f»")
}
