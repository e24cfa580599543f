package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db/dbtest"
)

func TestFitLines(t *testing.T) {
	t.Parallel()
	more := func(n int) string { return fmt.Sprintf("+%d", n) }
	section := "Titre\nune\ndeux\ntrois"
	cases := map[string]struct {
		budget int
		want   string
	}{
		"all fits":         {100, section},
		"exactly":          {utf8.RuneCountInString(section), section},
		"one left out":     {len("Titre\nune\ndeux\n+1"), "Titre\nune\ndeux\n+1"},
		"only the header":  {len("Titre\n+3"), "Titre\n+3"},
		"less than header": {2, "Titre\n+3"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, fitLines(section, tc.budget, more))
		})
	}
}

// The board of an event with hundreds of structures holding lots, with the confirmations of
// its reminder, still fits in one Mattermost post.
func TestBoardWithHundredsOfConfirmationsFitsInAPost(t *testing.T) {
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 300, "structure-confirmee-au-nom-assez-long", "chaises")
	var lots []*guichet.Lot
	for i := range 3 {
		lots = append(lots, bd.lot(t, &guichet.Lot{Code: fmt.Sprintf("CH%d", i), Title: "Chaises", Category: "chaises",
			Quantity: 1000, Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 100}))
	}
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	for i, s := range sups {
		_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: dbtest.Member(s),
			LotID: lots[i%3].ID, SupplierID: s.ID, Quantity: 1}, renderNow)
		require.NoError(t, err)
	}
	for i := 0; ; i++ {
		n, err := bd.bot.DeliverDue(bd.ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
		require.Less(t, i, 1000, "the outbox does not drain")
	}

	boards := bd.mm.postsIn("coord-channel")
	require.NotEmpty(t, boards)
	msg := bd.mm.post(boards[0].Id).Message
	require.LessOrEqual(t, utf8.RuneCountInString(msg), maxPostRunes)
	require.Contains(t, msg, "Confirmations du rappel")
	require.Regexp(t, `… et \d+ autres structures, non affichées ici\.`, msg)
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL`))
	require.True(t, strings.HasPrefix(msg, "#### "), "the board comes first")
}
