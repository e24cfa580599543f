package guichet_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// TestErrorKindsMatchByCodeAndID: an error is of a kind whatever its arguments, wrapped or not,
// and of no other kind, nor of a kind with the same message id and another code.
func TestErrorKindsMatchByCodeAndID(t *testing.T) {
	err := fmt.Errorf("saving: %w", guichet.Errorf(guichet.EINVALID, "ErrSlug", "Value", "Assises 2011"))
	require.ErrorIs(t, err, guichet.ErrSlug)
	require.NotErrorIs(t, err, guichet.ErrSupplierName)
	require.NotErrorIs(t, err, &guichet.Error{Code: guichet.ECONFLICT, MessageID: "ErrSlug"})
	require.ErrorIs(t, guichet.ClaimNote.Check(string(make([]rune, guichet.MaxNoteLength+1))), guichet.ErrClaimNoteTooLong)
	require.ErrorIs(t, guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember", "Supplier", "Resto"), guichet.ErrNotMember)
	require.False(t, errors.Is(guichet.Errorf(guichet.EFORBIDDEN, "ErrNoSupplier"), guichet.ErrNotMember))
}
