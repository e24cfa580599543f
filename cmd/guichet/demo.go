package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"guichet.dev/guichet/demo"
)

func init() {
	register("demo", "replay the Assises 2011 event on a real Mattermost, then stay up to explore it", runDemo)
}

// runDemo is `guichet demo [--exit] [--out DIR] [--locale fr|en]`: see package demo. It needs
// Go, bash and the PostgreSQL binaries, and runs from the source folder (the first run builds
// Mattermost into the cache, about 5 minutes on 2 cores). It fails when a check of the replay
// fails.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exit := fs.Bool("exit", false, "stop once the replay is checked, instead of staying up until Ctrl-C")
	out := fs.String("out", "demo-output", "folder for the transcript, the recap's chart and CSV, and the logs")
	locale := fs.String("locale", "fr", "language of the bot and of the transcript: fr or en")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: guichet demo [--exit] [--out DIR] [--locale fr|en]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	if *locale != "fr" && *locale != "en" {
		return fmt.Errorf("demo: --locale must be fr or en, not %q", *locale)
	}
	return demo.Run(ctx, demo.Options{Out: *out, Exit: *exit, Locale: *locale, Stdout: stdout, Progress: stderr})
}
