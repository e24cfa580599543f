// Command guichet runs the Guichet bot and its tools:
//
//	guichet serve   [--config FILE]   the bot: HTTP endpoints, outbox dispatcher, scheduler
//	guichet migrate [--config FILE]   apply database migrations
//	guichet setup   …                 create the bot account and the /guichet command
//	guichet import  …                 import suppliers or lots from CSV
//	guichet export  …                 export claims or the audit trail as CSV
//	guichet healthcheck [--ready]     ask the running bot whether it is alive (or ready)
//	guichet version                   print the version, the commit and the Go release
//
// Each subcommand lives in its own file and registers itself in subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"guichet.dev/guichet/config"
	"guichet.dev/guichet/db"
)

// subcommand is one `guichet <name>` entry.
type subcommand struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var subcommands = map[string]subcommand{}

func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) error) {
	subcommands[name] = subcommand{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "guichet:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return errors.New("missing subcommand")
		}
		return nil
	}
	sc, ok := subcommands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
	return sc.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: guichet <subcommand> [flags]")
	var names []string
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, subcommands[n].summary)
	}
}

// newFlags returns the flag set of `guichet <name>`: parse errors and help go to stderr, and
// Parse returns them instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// configUsage is the help of --config for the subcommands that load the configuration.
const configUsage = "configuration file (default: ./config.toml if present)"

// configFlag is the --config flag of a subcommand that loads the configuration.
type configFlag struct{ path string }

// addConfigFlag defines --config on fs, with that help text.
func addConfigFlag(fs *flag.FlagSet, usage string) *configFlag {
	c := &configFlag{}
	fs.StringVar(&c.path, "config", "", usage)
	return c
}

// load loads the configuration: the file given with --config, else ./config.toml if there is
// one, else none; then the GUICHET_* environment variables (see config.Load).
func (c *configFlag) load() (*config.Config, error) {
	path := c.path
	if path == "" {
		if _, err := os.Stat("config.toml"); err == nil {
			path = "config.toml"
		}
	}
	return config.Load(path)
}

// newLogger builds the process's logger from the configuration: JSON unless told otherwise.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func init() {
	register("migrate", "apply the database migrations", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlags("migrate", stderr)
		conf := addConfigFlag(fs, configUsage)
		if err := fs.Parse(args); err != nil {
			return err
		}
		cfg, err := conf.load()
		if err != nil {
			return err
		}
		applied, err := db.MigrateURL(ctx, cfg.DatabaseDSN())
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "database is up to date")
			return nil
		}
		fmt.Fprintf(stdout, "applied migrations %v\n", applied)
		return nil
	})
}
