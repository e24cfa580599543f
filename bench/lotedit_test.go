package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// BenchmarkLotEdit measures a lot edit after publication reaching every copy of the lot's offer:
// one lot offered to GUICHET_BENCH_STRUCTURES structures (default 100; the size is 500),
// all of its category, so its offer has a copy in each of their channels. The bot's side runs
// from the edit's transaction (DB.EditLot changing the lot's title, as `lot modifier` does) to
// the last outbox message delivered (the copies re-rendered and updated, and the board); the
// raw side updates the same posts with UpdatePost, one after the other with the bot's token,
// their contents rendered beforehand by the bot's code with a title changed the same way. Each
// side runs GUICHET_BENCH_RUNS times (default 3), alternating; the medians count. Target: the
// bot's throughput ≥ 0.8× raw UpdatePost's. After each side it checks, unmeasured, that every
// copy shows that side's title (none missed, none stale).
func BenchmarkLotEdit(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	structures := envInt(b, "GUICHET_BENCH_STRUCTURES", 100)
	runs := envInt(b, "GUICHET_BENCH_RUNS", 3)
	category := editStructures(b, r, structures)

	// One event, one lot of that category, published: a copy of its offer in each channel.
	ev := &guichet.Event{Slug: fmt.Sprintf("edit-%d", time.Now().UnixNano()),
		Name: fmt.Sprintf("Événement modifié (essai %d)", time.Now().UnixNano()%100000),
		Day:  time.Now().AddDate(0, 2, 0), CoordChannelID: r.CoordChannel().Id}
	if err := r.DB().CreateEvent(ctx, coordActor(r), ev); err != nil {
		b.Fatal(err)
	}
	lot := &guichet.Lot{Code: "EDIT", Title: "Lot mesuré", Category: category, Quantity: 100, Unit: "couverts",
		Budget: 500000, Mode: guichet.Shared, MaxSuppliers: 5, Description: "Un lot offert partout, modifié après publication."}
	if err := r.DB().AddLots(ctx, coordActor(r), ev.ID, []*guichet.Lot{lot}); err != nil {
		b.Fatal(err)
	}
	waitDelivered(b, r, 5*time.Minute)
	if _, err := r.DB().Publish(ctx, coordActor(r), ev.ID); err != nil {
		b.Fatal(err)
	}
	waitPublished(b, r, 30*time.Minute)
	copies, err := r.DB().OfferPosts(ctx, lot.ID)
	if err != nil {
		b.Fatal(err)
	}
	if len(copies) != structures {
		b.Fatalf("%d copies of the offer posted, want %d", len(copies), structures)
	}

	renderer := offerRenderer(b, r)
	raw := model.NewAPIv4Client(r.MattermostURL())
	raw.SetToken(r.Setup().BotToken)
	var botTimes, rawTimes, renderTimes []time.Duration
	var lastTitle string
	for run := range runs {
		// The bot: the edit's transaction, then its outbox messages delivered.
		title := fmt.Sprintf("Lot mesuré (modification %d)", run)
		waitDelivered(b, r, 5*time.Minute)
		var lastID int64
		if err := r.DB().SQL().GetContext(ctx, &lastID, `SELECT coalesce(max(id), 0) FROM outbox`); err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		dec, err := r.DB().EditLot(ctx, coordActor(r), lot.ID, &guichet.LotEdit{Title: &title})
		if err != nil {
			b.Fatal(err)
		}
		if !dec.Changed() {
			b.Fatal("the edit changed nothing")
		}
		committed := time.Since(began)
		waitPublished(b, r, 15*time.Minute)
		took := time.Since(began)
		botTimes = append(botTimes, took)
		b.Logf("run %d: %s", run, editTimeline(b, r, lastID, began, committed, took))
		checkCopiesShow(b, r, copies, title)

		// Raw UpdatePost of the same posts, rendered beforehand with a title changed alike.
		st, err := r.DB().LotState(ctx, lot.ID)
		if err != nil {
			b.Fatal(err)
		}
		lastTitle = fmt.Sprintf("Lot mesuré (brut %d)", run)
		st.Lot.Title = lastTitle
		rendered := make([]*model.Post, 0, len(copies))
		renderBegan := time.Now()
		for _, c := range copies {
			p := renderer.OfferPost(st, ev, c.ChannelID)
			p.Id = c.PostID
			rendered = append(rendered, p)
		}
		renderTimes = append(renderTimes, time.Since(renderBegan))
		began = time.Now()
		for _, p := range rendered {
			if _, _, err := raw.UpdatePost(ctx, p.Id, p); err != nil {
				b.Fatal(err)
			}
		}
		rawTimes = append(rawTimes, time.Since(began))
	}
	checkCopiesShow(b, r, copies, lastTitle)

	botT, rawT := median(botTimes), median(rawTimes)
	n := len(copies)
	botRate, rawRate := float64(n)/botT.Seconds(), float64(n)/rawT.Seconds()
	b.ReportMetric(float64(n), "copies")
	b.ReportMetric(botRate, "bot-updates/s")
	b.ReportMetric(rawRate, "raw-updates/s")
	b.ReportMetric(botRate/rawRate, "throughput-ratio")
	b.Logf("a lot edit reaching %d copies: the bot in %s (%.1f updates/s), raw UpdatePost in %s (%.1f updates/s): %.2f× (medians of %d; bot %v, raw %v)",
		n, botT.Round(time.Millisecond), botRate, rawT.Round(time.Millisecond), rawRate, botRate/rawRate, runs, botTimes, rawTimes)
	b.Logf("rendering the %d copies with the bot's code (outside the raw side's time): %s (median)", n, median(renderTimes).Round(time.Microsecond))
}

// editStructures creates n structures of one category (a channel each, with the bot; no
// members), once per run of the benchmarks, and returns the category.
func editStructures(b *testing.B, r *mmrig.Rig, n int) string {
	b.Helper()
	ctx := context.Background()
	category := fmt.Sprintf("bedit-%d", n)
	if r.Channel(fmt.Sprintf("bedit-%d-%d", n, n-1)) != nil {
		return category
	}
	var sups []*guichet.Supplier
	for i := range n {
		name := fmt.Sprintf("bedit-%d-%d", n, i)
		ch, err := r.NewChannel(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		sups = append(sups, &guichet.Supplier{Name: "Structure " + name, Categories: []string{category},
			ChannelID: ch.Id, ChannelName: ch.Name})
	}
	if err := r.DB().UpsertSuppliers(ctx, coordActor(r), sups); err != nil {
		b.Fatal(err)
	}
	return category
}

// checkCopiesShow fails unless every copy's post in Mattermost shows title (read back by id,
// 200 at a time).
func checkCopiesShow(b *testing.B, r *mmrig.Rig, copies []guichet.OfferPost, title string) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < len(copies); start += 200 {
		var ids []string
		for _, c := range copies[start:min(start+200, len(copies))] {
			ids = append(ids, c.PostID)
		}
		var posts []*model.Post
		if err := retry429(func() (*model.Response, error) {
			var resp *model.Response
			var err error
			posts, resp, err = r.Admin().Client.GetPostsByIds(ctx, ids)
			return resp, err
		}); err != nil {
			b.Fatal(err)
		}
		if len(posts) != len(ids) {
			b.Fatalf("%d of %d copies found in Mattermost", len(posts), len(ids))
		}
		for _, p := range posts {
			if !strings.Contains(mmrig.PostText(p), title) {
				b.Fatalf("copy %s in channel %s does not show %q", p.Id, p.ChannelId, title)
			}
		}
	}
}

// editTimeline says where the time of one lot edit went, from the outbox messages after lastID
// as the bot recorded them: the edit's transaction, the copies' refresh, the other messages.
func editTimeline(b *testing.B, r *mmrig.Rig, lastID int64, began time.Time, committed, took time.Duration) string {
	b.Helper()
	var rows []struct {
		Kind        string    `db:"kind"`
		DeliveredAt time.Time `db:"delivered_at"`
		Attempts    int       `db:"attempts"`
	}
	if err := r.DB().SQL().SelectContext(context.Background(), &rows, `SELECT kind, delivered_at, attempts FROM outbox
		WHERE id > $1 AND delivered_at IS NOT NULL ORDER BY delivered_at`, lastID); err != nil {
		b.Fatal(err)
	}
	var parts []string
	for _, row := range rows {
		parts = append(parts, fmt.Sprintf("%s delivered at %s (attempts %d)", row.Kind,
			row.DeliveredAt.Sub(began).Round(time.Millisecond), row.Attempts))
	}
	return fmt.Sprintf("edit transaction %s, %s; seen done at %s", committed.Round(time.Millisecond),
		strings.Join(parts, ", "), took.Round(time.Millisecond))
}
