package bot

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/shared/markdown"
)

// zeroWidthSpace is the invisible character the bot puts into a text to break a mention or a
// Markdown construct: Mattermost splits words on it (it is neither a letter nor a digit) and
// Markdown gives it no meaning, so the text reads the same.
const zeroWidthSpace = "\u200b"

// channelWide are the words Mattermost reads as notifying a whole channel, in lower case.
var channelWide = map[string]bool{"@channel": true, "@all": true, "@here": true}

// defuseMentions puts a zero-width space right after the "@" of every channel-wide mention in
// s (@channel, @all, @here, in any case), so that Mattermost notifies nobody; the text reads
// the same. It finds them as Mattermost 6.7.2 does (app/notification.go, getExplicitMentions
// and processText), on the text a Markdown reader sees:
//
//   - character references and backslash escapes are decoded first ("&#64;all" and "\@all"
//     are "@all" to Mattermost), and the space goes after the reference or escape of the "@";
//   - words are split on every character but letters, digits and ". - _ : @";
//   - a word's leading ". - _ :" are dropped, and so are its trailing ones ("@all_", "@here.",
//     "@channel:-" page the channel);
//   - a word not starting with "@" that holds ". - :" is split again on them ("fin.@all"
//     pages, "anne@all.fr" does not).
//
// It differs from Mattermost only by defusing more: in code spans and link destinations
// (which Mattermost does not scan) and in words between colons (":@all:", which Mattermost
// skips as an emoji), where an invisible space does no harm. Words Mattermost does not read
// as channel-wide ("@alliance", "@channel_team", "@all-x", "x@all", "anne@all.fr") are left
// alone, so that mentions of people named so still work. Applied twice, it changes nothing
// the second time.
func defuseMentions(s string) string {
	if !strings.ContainsAny(s, "@&") {
		return s
	}
	// Each round defuses every "@" that pages; a defused "@" is followed by the space and pages
	// no more, and no round adds an "@", so the rounds end. A second round is needed only when
	// a word paged only once another was split.
	for {
		at := pagingAts(s)
		if len(at) == 0 {
			return s
		}
		var b strings.Builder
		b.Grow(len(s) + len(at)*len(zeroWidthSpace))
		last := 0
		for _, i := range at {
			b.WriteString(s[last:i])
			b.WriteString(zeroWidthSpace)
			last = i
		}
		b.WriteString(s[last:])
		s = b.String()
	}
}

// pagingAts returns, in increasing order and without repeats, the byte offsets in s just
// after the "@" (or the reference or escape written for it) of every channel-wide mention.
func pagingAts(s string) []int {
	text, ends := markdownText(s)
	seen := map[int]bool{}
	page := func(at int) {
		// text[at] is the "@"; ends[at] is where its writing ends in s.
		seen[ends[at]] = true
	}
	for _, w := range mentionWords(text) {
		word := strings.TrimLeft(text[w.start:w.end], ":.-_")
		start := w.end - len(word)
		if channelWide[strings.ToLower(strings.TrimRight(word, ".-:_"))] {
			page(start)
			continue
		}
		if strings.HasPrefix(word, "@") || !strings.ContainsAny(word, ".-:") {
			continue
		}
		// Mattermost splits such a word again on the characters that may end a sentence.
		for _, part := range splitKeepingOffsets(word, start, func(r rune) bool { return r == '.' || r == '-' || r == ':' }) {
			if channelWide[strings.ToLower(text[part.start:part.end])] {
				page(part.start)
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// markdownText returns the text a Markdown reader makes of s, with character references
// ("&#64;", "&commat;") and backslash escapes ("\@") decoded as Mattermost decodes them, and,
// for each of its bytes, the offset in s where the writing of that byte's character ends.
func markdownText(s string) (string, []int) {
	if !strings.ContainsAny(s, `&\`) {
		ends := make([]int, len(s))
		for i := range ends {
			ends[i] = i + 1
		}
		return s, ends
	}
	var b strings.Builder
	ends := make([]int, 0, len(s))
	emit := func(piece string, end int) {
		b.WriteString(piece)
		for range len(piece) {
			ends = append(ends, end)
		}
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && isEscapable(s[i+1]) {
				emit(s[i+1:i+2], i+2)
				i += 2
				continue
			}
		case '&':
			if semi := strings.IndexByte(s[i+1:], ';'); semi >= 0 {
				if ref := markdown.CharacterReference(s[i+1 : i+1+semi]); ref != "" {
					emit(ref, i+2+semi)
					i += 2 + semi
					continue
				}
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		emit(s[i:i+size], i+size)
		i += size
	}
	return b.String(), ends
}

// isEscapable reports whether a backslash before c escapes it in Markdown: ASCII punctuation.
func isEscapable(c byte) bool {
	return c > ' ' && c <= '~' && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z')
}

// span is a part of a text, by byte offsets.
type span struct{ start, end int }

// mentionWords splits text into words as Mattermost does before looking for mentions: on
// every character but letters, digits and ". - _ : @".
func mentionWords(text string) []span {
	return splitKeepingOffsets(text, 0, func(r rune) bool {
		return !(r == ':' || r == '.' || r == '-' || r == '_' || r == '@' || unicode.IsLetter(r) || unicode.IsNumber(r))
	})
}

// splitKeepingOffsets is strings.FieldsFunc(s, sep) giving each field's offsets, shifted by
// base.
func splitKeepingOffsets(s string, base int, sep func(rune) bool) []span {
	var out []span
	start := -1
	for i, r := range s {
		switch {
		case sep(r) && start >= 0:
			out = append(out, span{base + start, base + i})
			start = -1
		case !sep(r) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, span{base + start, base + len(s)})
	}
	return out
}
