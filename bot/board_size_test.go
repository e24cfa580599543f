package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A big event's board still fits in one Mattermost post (16,383 characters at most): sixty
// shared lots with long titles, each held by a hundred structures with long names.
func TestBoardOfABigEventFitsInAPost(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	var lots []*guichet.LotState
	for i := range 80 {
		st := &guichet.LotState{Lot: &guichet.Lot{ID: int64(i + 1), Code: fmt.Sprintf("L%02d", i), Title: strings.Repeat("Intitulé très long ", 10),
			Quantity: 1000, Unit: "unités", Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 100, Status: guichet.LotOpen}}
		for j := range 100 {
			st.Claims = append(st.Claims, &guichet.Claim{ID: int64(j + 1), SupplierID: int64(j + 1), Quantity: 5,
				Status: guichet.ClaimAwarded, SupplierName: fmt.Sprintf("Association des ateliers solidaires numéro %d", j)})
		}
		lots = append(lots, st)
	}
	msg := b.BoardPost(&guichet.Board{Event: assisesEvent(), Lots: lots}).Message
	require.LessOrEqual(t, utf8.RuneCountInString(msg), 16383)
	require.Contains(t, msg, "| `L00` |")
	require.Contains(t, msg, "Association des ateliers solidaires numéro 0 (5)")
	require.Contains(t, msg, ", …", "a long list of holders is cut")
	require.Regexp(t, `… et \d+ autres lots`, msg, "the lots left out are counted")
	shown := strings.Count(msg, "\n| `L")
	require.Contains(t, msg, fmt.Sprintf("… et %d autres lots", len(lots)-shown))
	require.Contains(t, msg, "_Mis à jour le")
}
