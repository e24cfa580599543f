package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

const notPublished = "Cet événement n'est pas encore publié\u202f: ses lots ne peuvent pas encore être pris. Rien n'a été enregistré\u202f; " +
	"la coordination le publie avec `/guichet publier` quand il est prêt."

// Members do not see the lots of a draft event: whatever way they name one, they are told it
// is not published yet, and nothing is recorded; a published event's lot with the same code
// is found as if the draft were not there. Coordinators find every lot.
func TestMembersDoNotSeeDraftEventsLots(t *testing.T) {
	b := setup(t)
	b.chat.addUsers("ana")
	b.chat.channels["romsi"] = true
	b.run(t, coord, coordChannel, "event create brouillon 2011-04-15 Brouillon")
	b.run(t, coord, coordChannel, "supplier add Romsi categories=restauration channel=~romsi members=@ana")
	b.run(t, coord, coordChannel, "lot add DEJ Déjeuner category=restauration qty=10 budget=100")
	ana := member("ana")

	for _, text := range []string{"claim DEJ", "prendre brouillon/DEJ", "release DEJ", "libérer brouillon/DEJ"} {
		require.Equal(t, notPublished, b.run(t, ana, "c-romsi", text), text)
	}
	// In the draft's own channel (a member there, say) the same.
	require.Equal(t, notPublished, b.run(t, ana, coordChannel, "claim DEJ"))
	require.Zero(t, b.count(t, `SELECT count(*) FROM claims`))
	require.Zero(t, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeClaimed'`))

	// A coordinator finds it from anywhere.
	require.Contains(t, b.run(t, coord, "c-elsewhere", "history DEJ"), "Historique du lot `brouillon/DEJ`")

	// Another event, published, has a DEJ too: the member finds that one, no question asked.
	b.run(t, coord, "c-other", "event create publie 2011-05-15 Publié")
	b.run(t, coord, "c-other", "lot add DEJ Déjeuner category=restauration qty=10 budget=100")
	b.run(t, coord, "c-other", "publish")
	out := b.run(t, ana, "c-romsi", "claim DEJ")
	require.Contains(t, out, "**Romsi** prend le lot `DEJ`")
	require.NotContains(t, out, "brouillon")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims c JOIN lots l ON l.id = c.lot_id
		JOIN events e ON e.id = l.event_id WHERE e.slug = 'publie'`))
}

// "mylots" leaves out draft events: a claim made there before claims on drafts were refused
// is not shown to members.
func TestMyLotsLeavesOutDraftEvents(t *testing.T) {
	b := setup(t)
	b.chat.addUsers("ana")
	b.chat.channels["romsi"] = true
	b.run(t, coord, coordChannel, "event create a 2011-04-15 A")
	b.run(t, coord, coordChannel, "supplier add Romsi categories=restauration channel=~romsi members=@ana")
	b.run(t, coord, coordChannel, "lot add DEJ Déjeuner category=restauration qty=10 budget=100")
	b.run(t, coord, coordChannel, "publish")
	b.run(t, member("ana"), "c-romsi", "claim DEJ")
	require.Contains(t, b.run(t, member("ana"), "c-romsi", "mylots"), "DEJ")

	_, err := b.db.SQL().ExecContext(b.ctx, `UPDATE events SET status = 'draft' WHERE slug = 'a'`)
	require.NoError(t, err)
	require.Equal(t, "Vos structures n'ont aucun lot en cours. Les offres arrivent dans leur canal.",
		b.run(t, member("ana"), "c-romsi", "mylots"))
}
