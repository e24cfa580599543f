package bot

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

// A command answer's « Libérer » buttons come back to Mattermost as one attachment per
// share, each signed for the release of that share by the person who asked and no one else.
func TestCommandReplyCarriesReleaseButtons(t *testing.T) {
	sb := setupServer(t, nil)
	status, body := sb.postForm(t, commandForm(testCommandToken, "mes-lots"), nil)
	require.Equal(t, http.StatusOK, status)
	var resp model.CommandResponse
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.Equal(t, model.CommandResponseTypeEphemeral, resp.ResponseType)
	require.Len(t, resp.Attachments, 2)
	for i, want := range []string{"7", "9"} {
		a := resp.Attachments[i]
		require.Contains(t, a.Text, []string{"DEJ", "CAF"}[i])
		require.Len(t, a.Actions, 1)
		btn := a.Actions[0]
		require.Equal(t, "Libérer", btn.Name)
		ctx := roundTrip(t, btn.Integration.Context)
		action, fields, err := sb.bot.signer.VerifyButton(ctx, "marie-id", sb.now)
		require.NoError(t, err)
		require.Equal(t, actionRelease, action)
		require.Equal(t, map[string]string{"lot": want, "supplier": "3", "from": fromReply}, fields)
		_, _, err = sb.bot.signer.VerifyButton(ctx, "paul-id", sb.now)
		require.Error(t, err, "another person cannot use it")
		status, _ := sb.click(t, "paul-id", ctx)
		require.Equal(t, http.StatusForbidden, status)
	}

	status, body = sb.postForm(t, commandForm(testCommandToken, "aide"), nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.Empty(t, resp.Attachments, "an answer without buttons has no attachments")
}
