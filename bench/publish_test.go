package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// BenchmarkPublish measures the publication of an event's offers by the bot (from the
// publish transaction to the last outbox message delivered: offers, board and notices, one
// `guichet serve`) against raw CreatePost of the same offer posts, rendered by the bot's code,
// one after the other with the same token: the Assises 2011 event (14 lots to 19 structures)
// and a larger one (GUICHET_BENCH_LOTS lots over GUICHET_BENCH_CATEGORIES categories to
// GUICHET_BENCH_STRUCTURES structures). Each is measured with the bot posting one offer at a
// time and with two at once (outbox_in_flight 1 and 2, the default; GUICHET_BENCH_INFLIGHT
// lists the settings); the raw side always posts one after the other. Each side runs
// GUICHET_BENCH_RUNS times (default 3), alternating; the medians count. Target: the bot's
// throughput ≥ 0.8× raw CreatePost's.
func BenchmarkPublish(b *testing.B) {
	r := benchRig(b)
	settings := inFlightSettings(b)
	defer serveWithInFlight(b, 0)
	b.Run("assises-14x19", func(b *testing.B) {
		for _, n := range settings {
			b.Run(fmt.Sprintf("inflight-%d", n), func(b *testing.B) {
				serveWithInFlight(b, n)
				comparePublish(b, r, func(b *testing.B, run int) *guichet.Event { return assisesEvent(b, r, run) })
			})
		}
	})
	lotsN := envInt(b, "GUICHET_BENCH_LOTS", 200)
	structures := envInt(b, "GUICHET_BENCH_STRUCTURES", 100)
	categories := envInt(b, "GUICHET_BENCH_CATEGORIES", 20)
	b.Run(fmt.Sprintf("%dx%d", lotsN, structures), func(b *testing.B) {
		cats := scaleStructures(b, r, structures, categories)
		for _, n := range settings {
			b.Run(fmt.Sprintf("inflight-%d", n), func(b *testing.B) {
				serveWithInFlight(b, n)
				comparePublish(b, r, func(b *testing.B, run int) *guichet.Event { return scaleEvent(b, r, run, lotsN, cats) })
			})
		}
	})
}

// inFlightSettings reads GUICHET_BENCH_INFLIGHT, a comma-separated list of outbox_in_flight
// settings (default "1,2").
func inFlightSettings(b *testing.B) []int {
	b.Helper()
	v := os.Getenv("GUICHET_BENCH_INFLIGHT")
	if v == "" {
		return []int{1, 2}
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 8 {
			b.Fatalf("GUICHET_BENCH_INFLIGHT=%q: want numbers from 1 to 8, comma-separated", v)
		}
		out = append(out, n)
	}
	return out
}

// servedInFlight is the outbox_in_flight setting of the running `guichet serve`, 0 for the
// rig's own (the default).
var servedInFlight int

// serveWithInFlight restarts `guichet serve` with outbox_in_flight n (0: the rig's default)
// unless it already runs so.
func serveWithInFlight(b *testing.B, n int) {
	b.Helper()
	if n == servedInFlight {
		return
	}
	if err := botProc.stop(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	env := rig.BotEnv()
	if n > 0 {
		env["GUICHET_OUTBOX_IN_FLIGHT"] = strconv.Itoa(n)
	}
	p, err := startServe(context.Background(), env)
	if err != nil {
		b.Fatal(err)
	}
	botProc, servedInFlight = p, n
}

// BenchmarkPublishRateLimited publishes the Assises event with Mattermost's rate limiting on
// (10 requests per second per token, bursts of 20): every offer is delivered, once, and the
// time it took is reported. Mattermost is restarted without limits afterwards.
func BenchmarkPublishRateLimited(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	limits := map[string]string{
		"MM_RATELIMITSETTINGS_ENABLE": "true", "MM_RATELIMITSETTINGS_PERSEC": "10", "MM_RATELIMITSETTINGS_MAXBURST": "20",
		"MM_RATELIMITSETTINGS_VARYBYUSER": "true", "MM_RATELIMITSETTINGS_VARYBYREMOTEADDR": "false",
	}
	restart := func(env map[string]string, value func(string) string) {
		if err := r.StopMattermost(); err != nil {
			b.Fatal(err)
		}
		for k := range env {
			r.SetMattermostEnv(k, value(env[k]))
		}
		if err := r.StartMattermost(ctx); err != nil {
			b.Fatal(err)
		}
	}
	restart(limits, func(v string) string { return v })
	defer restart(limits, func(string) string { return "" })

	// The limits hold: a burst of requests with one token meets 429s.
	probe := model.NewAPIv4Client(r.MattermostURL())
	probe.SetToken(r.Coordinator().Token)
	limited := false
	for range 60 {
		if _, resp, err := probe.GetMe(ctx, ""); err != nil && resp != nil && resp.StatusCode == 429 {
			limited = true
			break
		}
	}
	if !limited {
		b.Fatal("Mattermost does not limit requests: the rate limit settings were not applied")
	}

	ev := assisesEvent(b, r, 99)
	began := time.Now()
	n, err := r.DB().Publish(ctx, coordActor(r), ev.ID)
	if err != nil {
		b.Fatal(err)
	}
	waitDelivered(b, r, 10*time.Minute)
	took := time.Since(began)
	posts := countOfferPosts(b, r, ev)
	if posts != n {
		b.Fatalf("%d offers queued, %d found in Mattermost", n, posts)
	}
	var retries int
	if err := r.DB().SQL().GetContext(ctx, &retries, `SELECT coalesce(sum(attempts - 1), 0) FROM outbox
		WHERE payload->>'lot_id' IN (SELECT id::text FROM lots WHERE event_id = $1)`, ev.ID); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n), "posts")
	b.ReportMetric(took.Seconds(), "publish-s")
	b.ReportMetric(float64(n)/took.Seconds(), "posts/s")
	b.ReportMetric(float64(retries), "outbox-retries")
	b.Logf("rate limited (10/s, burst 20): %d offers, all in Mattermost once, in %s (%.1f posts/s), %d outbox retries",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), retries)
}

// comparePublish runs the bot's publication and raw CreatePost GUICHET_BENCH_RUNS times each,
// alternating, on fresh events made by newEvent, and reports the medians.
func comparePublish(b *testing.B, r *mmrig.Rig, newEvent func(b *testing.B, run int) *guichet.Event) {
	ctx := context.Background()
	renderer := offerRenderer(b, r)
	raw := model.NewAPIv4Client(r.MattermostURL())
	raw.SetToken(r.Setup().BotToken)
	publishRuns := envInt(b, "GUICHET_BENCH_RUNS", 3)
	var botTimes, rawTimes []time.Duration
	var posts int
	for run := range publishRuns {
		// The bot.
		ev := newEvent(b, run)
		waitDelivered(b, r, 5*time.Minute)
		var lastID int64
		if err := r.DB().SQL().GetContext(ctx, &lastID, `SELECT coalesce(max(id), 0) FROM outbox`); err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		n, err := r.DB().Publish(ctx, coordActor(r), ev.ID)
		if err != nil {
			b.Fatal(err)
		}
		committed := time.Since(began)
		waitPublished(b, r, 15*time.Minute)
		took := time.Since(began)
		botTimes = append(botTimes, took)
		b.Logf("run %d: %s", run, publishTimeline(b, r, lastID, began, committed, took))
		if got := countOfferPosts(b, r, ev); got != n {
			b.Fatalf("%d offers queued, %d posted", n, got)
		}
		posts = n

		// Raw CreatePost of the same posts, rendered beforehand.
		var pairs []struct {
			LotID     int64  `db:"lot_id"`
			ChannelID string `db:"channel_id"`
		}
		if err := r.DB().SQL().SelectContext(ctx, &pairs, `SELECT o.lot_id, o.channel_id FROM offer_posts o
			JOIN lots l ON l.id = o.lot_id WHERE l.event_id = $1 ORDER BY o.lot_id, o.channel_id`, ev.ID); err != nil {
			b.Fatal(err)
		}
		rendered := make([]*model.Post, 0, len(pairs))
		for _, p := range pairs {
			st, err := r.DB().LotState(ctx, p.LotID)
			if err != nil {
				b.Fatal(err)
			}
			rendered = append(rendered, renderer.OfferPost(st, ev, p.ChannelID))
		}
		began = time.Now()
		for _, p := range rendered {
			if _, _, err := raw.CreatePost(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		rawTimes = append(rawTimes, time.Since(began))
	}
	botT, rawT := median(botTimes), median(rawTimes)
	botRate, rawRate := float64(posts)/botT.Seconds(), float64(posts)/rawT.Seconds()
	b.ReportMetric(float64(posts), "posts")
	b.ReportMetric(botRate, "bot-posts/s")
	b.ReportMetric(rawRate, "raw-posts/s")
	b.ReportMetric(botRate/rawRate, "throughput-ratio")
	b.Logf("%d offers: the bot in %s (%.1f posts/s), raw CreatePost in %s (%.1f posts/s): %.2f× (medians of %d; bot %v, raw %v)",
		posts, botT.Round(time.Millisecond), botRate, rawT.Round(time.Millisecond), rawRate, botRate/rawRate, publishRuns, botTimes, rawTimes)
}

// waitPublished waits until no outbox message is pending, polling every 2 ms with a query the
// partial index outbox_due_idx answers (the measured side shares the machine with the poll),
// then fails if any message was parked.
func waitPublished(b *testing.B, r *mmrig.Rig, timeout time.Duration) {
	b.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for {
		var pending bool
		if err := r.DB().SQL().GetContext(ctx, &pending, `SELECT EXISTS (SELECT FROM outbox
			WHERE delivered_at IS NULL AND parked_at IS NULL)`); err != nil {
			b.Fatal(err)
		}
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("outbox messages still pending after %s", timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	waitDelivered(b, r, time.Second) // and none parked
}

// publishTimeline says where the time of one publication went, from the outbox messages after
// lastID as the bot recorded them: the publish transaction, the first and last offers
// delivered, the other messages (board, notices).
func publishTimeline(b *testing.B, r *mmrig.Rig, lastID int64, began time.Time, committed, took time.Duration) string {
	b.Helper()
	var rows []struct {
		Kind        string    `db:"kind"`
		DeliveredAt time.Time `db:"delivered_at"`
	}
	if err := r.DB().SQL().SelectContext(context.Background(), &rows, `SELECT kind, delivered_at FROM outbox
		WHERE id > $1 AND delivered_at IS NOT NULL ORDER BY delivered_at`, lastID); err != nil {
		b.Fatal(err)
	}
	var first, last time.Duration
	others := map[string]int{}
	for _, row := range rows {
		at := row.DeliveredAt.Sub(began)
		if row.Kind != string(guichet.OutboxPublishOffer) {
			others[row.Kind]++
			continue
		}
		if first == 0 {
			first = at
		}
		last = at
	}
	return fmt.Sprintf("publish transaction %s, first offer delivered at %s, last at %s, seen done at %s; also delivered: %v",
		committed.Round(time.Millisecond), first.Round(time.Millisecond), last.Round(time.Millisecond), took.Round(time.Millisecond), others)
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// countOfferPosts counts the event's offers that have a post in Mattermost (looked up by id).
func countOfferPosts(b *testing.B, r *mmrig.Rig, ev *guichet.Event) int {
	b.Helper()
	ctx := context.Background()
	var ids []string
	if err := r.DB().SQL().SelectContext(ctx, &ids, `SELECT o.post_id FROM offer_posts o JOIN lots l ON l.id = o.lot_id
		WHERE l.event_id = $1 AND o.post_id <> ''`, ev.ID); err != nil {
		b.Fatal(err)
	}
	// Group by channel and read each channel's posts once (few requests, for rate limits).
	var channels []string
	if err := r.DB().SQL().SelectContext(ctx, &channels, `SELECT DISTINCT o.channel_id FROM offer_posts o
		JOIN lots l ON l.id = o.lot_id WHERE l.event_id = $1`, ev.ID); err != nil {
		b.Fatal(err)
	}
	seen := map[string]int{}
	for _, ch := range channels {
		for page := 0; ; page++ {
			var list *model.PostList
			err := retry429(func() (*model.Response, error) {
				var resp *model.Response
				var err error
				list, resp, err = r.Admin().Client.GetPostsForChannel(ctx, ch, page, 200, "", false, false)
				return resp, err
			})
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range list.Posts {
				if p.UserId == r.BotUserID() && strings.Contains(mmrig.PostText(p), ev.Name) {
					seen[p.Id]++
				}
			}
			if len(list.Order) < 200 {
				break
			}
		}
	}
	found := 0
	for _, id := range ids {
		if seen[id] > 0 {
			found++
		}
	}
	// Offers in Mattermost that the bot did not record would be duplicates.
	mentioning := 0
	for range seen {
		mentioning++
	}
	if mentioning != len(ids) {
		b.Fatalf("%d posts of %s in Mattermost, %d offers recorded: duplicates or strays", mentioning, ev.Name, len(ids))
	}
	return found
}

// retry429 calls fn until it is not refused with 429 (at most a minute).
func retry429(fn func() (*model.Response, error)) error {
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := fn()
		if err == nil || resp == nil || resp.StatusCode != 429 || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// offerRenderer is a Bot used only to render offers exactly as `guichet serve` does.
func offerRenderer(b *testing.B, r *mmrig.Rig) *bot.Bot {
	b.Helper()
	signer, err := bot.NewSigner([]byte(r.SigningKey()))
	if err != nil {
		b.Fatal(err)
	}
	renderer, err := bot.New(bot.Deps{
		Store: r.DB(), Access: &guichet.Access{Store: r.DB()}, Catalog: l10n.New(),
		Client: bot.NewClient(r.MattermostURL(), r.Setup().BotToken, bot.ClientOptions{}),
		Signer: signer, CommandTokens: []string{r.CommandToken()}, PublicURL: r.BotURL(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return renderer
}

// assisesEvent creates a copy of the Assises 2011 event (its 14 lots, offered to the fixture's
// 19 structures), bound to the rig's coordination channel.
func assisesEvent(b *testing.B, r *mmrig.Rig, run int) *guichet.Event {
	b.Helper()
	ctx := context.Background()
	recs, err := commands.ReadLots(assises.Read(assises.LotsFile), time.UTC)
	if err != nil {
		b.Fatal(err)
	}
	ev := &guichet.Event{Slug: fmt.Sprintf("assises-%d-%d", time.Now().UnixNano(), run),
		Name: fmt.Sprintf("Assises (essai %d-%d)", time.Now().UnixNano()%100000, run),
		Day:  time.Now().AddDate(0, 2, 0), CoordChannelID: r.CoordChannel().Id}
	if err := r.DB().CreateEvent(ctx, coordActor(r), ev); err != nil {
		b.Fatal(err)
	}
	lots := make([]*guichet.Lot, len(recs))
	for i, rec := range recs {
		lots[i] = rec.Lot
	}
	if err := r.DB().AddLots(ctx, coordActor(r), ev.ID, lots); err != nil {
		b.Fatal(err)
	}
	return ev
}

// scaleStructures creates n structures (a channel each, with the bot; no members) spread over
// categories categories, once per run of the benchmarks, and returns the categories.
func scaleStructures(b *testing.B, r *mmrig.Rig, n, categories int) []string {
	b.Helper()
	ctx := context.Background()
	cats := make([]string, categories)
	for i := range cats {
		cats[i] = fmt.Sprintf("bscale-%d-%d", n, i)
	}
	if r.Channel(fmt.Sprintf("bscale-%d-%d", n, n-1)) != nil {
		return cats
	}
	var sups []*guichet.Supplier
	for i := range n {
		name := fmt.Sprintf("bscale-%d-%d", n, i)
		ch, err := r.NewChannel(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		sups = append(sups, &guichet.Supplier{Name: "Structure " + name, Categories: []string{cats[i%categories]},
			ChannelID: ch.Id, ChannelName: ch.Name})
	}
	if err := r.DB().UpsertSuppliers(ctx, coordActor(r), sups); err != nil {
		b.Fatal(err)
	}
	return cats
}

// scaleEvent creates an event of lotsN exclusive lots spread over cats.
func scaleEvent(b *testing.B, r *mmrig.Rig, run, lotsN int, cats []string) *guichet.Event {
	b.Helper()
	ctx := context.Background()
	ev := &guichet.Event{Slug: fmt.Sprintf("scale-%d-%d", time.Now().UnixNano(), run),
		Name: fmt.Sprintf("Grand événement (essai %d-%d)", time.Now().UnixNano()%100000, run),
		Day:  time.Now().AddDate(0, 2, 0), CoordChannelID: r.CoordChannel().Id}
	if err := r.DB().CreateEvent(ctx, coordActor(r), ev); err != nil {
		b.Fatal(err)
	}
	lots := make([]*guichet.Lot, lotsN)
	for i := range lots {
		lots[i] = &guichet.Lot{Code: fmt.Sprintf("L%04d", i), Title: fmt.Sprintf("Lot numéro %d", i), Category: cats[i%len(cats)],
			Quantity: 10, Unit: "unités", Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 3,
			Description: "Un lot du grand événement, pour mesurer la publication."}
	}
	if err := r.DB().AddLots(ctx, coordActor(r), ev.ID, lots); err != nil {
		b.Fatal(err)
	}
	return ev
}
