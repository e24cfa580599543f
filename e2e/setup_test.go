package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/bot"
)

// guichetCommand returns the /guichet command of the rig's team as Mattermost keeps it.
func guichetCommand(t *testing.T) *model.Command {
	t.Helper()
	cmds, _, err := rig.Admin().Client.ListCommands(context.Background(), rig.Team().Id, true)
	require.NoError(t, err)
	var found []*model.Command
	for _, c := range cmds {
		if c.Trigger == bot.CommandTrigger {
			found = append(found, c)
		}
	}
	require.Len(t, found, 1, "one /guichet command in the team")
	return found[0]
}

func botTokens(t *testing.T) int {
	t.Helper()
	tokens, _, err := rig.Admin().Client.GetUserAccessTokensForUser(context.Background(), rig.BotUserID(), 0, 200)
	require.NoError(t, err)
	return len(tokens)
}

func TestSetupTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	before := guichetCommand(t)
	require.Equal(t, rig.BotURL()+bot.CommandPath, before.URL)
	require.Equal(t, model.CommandMethodPost, before.Method)
	require.True(t, before.AutoComplete)
	require.Contains(t, before.AutoCompleteDesc, "Guichet unique", "autocomplete in French")
	require.Contains(t, before.AutoCompleteHint, "aide")
	tokensBefore := botTokens(t)

	res, err := bot.Setup(ctx, bot.SetupOptions{
		MattermostURL: rig.MattermostURL(), AdminToken: rig.Admin().Token,
		Teams: []string{rig.Team().Name}, BotURL: rig.BotURL(),
	})
	require.NoError(t, err)
	require.False(t, res.BotCreated)
	require.Equal(t, rig.BotUserID(), res.BotUserID)
	require.Empty(t, res.BotToken, "the bot's existing token is kept")
	require.Len(t, res.Teams, 1)
	require.Equal(t, "unchanged", res.Teams[0].Action)
	require.Equal(t, before.Id, res.Teams[0].CommandID)
	require.Equal(t, rig.CommandToken(), res.Teams[0].CommandToken)

	after := guichetCommand(t)
	require.Equal(t, before.UpdateAt, after.UpdateAt, "the command was rewritten")
	require.Equal(t, before.Token, after.Token)
	require.Equal(t, tokensBefore, botTokens(t), "a token was created")
}

func TestSetupCommandLine(t *testing.T) {
	t.Parallel()
	envFile := filepath.Join(t.TempDir(), "guichet.env")
	require.NoError(t, os.WriteFile(envFile, []byte("# kept\nGUICHET_DATABASE_URL=postgres://guichet@db/guichet\n"), 0o600))
	// A bot account of its own, so that the rig's bot and its tokens stay as they are.
	run := func(extra ...string) string {
		args := append([]string{"setup", "--mattermost-url", rig.MattermostURL(), "--team", rig.Team().Name,
			"--bot-url", rig.BotURL(), "--bot-username", "guichet-cli", "--write-env", envFile}, extra...)
		cmd := exec.Command(rig.GuichetBinary(), args...)
		cmd.Env = append(os.Environ(), "GUICHET_ADMIN_TOKEN="+rig.Admin().Token)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "guichet setup: %s", out)
		data, err := os.ReadFile(envFile)
		require.NoError(t, err)
		return string(data)
	}
	first := run()
	require.Contains(t, first, "# kept\nGUICHET_DATABASE_URL=postgres://guichet@db/guichet\n")
	require.Contains(t, first, "GUICHET_MATTERMOST_URL="+rig.MattermostURL()+"\n")
	require.Contains(t, first, "GUICHET_COMMAND_TOKENS="+rig.CommandToken()+"\n")
	require.Contains(t, first, "GUICHET_PUBLIC_URL="+rig.BotURL()+"\n")
	firstToken := envValue(first, "GUICHET_BOT_TOKEN")
	require.NotEmpty(t, firstToken, "a new bot gets a token: %s", first)
	botID := tokenUser(t, firstToken)
	st, err := os.Stat(envFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// A second run changes nothing: same bot, its token kept in the file, same command token.
	require.Equal(t, first, run())

	// --new-token writes a new token that works as the same bot.
	third := run("--new-token")
	newToken := envValue(third, "GUICHET_BOT_TOKEN")
	require.NotEqual(t, firstToken, newToken)
	require.Equal(t, botID, tokenUser(t, newToken))
	require.Equal(t, rig.CommandToken(), envValue(third, "GUICHET_COMMAND_TOKENS"))
	old := model.NewAPIv4Client(rig.MattermostURL())
	old.SetToken(firstToken)
	_, resp, err := old.GetMe(context.Background(), "")
	require.Error(t, err, "--new-token revokes the bot's older token")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func envValue(env, key string) string {
	for _, line := range strings.Split(env, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v
		}
	}
	return ""
}

// tokenUser returns the id of the user the token acts as, failing if the token does not work.
func tokenUser(t *testing.T, token string) string {
	t.Helper()
	c := model.NewAPIv4Client(rig.MattermostURL())
	c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	c.SetToken(token)
	me, _, err := c.GetMe(context.Background(), "")
	require.NoError(t, err)
	require.True(t, me.IsBot)
	return me.Id
}
