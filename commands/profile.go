package commands

import (
	"net/mail"
	"strings"

	"guichet.dev/guichet"
)

// A structure's legal profile is written in three places — the structures CSV, `supplier edit`
// and its dialog — and read the same way in all three: profileFields names the fields, and
// applyProfile checks and applies them.

// profileField is a field of the legal profile: its canonical name (the CSV column, the
// dialog element, the name guichet.LegalProfile.Missing uses) and the ways people write its
// key or header (normalised: lower-case letters and digits).
type profileField struct {
	name    string
	aliases []string
	max     int
}

var profileFields = []profileField{
	{name: "siret", aliases: []string{"siret"}},
	{name: "legal_form", aliases: []string{"legalform", "forme", "formejuridique", "form"}, max: 100},
	{name: "kind", aliases: []string{"kind", "type"}},
	{name: "vat_regime", aliases: []string{"vatregime", "tva", "regimetva", "vat", "regime"}},
	{name: "vat_rate", aliases: []string{"vatrate", "taux", "tauxtva", "rate"}},
	{name: "address", aliases: []string{"address", "adresse"}, max: 300},
	{name: "billing_email", aliases: []string{"billingemail", "email", "emailfacturation", "courriel", "mail"}, max: 254},
}

// profileValue is a field given a value ("" clears it).
type profileValue struct {
	name, value string
}

// applyProfile checks values and applies them to p, in the order of profileFields, then makes
// the regime and the rate agree: a rate makes the structure liable unless a regime without VAT
// is given with it (an error when the rate is not 0); a regime without VAT sets the rate to 0;
// a liable structure without a rate gets the standard rate, 20 % (CGI art. 278). On error it
// returns the field at fault and leaves p as it may be: callers apply to a copy.
func applyProfile(p *guichet.LegalProfile, values []profileValue) (string, error) {
	given := map[string]string{}
	for _, v := range values {
		given[v.name] = strings.TrimSpace(v.value)
	}
	for _, f := range profileFields {
		v, ok := given[f.name]
		if !ok {
			continue
		}
		if f.max > 0 && len(v) > f.max {
			return f.name, guichet.Errorf(guichet.EINVALID, "ErrTooLong", "Field", f.name, "Max", f.max)
		}
		switch f.name {
		case "siret":
			p.SIRET = ""
			if v != "" {
				siret, err := guichet.CheckSIRET(v)
				if err != nil {
					return f.name, err
				}
				p.SIRET = siret
			}
		case "legal_form":
			p.LegalForm = v
		case "kind":
			p.Kind = ""
			if v != "" {
				k, ok := guichet.ParseStructureKind(v)
				if !ok {
					return f.name, guichet.Errorf(guichet.EINVALID, "ErrQuoteKind", "Value", v, "Kinds", kindList())
				}
				p.Kind = k
			}
		case "vat_regime":
			p.VATRegime = guichet.VATUnset
			if v != "" {
				r, ok := guichet.ParseVATRegime(v)
				if !ok {
					return f.name, guichet.Errorf(guichet.EINVALID, "ErrQuoteVATRegime", "Value", v)
				}
				p.VATRegime = r
			}
		case "vat_rate":
			p.VATRateBP = 0
			if v != "" {
				bp, err := guichet.ParseVATRate(v)
				if err != nil {
					return f.name, err
				}
				p.VATRateBP = bp
			}
		case "address":
			p.Address = v
		case "billing_email":
			p.BillingEmail = ""
			if v != "" {
				a, err := mail.ParseAddress(v)
				if err != nil || a.Address != v || a.Name != "" {
					return f.name, guichet.Errorf(guichet.EINVALID, "ErrQuoteEmail", "Value", v)
				}
				p.BillingEmail = v
			}
		}
	}
	rate, rateGiven := given["vat_rate"]
	regime, regimeGiven := given["vat_regime"]
	rateGiven = rateGiven && rate != ""
	switch {
	case rateGiven && regimeGiven && regime != "" && p.VATRegime != guichet.VATLiable && p.VATRateBP != 0:
		return "vat_rate", guichet.Errorf(guichet.EINVALID, "ErrQuoteRateNotLiable", "Rate", rate, "Regime", regime)
	case rateGiven && p.VATRegime != guichet.VATLiable && (!regimeGiven || regime == "") && p.VATRateBP != 0:
		p.VATRegime = guichet.VATLiable
	case p.VATRegime != guichet.VATLiable:
		p.VATRateBP = 0
	case p.VATRateBP == 0 && !rateGiven:
		p.VATRateBP = 2000
	}
	return "", nil
}

// kindList writes the kinds' codes for an error message: "association, scop, …".
func kindList() string {
	out := make([]string, len(guichet.StructureKinds))
	for i, k := range guichet.StructureKinds {
		out[i] = string(k)
	}
	return strings.Join(out, ", ")
}

// profileFieldByKey returns the canonical name of the field a key (normalised) names.
func profileFieldByKey(key string) (string, bool) {
	key = normHeader(key)
	for _, f := range profileFields {
		for _, a := range f.aliases {
			if a == key {
				return f.name, true
			}
		}
	}
	return "", false
}
