package report_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/report"
)

// bigRecap has n structures with five lots each.
func bigRecap(n int) *report.Recap {
	r := &report.Recap{Event: &guichet.Event{Slug: "grand", Name: "Grand | salon", Day: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), Locale: "fr"}}
	for i := 0; i < n; i++ {
		s := &report.SupplierPart{SupplierID: int64(i + 1), Name: fmt.Sprintf("Structure n°%03d | solidaire", i)}
		for j := 0; j < 5; j++ {
			s.Items = append(s.Items, report.Item{LotCode: fmt.Sprintf("L%d", j), LotTitle: "Un intitulé assez long pour peser", Quantity: 10, Unit: "unités", Amount: 1234_56})
			s.Agreed += 1234_56
		}
		r.Agreed += s.Agreed
		r.Suppliers = append(r.Suppliers, s)
	}
	return r
}

func TestMarkdownFitsInOnePost(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		structures int
		lotsColumn bool
		truncated  bool
	}{
		"small event: full table":         {structures: 5, lotsColumn: true},
		"large event: lots go to the CSV": {structures: 60, lotsColumn: false},
		"huge event: rows cut, said so":   {structures: 400, lotsColumn: false, truncated: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			md := report.Markdown(cat, bigRecap(tc.structures), "")
			require.LessOrEqual(t, utf8.RuneCountInString(md), report.MaxMessage)
			require.Equal(t, tc.lotsColumn, strings.Contains(md, "| Structure | Lots |"))
			require.Equal(t, tc.truncated, strings.Contains(md, "premières structures sur 400"))
			require.Equal(t, !tc.lotsColumn && !tc.truncated, strings.Contains(md, "Le détail des lots de chaque structure est dans le fichier CSV joint."))
			require.Contains(t, md, `Structure n°000 \| solidaire`, "a | in a name does not break the table")
			require.Contains(t, md, "| **Total** |")
		})
	}
}

func TestEurosCSV(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   guichet.Cents
		want string
	}{
		"zero":      {0, "0,00"},
		"cents":     {7, "0,07"},
		"thousands": {1_921_000, "19210,00"},
		"odd cents": {46_667, "466,67"},
		"negative":  {-1_250, "-12,50"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, report.EurosCSV(tc.in))
			back, err := guichet.ParseEuros(strings.TrimPrefix(tc.want, "-"))
			require.NoError(t, err)
			if tc.in >= 0 {
				require.Equal(t, tc.in, back)
			}
		})
	}
}
