package commands

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestParseLotEdit(t *testing.T) {
	t.Parallel()
	p := func(v string) *string { return &v }
	q := func(v int64) *int64 { return &v }
	review := guichet.Review
	max := 3
	budget := guichet.Cents(4560_00)
	tests := map[string]struct {
		text string
		want Command
	}{
		"quantity, prorata": {`lot edit DEJ qty=380 shrink=prorata`,
			LotEdit{Lot: LotRef{Code: "DEJ"}, Edit: guichet.LotEdit{Quantity: q(380), Shrink: &guichet.Shrink{Proportional: true}}}},
		"French words, shares by structure": {`lot modifier assises-2011/DEJ quantité=380 réduire="Romsi : 100; Le Goût des Autres:80"`,
			LotEdit{Lot: LotRef{Event: "assises-2011", Code: "DEJ"}, Edit: guichet.LotEdit{Quantity: q(380),
				Shrink: &guichet.Shrink{Shares: map[string]int64{"Romsi": 100, "Le Goût des Autres": 80}}}}},
		"every field": {`lot edit DEJ titre="Déjeuner assis" desc="Buffet chaud" unite=assiettes budget="4 560" creneau=12h30-14h30 lieu="Hall B" max=3 attribution=choix deadline=2011-04-10T18:00`,
			LotEdit{Lot: LotRef{Code: "DEJ"}, Edit: guichet.LotEdit{Title: p("Déjeuner assis"), Description: p("Buffet chaud"), Unit: p("assiettes"),
				Budget: &budget, Slot: p("12h30-14h30"), Place: p("Hall B"), MaxSuppliers: &max, Award: &review},
				Deadline: &LocalTime{Year: 2011, Month: 4, Day: 10, Hour: 18}}},
		"no deadline any more": {`lot edit DEJ deadline=aucune`, LotEdit{Lot: LotRef{Code: "DEJ"}, Edit: guichet.LotEdit{ClearDeadline: true}}},
		"help":                 {`aide lot modifier`, Help{Topic: "lot edit"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	errors := map[string]struct{ text, id, problem string }{
		"unknown field":         {`lot edit DEJ couleur=bleu`, "CmdUnknownOption", ""},
		"quantity not a number": {`lot edit DEJ qty=beaucoup`, "CmdBadValue", "ErrQuantity"},
		"bad slot":              {`lot edit DEJ slot=14:00-12:00`, "CmdBadValue", "ErrSlot"},
		"bad deadline":          {`lot edit DEJ deadline=demain`, "CmdBadValue", "CmdBadDeadline"},
		"shrink without qty":    {`lot edit DEJ shrink=prorata`, "CmdBadValue", "ErrShrinkWithoutQuantity"},
		"shrink unreadable":     {`lot edit DEJ qty=380 shrink="Romsi moins"`, "CmdBadValue", "ErrShrinkSyntax"},
		"no lot":                {`lot edit`, "CmdMissing", ""},
	}
	for name, tc := range errors {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.text)
			e := guichet.AsError(err)
			require.NotNil(t, e, "%v", err)
			require.Equal(t, tc.id, e.MessageID)
			if tc.problem != "" {
				require.Equal(t, tc.problem, guichet.AsError(e.Args["Problem"].(error)).MessageID)
			}
		})
	}
}
