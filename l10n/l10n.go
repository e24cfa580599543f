// Package l10n holds the message catalogues (French first, English) and writes dates and money
// the way people read them. Catalogues are TOML files in catalog/, one pair per area
// (<area>.fr.toml and <area>.en.toml), embedded in the binary; message ids are CamelCase and
// begin with one of Prefixes.
package l10n

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"guichet.dev/guichet"
)

//go:embed catalog/*.toml
var catalogFS embed.FS

// Locales are the supported languages, the default first.
var Locales = []string{"fr", "en"}

// Prefixes are the beginnings of every message id, so that tests can find ids in code.
var Prefixes = []string{"Err", "Notice", "Msg", "Help", "Board", "Offer", "Reminder", "Recap", "Dialog", "Btn", "Cmd", "Report"}

// Catalog renders messages from the embedded catalogues. It is safe for concurrent use.
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	ids        map[string]map[string]bool
}

// New loads the embedded catalogues. It panics if they do not parse: they are part of the
// binary, and tests load them.
func New() *Catalog {
	c, err := load(catalogFS)
	if err != nil {
		panic(err)
	}
	return c
}

func load(fsys fs.FS) (*Catalog, error) {
	b := i18n.NewBundle(language.French)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, localizers: map[string]*i18n.Localizer{}, ids: map[string]map[string]bool{}}
	files, err := fs.Glob(fsys, "catalog/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(data, f)
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", f, err)
		}
		loc := mf.Tag.String()
		if c.ids[loc] == nil {
			c.ids[loc] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			if c.ids[loc][m.ID] {
				return nil, fmt.Errorf("catalogue %s: message %s defined twice", f, m.ID)
			}
			c.ids[loc][m.ID] = true
		}
	}
	for _, l := range Locales {
		c.localizers[l] = i18n.NewLocalizer(b, l)
	}
	return c, nil
}

// IDs returns the message ids of a locale, sorted.
func (c *Catalog) IDs(locale string) []string {
	var out []string
	for id := range c.ids[locale] {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the locale's catalogue has the message.
func (c *Catalog) Has(locale, id string) bool { return c.ids[locale][id] }

// Locale returns locale if supported, the default ("fr") otherwise.
func Locale(locale string) string {
	locale = strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(locale, "-_"); i > 0 {
		locale = locale[:i]
	}
	for _, l := range Locales {
		if l == locale {
			return l
		}
	}
	return Locales[0]
}

// T renders message id in locale with args (a template's fields, e.g. {{.Code}}). A missing
// message renders as its id between brackets, which the catalogue tests forbid.
func (c *Catalog) T(locale, id string, args map[string]any) string {
	lz := c.localizers[Locale(locale)]
	var count any
	if n, ok := args["Count"]; ok {
		count = n
	}
	s, err := lz.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: args, PluralCount: count})
	if err != nil && count != nil {
		// A message without plural forms, given a Count: render its single form.
		s, err = lz.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: args})
	}
	if err != nil || s == "" {
		return "[" + id + "]"
	}
	return s
}

// Error renders err for a person: the catalogue message of a *guichet.Error, the generic
// "ErrInternal" message for anything else (whose cause the caller logs).
func (c *Catalog) Error(locale string, err error) string {
	if e := guichet.AsError(err); e != nil {
		return c.T(locale, e.MessageID, e.Args)
	}
	return c.T(locale, "ErrInternal", nil)
}
