package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/config"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/scheduler"
)

// shutdownGrace bounds a graceful stop: in-flight requests, the delivery in hand and the
// scheduler's pass in hand finish within it.
const shutdownGrace = 25 * time.Second

// The database is the bot's whole Store: a method the bot needs and db lacks fails the build.
var _ bot.Store = (*db.DB)(nil)

func init() {
	register("serve", "run the bot: HTTP endpoints, outbox dispatcher, scheduler", runServe)
}

// runServe is `guichet serve [--config FILE]`. It loads the configuration (file, then
// GUICHET_* environment variables: the bot runs from the environment alone), migrates the
// database, and runs the HTTP endpoints (Mattermost's on listen, health and metrics on
// ops_listen), the outbox dispatcher and the scheduler until SIGTERM
// or SIGINT, then stops taking requests and lets the work in hand finish.
//
// GUICHET_CLOCK_OFFSET (a Go duration such as "-131000h" or "36h", default 0) shifts the time
// the bot believes it is: reminders, deadlines, recaps and button expiries follow the shifted
// clock. It is a testing and demonstration aid, to replay an event on a simulated calendar;
// never set it in production. The outbox keeps real time (its rows carry the database's clock).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	conf := addConfigFlag(fs, configUsage+"; GUICHET_* variables override it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := conf.load()
	if err != nil {
		return err
	}
	if err := cfg.ValidateServe(); err != nil {
		return err
	}
	offset, err := clockOffset(os.Getenv("GUICHET_CLOCK_OFFSET"))
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	now := func() time.Time { return time.Now().Add(offset) }
	if offset != 0 {
		logger.Warn("simulated clock: GUICHET_CLOCK_OFFSET is set", "offset", offset.String(), "now", now().Format(time.RFC3339))
	}
	return serve(ctx, cfg, logger, now)
}

// clockOffset reads GUICHET_CLOCK_OFFSET.
func clockOffset(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &config.Error{Key: "clock_offset", Env: "CLOCK_OFFSET", Problem: "must be a duration such as 36h or -2h30m"}
	}
	return d, nil
}

// serve wires the parts and runs them until ctx ends.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger, now func() time.Time) error {
	d, err := db.Open(ctx, cfg.DatabaseDSN())
	if err != nil {
		return err
	}
	defer d.Close()
	d.Now = now
	applied, err := d.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		logger.Info("database migrated", "versions", applied)
	}

	catalog := l10n.New()
	for _, w := range cfg.Deprecations() {
		logger.Warn("configuration: " + w)
	}
	access := guichet.NewAccess(d)
	client := bot.NewClient(cfg.MattermostURL, cfg.BotToken, bot.ClientOptions{Logger: logger})
	signer, err := bot.NewSigner([]byte(cfg.SigningKey))
	if err != nil {
		return &config.Error{Key: "signing_key", Env: "SIGNING_KEY", Problem: err.Error()}
	}
	b, err := bot.New(bot.Deps{
		Store: d, Access: access, Catalog: catalog, Client: client, Signer: signer,
		CommandTokens: cfg.CommandTokens, PublicURL: cfg.PublicURL, Locale: cfg.Locale, Now: now,
		Logger: logger, Metrics: bot.NewMetrics(),
		ListenOutbox: func(ctx context.Context, onNotify func(string)) func() {
			return db.ListenOutbox(ctx, cfg.DatabaseDSN(), logger, onNotify)
		},
		ReminderDelivery: cfg.ReminderDelivery, OutboxInFlight: cfg.OutboxInFlight,
		Issuer: cfg.Issuer, Legal: cfg.Legal,
		EditGap: editGap(cfg.OfferEditGap), OutboxLease: cfg.OutboxLease,
	})
	if err != nil {
		return err
	}
	// A claim wakes this process's dispatcher (claims do not notify through PostgreSQL).
	d.Claimed = b.Wake
	d.WaitlistOffer = cfg.WaitlistOffer
	// The command handler uses the Bot as its Chat (dialogs are signed by the Bot).
	cmds := commands.New(commands.Deps{
		Store: d, Chat: b, Access: access, Catalog: catalog, Sheets: d, Locale: cfg.Locale, Now: now, Logger: logger,
		ClientLinkURL: b.ClientLinkURL, Issuer: cfg.Issuer, Legal: cfg.Legal,
	})
	b.SetCommands(cmds)
	b.SetSheets(cmds)
	sched, err := scheduler.New(scheduler.Deps{
		Store: d, Clock: scheduler.ClockFunc(now), Logger: logger, Tick: cfg.SchedulerTick,
		UnconfirmedAlert: cfg.UnconfirmedAlert, RecapAt: cfg.RecapAt,
	})
	if err != nil {
		return err
	}

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := client.Connect(cctx); err != nil {
		// Not fatal: messages wait in the outbox until Mattermost answers; /readyz says so.
		logger.Warn("Mattermost does not answer yet", "mattermost_url", cfg.MattermostURL, "error", err)
	}
	cancel()
	// Administrators named by username are resolved now, or in the background until
	// Mattermost answers; until then, those given by id or bound at an earlier start count.
	ids := &identities{store: d, users: client, access: access, entries: cfg.AdministratorEntries(),
		warn: b.SetReadyWarnings, logger: logger, attemptTimeout: 10 * time.Second, retry: 5 * time.Second}
	identitiesDone, err := ids.resolve(ctx)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return &config.Error{Key: "listen", Env: "LISTEN", Problem: err.Error()}
	}
	defer ln.Close()
	opsLn, err := net.Listen("tcp", cfg.OpsListen)
	if err != nil {
		return &config.Error{Key: "ops_listen", Env: "OPS_LISTEN", Problem: err.Error()}
	}
	defer opsLn.Close()
	httpServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      time.Minute,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
	}
	// Mattermost's address serves its three endpoints only; health and metrics, which
	// authenticate nobody, are on the operators' address.
	srv, opsSrv := httpServer(b.Handler()), httpServer(b.OpsHandler())

	// Background work outlives ctx by design: it is stopped below, after the HTTP server has
	// stopped taking requests, and finishes what it holds.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	failed := make(chan error, 4)
	var wg sync.WaitGroup
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
				failed <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	run("http server", func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	run("ops http server", func() error {
		if err := opsSrv.Serve(opsLn); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	run("outbox dispatcher", func() error { return b.RunDispatcher(work) })
	run("scheduler", func() error { return sched.Run(work) })
	run("listener", func() error { return b.RunListener(work) })
	if !identitiesDone {
		run("administrators", func() error { return ids.run(work) })
	}
	logger.Info("guichet is serving", "listen", ln.Addr().String(), "ops_listen", opsLn.Addr().String(), "public_url", cfg.PublicURL,
		"mattermost_url", cfg.MattermostURL, "administrators", len(cfg.AdministratorEntries()))

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("stopping: finishing the work in hand")
	case runErr = <-failed:
		logger.Error("stopping", "error", runErr)
	}
	grace, cancelGrace := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancelGrace()
	stopWork()
	if err := srv.Shutdown(grace); err != nil {
		logger.Warn("http server shutdown", "error", err)
	}
	// Health and metrics answer until Mattermost's requests in hand are done.
	if err := opsSrv.Shutdown(grace); err != nil {
		logger.Warn("ops http server shutdown", "error", err)
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		logger.Info("stopped")
	case <-grace.Done():
		logger.Warn("stopped before the work in hand finished; it will be taken up again at the next start")
	}
	return runErr
}

// editGap turns the configured offer_edit_gap into bot.Deps.EditGap (0 there means the
// default; here, no gap).
func editGap(gap time.Duration) time.Duration {
	if gap == 0 {
		return -1
	}
	return gap
}
