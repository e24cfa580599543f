package commands

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Fictitious SIRETs, generated to pass the Luhn check (SIREN and SIRET): no real structure.
const (
	siretA = "99900001100018"
	siretB = "99900002900010"
)

func TestParseQuoteCommands(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		text string
		want Command
	}{
		"devis":                   {"devis", Quote{}},
		"devis of an event":       {"devis Assises-2011", Quote{Event: "assises-2011"}},
		"quote":                   {"quote assises-2011", Quote{Event: "assises-2011"}},
		"structure modifier bare": {`structure modifier "Chez Nous"`, SupplierEdit{Supplier: "Chez Nous"}},
		"structure modifier, French keys": {`structure modifier Chez Nous siret="999 000 011 00018" forme="Association loi 1901" type=association tva=association adresse="3 rue de la Paix, Nantes" email=compta@cheznous.org`,
			SupplierEdit{Supplier: "Chez Nous", Values: []profileValue{
				{"address", "3 rue de la Paix, Nantes"}, {"billing_email", "compta@cheznous.org"}, {"legal_form", "Association loi 1901"},
				{"siret", "999 000 011 00018"}, {"vat_regime", "association"}, {"kind", "association"}}}},
		"supplier edit, English keys": {`supplier edit TAK-APRES vat_regime=liable vat_rate=10 kind=SCOP legal_form="SCOP SARL"`,
			SupplierEdit{Supplier: "TAK-APRES", Values: []profileValue{
				{"kind", "SCOP"}, {"legal_form", "SCOP SARL"}, {"vat_rate", "10"}, {"vat_regime", "liable"}}}},
		"an empty value clears":  {`structure modifier Kenja adresse=""`, SupplierEdit{Supplier: "Kenja", Values: []profileValue{{"address", ""}}}},
		"event edit fee percent": {"événement modifier assises-2011 frais=5%", EventEdit{Event: "assises-2011", Change: guichet.EventChange{Fee: &guichet.Fee{BP: 500}}}},
		"event edit fee euros":   {"event edit fee=\"1 250,50 €\"", EventEdit{Change: guichet.EventChange{Fee: &guichet.Fee{Cents: 125050}}}},
		"event edit fee removed": {"evenement modifier frais=0", EventEdit{Change: guichet.EventChange{Fee: &guichet.Fee{}}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// Bad values are refused at once, in both languages, naming the value and how to write it.
func TestParseQuoteCommandsErrors(t *testing.T) {
	t.Parallel()
	cat := l10n.New()
	tests := map[string]struct {
		text   string
		fr, en string
	}{
		"SIRET check digit": {"structure modifier Kenja siret=99900001100019", "n'est pas valide", "99900001100019"},
		"SIRET length":      {"structure modifier Kenja siret=1234", "il en faut 14", "1234"},
		"VAT rate over 100": {"structure modifier Kenja taux=120", "entre 0 et 100", "120"},
		"unknown regime":    {"structure modifier Kenja tva=parfois", "tva=assujettie", "vat_regime=liable"},
		"unknown kind":      {"structure modifier Kenja type=club", "association, scop", "association, scop"},
		"bad e-mail":        {"structure modifier Kenja email=compta", "email=compta@exemple.org", "billing_email=accounts@example.org"},
		"rate without VAT":  {"structure modifier Kenja tva=association taux=20", "tva=assujettie taux=20", "vat_regime=liable vat_rate=20"},
		"no structure":      {"structure modifier siret=" + siretA, "la structure", "The structure"},
		"unknown key":       {"structure modifier Kenja couleur=bleu", "couleur", "couleur"},
		"fee bare number":   {"événement modifier frais=5", "frais=5%", "fee=5%"},
		"fee over 100 %":    {"événement modifier frais=150%", "frais=300€", "fee=300€"},
		"fee negative":      {"événement modifier frais=-3€", "frais=0", "fee=0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.text)
			require.Error(t, err)
			require.Equal(t, guichet.EINVALID, guichet.ErrorCode(err))
			fr, en := Message(cat, "fr", err), Message(cat, "en", err)
			require.Contains(t, fr, tc.fr)
			require.Contains(t, en, tc.en)
			require.NotContains(t, fr+en, "<no value>")
		})
	}
}

func TestApplyProfileRegimeAndRate(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		before guichet.LegalProfile
		values []profileValue
		want   guichet.LegalProfile
	}{
		"liable takes the standard rate": {guichet.LegalProfile{}, []profileValue{{"vat_regime", "assujettie"}},
			guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 2000}},
		"a rate alone makes liable": {guichet.LegalProfile{VATRegime: guichet.VATExemptAssociation}, []profileValue{{"vat_rate", "5,5"}},
			guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 550}},
		"exempt drops the rate": {guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 1000}, []profileValue{{"vat_regime", "franchise"}},
			guichet.LegalProfile{VATRegime: guichet.VATFranchise}},
		"liable keeps its rate": {guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 1000}, []profileValue{{"address", "1 rue A"}},
			guichet.LegalProfile{VATRegime: guichet.VATLiable, VATRateBP: 1000, Address: "1 rue A"}},
		"SIRET normalised, kind read": {guichet.LegalProfile{}, []profileValue{{"siret", "999 000 029 00010"}, {"kind", "SAS ESUS"}},
			guichet.LegalProfile{SIRET: siretB, Kind: "sas-esus"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := tc.before
			_, err := applyProfile(&p, tc.values)
			require.NoError(t, err)
			require.Equal(t, tc.want, p)
		})
	}
}

// The structures file carries the legal profile; a bad SIRET names the row, the column and the
// structure, and nothing is read.
func TestReadSuppliersProfile(t *testing.T) {
	t.Parallel()
	data := "nom;catégories;siret;forme juridique;type;tva;taux tva;adresse;email facturation\n" +
		"Chez Nous;accueil;" + siretA + ";Association loi 1901;association;association;;3 rue de la Paix, Nantes;compta@cheznous.org\n" +
		"Kenja;tenues;;;SCOP;assujettie;10;;\n"
	recs, err := ReadSuppliers([]byte(data))
	require.NoError(t, err)
	require.Equal(t, guichet.LegalProfile{SIRET: siretA, LegalForm: "Association loi 1901", Kind: "association",
		VATRegime: guichet.VATExemptAssociation, Address: "3 rue de la Paix, Nantes", BillingEmail: "compta@cheznous.org"}, recs[0].Supplier.LegalProfile)
	require.Equal(t, guichet.LegalProfile{Kind: "scop", VATRegime: guichet.VATLiable, VATRateBP: 1000}, recs[1].Supplier.LegalProfile)

	english := "name,categories,siret,legal_form,kind,vat_regime,vat_rate,address,billing_email\nKenja,tenues," + siretB + ",SCOP SARL,scop,liable,20,,\n"
	recs, err = ReadSuppliers([]byte(english))
	require.NoError(t, err)
	require.Equal(t, siretB, recs[0].Supplier.SIRET)

	bad := "nom;catégories;siret\nChez Nous;accueil;" + siretA + "\nKenja;tenues;99900002900011\n"
	_, err = ReadSuppliers([]byte(bad))
	require.True(t, errors.Is(err, errCSVCell))
	cat := l10n.New()
	fr := Message(cat, "fr", err)
	require.Contains(t, fr, "Ligne 3, colonne C «\u202Fsiret\u202F»")
	require.Contains(t, fr, "Kenja")
	require.Contains(t, fr, "99900002900011")
	require.Contains(t, Message(cat, "en", err), "Kenja")

	rate := "name,categories,vat_rate\nKenja,tenues,120\n"
	_, err = ReadSuppliers([]byte(rate))
	require.Contains(t, Message(cat, "fr", err), "Ligne 2, colonne C «\u202Fvat_rate\u202F»")
	require.Contains(t, Message(cat, "fr", err), "entre 0 et 100")
}
