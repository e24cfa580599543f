// Package demo replays the Assises métropolitaines de la Politique de la Ville (Nantes,
// 15 April 2011) on a real Mattermost, as the people of that event would have lived it with
// Guichet: the coordinator creates the event, imports the 19 structures and the 14 lots and
// publishes the offers; a member of each structure takes, with the offer's buttons, what the
// structure took in 2011; the bot's clock then moves to the J-7 and J-1 reminders (every
// structure confirms the last one), the evening before, the event's day, and the recap the
// day after.
//
// Everything runs for real on loopback, through internal/mmrig: a throwaway PostgreSQL
// cluster, Mattermost 6.7.2 (built once into the cache), `guichet setup` and `guichet serve`
// (built from the source folder by the rig). People act through the Mattermost API as the web
// app does; the simulated clock is the bot's GUICHET_CLOCK_OFFSET, changed by restarting the
// bot just before each due time. The fixture is package internal/assises, embedded. Command
// guichet-demo runs it, from the source folder.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// Options configure Run. Every field has a default.
type Options struct {
	// Out is the folder that receives the transcript (transcript.txt), the recap's chart
	// and CSV as posted, and the bot's and Mattermost's logs. Default "demo-output".
	Out string
	// Exit stops everything once the checks are printed. Otherwise Run stays up, printing
	// the addresses and logins to explore it through the API, until ctx ends (Ctrl-C).
	Exit bool
	// Locale is the bot's language and the transcript's: "fr" (default) or "en".
	Locale string
	// Stdout receives the transcript and the checks. Default os.Stdout.
	Stdout io.Writer
	// Progress receives the steps, with the time elapsed. Default os.Stderr.
	Progress io.Writer
}

// ErrChecksFailed is returned by Run when the replay ran to its end but a check did not pass.
var ErrChecksFailed = errors.New("some checks of the replay failed")

// Run starts everything, replays the event, writes the transcript and the recap's files into
// Options.Out, prints the checks and, without Options.Exit, stays up until ctx ends. It
// returns ErrChecksFailed when a check fails, or the error that stopped the replay (the
// transcript so far and the logs are still written).
func Run(ctx context.Context, opts Options) (err error) {
	opts.defaults()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		return errors.New("the demo reads the documents it makes back as text with pdftotext, which is missing: install it (Debian or Ubuntu: apt-get install poppler-utils)")
	}
	p := &progress{w: opts.Progress, began: time.Now()}
	fx, err := loadFixture()
	if err != nil {
		return fmt.Errorf("the embedded fixture: %w", err)
	}
	zone, err := (&guichet.Event{TimeZone: fx.event.TimeZone}).Location()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return err
	}
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return err
	}
	file, err := os.Create(filepath.Join(out, "transcript.txt"))
	if err != nil {
		return err
	}
	defer file.Close()

	root, err := mmrig.FindModuleRoot()
	if err != nil {
		return fmt.Errorf("%w: run the demo from the Guichet source folder (go run ./cmd/guichet-demo), which holds internal/mmrig/build-mattermost.sh", err)
	}
	mmDir, err := buildMattermost(ctx, root, p)
	if err != nil {
		return err
	}
	prepareAt, err := fx.prepareAt()
	if err != nil {
		return err
	}
	clock := &simClock{}
	clock.set(time.Until(prepareAt).Round(time.Millisecond))
	p.step("starting PostgreSQL, Mattermost %s and the bot; the bot's clock reads %s", mmrig.MattermostVersion, prepareAt.Format("Mon 2 Jan 2006 15:04 MST"))
	r, err := mmrig.Start(ctx, mmrig.Options{
		Suppliers: fx.suppliers, MattermostDir: mmDir, ModuleRoot: root, Progress: p,
		BotEnv: withIssuer(map[string]string{
			"GUICHET_CLOCK_OFFSET":      clock.offset().String(),
			"GUICHET_LOCALE":            opts.Locale,
			"GUICHET_REMINDER_DELIVERY": "dm",
			"GUICHET_UNCONFIRMED_ALERT": unconfirmedAlert,
			"GUICHET_RECAP_AT":          recapAt,
		}),
	})
	if err != nil {
		return err
	}
	defer func() {
		for _, name := range []string{"guichet.log", "mattermost.log"} {
			if cerr := copyFile(filepath.Join(r.Dir(), name), filepath.Join(out, name)); cerr != nil {
				p.step("could not keep %s: %v", name, cerr)
			}
		}
		if cerr := r.Close(); cerr != nil {
			p.step("stopping: %v", cerr)
		}
	}()

	tw := io.MultiWriter(opts.Stdout, file)
	cat := l10n.New()
	s := &session{
		rig: r, fx: fx, cat: cat, locale: opts.Locale, progress: p, clock: clock,
		tr:   newTranscript(cat, opts.Locale, zone, clock, tw),
		lots: map[string]int64{}, watches: map[string]*watch{}, dms: map[string]string{},
		newInPhase: map[int]map[string]int{}, phaseOf: map[string]int{}, kindOf: map[string]guichet.ReminderKind{},
	}
	defer s.closeWatches()
	s.tr.names[r.BotUserID()] = r.Setup().BotUsername
	for _, u := range append([]*mmrig.User{r.Admin(), r.Coordinator()}, members(r, fx)...) {
		s.tr.names[u.ID] = u.Username
	}
	s.tr.title(fx.event.Name, s.dayLabel(), fx.event.Venue, fx.event.Client)

	replayed := s.replay(ctx)
	if replayed != nil {
		fmt.Fprintf(tw, "\n\n%s\n", s.t("CmdDemoStopped", "Error", replayed.Error()))
		p.step("the replay stopped: the transcript so far and the logs are in %s", out)
		return replayed
	}
	results := s.check(ctx, out)
	fmt.Fprintf(tw, "\n\nChecks\n")
	failed := 0
	for _, res := range results {
		fmt.Fprintf(tw, "  %s\n", res)
		if !res.ok {
			failed++
		}
	}
	p.step("replayed in %s; transcript, chart, CSV and logs in %s", time.Since(p.began).Round(time.Second), out)
	if !opts.Exit {
		explore(opts.Stdout, s)
		<-ctx.Done()
		p.step("stopping")
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d", ErrChecksFailed, failed, len(results))
	}
	return nil
}

func (o *Options) defaults() {
	if o.Out == "" {
		o.Out = "demo-output"
	}
	if o.Locale == "" {
		o.Locale = "fr"
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
}

// buildMattermost returns the folder of the cached Mattermost server, building it first if
// missing, with a line every 30 seconds while it builds.
func buildMattermost(ctx context.Context, root string, p *progress) (string, error) {
	bin := filepath.Join(mmrig.CacheDir(), "mattermost-"+mmrig.MattermostVersion, "bin", "mattermost")
	if _, err := os.Stat(bin); err == nil {
		p.step("Mattermost %s: already built in %s", mmrig.MattermostVersion, filepath.Dir(filepath.Dir(bin)))
		return mmrig.BuildMattermost(ctx, root, p)
	}
	p.step("building Mattermost %s into %s: the first run only, about 5 minutes on 2 cores", mmrig.MattermostVersion, mmrig.CacheDir())
	done := make(chan struct{})
	defer close(done)
	began := time.Now()
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(30 * time.Second):
				p.step("still building Mattermost (%s so far)…", time.Since(began).Round(time.Second))
			}
		}
	}()
	dir, err := mmrig.BuildMattermost(ctx, root, p)
	if err == nil {
		p.step("Mattermost built in %s", time.Since(began).Round(time.Second))
	}
	return dir, err
}

func members(r *mmrig.Rig, fx *fixture) []*mmrig.User {
	var out []*mmrig.User
	for _, s := range fx.suppliers {
		for _, m := range s.Members {
			if u := r.User(m); u != nil {
				out = append(out, u)
			}
		}
	}
	return out
}

// explore prints how to look around while the demo stays up.
func explore(w io.Writer, s *session) {
	r := s.rig
	mm := r.MattermostURL()
	var people []string
	for _, sup := range s.fx.suppliers {
		people = append(people, sup.Members...)
	}
	fmt.Fprintf(w, `
Guichet stays up until Ctrl-C. Explore it through the Mattermost API (there is no web app):
  Mattermost     %s   (API under /api/v4)
  Guichet        %s   (what Mattermost calls; /healthz, /readyz, /metrics on %s)
  Bot database   %s
  The bot's clock reads %s (GUICHET_CLOCK_OFFSET).
  Password of every user: %s
    admin          system administrator
    %-14s the coordinator, in ~%s (channel id %s)
    members        %s
  Team %q; each structure's channel is named in the transcript.

  Log in, read the coordination channel, run a command:
    MM=%s
    TOKEN=$(curl -si -H 'Content-Type: application/json' -d '{"login_id":"%s","password":"%s"}' $MM/api/v4/users/login | tr -d '\r' | sed -n 's/^[Tt]oken: //p')
    curl -s -H "Authorization: Bearer $TOKEN" "$MM/api/v4/channels/%s/posts?per_page=5"
    curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"channel_id":"%s","command":"/guichet status"}' $MM/api/v4/commands/execute
`,
		mm, r.BotURL(), r.OpsURL(), r.DatabaseURL(), l10n.DateTime(s.clock.now(), s.tr.zone, s.locale), mmrig.Password,
		r.Coordinator().Username, r.CoordChannel().Name, r.CoordChannel().Id, strings.Join(people, ", "),
		r.Team().Name, mm, r.Coordinator().Username, mmrig.Password, r.CoordChannel().Id, r.CoordChannel().Id)
}

// progress writes the demo's steps, and the rig's lines, each prefixed with the time elapsed
// since the start. It is safe for concurrent use.
type progress struct {
	w     io.Writer
	began time.Time
	mu    sync.Mutex
	part  []byte
}

func (p *progress) prefix() string {
	d := time.Since(p.began).Round(time.Second)
	return fmt.Sprintf("[%2d:%02d] ", int(d.Minutes()), int(d.Seconds())%60)
}

// step writes one line.
func (p *progress) step(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%sdemo: %s\n", p.prefix(), fmt.Sprintf(format, args...))
}

// Write writes complete lines, each with the elapsed-time prefix, and keeps an unfinished
// line for the next write.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := strings.IndexByte(string(p.part), '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.w, "%s%s\n", p.prefix(), p.part[:i])
		p.part = p.part[i+1:]
	}
	return len(b), nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
