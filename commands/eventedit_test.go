package commands_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/commands"
)

func TestParseEventEditAndCancel(t *testing.T) {
	t.Parallel()
	may := time.Date(2011, 4, 22, 0, 0, 0, 0, time.UTC)
	venue := "Cité des congrès"
	tests := map[string]struct {
		text string
		want func(c commands.Command)
	}{
		"événement reporter, French date": {`événement reporter assises-2011 date=22/04/2011 lieu="Cité des congrès"`, func(c commands.Command) {
			e := c.(commands.EventEdit)
			require.Equal(t, "assises-2011", e.Event)
			require.Equal(t, may, *e.Change.Day)
			require.Equal(t, venue, *e.Change.Venue)
			require.Nil(t, e.Change.TimeZone)
		}},
		"event edit here": {`event edit reminders=J-3@10:00`, func(c commands.Command) {
			e := c.(commands.EventEdit)
			require.Empty(t, e.Event)
			require.Equal(t, "J-3@10:00", *e.Change.Reminders)
		}},
		"evenement annuler with motif": {`evenement annuler assises-2011 motif="salle fermée"`, func(c commands.Command) {
			require.Equal(t, commands.EventCancel{Event: "assises-2011", Reason: "salle fermée"}, c)
		}},
		"event cancel here": {`event cancel`, func(c commands.Command) {
			require.Equal(t, commands.EventCancel{}, c)
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := commands.Parse(tc.text)
			require.NoError(t, err)
			tc.want(c)
		})
	}
}

// The coordinator postpones the event and then cancels it through chat; bad input is
// refused with a message naming what is wrong, nothing changed.
func TestEventEditAndCancelCommands(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	out := b.run(t, member("takapres.anne"), "c-tak-apres", "prendre ACC 4")
	require.Contains(t, out, "prend le lot `ACC`", out)

	bad := map[string]string{
		"unknown field": `event edit couleur=rouge`,
		"past date":     `event edit date=01/02/2011`,
		"bad date":      `event edit date=31/02/2011`,
		"bad zone":      `event edit tz=Mars/Olympus`,
	}
	want := map[string]string{
		"unknown field": "couleur",
		"past date":     "est déjà passée",
		"bad date":      "2011-02-31",
		"bad zone":      "Mars/Olympus",
	}
	for name, text := range bad {
		out := b.run(t, coord, coordChannel, text)
		require.Contains(t, out, want[name], name)
	}
	require.Zero(t, b.count(t, `SELECT count(*) FROM audit WHERE action = 'event.edit'`))

	out = b.run(t, coord, coordChannel, `événement reporter date=22/04/2011 lieu="Cité des congrès"`)
	require.Contains(t, out, "vendredi 15 avril 2011 → **vendredi 22 avril 2011**", out)
	require.Contains(t, out, "Cité des Congrès, Nantes → **Cité des congrès**", out)
	require.Contains(t, out, "1 structure qui a des lots est prévenue", out)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeEventChanged'
		AND payload->'args'->>'Changes' LIKE '%vendredi 22 avril 2011%'`))

	out = b.run(t, coord, coordChannel, `événement annuler motif="salle fermée"`)
	require.Contains(t, out, "est annulé", out)
	out = b.run(t, member("takapres.anne"), "c-tak-apres", "libérer assises-2011/ACC")
	require.Contains(t, out, "est annulé", out)
	out = b.run(t, coord, coordChannel, `événement annuler`)
	require.Contains(t, out, "était déjà annulé", out)
	out = b.run(t, coord, coordChannel, `event edit lieu=ailleurs`)
	require.Contains(t, out, "est annulé", out)
	require.Contains(t, b.run(t, coord, coordChannel, "event show"), "annulé")
}
