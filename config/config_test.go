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
	p := write(t, "database_url = \"postgres://a@db/x\"\nlisten = \"127.0.0.1:1\"\nadministrators = [\"anne\"]\n")
	t.Setenv("GUICHET_LISTEN", "127.0.0.1:9999")
	t.Setenv("GUICHET_ADMINISTRATORS", "yann,@lea,4xp9fdxbq7gjfrnz8wdtyuk6tr")
	cfg, err := config.Load(p)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", cfg.Listen)
	require.Equal(t, []string{"yann", "@lea", "4xp9fdxbq7gjfrnz8wdtyuk6tr"}, cfg.Administrators)
	require.Empty(t, cfg.Deprecations())
	require.Equal(t, "postgres://a@db/x", cfg.DatabaseURL)
}

// The former key coordinators still works, as administrators, with a warning.
func TestCoordinatorsIsADeprecatedAliasOfAdministrators(t *testing.T) {
	p := write(t, "database_url = \"postgres://a@db/x\"\nadministrators = [\"anne\"]\n")
	t.Setenv("GUICHET_COORDINATORS", "yann,lea")
	cfg, err := config.Load(p)
	require.NoError(t, err)
	require.Equal(t, []string{"anne", "yann", "lea"}, cfg.AdministratorEntries())
	require.Len(t, cfg.Deprecations(), 1)
	require.Contains(t, cfg.Deprecations()[0], "GUICHET_ADMINISTRATORS")
}

func TestBadConfigNamesTheKey(t *testing.T) {
	tests := map[string]struct{ body, key string }{
		"secret in file":   {"database_url = \"postgres://a@b/c\"\nbot_token = \"x\"\n", "bot_token"},
		"unknown key":      {"database_url = \"postgres://a@b/c\"\nlisen = \"x\"\n", "lisen"},
		"bad locale":       {"database_url = \"postgres://a@b/c\"\nlocale = \"de\"\n", "locale"},
		"no database":      {"listen = \"x:1\"\n", "database_url"},
		"mysql url":        {"database_url = \"mysql://a@b/c\"\n", "database_url"},
		"bad admin":        {"database_url = \"postgres://a@b/c\"\nadministrators = [\"Marie Dupont\"]\n", "administrators"},
		"bad coordinator":  {"database_url = \"postgres://a@b/c\"\ncoordinators = [\"@\"]\n", "coordinators"},
		"bad delivery":     {"database_url = \"postgres://a@b/c\"\nreminder_delivery = \"fax\"\n", "reminder_delivery"},
		"short lease":      {"database_url = \"postgres://a@b/c\"\noutbox_lease = \"500ms\"\n", "outbox_lease"},
		"bad issuer siret": {"database_url = \"postgres://a@b/c\"\n[issuer]\nsiret = \"73282932000075\"\n", "issuer.siret"},
		"bad issuer vat":   {"database_url = \"postgres://a@b/c\"\n[issuer]\nvat_regime = \"peut-être\"\n", "issuer.vat_regime"},
		"rate, not liable": {"database_url = \"postgres://a@b/c\"\n[issuer]\nvat_regime = \"franchise\"\nvat_rate_bp = 2000\n", "issuer.vat_rate_bp"},
		"rate above 100 %": {"database_url = \"postgres://a@b/c\"\n[issuer]\nvat_regime = \"liable\"\nvat_rate_bp = 10001\n", "issuer.vat_rate_bp"},
		"missing secrets":  {"database_url = \"postgres://a@b/c\"\nmattermost_url = \"http://mm\"\npublic_url = \"http://bot\"\n", "bot_token"},
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

// Health and metrics have an address of their own, never the one Mattermost calls.
func TestOpsListen(t *testing.T) {
	serveKeys := "database_url = \"postgres://a@b/c\"\nmattermost_url = \"http://mm\"\npublic_url = \"http://bot\"\n"
	t.Setenv("GUICHET_BOT_TOKEN", "tok")
	t.Setenv("GUICHET_SIGNING_KEY", "0123456789abcdef0123456789abcdef")
	t.Setenv("GUICHET_COMMAND_TOKENS", "a")

	cfg, err := config.Load(write(t, serveKeys))
	require.NoError(t, err)
	require.NoError(t, cfg.ValidateServe())
	require.Equal(t, "127.0.0.1:9090", cfg.OpsListen, "loopback by default")

	t.Setenv("GUICHET_OPS_LISTEN", "0.0.0.0:9100")
	cfg, err = config.Load(write(t, serveKeys+"ops_listen = \"127.0.0.1:9191\"\n"))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9100", cfg.OpsListen, "the environment overrides the file")

	t.Setenv("GUICHET_OPS_LISTEN", "127.0.0.1:8080")
	cfg, err = config.Load(write(t, serveKeys))
	require.NoError(t, err)
	err = cfg.ValidateServe()
	var ce *config.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "ops_listen", ce.Key)
	require.ErrorContains(t, err, "GUICHET_OPS_LISTEN")
	require.ErrorContains(t, err, "must differ from listen")
}

func TestIssuerAndLegalMentions(t *testing.T) {
	cfg, err := config.Load(write(t, "database_url = \"postgres://a@b/c\"\n[issuer]\nname = \"Réseau\"\nsiret = \"732 829 320 00074\"\nvat_regime = \"assujetti\"\nvat_rate_bp = 2000\n[legal]\nfranchise = \"TVA non applicable, art. 293 B du CGI (nouvelle rédaction)\"\n"))
	require.NoError(t, err)
	require.Equal(t, "73282932000074", cfg.Issuer.SIRET)
	require.Equal(t, "liable", string(cfg.Issuer.VATRegime))
	require.Equal(t, 2000, cfg.Issuer.VATRateBP)
	require.Equal(t, 30, cfg.Issuer.PaymentDays)
	require.Equal(t, "TVA non applicable, art. 293 B du CGI (nouvelle rédaction)", cfg.Legal.Franchise)
	require.Contains(t, cfg.Legal.ExemptAssociation, "261") // the default, kept
}

// The issuer is set from the environment as every other key: GUICHET_ISSUER_<KEY>.
func TestIssuerFromTheEnvironment(t *testing.T) {
	t.Setenv("GUICHET_ISSUER_NAME", "Réseau ESS")
	t.Setenv("GUICHET_ISSUER_SIRET", "73282932000074")
	t.Setenv("GUICHET_ISSUER_LEGAL_FORM", "Association loi 1901")
	t.Setenv("GUICHET_ISSUER_VAT_REGIME", "association")
	t.Setenv("GUICHET_ISSUER_ADDRESS", "Nantes")
	t.Setenv("GUICHET_ISSUER_PAYMENT_DAYS", "45")
	cfg, err := config.Load(write(t, "database_url = \"postgres://a@b/c\"\n"))
	require.NoError(t, err)
	require.Equal(t, "Réseau ESS", cfg.Issuer.Name)
	require.Equal(t, "73282932000074", cfg.Issuer.SIRET)
	require.Equal(t, "Association loi 1901", cfg.Issuer.LegalForm)
	require.Equal(t, "association", string(cfg.Issuer.VATRegime))
	require.Equal(t, "Nantes", cfg.Issuer.Address)
	require.Equal(t, 45, cfg.Issuer.PaymentDays)

	t.Setenv("GUICHET_ISSUER_SIRET", "73282932000075")
	_, err = config.Load(write(t, "database_url = \"postgres://a@b/c\"\n"))
	require.ErrorContains(t, err, "GUICHET_ISSUER_SIRET")
}
