package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/commands"
)

func TestParseClaimForce(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		want commands.Claim
	}{
		"force after":         {`claim DEJ 100 structure="Romsi" force`, commands.Claim{Lot: commands.LotRef{Code: "DEJ"}, Quantity: 100, Supplier: "Romsi", Force: true}},
		"forcer before qty":   {`prendre DEJ forcer 100 structure=Romsi`, commands.Claim{Lot: commands.LotRef{Code: "DEJ"}, Quantity: 100, Supplier: "Romsi", Force: true}},
		"dashes":              {`claim DEJ --force structure=Romsi`, commands.Claim{Lot: commands.LotRef{Code: "DEJ"}, Supplier: "Romsi", Force: true}},
		"no force, no change": {`claim DEJ 100 structure=Romsi`, commands.Claim{Lot: commands.LotRef{Code: "DEJ"}, Quantity: 100, Supplier: "Romsi"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := commands.Parse(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// A coordinator records a claim taken by phone: for a structure serving the lot's category, or
// with force for any; the structure's channel is told; bad requests change nothing.
func TestCoordinatorClaimsForAStructure(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	before := b.count(t, `SELECT count(*) FROM outbox`)

	// Kenja does not serve restauration: refused, with the way to force it.
	out := b.run(t, coord, coordChannel, `prendre DEJ 100 structure="Kenja"`)
	require.Equal(t, "**Kenja** ne sert pas la catégorie «\u202frestauration\u202f» du lot `DEJ`\u202f: rien n'a été enregistré. "+
		"Pour prendre le lot pour elle quand même, ajoutez `force`\u202f: `/guichet prendre DEJ 100 structure=\"Kenja\" force`.", out)
	// force needs a structure.
	out = b.run(t, coord, coordChannel, `prendre DEJ 100 force`)
	require.Contains(t, out, "`force` sert à prendre un lot pour une structure\u202f: dites laquelle")
	// An unknown structure is named.
	require.Contains(t, b.run(t, coord, coordChannel, `prendre DEJ 100 structure="Personne"`), "Aucune structure «\u202fPersonne\u202f»")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM claims`))
	require.Equal(t, before, b.count(t, `SELECT count(*) FROM outbox`), "nothing queued")

	out = b.run(t, coord, coordChannel, `prendre DEJ 100 structure="Le Goût des Autres" note="au téléphone"`)
	require.Equal(t, "✅ C'est noté\u202f: **Le Goût des Autres** prend le lot `DEJ` — Déjeuner\u202f: 100 couverts, 1\u202f200,00\u00a0€. "+
		"Son canal est prévenu, avec un bouton «\u202fLibérer\u202f».", out)
	require.Equal(t, "NoticeOnbehalfToStructure", b.notices(t)[len(b.notices(t))-1])
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'channel_id' = 'c-gout-des-autres'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'claimed' AND payload->>'message_id' = 'NoticeOnbehalfClaimed'`))
	history := b.run(t, coord, coordChannel, "historique DEJ")
	require.Contains(t, history, "@coord prend pour Le Goût des Autres 100 couverts («\u202fau téléphone\u202f»)")

	// Again: nothing changes.
	out = b.run(t, coord, coordChannel, `prendre DEJ 100 structure="Le Goût des Autres"`)
	require.Contains(t, out, "a déjà le lot `DEJ`")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims`))

	// With force, a structure of another trade.
	out = b.run(t, coord, coordChannel, `prendre DEJ 50 structure="Kenja" force`)
	require.Contains(t, out, "**Kenja** prend le lot `DEJ`")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'claim.behalf' AND actor_id = $1
		AND supplier_id = (SELECT id FROM suppliers WHERE name = 'Kenja')`, coord.UserID))
}

// Someone who does not coordinate the lot's event cannot claim for a structure that is not
// theirs, force or not.
func TestClaimForAStructureNeedsTheEventsCoordinator(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.chat.addUsers("anne")
	anne := member("anne")
	b.run(t, coord, "c-other", "event create autre 2011-06-01 Autre")
	b.run(t, coord, "c-other", "coordinator add @anne")

	out := b.run(t, member("romsi.ana"), "c-romsi", `claim DEJ 100 structure="Le Goût des Autres"`)
	require.Contains(t, out, "Vous n'êtes pas membre de cette structure")
	out = b.run(t, anne, "c-other", `claim assises-2011/DEJ 100 structure="Le Goût des Autres"`)
	require.Contains(t, out, "Vous n'êtes pas membre de cette structure")
	out = b.run(t, anne, "c-other", `claim assises-2011/DEJ 100 structure="Le Goût des Autres" force`)
	require.Contains(t, out, "Vous ne coordonnez pas l'événement")
	out = b.run(t, member("romsi.ana"), "c-romsi", `claim DEJ 100 structure="Romsi" force`)
	require.Contains(t, out, "Cette commande est réservée à la coordination")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM claims`))
}
