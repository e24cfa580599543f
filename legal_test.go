package guichet_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

func TestCheckSIRET(t *testing.T) {
	for in, want := range map[string]string{
		"732 829 320 00074":     "73282932000074",
		"443.061.841-00047":     "44306184100047",
		"35600000049837":        "35600000049837", // La Poste: digits add up to a multiple of 5
		"356 000 000 00048":     "35600000000048", // La Poste's head office passes Luhn
		" 73282932000074\u00a0": "73282932000074",
	} {
		got, err := guichet.CheckSIRET(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for in, want := range map[string]string{
		"73282932000075":  "ErrSIRETCheck",
		"80295478500028":  "ErrSIRETCheck",
		"12345678901234":  "ErrSIRETCheck", // multiple of 5, but not La Poste
		"35600000049838":  "ErrSIRETCheck",
		"7328293200007":   "ErrSIRETLength",
		"732829320000740": "ErrSIRETLength",
		"7328293200007A":  "ErrSIRETDigits",
		"":                "ErrSIRETLength",
	} {
		_, err := guichet.CheckSIRET(in)
		var e *guichet.Error
		require.True(t, errors.As(err, &e), in)
		require.Equal(t, want, e.MessageID, in)
		require.Equal(t, guichet.EINVALID, e.Code)
	}
	require.Equal(t, "732829320", guichet.LegalProfile{SIRET: "73282932000074"}.SIREN())
}

func TestVATRatesAndAmounts(t *testing.T) {
	for in, want := range map[string]int{"20": 2000, "20 %": 2000, "5,5": 550, "5.5%": 550, "2,10": 210, "0": 0, "100": 10000} {
		got, err := guichet.ParseVATRate(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-5", "100.01", "101", "5,555", "vingt", "+20", "20..5"} {
		_, err := guichet.ParseVATRate(in)
		require.Error(t, err, in)
	}
	liable := guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 2000}
	require.Equal(t, guichet.Cents(2000), liable.VAT(10000))
	// 5.5 % of 0.10 € is 0.55 cent: rounded half up to 1 cent; of −0.10 €, −1 cent.
	reduced := guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 550}
	require.Equal(t, guichet.Cents(1), reduced.VAT(10))
	require.Equal(t, guichet.Cents(-1), reduced.VAT(-10))
	require.Equal(t, guichet.Cents(0), reduced.VAT(9)) // 0.495 cent rounds down
	for _, r := range []guichet.VATRegime{guichet.VATExemptAssociation, guichet.VATFranchise, guichet.VATUnset} {
		require.Zero(t, guichet.LegalProfile{VATRegime: r, VATRateBP: 2000}.VAT(10000), r)
	}
	m := guichet.DefaultLegalMentions()
	require.Contains(t, m.For(guichet.VATFranchise), "293 B")
	require.Contains(t, m.For(guichet.VATExemptAssociation), "261")
	require.Empty(t, m.For(guichet.VATLiable))
}

func TestParseLegalWords(t *testing.T) {
	for in, want := range map[string]guichet.VATRegime{"assujettie": guichet.VATLiable, "Exonérée": guichet.VATExemptAssociation, "franchise en base": guichet.VATFranchise, "293 B": guichet.VATFranchise} {
		got, ok := guichet.ParseVATRegime(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := guichet.ParseVATRegime("peut-être")
	require.False(t, ok)
	for in, want := range map[string]guichet.StructureKind{"Association loi 1901": "association", "SCOP": "scop", "SAS ESUS": "sas-esus", "Entreprise d'insertion": "ei-insertion", "ESAT": "esat"} {
		got, ok := guichet.ParseStructureKind(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok = guichet.ParseStructureKind("SARL")
	require.False(t, ok)
	require.Equal(t, []string{"siret", "legal_form", "kind", "vat_regime", "address"}, guichet.LegalProfile{}.Missing())
	require.Nil(t, guichet.LegalProfile{SIRET: "73282932000074", LegalForm: "SCOP SARL", Kind: "scop", VATRegime: guichet.VATLiable, VATRateBP: 2000, Address: "1 rue X\n44000 Nantes"}.Missing())
	require.Equal(t, "LegalKindsasesus", guichet.StructureKind("sas-esus").MessageID())
}

func TestEveryKindAndRegimeHasItsName(t *testing.T) {
	c := l10n.New()
	for _, loc := range l10n.Locales {
		for _, k := range guichet.StructureKinds {
			require.True(t, c.Has(loc, k.MessageID()), "%s in %s", k, loc)
		}
		for _, r := range guichet.VATRegimes {
			require.True(t, c.Has(loc, r.MessageID()), "%s in %s", r, loc)
		}
	}
}
