// Package l10n holds the message catalogues (French first, English) and writes dates and money
// the way people read them. Catalogues are TOML files in catalog/, one pair per area
// (<area>.fr.toml and <area>.en.toml), embedded in the binary; message ids are CamelCase and
// begin with one of Prefixes.
package l10n

import (
	"embed"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"sort"
	"strings"
	"text/template"

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
var Prefixes = []string{"Err", "Notice", "Msg", "Help", "Board", "Offer", "Reminder", "Recap", "Dialog", "Btn", "Cmd", "Report", "Legal", "Doc"}

// Catalog renders messages from the embedded catalogues. It is safe for concurrent use.
//
// A message counts things in one of two ways, both through go-i18n's plural rules (in French,
// 0 and 1 take the singular; in English, 1 alone): a message with plural forms (one, other)
// rendered with a Count argument; or a template calling {{plural "MsgCountLots" .Lots}}, which
// renders that message, with its plural forms, in the same language with .Lots as its Count
// (so that one sentence can count several things).
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	ids        map[string]map[string]bool
	// counting holds the ids whose templates call plural, which alone are given the function:
	// templates with functions are parsed at each rendering, the others once.
	counting map[string]bool
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
	c := &Catalog{bundle: b, localizers: map[string]*i18n.Localizer{}, ids: map[string]map[string]bool{}, counting: map[string]bool{}}
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
			for _, form := range []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other} {
				if pluralCall.MatchString(form) {
					c.counting[m.ID] = true
				}
			}
		}
	}
	for _, l := range Locales {
		c.localizers[l] = i18n.NewLocalizer(b, l)
	}
	return c, nil
}

// pluralCall finds a call of the plural template function.
var pluralCall = regexp.MustCompile(`\{\{-?\s*plural\s`)

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
//
// A guichet.Cents argument is written as Money writes it in locale. A Count argument picks the
// message's plural form; {{plural "Id" .N}} in a template renders
// message Id in locale with N as its Count.
func (c *Catalog) T(locale, id string, args map[string]any) string {
	locale = Locale(locale)
	lz := c.localizers[locale]
	var count any
	if n, ok := args["Count"]; ok {
		count = wholeNumber(n)
	}
	if hasCents(args) {
		// Amounts given as guichet.Cents are written the way the locale's readers write them.
		written := make(map[string]any, len(args))
		for k, v := range args {
			if c, ok := v.(guichet.Cents); ok {
				v = Money(c, locale)
			}
			written[k] = v
		}
		args = written
	}
	var funcs template.FuncMap
	if c.counting[id] {
		funcs = template.FuncMap{"plural": func(countedID string, n any) string {
			return c.T(locale, countedID, map[string]any{"Count": wholeNumber(n)})
		}}
	}
	s, err := lz.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: args, PluralCount: count, Funcs: funcs})
	if err != nil && count != nil {
		// A message without plural forms, given a Count: render its single form.
		s, err = lz.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: args, Funcs: funcs})
	}
	if err != nil || s == "" {
		return "[" + id + "]"
	}
	return s
}

// wholeNumber turns a whole float64 (a count read back from JSON, as outbox messages' arguments
// are) into an int64, which go-i18n's plural rules take as the integer it is.
func wholeNumber(n any) any {
	if f, ok := n.(float64); ok && f == math.Trunc(f) {
		return int64(f)
	}
	return n
}

// hasCents reports whether an argument is an amount.
func hasCents(args map[string]any) bool {
	for _, v := range args {
		if _, ok := v.(guichet.Cents); ok {
			return true
		}
	}
	return false
}

// Error renders err for a person: the catalogue message of a *guichet.Error, the generic
// "ErrInternal" message for anything else (whose cause the caller logs).
func (c *Catalog) Error(locale string, err error) string {
	if e := guichet.AsError(err); e != nil {
		return c.T(locale, e.MessageID, e.Args)
	}
	return c.T(locale, "ErrInternal", nil)
}
