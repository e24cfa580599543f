package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/sheet/sheettest"
)

// BenchmarkDroppedSheet measures, side by side in one run, a 5,000-row lots file dropped in an
// event's coordination channel through real Mattermost — from the coordinator's upload
// (UploadFile, then CreatePost with the file, as the web app does) to the bot's preview in
// the post's thread, read by polling the channel every 10 ms: the listener, the download, the
// reading and checking, the drop kept and the answer posted — against `guichet import lots`
// run on the same file (the process, its database connection, the reading, the checks and
// the 5,000 inserts). Each run uses an event and a channel of its own. It reports the median
// of each side over GUICHET_BENCH_RUNS runs [3] and preview_vs_import, how many times as fast
// as the import the preview is (the target: at least 0.5).
//
//	go test ./bench -run '^$' -bench DroppedSheet -benchtime 1x -timeout 30m
func BenchmarkDroppedSheet(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	runs := envInt(b, "GUICHET_BENCH_RUNS", 3)
	data := sheettest.FrenchLots(5000)
	file := filepath.Join(b.TempDir(), "lots.csv")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	coord := r.Coordinator()
	stamp := time.Now().UnixNano() % 1_000_000
	newEvent := func(run int, side string) (*guichet.Event, *model.Channel) {
		ch, err := r.NewChannel(ctx, fmt.Sprintf("bsheet-%d-%s%d", stamp, side, run), coord.Username)
		if err != nil {
			b.Fatal(err)
		}
		ev := &guichet.Event{Slug: fmt.Sprintf("sheet-%d-%s%d", stamp, side, run), Name: "Fichier déposé " + side,
			Day: time.Now().AddDate(0, 2, 0), CoordChannelID: ch.Id}
		if err := r.DB().CreateEvent(ctx, coordActor(r), ev); err != nil {
			b.Fatal(err)
		}
		return ev, ch
	}
	var previews, imports []time.Duration
	for run := range runs {
		_, ch := newEvent(run, "p")
		began := time.Now()
		up, _, err := coord.Client.UploadFile(ctx, data, ch.Id, "lots.csv")
		if err != nil {
			b.Fatal(err)
		}
		post, _, err := coord.Client.CreatePost(ctx, &model.Post{ChannelId: ch.Id, FileIds: model.StringArray{up.FileInfos[0].Id}})
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			list, _, err := coord.Client.GetPostsForChannel(ctx, ch.Id, 0, 20, "", false, false)
			if err != nil {
				b.Fatal(err)
			}
			found := ""
			for _, p := range list.Posts {
				if p.RootId == post.Id && p.UserId == r.BotUserID() {
					found = p.Message
				}
			}
			if found != "" {
				previews = append(previews, time.Since(began))
				if !strings.Contains(found, "Voici ce qui sera enregistré") {
					b.Fatalf("the preview is not the file's:\n%.500s", found)
				}
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("no preview after 2 minutes")
			}
			time.Sleep(10 * time.Millisecond)
		}

		ev, _ := newEvent(run, "i")
		cmd := exec.CommandContext(ctx, botBin, "import", "lots", "--event", ev.Slug, file)
		cmd.Env = append(os.Environ(), "GUICHET_DATABASE_URL="+r.DatabaseURL())
		began = time.Now()
		out, err := cmd.CombinedOutput()
		imports = append(imports, time.Since(began))
		if err != nil {
			b.Fatalf("guichet import: %v: %s", err, out)
		}
		var n int
		if err := r.DB().SQL().GetContext(ctx, &n, `SELECT count(*) FROM lots WHERE event_id = $1`, ev.ID); err != nil || n != 5000 {
			b.Fatalf("guichet import saved %d lots (%v)", n, err)
		}
		b.Logf("run %d: preview %v, guichet import %v", run+1, previews[run].Round(time.Millisecond), imports[run].Round(time.Millisecond))
	}
	p, i := median(previews), median(imports)
	b.ReportMetric(float64(p.Milliseconds()), "preview-ms")
	b.ReportMetric(float64(i.Milliseconds()), "import-ms")
	b.ReportMetric(i.Seconds()/p.Seconds(), "preview_vs_import")
}
