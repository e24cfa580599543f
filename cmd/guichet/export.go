package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// export writes an event's awarded claims, or its audit trail (whole or for one lot), as CSV
// in the dialect of package report (UTF-8 with BOM, semicolons, decimal commas), to standard
// output or a file. It reads the database and changes nothing.
func init() {
	register("export", "export an event's awarded claims or audit trail as CSV", runExport)
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	conf := addConfigFlag(fs, configUsage)
	slug := fs.String("event", "", "the event's identifier, e.g. assises-2011 (required)")
	what := fs.String("what", "claims", "what to export: claims (every awarded claim) or audit (the audit trail)")
	format := fs.String("format", "csv", "output format: csv")
	lotCode := fs.String("lot", "", "only this lot, by its code (e.g. DEJ)")
	out := fs.String("out", "", "write to this file instead of standard output")
	locale := fs.String("locale", "", "language of the headers and statuses: fr or en (default: the event's)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: guichet export --event SLUG [--what claims|audit] [--format csv] [--lot CODE] [--out FILE] [--config FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		fs.Usage()
		return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
	case *slug == "":
		fs.Usage()
		return errors.New("export: --event is required, e.g. --event assises-2011")
	case *what != "claims" && *what != "audit":
		return fmt.Errorf("export: --what %q: write claims or audit", *what)
	case *format != "csv":
		return fmt.Errorf("export: --format %q: only csv is available", *format)
	case *locale != "" && *locale != "fr" && *locale != "en":
		return fmt.Errorf("export: --locale %q: write fr or en", *locale)
	}
	cfg, err := conf.load()
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, cfg.DatabaseDSN())
	if err != nil {
		return err
	}
	defer d.Close()
	cat := l10n.New()
	personal := func(err error) error {
		// Errors meant for people (unknown event or lot) are shown in their words.
		if guichet.AsError(err) != nil {
			loc := *locale
			if loc == "" {
				loc = cfg.Locale
			}
			return errors.New(cat.Error(loc, err))
		}
		return err
	}

	e, err := d.EventBySlug(ctx, *slug)
	if err != nil {
		return personal(err)
	}
	var lotID int64
	if *lotCode != "" {
		l, err := d.LotByCode(ctx, e.ID, strings.ToUpper(*lotCode))
		if err != nil {
			return personal(err)
		}
		lotID, *lotCode = l.ID, l.Code
	}
	write := func(w io.Writer) error {
		if *what == "audit" {
			lines, err := d.AuditTrail(ctx, e.ID, lotID)
			if err != nil {
				return personal(err)
			}
			return report.AuditCSV(w, cat, e, lines, *locale)
		}
		r, err := report.Build(ctx, d, e.ID)
		if err != nil {
			return personal(err)
		}
		if *lotCode != "" {
			r = r.ForLot(*lotCode)
		}
		return report.ClaimsCSV(w, cat, r, *locale)
	}
	if *out == "" {
		return write(stdout)
	}
	return writeFileAtomic(*out, write)
}

// writeFileAtomic writes a file, mode 0600, through a temporary file renamed into place, so
// that a failed export never leaves half a file under the name asked for (and a file that was
// there takes the new mode).
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	// Claims, amounts and who did what are for the operator's eyes: no one else on the
	// machine reads them.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
