// Command guichet-demo replays the Assises 2011 event on a real Mattermost, then stays up to
// explore it (see package demo):
//
//	go run ./cmd/guichet-demo [--exit] [--out DIR] [--locale fr|en]
//
// It needs Go, bash and the PostgreSQL binaries, and runs from the source folder (the first
// run builds Mattermost into the cache, about 5 minutes on 2 cores). It exits with status 1
// when a check of the replay fails. It is a command of its own so that the server binary,
// `guichet`, links none of the test rig it is built on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"guichet.dev/guichet/demo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "guichet-demo:", err)
		}
		os.Exit(1)
	}
}

// run parses the flags and runs the demo until it is checked (--exit) or ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("guichet-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exit := fs.Bool("exit", false, "stop once the replay is checked, instead of staying up until Ctrl-C")
	out := fs.String("out", "demo-output", "folder for the transcript, the recap's chart and CSV, and the logs")
	locale := fs.String("locale", "fr", "language of the bot and of the transcript: fr or en")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: guichet-demo [--exit] [--out DIR] [--locale fr|en]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *locale != "fr" && *locale != "en" {
		return fmt.Errorf("--locale must be fr or en, not %q", *locale)
	}
	return demo.Run(ctx, demo.Options{Out: *out, Exit: *exit, Locale: *locale, Stdout: stdout, Progress: stderr})
}
