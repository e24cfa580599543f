package commands_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The lunch of the Assises, 450 covers taken by four caterers, goes down to 380 two days
// before: refused until the coordinator says how the shares shrink, then every holder is told.
func TestLotEditShrinksTheLunchAndTellsTheCaterers(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, member("takapres.anne"), "c-tak-apres", "claim DEJ 150")
	b.run(t, member("melimelo.sami"), "c-meli-melo", "claim DEJ 120")
	b.run(t, member("romsi.ana"), "c-romsi", "claim DEJ 100")
	b.run(t, member("goutdesautres.jo"), "c-gout-des-autres", "claim DEJ 80")
	b.now = time.Date(2011, 4, 13, 10, 0, 0, 0, time.UTC)

	out := b.run(t, coord, coordChannel, "lot modifier DEJ quantité=380")
	require.Equal(t, "450 couverts du lot DEJ sont déjà pris, plus que les 380 demandés\u202f: TAK-APRES (150), Méli-Mélo d'Oser Forêt Vivante (120), Romsi (100), Le Goût des Autres (80). "+
		"Rien n'a changé\u202f; dites comment les parts diminuent, au prorata avec `réduire=prorata` ou une à une avec `réduire=\"Structure\u202f:quantité; …\"`.", out)
	require.Equal(t, 450, b.count(t, `SELECT quantity FROM lots WHERE code = 'DEJ'`))

	out = b.run(t, coord, coordChannel, `lot modifier DEJ quantité=380 shrink="TAK-APRES: 110; Méli-Mélo d'Oser Forêt Vivante: 90"`)
	require.Contains(t, out, "✏️ Lot `DEJ` — Déjeuner modifié\u202f:\n- Quantité\u202f: 450 → 380")
	require.Contains(t, out, "\n- TAK-APRES\u202f: 150 → 110 couverts, 1\u202f800,00\u00a0€ → 1\u202f563,16\u00a0€")
	require.Contains(t, out, "4 structures sont prévenues dans leur canal\u202f; nouvelle confirmation demandée à 4 d'entre elles.")
	require.Equal(t, 380, b.count(t, `SELECT sum(quantity) FROM claims WHERE status = 'awarded'`))
	require.Equal(t, 5400_00, b.count(t, `SELECT sum(amount_cents) FROM claims WHERE status = 'awarded'`))
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeLotEdited'`))

	require.Equal(t, "Le lot `DEJ` est déjà ainsi\u202f: rien n'a changé.", b.run(t, coord, coordChannel, "lot edit DEJ qty=380"))
	require.Contains(t, b.run(t, coord, coordChannel, "lot edit DEJ couleur=bleu"), "L'option `couleur=` n'existe pas")
	require.Contains(t, b.run(t, coord, coordChannel, "lot edit DEJ deadline=2011-04-01T18:00"), "La date limite du lot DEJ serait déjà passée.")
	require.Contains(t, b.run(t, member("romsi.ana"), "c-romsi", "lot edit DEJ qty=500"), "coordination")
	require.Equal(t, 380, b.count(t, `SELECT quantity FROM lots WHERE code = 'DEJ'`))

	// After the day, the lot no longer changes.
	b.now = time.Date(2011, 4, 16, 10, 0, 0, 0, time.UTC)
	require.Contains(t, b.run(t, coord, coordChannel, "lot edit DEJ qty=400"), "ni de modification des lots")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'lot.edit'`))
}
