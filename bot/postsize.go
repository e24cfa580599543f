package bot

import (
	"strings"
	"unicode/utf8"
)

// maxPostRunes is the longest message Mattermost accepts in a post (16,383 characters on
// PostgreSQL since 5.x); a longer one is refused with 400 "Invalid message".
const maxPostRunes = 16383

// fitLines keeps the first lines of section that fit, with the line more(n) saying how many
// were left out, within budget characters. The first line (a header) is always kept.
func fitLines(section string, budget int, more func(n int) string) string {
	if utf8.RuneCountInString(section) <= budget {
		return section
	}
	lines := strings.Split(section, "\n")
	kept := lines[:1]
	used := utf8.RuneCountInString(lines[0])
	for i, line := range lines[1:] {
		tail := more(len(lines) - 1 - i)
		if used+1+utf8.RuneCountInString(line)+1+utf8.RuneCountInString(tail) > budget {
			return strings.Join(append(kept, tail), "\n")
		}
		kept = append(kept, line)
		used += 1 + utf8.RuneCountInString(line)
	}
	return strings.Join(kept, "\n")
}
