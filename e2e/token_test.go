package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/bot"
)

// readiness returns /readyz's status and body.
func readiness(t *testing.T) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(rig.OpsURL() + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	require.NoError(t, json.Unmarshal(raw, &body), string(raw))
	return resp.StatusCode, body
}

// The bot's token is revoked in Mattermost: /readyz says so with what to do, the log says it
// once; `guichet setup --new-token` makes another (Mattermost 6.7.2 sets no token lifetime,
// and setup says so), and the bot restarted with it is ready and answers. Not parallel: every
// other test needs the bot's token.
func TestRevokedTokenShowsInReadinessAndSetupMendsIt(t *testing.T) {
	ctx := context.Background()
	admin := rig.Admin().Client
	tokens, _, err := admin.GetUserAccessTokensForUser(ctx, rig.BotUserID(), 0, 200)
	require.NoError(t, err)
	require.NotEmpty(t, tokens)
	t.Cleanup(func() { _ = rig.StartBot(context.Background()) })
	for _, tok := range tokens {
		_, err := admin.RevokeUserAccessToken(ctx, tok.Id)
		require.NoError(t, err)
	}

	for i := 0; i < 3; i++ {
		status, body := readiness(t)
		require.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
		require.Equal(t, "token refused", body["mattermost"])
		require.Equal(t, bot.TokenRefusedReason, body["reason"])
	}
	require.Equal(t, 1, strings.Count(rig.BotLog(400), "refuses the bot's token"), "logged once: %s", rig.BotLog(40))

	envFile := filepath.Join(t.TempDir(), "guichet.env")
	cmd := exec.Command(rig.GuichetBinary(), "setup", "--new-token", "--mattermost-url", rig.MattermostURL(),
		"--team", rig.Team().Name, "--bot-url", rig.BotURL(), "--bot-username", rig.Setup().BotUsername, "--write-env", envFile)
	cmd.Env = append(os.Environ(), "GUICHET_ADMIN_TOKEN="+rig.Admin().Token)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "guichet setup: %s", out)
	require.Contains(t, string(out), "does not expire (the server sets no token lifetime)")
	require.Contains(t, string(out), "give it to the bot")
	data, err := os.ReadFile(envFile)
	require.NoError(t, err)
	newToken := envValue(string(data), "GUICHET_BOT_TOKEN")
	require.NotEmpty(t, newToken, "%s", data)
	require.Equal(t, rig.BotUserID(), tokenUser(t, newToken))
	require.Equal(t, rig.CommandToken(), envValue(string(data), "GUICHET_COMMAND_TOKENS"))

	rig.UseBotToken(newToken)
	require.NoError(t, rig.RestartBot(ctx, syscall.SIGTERM))
	status, body := readiness(t)
	require.Equal(t, http.StatusOK, status, "%v", body)
	resp, err := rig.Coordinator().Command(ctx, rig.CoordChannel().Id, "/guichet aide")
	require.NoError(t, err)
	require.NotEmpty(t, resp.Text)
}
