package demo

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet/l10n"
)

// transcript writes, phase by phase, what each person did (commands, clicks, dialogs, with
// the private answers they got) and what each person then read in their channels and direct
// messages: posts that appeared during the phase, and earlier posts whose text changed (an
// offer taken, a board updated), each marked as such. Headings come from the catalogue in the
// demo's language; the posts are as Mattermost returns them.
type transcript struct {
	cat    *l10n.Catalog
	locale string
	zone   *time.Location
	// clock gives the bot's simulated time of a real instant.
	clock *simClock
	// names maps user ids to usernames.
	names map[string]string
	// seen holds the text of each post as last written into the transcript.
	seen map[string]string

	w       io.Writer // everything, as it is written
	phase   int
	actions []string
	// read counts the posts and private answers written into the transcript; unrendered, the
	// message ids found in them in brackets, as the catalogue renders a message it misses or
	// cannot render.
	read       int
	unrendered map[string]int
}

// unrenderedID matches a message id in brackets: the catalogue's rendering of a message that
// is missing or whose template failed (l10n.Catalog.T).
var unrenderedID = regexp.MustCompile(`\[((?:` + strings.Join(l10n.Prefixes, "|") + `)[A-Z][A-Za-z0-9]*)\]`)

// note counts text as read and remembers the message ids it holds unrendered.
func (t *transcript) note(text string) {
	t.read++
	for _, m := range unrenderedID.FindAllStringSubmatch(text, -1) {
		t.unrendered[m[1]]++
	}
}

func newTranscript(cat *l10n.Catalog, locale string, zone *time.Location, clock *simClock, w io.Writer) *transcript {
	return &transcript{cat: cat, locale: locale, zone: zone, clock: clock, names: map[string]string{}, seen: map[string]string{}, w: w,
		unrendered: map[string]int{}}
}

func (t *transcript) tr(id string, kv ...any) string {
	args := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i].(string)] = kv[i+1]
	}
	return t.cat.T(t.locale, id, args)
}

func (t *transcript) printf(format string, args ...any) {
	fmt.Fprintf(t.w, format, args...)
}

// title writes the transcript's heading.
func (t *transcript) title(event, day, venue, client string) {
	head := t.tr("CmdDemoTitle", "Event", event, "Day", day, "Venue", venue, "Client", client)
	t.printf("%s\n%s\n%s\n", head, strings.Repeat("=", len([]rune(head))), t.tr("CmdDemoIntro"))
}

// beginPhase starts a phase; its actions are collected until endPhase.
func (t *transcript) beginPhase(titleID string, at time.Time) {
	t.phase++
	t.actions = nil
	head := t.tr("CmdDemoPhase", "N", t.phase, "Title", t.tr(titleID), "At", l10n.DateTime(at, t.zone, t.locale))
	t.printf("\n\n%s\n%s\n", head, strings.Repeat("-", len([]rune(head))))
}

// action records what someone did, where, and the private answers they got.
func (t *transcript) action(realAt time.Time, who, where, what string, answers ...string) {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s  @%s, %s%s%s", t.clockAt(realAt), who, where, t.tr("CmdDemoColon"), what)
	for _, a := range answers {
		if strings.TrimSpace(a) == "" {
			continue
		}
		t.note(a)
		b.WriteString("\n" + indent(a, "           ↳ ", "             "))
	}
	t.actions = append(t.actions, b.String())
}

// view is one place a person reads: a channel or their direct messages with the bot.
type view struct {
	heading string
	posts   []*model.Post
}

// endPhase writes the phase's actions, then, for each view, the posts new or changed since
// the last phase.
func (t *transcript) endPhase(views []view) {
	t.printf("\n%s\n", t.tr("CmdDemoDone"))
	if len(t.actions) == 0 {
		t.printf("  %s\n", t.tr("CmdDemoNoAction"))
	}
	for _, a := range t.actions {
		t.printf("%s\n", a)
	}
	t.printf("\n%s\n", t.tr("CmdDemoSeen"))
	shown := 0
	for _, v := range views {
		var lines []string
		for _, p := range v.posts {
			text := t.postText(p)
			t.note(text)
			old, known := t.seen[p.Id]
			if known && old == text {
				continue
			}
			t.seen[p.Id] = text
			mark, at := "", p.CreateAt
			if known {
				mark, at = t.tr("CmdDemoChanged")+" ", p.UpdateAt
			}
			lines = append(lines, fmt.Sprintf("    %s  %s@%s%s%s", t.clockAt(time.UnixMilli(at)), mark, t.author(p.UserId), t.tr("CmdDemoColon"),
				indent(text, "", "             ")))
		}
		if len(lines) == 0 {
			continue
		}
		shown++
		t.printf("  %s\n%s\n", v.heading, strings.Join(lines, "\n"))
	}
	if shown == 0 {
		t.printf("  %s\n", t.tr("CmdDemoNothingNew"))
	}
}

// skip marks the posts of the views as already shown: what was there before the story
// began (people joining channels).
func (t *transcript) skip(views []view) {
	for _, v := range views {
		for _, p := range v.posts {
			t.seen[p.Id] = t.postText(p)
		}
	}
}

// clockAt writes the simulated time of a real instant, as people of the locale write it.
func (t *transcript) clockAt(realAt time.Time) string {
	return l10n.Clock(t.clock.sim(realAt), t.zone, t.locale)
}

func (t *transcript) author(userID string) string {
	if n, ok := t.names[userID]; ok {
		return n
	}
	return userID
}

// postText flattens what a person reads in a post: its message, then each attachment's
// pretext, title, text, its fields on one line and its buttons in brackets, and the names of
// attached files.
func (t *transcript) postText(p *model.Post) string {
	var parts []string
	if m := strings.TrimSpace(p.Message); m != "" {
		parts = append(parts, m)
	}
	for _, a := range p.Attachments() {
		for _, s := range []string{a.Pretext, a.Title, a.Text} {
			if s = strings.TrimSpace(s); s != "" {
				parts = append(parts, "▸ "+s)
			}
		}
		var fields []string
		for _, f := range a.Fields {
			v := strings.ReplaceAll(strings.TrimSpace(fmt.Sprint(f.Value)), "\n", ", ")
			if v != "" {
				fields = append(fields, f.Title+t.tr("CmdDemoColon")+v)
			}
		}
		if len(fields) > 0 {
			parts = append(parts, "  "+strings.Join(fields, " · "))
		}
		var buttons []string
		for _, act := range a.Actions {
			buttons = append(buttons, "["+act.Name+"]")
		}
		if len(buttons) > 0 {
			parts = append(parts, "  "+strings.Join(buttons, " "))
		}
	}
	if p.Metadata != nil && len(p.Metadata.Files) > 0 {
		var names []string
		for _, f := range p.Metadata.Files {
			names = append(names, f.Name)
		}
		sort.Strings(names)
		parts = append(parts, "📎 "+t.tr("CmdDemoFiles", "Files", strings.Join(names, ", ")))
	}
	return strings.Join(parts, "\n")
}

// indent puts first before the first line of s and rest before the others.
func indent(s, first, rest string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = rest + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// simClock maps real instants to the bot's simulated clock: each restart of the bot with a
// new GUICHET_CLOCK_OFFSET starts a period with that offset.
type simClock struct {
	periods []clockPeriod
}

type clockPeriod struct {
	from   time.Time
	offset time.Duration
}

// set starts a period with offset from now on.
func (c *simClock) set(offset time.Duration) {
	c.periods = append(c.periods, clockPeriod{from: time.Now(), offset: offset})
}

// offset returns the current offset.
func (c *simClock) offset() time.Duration {
	if len(c.periods) == 0 {
		return 0
	}
	return c.periods[len(c.periods)-1].offset
}

// now returns the simulated time now.
func (c *simClock) now() time.Time { return c.sim(time.Now()) }

// sim returns the simulated time of a real instant: the instant plus the offset of the period
// it falls in.
func (c *simClock) sim(real time.Time) time.Time {
	var off time.Duration
	for _, p := range c.periods {
		if real.Before(p.from) {
			break
		}
		off = p.offset
	}
	if len(c.periods) > 0 && real.Before(c.periods[0].from) {
		off = c.periods[0].offset
	}
	return real.Add(off)
}
