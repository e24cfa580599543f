package l10n_test

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/l10n"
)

// readCatalogues returns every message's templates (a plain message's one, or each plural
// form), by locale and id, as the catalogue files write them.
func readCatalogues(t *testing.T) map[string]map[string][]string {
	t.Helper()
	files, err := filepath.Glob("catalog/*.toml")
	require.NoError(t, err)
	out := map[string]map[string][]string{}
	for _, f := range files {
		parts := strings.Split(filepath.Base(f), ".")
		require.Len(t, parts, 3, "catalogue %s is named <area>.<locale>.toml", f)
		locale := parts[1]
		var raw map[string]any
		_, err := toml.DecodeFile(f, &raw)
		require.NoError(t, err, f)
		if out[locale] == nil {
			out[locale] = map[string][]string{}
		}
		for id, v := range raw {
			switch v := v.(type) {
			case string:
				out[locale][id] = append(out[locale][id], v)
			case map[string]any:
				var forms []string
				for _, form := range v {
					s, ok := form.(string)
					require.True(t, ok, "%s: %s has a non-text form", f, id)
					forms = append(forms, s)
				}
				sort.Strings(forms)
				out[locale][id] = append(out[locale][id], forms...)
			default:
				t.Fatalf("%s: %s is neither a text nor plural forms", f, id)
			}
		}
	}
	return out
}

var (
	templateAction = regexp.MustCompile(`\{\{.*?\}\}`)
	codeSpan       = regexp.MustCompile("`[^`]*`")
	webAddress     = regexp.MustCompile(`https?://\S+`)
	templateField  = regexp.MustCompile(`\.([A-Z][A-Za-z0-9]*)`)
	pluralCallID   = regexp.MustCompile(`plural\s+"([A-Za-z0-9]+)"`)
	slashCommand   = regexp.MustCompile(`/guichet ([\p{L}-]+)(?: ([\p{L}-]+))?`)
	// "(s)", "(es)", "(ies)"… right after a word: a plural written for the reader to choose.
	parenthesisPlural = regexp.MustCompile(`\p{L}\((?:s|es|x|ies|e|nt|ent)\)`)
)

// prose is what a person reads of a template as text: template actions, code spans and web
// addresses become a neutral letter, which keeps the characters around them in place.
func prose(s string) string {
	s = templateAction.ReplaceAllString(s, "X")
	s = codeSpan.ReplaceAllString(s, "X")
	return webAddress.ReplaceAllString(s, "X")
}

// isCommandSyntax reports whether id is help's syntax or example of a command, written as
// typed rather than as prose.
func isCommandSyntax(id string) bool {
	return strings.HasPrefix(id, "HelpUsage") || strings.HasPrefix(id, "HelpExample")
}

// English command words that have a French alias: a French message names the French one.
var englishFirstWords = map[string]bool{
	"event": true, "supplier": true, "suppliers": true, "publish": true, "status": true, "board": true,
	"remind": true, "reminder": true, "recap": true, "paid": true, "pay": true, "payment": true,
	"award": true, "decline": true, "claim": true, "release": true, "withdraw": true, "mylots": true,
	"my-lots": true, "history": true, "coordinator": true, "cancel": true, "help": true,
}
var englishSecondWords = map[string]bool{
	"create": true, "new": true, "list": true, "show": true, "add": true, "import": true, "bind": true,
	"remove": true, "cancel": true,
}

func TestCataloguesReadAsWrittenByHand(t *testing.T) {
	t.Parallel()
	cat := readCatalogues(t)
	require.NotEmpty(t, cat["fr"])
	for _, locale := range l10n.Locales {
		for id, forms := range cat[locale] {
			for _, s := range forms {
				require.False(t, parenthesisPlural.MatchString(s), "%s %s writes a plural in parentheses (use plural forms): %s", locale, id, s)
				for _, m := range pluralCallID.FindAllStringSubmatch(s, -1) {
					for _, other := range l10n.Locales {
						require.Contains(t, cat[other], m[1], "%s %s counts with %s, missing in %s", locale, id, m[1], other)
					}
				}
			}
		}
	}
	for id, forms := range cat["en"] {
		for _, s := range forms {
			require.NotContains(t, s, "\u202f", "en %s: narrow no-break spaces are French typography", id)
		}
	}
	for id, forms := range cat["fr"] {
		for _, s := range forms {
			for _, m := range slashCommand.FindAllStringSubmatch(s, -1) {
				require.False(t, englishFirstWords[m[1]], "fr %s names the English command %q: %s", id, m[0], s)
				require.False(t, m[2] != "" && englishSecondWords[m[2]], "fr %s names the English command %q: %s", id, m[0], s)
			}
			if strings.HasPrefix(id, "HelpUsage") {
				words := strings.Fields(s)
				require.False(t, englishFirstWords[words[0]], "fr %s begins with an English command word: %s", id, s)
				require.False(t, len(words) > 1 && englishSecondWords[words[1]], "fr %s names an English command word: %s", id, s)
			}
			if isCommandSyntax(id) {
				continue
			}
			text := []rune(prose(s))
			for i, r := range text {
				switch r {
				case ':', ';', '?', '!', '»':
					if i == 0 {
						continue
					}
					before := text[i-1]
					require.False(t, before == ' ' || before == '\u00a0', "fr %s: a space other than U+202F before %q in %q", id, r, s)
					after := ' '
					if i+1 < len(text) {
						after = text[i+1]
					}
					// "12:00" and "~canal:x" are not punctuation; a colon ending a phrase is.
					if r != '»' && (after == ' ' || after == '\n' || i+1 == len(text)) {
						require.Equal(t, '\u202f', before, "fr %s: no U+202F before %q in %q", id, r, s)
					}
					if r == '»' {
						require.Equal(t, '\u202f', before, "fr %s: no U+202F before » in %q", id, s)
					}
				case '«':
					require.True(t, i+1 < len(text) && text[i+1] == '\u202f', "fr %s: no U+202F after « in %q", id, s)
				}
			}
		}
	}
}

// Both languages say the same things: every id in both, with the same template fields.
func TestCataloguesTakeTheSameFields(t *testing.T) {
	t.Parallel()
	cat := readCatalogues(t)
	fields := func(forms []string) []string {
		set := map[string]bool{}
		for _, s := range forms {
			for _, action := range templateAction.FindAllString(s, -1) {
				for _, m := range templateField.FindAllStringSubmatch(action, -1) {
					set[m[1]] = true
				}
			}
		}
		var out []string
		for f := range set {
			out = append(out, f)
		}
		sort.Strings(out)
		return out
	}
	for id, fr := range cat["fr"] {
		en, ok := cat["en"][id]
		require.True(t, ok, "%s is in French but not in English", id)
		require.Equal(t, fields(fr), fields(en), "%s takes different fields in French and English", id)
	}
	for id := range cat["en"] {
		require.Contains(t, cat["fr"], id, "%s is in English but not in French", id)
	}
}

// Counted phrases follow go-i18n's plural rules: in French 0 and 1 are singular, in English 1
// alone; a sentence may count several things.
func TestPluralForms(t *testing.T) {
	t.Parallel()
	c := l10n.New()
	summary := func(locale string, n int) string {
		return c.T(locale, "BoardSummary", map[string]any{"Lots": n, "Filled": n, "Open": n, "Closed": n, "Cancelled": n, "Awarded": "A", "Budget": "B"})
	}
	require.Equal(t, "**0 lot**\u202f: 0 attribué, 0 ouvert, 0 clos, 0 annulé. Budget attribué\u202f: **A** sur B.", summary("fr", 0))
	require.Contains(t, summary("fr", 1), "**1 lot**\u202f: 1 attribué, 1 ouvert, 1 clos, 1 annulé.")
	require.Contains(t, summary("fr", 2), "**2 lots**\u202f: 2 attribués, 2 ouverts, 2 clos, 2 annulés.")
	require.Contains(t, summary("en", 0), "**0 lots**: 0 awarded")
	require.Contains(t, summary("en", 1), "**1 lot**: 1 awarded")
	require.Contains(t, summary("en", 2), "**2 lots**: 2 awarded")
	pending := func(locale string, n int) string {
		return c.T(locale, "BoardPending", map[string]any{"Number": n})
	}
	require.Equal(t, "1 candidature en attente", pending("fr", 1))
	require.Equal(t, "3 candidatures en attente", pending("fr", 3))
	require.Equal(t, "1 candidacy waiting", pending("en", 1))
	require.Equal(t, "3 candidacies waiting", pending("en", 3))
}
