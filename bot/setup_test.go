package bot

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSetupEnvFileKeepsOtherLines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(path, []byte("# mine\nGUICHET_DATABASE_URL=postgres://db/guichet\nGUICHET_BOT_TOKEN=old\nexport GUICHET_PUBLIC_URL=http://old\n"), 0o644))
	res := &SetupResult{MattermostURL: "http://mm:8065", PublicURL: "http://bot:8080",
		Teams: []SetupTeam{{CommandToken: "t1"}, {CommandToken: "t2"}}}

	// Without a new token, the one in the file stays.
	require.NoError(t, res.WriteEnvFile(path))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "# mine\nGUICHET_DATABASE_URL=postgres://db/guichet\nGUICHET_BOT_TOKEN=old\nGUICHET_PUBLIC_URL=http://bot:8080\n"+
		"GUICHET_MATTERMOST_URL=http://mm:8065\nGUICHET_COMMAND_TOKENS=t1,t2\n", string(got))
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// Writing the same result again changes nothing.
	require.NoError(t, res.WriteEnvFile(path))
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(got), string(again))

	// A new token replaces the old one where it stands.
	res.BotToken = "new"
	require.NoError(t, res.WriteEnvFile(path))
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "# mine\nGUICHET_DATABASE_URL=postgres://db/guichet\nGUICHET_BOT_TOKEN=new\nGUICHET_PUBLIC_URL=http://bot:8080\n"+
		"GUICHET_MATTERMOST_URL=http://mm:8065\nGUICHET_COMMAND_TOKENS=t1,t2\n", string(got))
}

func TestSetupEnvText(t *testing.T) {
	t.Parallel()
	res := &SetupResult{MattermostURL: "http://mm", PublicURL: "http://bot", Teams: []SetupTeam{{CommandToken: "t1"}}}
	require.Equal(t, "GUICHET_MATTERMOST_URL=http://mm\nGUICHET_COMMAND_TOKENS=t1\nGUICHET_PUBLIC_URL=http://bot\n"+
		"# GUICHET_BOT_TOKEN is unchanged: the bot's existing token stays valid (setup --new-token creates another).\n", res.EnvText())
	res.BotToken = "tok"
	require.Equal(t, "GUICHET_MATTERMOST_URL=http://mm\nGUICHET_BOT_TOKEN=tok\nGUICHET_COMMAND_TOKENS=t1\nGUICHET_PUBLIC_URL=http://bot\n", res.EnvText())
}

func TestSetupRefusesBadOptions(t *testing.T) {
	t.Parallel()
	good := SetupOptions{MattermostURL: "http://mm:8065", AdminToken: "x", Teams: []string{"assises"}, BotURL: "http://bot:8080"}
	for name, mutate := range map[string]func(o *SetupOptions){
		"no Mattermost URL": func(o *SetupOptions) { o.MattermostURL = "" },
		"bot URL not http":  func(o *SetupOptions) { o.BotURL = "bot:8080" },
		"no admin token":    func(o *SetupOptions) { o.AdminToken = "" },
		"no team":           func(o *SetupOptions) { o.Teams = []string{" ", ""} },
		"bad bot username":  func(o *SetupOptions) { o.BotUsername = "Guichet Bot" },
	} {
		t.Run(name, func(t *testing.T) {
			o := good
			mutate(&o)
			_, err := Setup(context.Background(), o)
			require.Error(t, err)
		})
	}
}
