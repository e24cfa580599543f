package guichet

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the legal facts the client's documents (quote, purchase orders, invoices)
// rest on: a structure's legal profile, the SIRET check, the VAT regimes and the mentions each
// regime prints. Sources (checked 2026-12):
//
//   - SIRET and SIREN: INSEE, definitions « Siret » and « Siren » (https://www.insee.fr, section
//     « Définitions, méthodes et qualité »): the SIRET is the
//     9-digit SIREN followed by the 5-digit NIC; both carry a Luhn check digit. La Poste's
//     establishments (SIREN 356 000 000) are numbered without it; their SIRET's digits add up to a
//     multiple of 5 instead (INSEE, Sirene, « Contrôle des numéros SIRET »).
//   - Franchise en base (small business exemption): Code général des impôts, article 293 E
//     (Légifrance, Code général des impôts, https://www.legifrance.gouv.fr/codes/texte_lc/LEGITEXT000006069577): the
//     invoice must say « TVA non applicable, article 293 B du CGI ».
//   - Exempt association: CGI article 261, 7-1° b (non-profit bodies with a social or
//     philanthropic character); CGI annexe II article 242 nonies A, I-13° requires the invoice to
//     cite the provision the exemption rests on.
//   - VAT-liable structure: CGI article 278 (standard rate 20 %), annexe II article 242 nonies A
//     (the invoice shows the net total per rate and the VAT).
//
// These articles change: the mentions are defaults that the configuration's [legal] section
// overrides (config.Config.LegalMentions), so that a change of law is a change of
// configuration, not of code.

// VATRegime is how a structure stands with value added tax.
type VATRegime string

const (
	// VATUnset: the structure's regime is not known yet; no document can be made for it.
	VATUnset VATRegime = ""
	// VATLiable: the structure charges VAT at LegalProfile.VATRateBP.
	VATLiable VATRegime = "liable"
	// VATExemptAssociation: a non-profit association whose operations are exempt (CGI art. 261,
	// 7-1° b): no VAT, and the mention says on what ground.
	VATExemptAssociation VATRegime = "association"
	// VATFranchise: the small-business exemption (franchise en base, CGI art. 293 B): no VAT.
	VATFranchise VATRegime = "franchise"
)

// VATRegimes lists the regimes a structure may have, in the order people are offered them.
var VATRegimes = []VATRegime{VATLiable, VATExemptAssociation, VATFranchise}

// ParseVATRegime reads a regime as people write it: its code, or a French or English word
// ("assujetti", "tva", "exonéré", "association", "franchise", "293b"…). ok is false for
// anything else.
func ParseVATRegime(s string) (VATRegime, bool) {
	switch strings.ReplaceAll(Slugify(s), "-", "") {
	case "liable", "assujetti", "assujettie", "tva", "vat", "oui", "yes":
		return VATLiable, true
	case "association", "exempt", "exonere", "exoneree", "exoneration", "nonassujetti", "nonassujettie", "261", "2617", "26171b":
		return VATExemptAssociation, true
	case "franchise", "franchiseenbase", "293b", "art293b", "microentreprise", "smallbusiness":
		return VATFranchise, true
	}
	return VATUnset, false
}

// StructureKind is the kind of a structure of the social and solidarity economy, by which the
// client's report adds up the money (loi n° 2014-856 du 31 juillet 2014, article 1er, lists who
// belongs to the social and solidarity economy).
type StructureKind string

// StructureKinds lists the kinds, in the order people are offered them; their names are in
// the catalogues under MessageID.
var StructureKinds = []StructureKind{
	"association", "scop", "scic", "sas-esus", "cooperative", "mutuelle", "fondation",
	"ei", "aci", "ea", "esat", "ei-insertion", "other",
}

// MessageID is the catalogue id of the kind's name: LegalKind followed by its code without
// dashes (LegalKindscop, LegalKindsasesus).
func (k StructureKind) MessageID() string {
	return fmt.Sprintf("LegalKind%s", strings.ReplaceAll(string(k), "-", ""))
}

// MessageID is the catalogue id of the regime's name (LegalRegimeliable…), rendered with Rate.
func (r VATRegime) MessageID() string { return fmt.Sprintf("LegalRegime%s", r) }

// ParseStructureKind reads a kind as people write it ("SCOP", "SAS ESUS", "Association loi
// 1901", "entreprise d'insertion"…). ok is false for anything else.
func ParseStructureKind(s string) (StructureKind, bool) {
	k := Slugify(s)
	switch {
	case k == "":
		return "", false
	case strings.HasPrefix(k, "association") || k == "asso":
		return "association", true
	case k == "sas-esus" || k == "esus" || k == "sasu-esus" || k == "sarl-esus":
		return "sas-esus", true
	case k == "entreprise-d-insertion" || k == "ei-insertion" || k == "ei-siae":
		return "ei-insertion", true
	case k == "atelier-chantier-d-insertion" || k == "chantier-d-insertion":
		return "aci", true
	case k == "entreprise-adaptee":
		return "ea", true
	case k == "entreprise-individuelle" || k == "micro-entreprise" || k == "auto-entrepreneur":
		return "ei", true
	case k == "autre":
		return "other", true
	}
	for _, known := range StructureKinds {
		if k == string(known) {
			return known, true
		}
	}
	return "", false
}

// LegalProfile is what a structure's documents need to name it and compute its taxes. The
// zero value is a profile nothing is known of.
type LegalProfile struct {
	// SIRET is the establishment's 14 digits, checked by CheckSIRET ("" while unknown).
	SIRET string `db:"siret" toml:"siret" env:"SIRET"`
	// LegalForm is the legal form as the structure writes it ("Association loi 1901", "SCOP
	// SARL"…), printed on documents.
	LegalForm string `db:"legal_form" toml:"legal_form" env:"LEGAL_FORM"`
	// Kind classifies the structure for the client's report ("" while unknown).
	Kind StructureKind `db:"kind" toml:"-"`
	// VATRegime and VATRateBP: the regime, and the rate in basis points (2000 = 20 %) when
	// liable (0 otherwise).
	VATRegime VATRegime `db:"vat_regime" toml:"vat_regime" env:"VAT_REGIME"`
	VATRateBP int       `db:"vat_rate_bp" toml:"vat_rate_bp" env:"VAT_RATE_BP"`
	// Address is the postal address, lines separated by "\n".
	Address string `db:"address" toml:"address" env:"ADDRESS"`
	// BillingEmail is where orders and payment notices go.
	BillingEmail string `db:"billing_email" toml:"billing_email" env:"BILLING_EMAIL"`
}

// SIREN returns the first nine digits of the SIRET, "" when it is unknown.
func (p LegalProfile) SIREN() string {
	if len(p.SIRET) != 14 {
		return ""
	}
	return p.SIRET[:9]
}

// Missing lists, by their column names (siret, legal_form, kind, vat_regime, address), what a
// purchase order or an invoice needs and the profile lacks; nil when nothing does. The billing
// e-mail is optional.
func (p LegalProfile) Missing() []string {
	var out []string
	if p.SIRET == "" {
		out = append(out, "siret")
	}
	if strings.TrimSpace(p.LegalForm) == "" {
		out = append(out, "legal_form")
	}
	if p.Kind == "" {
		out = append(out, "kind")
	}
	if p.VATRegime == VATUnset {
		out = append(out, "vat_regime")
	}
	if strings.TrimSpace(p.Address) == "" {
		out = append(out, "address")
	}
	return out
}

// VAT returns the VAT on net cents under the profile: net × rate, rounded half up to the cent
// (half away from zero for a negative net, a counter-entry), 0 unless liable. Documents compute
// it per line and add the lines (CGI annexe II art. 242 nonies A accepts per-line amounts).
func (p LegalProfile) VAT(net Cents) Cents {
	if p.VATRegime != VATLiable || p.VATRateBP == 0 {
		return 0
	}
	return VATOn(net, p.VATRateBP)
}

// VATOn returns net × rateBP / 10000 rounded half away from zero, to the cent.
func VATOn(net Cents, rateBP int) Cents {
	neg := net < 0
	if neg {
		net = -net
	}
	v := (net*Cents(rateBP) + 5000) / 10000
	if neg {
		return -v
	}
	return v
}

// CheckSIRET normalises s (spaces, dots and dashes removed) and checks it is a SIRET: 14
// digits whose Luhn sum is a multiple of 10, or, for La Poste's establishments (SIREN
// 356000000), whose digits add up to a multiple of 5 (its head office's SIRET passes the Luhn
// check too, and is accepted). It returns the 14 digits, or an EINVALID
// *Error (ErrSIRETLength, ErrSIRETDigits or ErrSIRETCheck) naming the value.
func CheckSIRET(s string) (string, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '.', '-', '\u00a0', '\u202f':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for _, r := range clean {
		if r < '0' || r > '9' {
			return "", Errorf(EINVALID, "ErrSIRETDigits", "Value", s)
		}
	}
	if len(clean) != 14 {
		return "", Errorf(EINVALID, "ErrSIRETLength", "Value", s, "Count", len(clean))
	}
	if strings.HasPrefix(clean, "356000000") {
		sum := 0
		for _, r := range clean {
			sum += int(r - '0')
		}
		if sum%5 == 0 || luhn(clean) {
			return clean, nil
		}
		return "", Errorf(EINVALID, "ErrSIRETCheck", "Value", s)
	}
	if !luhn(clean) {
		return "", Errorf(EINVALID, "ErrSIRETCheck", "Value", s)
	}
	return clean, nil
}

// luhn reports whether the digits' Luhn sum is a multiple of 10.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// ParseVATRate reads a VAT rate as people write it ("20", "20 %", "5,5", "5.5%") into basis
// points (2000, 550). It returns an EINVALID *Error ErrVATRate naming the value for anything
// that is not a number from 0 to 100 with at most two decimals.
func ParseVATRate(s string) (int, error) {
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	v = strings.ReplaceAll(v, ",", ".")
	v = strings.TrimSpace(v)
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || len(frac) > 2 {
		return 0, Errorf(EINVALID, "ErrVATRate", "Value", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.Atoi(whole + frac)
	if err != nil || n < 0 || n > 10000 || strings.HasPrefix(whole, "+") || strings.HasPrefix(whole, "-") {
		return 0, Errorf(EINVALID, "ErrVATRate", "Value", s)
	}
	return n, nil
}

// LegalMentions are the sentences documents print for each regime and for payment terms. The
// defaults (DefaultLegalMentions) cite the articles in force as checked in this file's
// sources; the configuration's [legal] section overrides each.
type LegalMentions struct {
	// ExemptAssociation is printed on a document of a VATExemptAssociation structure.
	ExemptAssociation string `toml:"exempt_association"`
	// Franchise is printed on a document of a VATFranchise structure.
	Franchise string `toml:"franchise"`
	// LatePayment is printed on purchase orders and invoices between professionals: the late
	// payment penalties and the fixed recovery indemnity (Code de commerce, articles L441-10
	// and D441-5: 40 €).
	LatePayment string `toml:"late_payment"`
}

// DefaultLegalMentions returns the mentions in force (see this file's sources).
func DefaultLegalMentions() LegalMentions {
	return LegalMentions{
		ExemptAssociation: "Exonération de TVA, article 261, 7-1° b du CGI",
		Franchise:         "TVA non applicable, article 293 B du CGI",
		LatePayment:       "En cas de retard de paiement : pénalités au taux d'intérêt de la BCE majoré de 10 points (article L441-10 du Code de commerce) et indemnité forfaitaire pour frais de recouvrement de 40 € (article D441-5 du Code de commerce).",
	}
}

// For returns the VAT mention a document of a structure under regime r prints, "" for a
// liable one (its VAT is shown instead).
func (m LegalMentions) For(r VATRegime) string {
	switch r {
	case VATExemptAssociation:
		return m.ExemptAssociation
	case VATFranchise:
		return m.Franchise
	}
	return ""
}

// Issuer is the network that coordinates and issues the client's documents (quote, purchase
// orders), from the configuration's [issuer] section.
type Issuer struct {
	Name string `toml:"name" env:"NAME"`
	// Profile holds its SIRET, legal form, VAT regime and address (Kind is unused).
	LegalProfile
	// Logo is the path of a PNG or JPEG printed at the top of documents ("" for none).
	Logo string `toml:"logo" env:"LOGO"`
	// PaymentDays is the client's payment term in days, for due dates (default 30).
	PaymentDays int `toml:"payment_days" env:"PAYMENT_DAYS"`
}
