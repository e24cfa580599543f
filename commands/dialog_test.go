package commands

import (
	"context"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// dialogRecorder is a Chat that only records the dialogs opened.
type dialogRecorder struct {
	guichet.Chat
	dialogs []guichet.Dialog
}

func (r *dialogRecorder) OpenDialog(_ context.Context, _, _ string, d guichet.Dialog) error {
	r.dialogs = append(r.dialogs, d)
	return nil
}

// The dialogs fit Mattermost's limits in every language: title and field names of 24
// characters at most, help texts of 150, text areas of 3000.
func TestDialogsFitMattermostLimits(t *testing.T) {
	t.Parallel()
	for _, loc := range l10n.Locales {
		rec := &dialogRecorder{}
		h := &Handler{cat: l10n.New(), chat: rec, locale: loc}
		c := &call{locale: loc, triggerID: "trigger", actor: guichet.Actor{UserID: "u"}}
		require.NoError(t, h.openEventDialog(context.Background(), c))
		_, err := h.openSupplierImport(context.Background(), c)
		require.NoError(t, err)
		require.Len(t, rec.dialogs, 2)
		for _, d := range rec.dialogs {
			require.LessOrEqual(t, utf8.RuneCountInString(d.Title), 24, "%s %s", loc, d.Title)
			require.NotContains(t, d.Title, "[")
			for _, el := range d.Elements {
				require.LessOrEqual(t, utf8.RuneCountInString(el.DisplayName), 24, "%s %s", loc, el.DisplayName)
				require.LessOrEqual(t, utf8.RuneCountInString(el.HelpText), 150, "%s %s", loc, el.HelpText)
				require.LessOrEqual(t, el.MaxLength, 3000)
				require.NotContains(t, el.DisplayName, "[")
			}
		}
		for _, id := range []string{"DialogCmdLotImportTitle", "DialogCmdLotImportHelp", "DialogCmdCSV"} {
			require.LessOrEqual(t, utf8.RuneCountInString(h.cat.T(loc, id, nil)), 150, id)
		}
		require.LessOrEqual(t, utf8.RuneCountInString(h.cat.T(loc, "DialogCmdLotImportTitle", nil)), 24)
	}
	h := &Handler{cat: l10n.New(), chat: &dialogRecorder{}, locale: "fr"}
	err := h.openEventDialog(context.Background(), &call{locale: "fr"})
	require.Equal(t, "CmdNoDialog", guichet.AsError(err).MessageID, "no trigger, no dialog: the person is told")
}
