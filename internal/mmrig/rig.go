package mmrig

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the database/sql driver for creating the rig's databases
	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/pgserver"
)

// Options describe the rig to start. Every field has a default.
type Options struct {
	// Team is the team's name. Default "assises".
	Team string
	// Coordinator is the coordinator's username, given to the bot as an administrator in
	// GUICHET_ADMINISTRATORS (resolved to the user's id at the bot's first start). Default
	// "coordination".
	Coordinator string
	// CoordChannel is the coordination channel's name; the coordinator is a member. Default
	// "coordination".
	CoordChannel string
	// Suppliers are the structures whose members (users) and channels are created; the bot and
	// the members are in each channel. See LoadSuppliers.
	Suppliers []Supplier
	// ExtraUsers are more users, members of the team only.
	ExtraUsers []string
	// BotEnv adds to, or overrides, the bot's environment (e.g. "GUICHET_LOCALE": "en").
	// Defaults set by the rig: GUICHET_LOG_FORMAT=text, GUICHET_LOG_LEVEL=debug,
	// GUICHET_SCHEDULER_TICK=1s.
	BotEnv map[string]string
	// MattermostDir is a folder holding bin/mattermost; default: built by BuildMattermost.
	MattermostDir string
	// GuichetBinary is a built guichet command; default: built from the module's source.
	GuichetBinary string
	// ModuleRoot is the module's folder; default: found by FindModuleRoot.
	ModuleRoot string
	// WaitTimeout bounds the test helpers' waits (WaitPost, Watch.Ephemeral…). Default 30 s.
	WaitTimeout time.Duration
	// Progress receives a line per step and the first Mattermost build's output. Default
	// os.Stderr.
	Progress io.Writer
	// SkipBot provisions everything and runs bot.Setup, but neither builds nor starts
	// `guichet serve`: for callers that run the bot themselves (BotEnv gives its settings).
	SkipBot bool
	// Keep leaves the rig's folder (logs, configuration) in place after Close, and says where.
	// Also set by GUICHET_E2E_KEEP=1.
	Keep bool
}

// Supplier is a structure as the fixture's suppliers.csv describes it.
type Supplier struct {
	Name       string
	Categories []string
	// Channel is the name of its Mattermost channel (public, in the rig's team).
	Channel string
	// Members are its members' usernames.
	Members []string
}

// Password is every rig user's password.
const Password = "Guichet-e2e-2011!"

// Rig is a running Mattermost server with a team, people and channels, a PostgreSQL cluster,
// and `guichet serve` set up against them. All its methods are safe for concurrent use, except
// that StopBot/StartBot/RestartBot and StopMattermost/StartMattermost must not race each other.
type Rig struct {
	opts     Options
	root     string // module root
	work     string // the rig's temporary folder
	pg       *pgserver.Server
	mm       *mattermost
	bot      *botProcess
	store    *db.DB
	dbURL    string
	setup    *bot.SetupResult
	signing  string
	team     *model.Team
	admin    *User
	progress io.Writer

	mu       sync.Mutex
	users    map[string]*User
	channels map[string]*model.Channel
}

// Start builds what is missing, starts PostgreSQL, Mattermost and the bot, and provisions the
// team, people and channels. On error everything started is stopped, and the error carries
// the end of the relevant log.
func Start(ctx context.Context, opts Options) (r *Rig, err error) {
	opts.defaults()
	r = &Rig{opts: opts, progress: opts.Progress, users: map[string]*User{}, channels: map[string]*model.Channel{}}
	defer func() {
		if err != nil {
			_ = r.Close()
			r = nil
		}
	}()
	began := time.Now()
	if r.root = opts.ModuleRoot; r.root == "" {
		if r.root, err = FindModuleRoot(); err != nil {
			return r, err
		}
	}
	if r.work, err = os.MkdirTemp("", "guichet-e2e-"); err != nil {
		return r, err
	}

	// The Mattermost build (first run only) and the bot's build run while PostgreSQL and
	// Mattermost start.
	mmDir := opts.MattermostDir
	if mmDir == "" {
		r.logf("building Mattermost %s if missing from %s", MattermostVersion, CacheDir())
		if mmDir, err = BuildMattermost(ctx, r.root, r.progress); err != nil {
			return r, err
		}
	}
	buildErr := make(chan error, 1)
	botBin := opts.GuichetBinary
	if botBin == "" && !opts.SkipBot {
		botBin = filepath.Join(r.work, "guichet")
		go func() { buildErr <- BuildGuichet(ctx, r.root, botBin) }()
	} else {
		buildErr <- nil
	}

	r.logf("starting PostgreSQL")
	if r.pg, err = pgserver.Start(ctx, ""); err != nil {
		return r, fmt.Errorf("start PostgreSQL: %w", err)
	}
	if err := r.createDatabases(ctx, "mattermost", "guichet"); err != nil {
		return r, err
	}
	r.dbURL = r.pg.URL("guichet")

	mmPort, err := freePort()
	if err != nil {
		return r, err
	}
	r.mm = &mattermost{
		dir: mmDir, work: filepath.Join(r.work, "mattermost"), port: mmPort,
		dsn:     r.pg.URL("mattermost") + "&connect_timeout=10",
		logPath: filepath.Join(r.work, "mattermost.log"),
	}
	r.logf("starting Mattermost on %s", r.mm.url())
	if err := r.mm.start(ctx, 4*time.Minute); err != nil {
		return r, err
	}
	if err := r.provision(ctx); err != nil {
		return r, r.withMattermostLog(err)
	}

	botPort, err := freePort()
	if err != nil {
		return r, err
	}
	opsPort, err := freePort()
	if err != nil {
		return r, err
	}
	botURL := fmt.Sprintf("http://127.0.0.1:%d", botPort)
	r.logf("running guichet setup")
	if r.setup, err = bot.Setup(ctx, bot.SetupOptions{
		MattermostURL: r.mm.url(), AdminToken: r.admin.Token, Teams: []string{r.team.Name}, BotURL: botURL,
	}); err != nil {
		return r, r.withMattermostLog(err)
	}
	if err := r.addBotToChannels(ctx); err != nil {
		return r, r.withMattermostLog(err)
	}

	if _, err := db.MigrateURL(ctx, r.dbURL); err != nil {
		return r, fmt.Errorf("migrate the bot's database: %w", err)
	}
	if r.store, err = db.Open(ctx, r.dbURL); err != nil {
		return r, err
	}
	r.signing = randomHex(32)
	env := map[string]string{
		"GUICHET_DATABASE_URL":   r.dbURL,
		"GUICHET_MATTERMOST_URL": r.mm.url(),
		"GUICHET_BOT_TOKEN":      r.setup.BotToken,
		"GUICHET_COMMAND_TOKENS": strings.Join(r.setup.CommandTokens(), ","),
		"GUICHET_LISTEN":         fmt.Sprintf("127.0.0.1:%d", botPort),
		"GUICHET_OPS_LISTEN":     fmt.Sprintf("127.0.0.1:%d", opsPort),
		"GUICHET_PUBLIC_URL":     botURL,
		"GUICHET_SIGNING_KEY":    r.signing,
		"GUICHET_ADMINISTRATORS": opts.Coordinator,
		"GUICHET_LOG_FORMAT":     "text",
		"GUICHET_LOG_LEVEL":      "debug",
		"GUICHET_SCHEDULER_TICK": "1s",
	}
	for k, v := range opts.BotEnv {
		env[k] = v
	}
	r.bot = &botProcess{bin: botBin, work: r.work, env: env, url: botURL, logPath: filepath.Join(r.work, "guichet.log")}
	if opts.SkipBot {
		r.logf("ready without the bot in %s (folder %s)", time.Since(began).Round(time.Second), r.work)
		return r, nil
	}
	r.logf("building guichet")
	if err := <-buildErr; err != nil {
		return r, err
	}
	r.logf("starting guichet serve on %s", botURL)
	if err := r.bot.start(ctx, time.Minute); err != nil {
		return r, err
	}
	r.logf("ready in %s (folder %s)", time.Since(began).Round(time.Second), r.work)
	return r, nil
}

func (o *Options) defaults() {
	if o.Team == "" {
		o.Team = "assises"
	}
	if o.Coordinator == "" {
		o.Coordinator = "coordination"
	}
	if o.CoordChannel == "" {
		o.CoordChannel = "coordination"
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 30 * time.Second
	}
	if o.Progress == nil {
		o.Progress = os.Stderr
	}
	if os.Getenv("GUICHET_E2E_KEEP") == "1" {
		o.Keep = true
	}
}

// Close stops the bot, Mattermost and PostgreSQL and removes the rig's folder (unless
// Options.Keep). It returns the first error met, after trying every step.
func (r *Rig) Close() error {
	var errs []error
	if r.bot != nil {
		errs = append(errs, r.bot.stop(syscall.SIGTERM))
	}
	if r.store != nil {
		errs = append(errs, r.store.Close())
	}
	if r.mm != nil {
		errs = append(errs, r.mm.stop())
	}
	if r.pg != nil {
		errs = append(errs, r.pg.Stop())
	}
	if r.work != "" {
		if r.opts.Keep {
			r.logf("kept %s (mattermost.log, guichet.log, mattermost/)", r.work)
		} else {
			errs = append(errs, os.RemoveAll(r.work))
		}
	}
	return errors.Join(errs...)
}

func (r *Rig) logf(format string, args ...any) {
	fmt.Fprintf(r.progress, "mmrig: "+format+"\n", args...)
}

func (r *Rig) createDatabases(ctx context.Context, names ...string) error {
	admin, err := sql.Open("postgres", r.pg.URL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	for _, n := range names {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+n); err != nil {
			return fmt.Errorf("create database %s: %w", n, err)
		}
	}
	return nil
}

// withMattermostLog adds the end of Mattermost's log to err.
func (r *Rig) withMattermostLog(err error) error {
	return fmt.Errorf("%w\n--- last lines of %s ---\n%s", err, r.mm.logPath, tailFile(r.mm.logPath, 30))
}

// MattermostURL returns the server's base URL, http://127.0.0.1:port.
func (r *Rig) MattermostURL() string { return r.mm.url() }

// BotURL returns the bot's base URL, as Mattermost reaches it (GUICHET_PUBLIC_URL).
func (r *Rig) BotURL() string { return r.bot.url }

// OpsURL returns the base URL of the bot's health and metrics (GUICHET_OPS_LISTEN):
// /healthz, /readyz, /metrics.
func (r *Rig) OpsURL() string { return r.bot.opsURL() }

// Team returns the rig's team.
func (r *Rig) Team() *model.Team { return r.team }

// Setup returns what bot.Setup did: the bot's user id and token, the command's token.
func (r *Rig) Setup() *bot.SetupResult { return r.setup }

// BotUserID returns the bot account's user id.
func (r *Rig) BotUserID() string { return r.setup.BotUserID }

// CommandToken returns the /guichet command's token in the rig's team.
func (r *Rig) CommandToken() string { return r.setup.Teams[0].CommandToken }

// SigningKey returns the bot's GUICHET_SIGNING_KEY.
func (r *Rig) SigningKey() string { return r.signing }

// DB returns a handle on the bot's database (the same one `guichet serve` uses).
func (r *Rig) DB() *db.DB { return r.store }

// DatabaseURL returns the bot's GUICHET_DATABASE_URL.
func (r *Rig) DatabaseURL() string { return r.dbURL }

// BotEnv returns the bot's environment (GUICHET_* variables), secrets included.
func (r *Rig) BotEnv() map[string]string {
	r.bot.envMu.Lock()
	defer r.bot.envMu.Unlock()
	out := make(map[string]string, len(r.bot.env))
	for k, v := range r.bot.env {
		out[k] = v
	}
	return out
}

// GuichetBinary returns the guichet command the bot runs from (empty with SkipBot and no
// Options.GuichetBinary).
func (r *Rig) GuichetBinary() string { return r.bot.bin }

// Dir returns the rig's folder: mattermost.log, guichet.log, the guichet binary, mattermost/.
func (r *Rig) Dir() string { return r.work }

// BotLog returns the last n lines of the bot's log (all its runs, each begun by a "=== mmrig"
// line).
func (r *Rig) BotLog(n int) string { return tailFile(r.bot.logPath, n) }

// MattermostLog returns the last n lines of Mattermost's console log.
func (r *Rig) MattermostLog(n int) string { return tailFile(r.mm.logPath, n) }

// StopBot stops `guichet serve` with sig: syscall.SIGTERM for a graceful shutdown,
// syscall.SIGKILL for a crash. Stopping a stopped bot does nothing.
func (r *Rig) StopBot(sig syscall.Signal) error { return r.bot.stop(sig) }

// StartBot starts `guichet serve` again (same port, database and settings) and waits for
// /readyz.
func (r *Rig) StartBot(ctx context.Context) error { return r.bot.start(ctx, time.Minute) }

// RestartBot stops the bot with sig and starts it again.
func (r *Rig) RestartBot(ctx context.Context, sig syscall.Signal) error {
	if err := r.StopBot(sig); err != nil {
		return err
	}
	return r.StartBot(ctx)
}

// SetBotEnv changes a variable of the bot's environment (empty value: removes it) for its
// next start.
func (r *Rig) SetBotEnv(key, value string) {
	r.bot.envMu.Lock()
	defer r.bot.envMu.Unlock()
	if value == "" {
		delete(r.bot.env, key)
		return
	}
	r.bot.env[key] = value
}

// SetMattermostEnv changes a variable of Mattermost's environment (e.g.
// "MM_RATELIMITSETTINGS_ENABLE") for its next start (StopMattermost, then StartMattermost);
// an empty value goes back to the rig's setting.
func (r *Rig) SetMattermostEnv(key, value string) {
	if r.mm.extra == nil {
		r.mm.extra = map[string]string{}
	}
	if value == "" {
		delete(r.mm.extra, key)
		return
	}
	r.mm.extra[key] = value
}

// Postgres returns the rig's PostgreSQL server, which holds the bot's and Mattermost's
// databases: for tests that restart it (Restart, or StopKeep then StartAgain).
func (r *Rig) Postgres() *pgserver.Server { return r.pg }

// StopMattermost stops the Mattermost server (SIGTERM), keeping its data; the bot keeps
// running. Sessions stay valid: clients work again after StartMattermost.
func (r *Rig) StopMattermost() error { return r.mm.stop() }

// StartMattermost starts the server stopped by StopMattermost, on the same port, and waits
// for it to answer.
func (r *Rig) StartMattermost(ctx context.Context) error {
	if r.mm.proc != nil && !r.mm.proc.exited() {
		return errors.New("Mattermost is already running")
	}
	return r.mm.start(ctx, 2*time.Minute)
}

// BotHTTP posts body (JSON when contentType is "application/json", a form otherwise) straight
// to the bot at path, as anyone who can reach its port could, and returns the status and body.
func (r *Rig) BotHTTP(ctx context.Context, path, contentType, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.bot.url+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b), nil
}

// ImportSuppliers writes the rig's suppliers into the bot's directory, with their channel ids
// and their members' user ids, and returns them with their ids. Running it again updates
// them in place.
func (r *Rig) ImportSuppliers(ctx context.Context) ([]*guichet.Supplier, error) {
	var out []*guichet.Supplier
	for _, s := range r.opts.Suppliers {
		gs, err := r.DirectorySupplier(s)
		if err != nil {
			return nil, err
		}
		out = append(out, gs)
	}
	if err := r.store.UpsertSuppliers(ctx, guichet.Actor{UserID: r.admin.ID, Username: r.admin.Username}, out); err != nil {
		return nil, fmt.Errorf("import the suppliers: %w", err)
	}
	return out, nil
}

// DirectorySupplier returns s as a directory entry, with the ids of its channel and members as
// provisioned in Mattermost. It writes nothing.
func (r *Rig) DirectorySupplier(s Supplier) (*guichet.Supplier, error) {
	ch := r.Channel(s.Channel)
	if ch == nil {
		return nil, fmt.Errorf("supplier %s: no channel %q in the rig", s.Name, s.Channel)
	}
	gs := &guichet.Supplier{Name: s.Name, Categories: append([]string(nil), s.Categories...), ChannelID: ch.Id, ChannelName: ch.Name}
	for _, m := range s.Members {
		u := r.User(m)
		if u == nil {
			return nil, fmt.Errorf("supplier %s: no user %q in the rig", s.Name, m)
		}
		gs.Members = append(gs.Members, guichet.Member{UserID: u.ID, Username: u.Username})
	}
	return gs, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
