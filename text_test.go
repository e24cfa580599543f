package guichet_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestTypedTextLengthIsCountedInCharacters(t *testing.T) {
	t.Parallel()
	require.NoError(t, guichet.ReleaseReason.Check(""))
	require.NoError(t, guichet.ReleaseReason.Check(strings.Repeat("é", guichet.MaxNoteLength)), "1000 accented letters are 2000 bytes, not too long")
	err := guichet.ReleaseReason.Check(strings.Repeat("x", 20000))
	require.Equal(t, &guichet.Error{Code: guichet.EINVALID, MessageID: "ErrTextReleaseReasonTooLong",
		Args: map[string]any{"Length": 20000, "Max": guichet.MaxNoteLength}}, err)
}
