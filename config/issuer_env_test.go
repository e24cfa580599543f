package config

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// The issuer, like every key, can be set from the environment (GUICHET_ISSUER_…).
func TestIssuerFromEnvironment(t *testing.T) {
	t.Setenv("GUICHET_DATABASE_URL", "postgres://localhost/x")
	t.Setenv("GUICHET_ISSUER_NAME", "Réseau")
	t.Setenv("GUICHET_ISSUER_SIRET", "999 000 243 00017")
	t.Setenv("GUICHET_ISSUER_LEGAL_FORM", "Association loi 1901")
	t.Setenv("GUICHET_ISSUER_VAT_REGIME", "liable")
	t.Setenv("GUICHET_ISSUER_VAT_RATE_BP", "2000")
	t.Setenv("GUICHET_ISSUER_ADDRESS", "1 rue du Réseau, Nantes")
	t.Setenv("GUICHET_LEGAL_FRANCHISE", "TVA non applicable, art. 293 B du CGI")
	cfg, err := Load("")
	require.NoError(t, err)
	require.Equal(t, "Réseau", cfg.Issuer.Name)
	require.Equal(t, guichet.LegalProfile{SIRET: "99900024300017", LegalForm: "Association loi 1901", VATRegime: guichet.VATLiable,
		VATRateBP: 2000, Address: "1 rue du Réseau, Nantes"}, cfg.Issuer.LegalProfile)
	require.Equal(t, "TVA non applicable, art. 293 B du CGI", cfg.Legal.Franchise)
	require.Equal(t, 30, cfg.Issuer.PaymentDays)
}
