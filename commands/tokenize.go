package commands

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"guichet.dev/guichet"
)

// token is one word of a command: a positional argument, or an option key=value.
type token struct {
	// key is the option's name, lower-cased and without accents; "" for a positional argument.
	key   string
	value string
}

// closingQuote maps each opening quote to the quote that closes it: straight double quotes,
// French guillemets and English curly quotes (some keyboards type ” on both sides).
var closingQuote = map[rune]rune{
	'"': '"',
	'«': '»',
	'“': '”',
	'”': '”',
}

// tokenize splits text into words. Whitespace separates words except inside quotes ("…",
// «…», “…”); a quote may start anywhere in a word (key="a b"). Inside guillemets, the spaces
// French typography puts next to them are dropped. A word whose first = comes before any
// quote and follows a name (letters, digits, dashes, underscores) is an option. The single
// quote is an apostrophe, never a quote: "L'Équipage" is one word.
func tokenize(text string) ([]token, error) {
	var out []token
	var b strings.Builder
	inWord := false
	keyEnd := -1   // byte length of b when the word's first = was seen outside quotes
	quotedAt := -1 // byte length of b when the first quote was opened
	runes := []rune(text)
	flush := func() {
		if !inWord {
			return
		}
		w := b.String()
		t := token{value: w}
		if keyEnd > 0 && (quotedAt < 0 || keyEnd <= quotedAt) {
			if k := optionKey(w[:keyEnd]); k != "" {
				t = token{key: k, value: w[keyEnd+1:]}
			}
		}
		out = append(out, t)
		b.Reset()
		inWord, keyEnd, quotedAt = false, -1, -1
	}
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		if close, ok := closingQuote[r]; ok {
			end := -1
			for j := i + 1; j < len(runes); j++ {
				if runes[j] == close {
					end = j
					break
				}
			}
			if end < 0 {
				return nil, guichet.Errorf(guichet.EINVALID, "CmdUnclosedQuote", "Quote", string(r), "Close", string(close))
			}
			inner := string(runes[i+1 : end])
			if r == '«' {
				inner = strings.TrimFunc(inner, unicode.IsSpace)
			}
			if quotedAt < 0 {
				quotedAt = b.Len()
			}
			b.WriteString(inner)
			inWord = true
			i = end
			continue
		}
		if unicode.IsSpace(r) {
			flush()
			continue
		}
		if r == '=' && keyEnd < 0 && quotedAt < 0 {
			keyEnd = b.Len()
		}
		b.WriteRune(r)
		inWord = true
	}
	flush()
	return out, nil
}

// optionKey returns the option name written s, lower-cased and without accents, or "" if s
// is not a name.
func optionKey(s string) string {
	s = fold(s)
	if s == "" {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return s
}

// fold lower-cases s and removes its accents, so that "Événement" matches "evenement".
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, strings.ToLower(s))
	if err != nil {
		return strings.ToLower(s)
	}
	return out
}
