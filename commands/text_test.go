package commands_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
)

// Every text a person types for others to read is refused by the parser when longer than
// guichet.MaxNoteLength characters, with the message naming it.
func TestParseRefusesOverlongTexts(t *testing.T) {
	t.Parallel()
	long := `"` + strings.Repeat("é", guichet.MaxNoteLength+1) + `"`
	atLimit := `"` + strings.Repeat("é", guichet.MaxNoteLength) + `"`
	for name, tc := range map[string]struct {
		text string
		kind guichet.TypedText
	}{
		"claim note":              {"claim DEJ note=", guichet.ClaimNote},
		"release reason":          {"release DEJ reason=", guichet.ReleaseReason},
		"libérer, motif":          {"liberer DEJ motif=", guichet.ReleaseReason},
		"cancel reason":           {"lot cancel DEJ reason=", guichet.CancelReason},
		"cancel reason, no name":  {"lot cancel DEJ ", guichet.CancelReason},
		"decline reason":          {"decline DEJ Romsi reason=", guichet.DeclineReason},
		"payment note":            {"paid Romsi 100 note=", guichet.PaymentNote},
		"payment note, reference": {"paid Romsi 100 ref=", guichet.PaymentNote},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := commands.Parse(tc.text + long)
			e := guichet.AsError(err)
			require.NotNil(t, e, "accepted: %v", err)
			require.Equal(t, string(tc.kind), e.MessageID)
			require.Equal(t, map[string]any{"Length": guichet.MaxNoteLength + 1, "Max": guichet.MaxNoteLength}, e.Args)
			_, err = commands.Parse(tc.text + atLimit)
			require.NoError(t, err, "a text of exactly the limit is refused")
		})
	}
}

// A 20,000-character release or cancel reason typed as a command gets the message naming the
// field and the limit, in the person's language, and nothing changes: the claim is not
// released, the lot not cancelled, nobody is told.
func TestOverlongReasonsReleaseAndCancelNothing(t *testing.T) {
	b := setup(t)
	b.chat.addUsers("ana")
	b.chat.channels["romsi"] = true
	b.run(t, coord, coordChannel, "event create a 2031-04-15 A")
	b.run(t, coord, coordChannel, "supplier add Romsi categories=restauration channel=~romsi members=@ana")
	b.run(t, coord, coordChannel, "lot add DEJ Déjeuner category=restauration qty=10 budget=100")
	b.run(t, coord, coordChannel, "publish")
	require.Contains(t, b.run(t, member("ana"), "c-romsi", "claim DEJ"), "**Romsi** prend le lot `DEJ`")
	outbox := b.count(t, `SELECT count(*) FROM outbox`)
	reason := strings.Repeat("x", 20000)

	out := b.run(t, member("ana"), "c-romsi", `release DEJ reason="`+reason+`"`)
	require.Equal(t, "Le motif de la libération est trop long\u202f: 20000 caractères, 1000 au plus. Raccourcissez-le (`reason=\"…\"`) et recommencez\u202f; rien n'a été modifié, le lot n'est pas libéré.", out)
	out = b.run(t, coord, coordChannel, `lot cancel DEJ reason="`+reason+`"`)
	require.Contains(t, out, "Le motif de l'annulation est trop long\u202f: 20000 caractères, 1000 au plus.")
	out = b.run(t, coord, coordChannel, `lot cancel DEJ `+reason)
	require.Contains(t, out, "Le motif de l'annulation est trop long")

	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims WHERE status = 'awarded'`), "the claim was released")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM lots WHERE status = 'cancelled'`), "the lot was cancelled")
	require.Equal(t, outbox, b.count(t, `SELECT count(*) FROM outbox`), "someone was told")

	// In English for an English event.
	b.run(t, coord, "c-en", "event create b 2031-05-15 B locale=en")
	b.run(t, coord, "c-en", "lot add LUN Lunch category=restauration qty=10 budget=100")
	out = b.run(t, coord, "c-en", `lot cancel LUN reason="`+reason+`"`)
	require.Contains(t, out, "The reason for the cancellation is too long: 20000 characters, 1000 at most.")
}
