package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/commands"
)

func TestParseRelaunch(t *testing.T) {
	for name, text := range map[string]string{"french": "relancer DEJ", "english": "relaunch DEJ"} {
		t.Run(name, func(t *testing.T) {
			got, err := commands.Parse(text)
			require.NoError(t, err)
			require.Equal(t, commands.Relaunch{Lot: commands.LotRef{Code: "DEJ"}}, got)
		})
	}
}

// `status` names the structures that have not answered a lot; `relancer` offers it again to
// them only, and says so; a relaunch of a lot with nothing left changes nothing.
func TestRelaunchUnanswered(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")

	out := b.run(t, coord, coordChannel, "status")
	require.Contains(t, out, "Sans réponse\u202f: ")
	require.Contains(t, out, "`/guichet relancer DEJ`")

	before := b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'lot.relaunch'`)
	out = b.run(t, coord, coordChannel, "relancer DEJ")
	require.Contains(t, out, "🔔 Le lot `DEJ` — ")
	require.Contains(t, out, "Romsi")
	require.Equal(t, before+1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'lot.relaunch'`))

	out = b.run(t, coord, coordChannel, "relancer NOPE")
	require.NotContains(t, out, "🔔")
}
