package bot

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestBoardPost(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	sce := sceLot()
	sce.Status = guichet.LotFilled
	cancelled := &guichet.Lot{Code: "FIL", Title: "Film | photo", Quantity: 1, Unit: "forfait", Budget: 100000,
		Mode: guichet.Exclusive, MaxSuppliers: 1, Status: guichet.LotCancelled}
	board := &guichet.Board{Event: assisesEvent(), Lots: []*guichet.LotState{
		{Lot: sce, Claims: []*guichet.Claim{{SupplierName: "Métisse Cité", Quantity: 1, Amount: 350000, Status: guichet.ClaimAwarded}}},
		{Lot: dejLot(), Claims: []*guichet.Claim{
			{SupplierName: "Tak'Après", Quantity: 120, Amount: 144000, Status: guichet.ClaimAwarded},
			{SupplierName: "Kenja", Quantity: 100, Status: guichet.ClaimPending}}},
		{Lot: cancelled},
	}}
	post := b.BoardPost(board)
	require.Equal(t, "coord-channel", post.ChannelId)
	msg := post.Message
	require.Contains(t, msg, "Tableau de bord — Assises métropolitaines de la Politique de la Ville, vendredi 15 avril 2011 (offres publiées)")
	require.Contains(t, msg, "**3 lots**\u202f: 1 attribué, 1 ouvert, 0 clos, 1 annulé. Budget attribué\u202f: **4\u202f940,00\u00a0€** sur 8\u202f900,00\u00a0€.")
	require.Contains(t, msg, "| `SCE` | Scénographie de la journée | 1 forfait | 1 (3\u202f500,00\u00a0€) | Métisse Cité | ✅ attribué |")
	require.Contains(t, msg, "| `DEJ` | Déjeuner | 450 couverts | 120 (1\u202f440,00\u00a0€) | Tak'Après (120), 1 candidature en attente | ouvert |")
	require.Contains(t, msg, "| `FIL` | Film \\| photo | 1 forfait | 0 (0,00\u00a0€) |  | ❌ annulé |")
	require.Contains(t, msg, "_Mis à jour le mardi 1er mars 2011, 11 h 00._")
	require.Len(t, strings.Split(strings.TrimSpace(msg), "\n"), 11, "title, summary, header, 3 rows, update time and blank lines")
}

func TestBoardWithoutLotsAndTooManyLots(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	ev := assisesEvent()
	ev.Status = guichet.EventDraft
	msg := b.BoardPost(&guichet.Board{Event: ev}).Message
	require.Contains(t, msg, "brouillon")
	require.Contains(t, msg, "Aucun lot pour l'instant")

	var lots []*guichet.LotState
	for i := 0; i < maxBoardRows+5; i++ {
		lots = append(lots, &guichet.LotState{Lot: dejLot()})
	}
	msg = b.BoardPost(&guichet.Board{Event: ev, Lots: lots}).Message
	require.Equal(t, maxBoardRows, strings.Count(msg, "| `DEJ` |"))
	require.Contains(t, msg, "… et 5 autres lots")
	require.Less(t, len(msg), 16383)
}
