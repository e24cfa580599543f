package commands

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/l10n"
)

// Every command a catalogue shows, in either language (help's examples, the commands quoted in
// messages), is one the parser reads: French messages name the French words, and those work.
func TestCommandsTheMessagesShowAreUnderstood(t *testing.T) {
	t.Parallel()
	cat := l10n.New()
	quoted := regexp.MustCompile("`(/guichet [^`{<]*)`")
	for _, locale := range l10n.Locales {
		for _, id := range cat.IDs(locale) {
			text := cat.T(locale, id, nil)
			var commands []string
			if strings.HasPrefix(id, "HelpExample") {
				commands = append(commands, text)
			}
			for _, m := range quoted.FindAllStringSubmatch(text, -1) {
				commands = append(commands, strings.TrimSpace(m[1]))
			}
			for _, c := range commands {
				words := strings.Fields(strings.TrimPrefix(c, "/guichet"))
				if len(words) == 0 {
					continue
				}
				// The first word, and a group's second word, are command words the parser knows.
				name, ok := verbs[fold(words[0])]
				require.True(t, ok, "%s %s shows %q, whose command word %q is unknown", locale, id, c, words[0])
				if subs, isGroup := groups[name]; isGroup && len(words) > 1 {
					_, ok := subs[fold(words[1])]
					require.True(t, ok, "%s %s shows %q, whose command word %q is unknown", locale, id, c, words[1])
				}
			}
		}
	}
}
