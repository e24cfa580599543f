package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/config"
)

func write(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "config.toml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestExampleConfigLoads(t *testing.T) {
	t.Setenv("GUICHET_BOT_TOKEN", "tok")
	t.Setenv("GUICHET_SIGNING_KEY", "0123456789abcdef0123456789abcdef")
	t.Setenv("GUICHET_COMMAND_TOKENS", "a,b")
	cfg, err := config.Load("../config.example.toml")
	require.NoError(t, err)
	require.NoError(t, cfg.ValidateServe())
	require.Equal(t, []string{"a", "b"}, cfg.CommandTokens)
}

func TestEnvironmentOverridesFile(t *testing.T) {
	p := write(t, "database_url = \"postgres://a@db/x\"\nlisten = \"127.0.0.1:1\"\ncoordinators = [\"anne\"]\n")
	t.Setenv("GUICHET_LISTEN", "127.0.0.1:9999")
	t.Setenv("GUICHET_COORDINATORS", "yann,lea")
	cfg, err := config.Load(p)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", cfg.Listen)
	require.Equal(t, []string{"yann", "lea"}, cfg.Coordinators)
	require.Equal(t, "postgres://a@db/x", cfg.DatabaseURL)
}

func TestBadConfigNamesTheKey(t *testing.T) {
	tests := map[string]struct{ body, key string }{
		"secret in file":  {"database_url = \"postgres://a@b/c\"\nbot_token = \"x\"\n", "bot_token"},
		"unknown key":     {"database_url = \"postgres://a@b/c\"\nlisen = \"x\"\n", "lisen"},
		"bad locale":      {"database_url = \"postgres://a@b/c\"\nlocale = \"de\"\n", "locale"},
		"no database":     {"listen = \"x:1\"\n", "database_url"},
		"mysql url":       {"database_url = \"mysql://a@b/c\"\n", "database_url"},
		"bad delivery":    {"database_url = \"postgres://a@b/c\"\nreminder_delivery = \"fax\"\n", "reminder_delivery"},
		"short lease":     {"database_url = \"postgres://a@b/c\"\noutbox_lease = \"500ms\"\n", "outbox_lease"},
		"missing secrets": {"database_url = \"postgres://a@b/c\"\nmattermost_url = \"http://mm\"\npublic_url = \"http://bot\"\n", "bot_token"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Load(write(t, tc.body))
			if err == nil {
				err = cfg.ValidateServe()
			}
			var ce *config.Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.key, ce.Key)
		})
	}
}

func TestSecretFromFileAndPassword(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600))
	p := write(t, "database_url = \"postgres://guichet@db/guichet\"\nbot_token_file = \""+tokenFile+"\"\n")
	t.Setenv("GUICHET_DATABASE_PASSWORD", "pw")
	cfg, err := config.Load(p)
	require.NoError(t, err)
	require.Equal(t, "s3cret", cfg.BotToken)
	require.Equal(t, "postgres://guichet:pw@db/guichet", cfg.DatabaseDSN())
}
