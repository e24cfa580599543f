package commands

import (
	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Message renders err for a person in locale. A *guichet.Error is rendered from the catalogue,
// and so are its arguments that are themselves errors or message ids (a CSV error names the
// row and column and carries the problem found there); anything else renders as the generic
// internal-error message, whose cause the caller logs.
func Message(cat *l10n.Catalog, locale string, err error) string {
	e := guichet.AsError(err)
	if e == nil {
		return cat.Error(locale, err)
	}
	return cat.T(locale, e.MessageID, renderArgs(cat, locale, e.Args))
}

// renderArgs returns args with message ids and errors rendered in locale.
func renderArgs(cat *l10n.Catalog, locale string, args map[string]any) map[string]any {
	if len(args) == 0 {
		return args
	}
	out := make(map[string]any, len(args))
	for k, v := range args {
		switch v := v.(type) {
		case msg:
			out[k] = cat.T(locale, string(v), nil)
		case error:
			out[k] = Message(cat, locale, v)
		default:
			out[k] = v
		}
	}
	return out
}
