package bot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// The board's row of a full first-come lot names who waits for it, in order, and who is
// offered the freed place until when; the offers of a lot without a line say nothing.
func TestBoardShowsWaitlistLine(t *testing.T) {
	t.Parallel()
	until := time.Date(2011, 4, 14, 22, 0, 0, 0, time.UTC)
	sce := sceLot()
	st := &guichet.LotState{Lot: sce, Waitlist: []*guichet.WaitlistEntry{
		{SupplierName: "Kenja", Status: guichet.WaitlistOffered, OfferExpiresAt: &until, OfferQuantity: 1},
		{SupplierName: "Tak'Après", Status: guichet.WaitlistWaiting},
	}}
	for _, tc := range []struct {
		locale, want string
	}{
		{"fr", "| `SCE` | Scénographie de la journée | 1 forfait | 0 (0,00\u00a0€) | Liste d'attente\u202f: Kenja (proposé jusqu'au vendredi 15 avril 2011, 0 h 00), Tak'Après | ouvert |"},
		{"en", "Waitlist: Kenja (offered until "},
	} {
		ev := assisesEvent()
		ev.Locale = tc.locale
		msg := unitBot(t, nil, nil, renderNow).BoardPost(&guichet.Board{Event: ev, Lots: []*guichet.LotState{st, {Lot: dejLot()}}}).Message
		require.Contains(t, msg, tc.want)
		require.Contains(t, msg, "Tak'Après")
		require.NotContains(t, msg, "| `DEJ` | Déjeuner | 450 couverts | 0 (0,00\u00a0€) | Liste", "a lot without a line shows none")
	}
}
