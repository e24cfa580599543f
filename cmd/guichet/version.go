package main

import (
	"context"
	"fmt"
	"io"

	"guichet.dev/guichet/internal/buildinfo"
)

func init() {
	register("version", "print the version, the commit and the Go release of this binary", runVersion)
}

// runVersion is `guichet version`: one line, "guichet <version> (commit <commit>, <go release>)",
// on stdout. It reads no configuration and reaches nothing.
func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version: unexpected argument %q", fs.Arg(0))
	}
	info := buildinfo.Read()
	fmt.Fprintf(stdout, "guichet %s (commit %s, %s)\n", info.Version, info.Commit, info.GoVersion)
	return nil
}
