package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
)

func TestParsePromote(t *testing.T) {
	dej := commands.LotRef{Code: "DEJ"}
	for text, want := range map[string]commands.Promote{
		`promouvoir DEJ structure="Le Chaudron"`: {Lot: dej, Supplier: "Le Chaudron"},
		`promote DEJ supplier=Romsi`:             {Lot: dej, Supplier: "Romsi"},
		`promouvoir DEJ Le Chaudron`:             {Lot: dej, Supplier: "Le Chaudron"},
	} {
		got, err := commands.Parse(text)
		require.NoError(t, err, text)
		require.Equal(t, want, got, text)
	}
	for _, text := range []string{`promouvoir DEJ`, `promouvoir`, `promouvoir DEJ structure=Romsi couleur=bleu`} {
		_, err := commands.Parse(text)
		require.Equal(t, guichet.EINVALID, guichet.ErrorCode(err), text)
	}
}

// The coordinator promotes a structure of a full lot's line, whatever its place: refused with
// a clear message while nothing is free or for a structure not in line, nothing changed; once a
// share is released, the structure gets what is free and is told.
func TestCoordinatorPromotesFromTheWaitlist(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, coord, coordChannel, `prendre DEJ 450 structure="Le Goût des Autres"`)
	romsi, err := b.db.SupplierByRef(b.ctx, "Romsi")
	require.NoError(t, err)
	tak, err := b.db.SupplierByRef(b.ctx, "TAK-APRES")
	require.NoError(t, err)
	for _, j := range []struct {
		actor guichet.Actor
		id    int64
	}{{member("romsi.ana"), romsi.ID}, {member("takapres.anne"), tak.ID}} {
		_, err := b.db.JoinWaitlist(b.ctx, j.actor, lotID(t, b, "DEJ"), j.id, b.now)
		require.NoError(t, err)
	}
	claims := `SELECT count(*) FROM claims`

	before := b.count(t, claims)
	out := b.run(t, coord, coordChannel, `promouvoir DEJ structure="Kenja"`)
	require.Contains(t, out, "n'est pas dans la liste d'attente du lot DEJ")
	out = b.run(t, coord, coordChannel, `promouvoir DEJ`)
	require.Contains(t, out, "structure")
	out = b.run(t, coord, coordChannel, `promouvoir DEJ structure="TAK-APRES"`)
	require.Contains(t, out, "n'a plus rien de libre\u202f: **TAK-APRES** reste dans la liste d'attente")
	require.Equal(t, before, b.count(t, claims))
	out = b.run(t, member("romsi.ana"), "romsi", `promouvoir DEJ structure="Romsi"`)
	require.NotContains(t, out, "passe de la liste d'attente")

	b.run(t, member("goutdesautres.jo"), "gout-des-autres", `libérer DEJ`)
	out = b.run(t, coord, coordChannel, `promouvoir DEJ structure="TAK-APRES"`)
	require.Contains(t, out, "**TAK-APRES** passe de la liste d'attente au lot `DEJ` — Déjeuner\u202f: 450 couverts")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims WHERE supplier_id = $1 AND status = 'awarded' AND action = 'claim.waitlist.promote'
		AND clicked_by = $2`, tak.ID, coord.UserID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeWaitlistPromotedToStructure'
		AND payload->>'user_id' = 'u-takapres.anne'`))
}

// lotID is the id of the lot with that code in the bundle's event.
func lotID(t *testing.T, b *bundle, code string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &id, `SELECT id FROM lots WHERE code = $1`, code))
	return id
}
