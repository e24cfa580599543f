package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/sheet/sheettest"
)

// BenchmarkDroppedPreviewVsImport measures, side by side in one run on the same 5,000-row
// file and the same database, the preview of a file dropped in chat (commands' PreviewSheet:
// read, check against the event, keep the drop) against `guichet import lots` (read, check,
// insert), each into a fresh event. The download from Mattermost is not in the preview's
// time. It reports the preview's speed as a multiple of the import's (preview_vs_import,
// the target ≥ 0.5), both times, and the time of « Importer » on the previewed drop
// (ImportSheet: the file read again, checked, inserted in one transaction), which the preview
// does not include: it is the import's own work.
//
//	go test ./cmd/guichet -run '^$' -bench DroppedPreviewVsImport -benchtime 5x
func BenchmarkDroppedPreviewVsImport(b *testing.B) {
	ctx := context.Background()
	url := dbtest.URL(b)
	b.Setenv("GUICHET_DATABASE_URL", url)
	b.Setenv("GUICHET_MATTERMOST_URL", "")
	b.Setenv("GUICHET_BOT_TOKEN", "")
	d, err := db.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	data := sheettest.FrenchLots(commands.MaxCSVRows)
	file := filepath.Join(b.TempDir(), "lots.csv")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	coord := guichet.Actor{UserID: "u-coord", Username: "coord"}
	h := commands.New(commands.Deps{Store: d, Chat: nopChat{}, Access: guichet.NewAccess(d, coord.UserID), Catalog: l10n.New(), Sheets: d, Locale: "fr"})
	event := func(i int, kind string) *guichet.Event {
		e := &guichet.Event{Slug: fmt.Sprintf("bench-%s-%d", kind, i), Name: "Bench", Day: time.Now().AddDate(1, 0, 0), CoordChannelID: fmt.Sprintf("c-%s-%d", kind, i)}
		if err := d.CreateEvent(ctx, coord, e); err != nil {
			b.Fatal(err)
		}
		return e
	}
	var previewTime, clickTime, importTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		pe, ie := event(i, "p"), event(i, "i")
		b.StartTimer()

		start := time.Now()
		p, err := h.PreviewSheet(ctx, coord, guichet.SheetFile{PostID: "p", ChannelID: pe.CoordChannelID, FileName: "lots.csv", Data: data})
		previewTime += time.Since(start)
		if err != nil || p.DropID == 0 {
			b.Fatalf("preview: %v %v", err, p)
		}

		start = time.Now()
		if _, err := h.ImportSheet(ctx, coord, p.DropID); err != nil {
			b.Fatalf("« Importer »: %v", err)
		}
		clickTime += time.Since(start)

		start = time.Now()
		var stdout, stderr bytes.Buffer
		err = run(ctx, []string{"import", "lots", "--event", ie.Slug, file}, &stdout, &stderr)
		importTime += time.Since(start)
		if err != nil {
			b.Fatalf("import: %v %s", err, stderr.String())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(previewTime.Milliseconds())/float64(b.N), "preview-ms/op")
	b.ReportMetric(float64(clickTime.Milliseconds())/float64(b.N), "importer-click-ms/op")
	b.ReportMetric(float64(importTime.Milliseconds())/float64(b.N), "import-ms/op")
	b.ReportMetric(importTime.Seconds()/previewTime.Seconds(), "preview_vs_import")
}

// nopChat is a Mattermost that is never needed: the benchmark's file has no structures.
type nopChat struct{ guichet.Chat }
