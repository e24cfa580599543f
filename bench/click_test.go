package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/internal/mmrig"
)

// maxClickers is how many people the click benchmark has; GUICHET_BENCH_CLICKERS of them
// (default all) click at once.
const maxClickers = 16

// clickWorld is the click benchmark's people: maxClickers users, each the one member of a
// structure of its own (category "bclk-NN", channel "bclk-NN"), and a coordination channel.
type clickWorld struct {
	users     []*mmrig.User
	channels  []*model.Channel
	suppliers []*guichet.Supplier
	coord     *model.Channel
}

var (
	clickOnce   sync.Once
	clickPeople *clickWorld
)

func clickPeopleOf(b *testing.B, r *mmrig.Rig) *clickWorld {
	b.Helper()
	var err error
	clickOnce.Do(func() {
		ctx := context.Background()
		w := &clickWorld{}
		if w.coord, err = r.NewChannel(ctx, "bclk-coord", r.Coordinator().Username); err != nil {
			return
		}
		for i := range maxClickers {
			name := fmt.Sprintf("bclk-%02d", i)
			u, e := r.NewUser(ctx, fmt.Sprintf("bclk.u%02d", i))
			if e != nil {
				err = e
				return
			}
			ch, e := r.NewChannel(ctx, name, u.Username)
			if e != nil {
				err = e
				return
			}
			w.users = append(w.users, u)
			w.channels = append(w.channels, ch)
			w.suppliers = append(w.suppliers, &guichet.Supplier{Name: "Structure " + name, Categories: []string{name},
				ChannelID: ch.Id, ChannelName: ch.Name, Members: []guichet.Member{{UserID: u.ID, Username: u.Username}}})
		}
		err = r.DB().UpsertSuppliers(ctx, coordActor(r), w.suppliers)
		clickPeople = w
	})
	if err != nil || clickPeople == nil {
		b.Fatalf("click benchmark's people: %v", err)
	}
	return clickPeople
}

func coordActor(r *mmrig.Rig) guichet.Actor {
	return guichet.Actor{UserID: r.Coordinator().ID, Username: r.Coordinator().Username}
}

// BenchmarkClaimClick measures, in one run, the latency of a claim click through Mattermost
// (DoPostAction on an offer's "Je prends": Mattermost calls the bot, which claims in one
// transaction, answers with the updated offer and a private confirmation, which Mattermost
// applies) against a click on a button of a no-op integration posted by the same bot (an HTTP
// server on loopback answering {}): 16 people (GUICHET_BENCH_CLICKERS) clicking at once, each
// on their own offer, GUICHET_BENCH_ROUNDS rounds per side, the sides alternating. It reports p50 and p99 of each
// side and their ratios (targets: p50 ≤ 1.25×, p99 ≤ 1.5×), and fails if a claim was lost or
// doubled.
func BenchmarkClaimClick(b *testing.B) {
	r := benchRig(b)
	w := clickPeopleOf(b, r)
	rounds := envInt(b, "GUICHET_BENCH_ROUNDS", 30)
	clickers := min(envInt(b, "GUICHET_BENCH_CLICKERS", maxClickers), maxClickers)
	ctx := context.Background()

	noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	}))
	defer noop.Close()

	// One event, one exclusive lot per clicker and round, offered to that clicker's structure
	// only; the bot publishes them (rounds × clickers posts) before the clock starts.
	ev := &guichet.Event{Slug: fmt.Sprintf("bench-click-%d", time.Now().UnixNano()), Name: "Banc d'essai des clics",
		Day: time.Now().AddDate(0, 2, 0), CoordChannelID: w.coord.Id}
	if err := r.DB().CreateEvent(ctx, coordActor(r), ev); err != nil {
		b.Fatal(err)
	}
	// A second set of lots is clicked straight at the bot's port, to tell the bot's share of a
	// claim click from Mattermost's.
	lots := make([][]*guichet.Lot, rounds)
	directLots := make([][]*guichet.Lot, rounds)
	var all []*guichet.Lot
	for k := range rounds {
		for i := range clickers {
			for set, into := range map[string][][]*guichet.Lot{"C": lots, "D": directLots} {
				l := &guichet.Lot{Code: fmt.Sprintf("%s%03dN%02d", set, k, i), Title: fmt.Sprintf("Lot %d du tour %d", i, k), Category: w.suppliers[i].Categories[0],
					Quantity: 1, Unit: "lot", Budget: 10000, Mode: guichet.Exclusive}
				into[k] = append(into[k], l)
				all = append(all, l)
			}
		}
	}
	if err := r.DB().AddLots(ctx, coordActor(r), ev.ID, all); err != nil {
		b.Fatal(err)
	}
	if n, err := r.DB().Publish(ctx, coordActor(r), ev.ID); err != nil || n != 2*rounds*clickers {
		b.Fatalf("publish: %d offers queued, %v", n, err)
	}
	waitDelivered(b, r, 5*time.Minute)

	type target struct{ postID, actionID string }
	claimTargets := make([][]target, rounds)
	for k := range rounds {
		for i, l := range lots[k] {
			var postID string
			if err := r.DB().SQL().GetContext(ctx, &postID, `SELECT post_id FROM offer_posts WHERE lot_id = $1 AND channel_id = $2`, l.ID, w.channels[i].Id); err != nil || postID == "" {
				b.Fatalf("offer of lot %s not posted: %v", l.Code, err)
			}
			p, _, err := w.users[i].Client.GetPost(ctx, postID, "")
			if err != nil {
				b.Fatal(err)
			}
			act := mmrig.Button(p, "Je prends")
			if act == nil {
				b.Fatalf("offer %s has no «\u202fJe prends\u202f»: %s", postID, mmrig.PostText(p))
			}
			claimTargets[k] = append(claimTargets[k], target{postID, act.Id})
		}
	}
	// The no-op side: a post per clicker, by the bot, with one button served by the no-op
	// server; a no-op click changes nothing, so it is clicked every round.
	botClient := model.NewAPIv4Client(r.MattermostURL())
	botClient.SetToken(r.Setup().BotToken)
	noopTargets := make([]target, clickers)
	for i := range clickers {
		post := &model.Post{ChannelId: w.channels[i].Id}
		model.ParseMessageAttachment(post, []*model.MessageAttachment{{
			Title: "Intégration sans effet", Text: "Un bouton qui ne fait rien.",
			Actions: []*model.PostAction{{Id: "noop", Name: "Rien", Integration: &model.PostActionIntegration{
				URL: noop.URL, Context: map[string]any{"lot": "0"}}}},
		}})
		created, _, err := botClient.CreatePost(ctx, post)
		if err != nil {
			b.Fatal(err)
		}
		noopTargets[i] = target{created.Id, "noop"}
	}

	// The direct side: the click Mattermost would send for the offer of a lot of the second
	// set, signed with the bot's key, posted straight to the bot.
	signer, err := bot.NewSigner([]byte(r.SigningKey()))
	if err != nil {
		b.Fatal(err)
	}
	directBodies := make([][][]byte, rounds)
	for k := range rounds {
		for i, l := range directLots[k] {
			var postID string
			if err := r.DB().SQL().GetContext(ctx, &postID, `SELECT post_id FROM offer_posts WHERE lot_id = $1`, l.ID); err != nil {
				b.Fatal(err)
			}
			body, err := json.Marshal(model.PostActionIntegrationRequest{UserId: w.users[i].ID, UserName: w.users[i].Username,
				ChannelId: w.channels[i].Id, TeamId: r.Team().Id, PostId: postID,
				Context: signer.ButtonContext(claimTargets[0][0].actionID, map[string]string{"lot": strconv.FormatInt(l.ID, 10)}, "", time.Now().Add(time.Hour))})
			if err != nil {
				b.Fatal(err)
			}
			directBodies[k] = append(directBodies[k], body)
		}
	}
	direct := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: maxClickers}}
	clickDirect := func(bodies [][]byte) ([]time.Duration, error) {
		return atOnce(clickers, func(i int) error {
			resp, err := direct.Post(r.BotURL()+"/mattermost/action", "application/json", bytes.NewReader(bodies[i]))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var answer model.PostActionIntegrationResponse
			if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(answer.EphemeralText, "✅") {
				return fmt.Errorf("direct click: %d %v, answer %q", resp.StatusCode, err, answer.EphemeralText)
			}
			return nil
		})
	}

	click := func(targets []target) ([]time.Duration, error) {
		return atOnce(clickers, func(i int) error {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if _, err := w.users[i].Client.DoPostAction(cctx, targets[i].postID, targets[i].actionID); err != nil {
				return fmt.Errorf("%s clicks on %s: %w", w.users[i].Username, targets[i].postID, err)
			}
			return nil
		})
	}
	// Warm up both paths (connections, caches) outside the measure.
	if _, err := click(noopTargets); err != nil {
		b.Fatal(err)
	}
	var claimLat, noopLat, directLat, shownLat []time.Duration
	b.ResetTimer()
	for k := range rounds {
		sides := []func() error{
			func() error { d, err := click(noopTargets); noopLat = append(noopLat, d...); return err },
			func() error {
				began := time.Now()
				d, err := click(claimTargets[k])
				claimLat = append(claimLat, d...)
				if err == nil {
					// A claim is confirmed privately at once; the offer itself is refreshed by
					// the outbox a moment later. How long until every clicked offer shows it:
					waitDelivered(b, r, time.Minute)
					shownLat = append(shownLat, refreshedAfter(b, r, lots[k], began)...)
				}
				return err
			},
			func() error { d, err := clickDirect(directBodies[k]); directLat = append(directLat, d...); return err },
		}
		// Each side goes first, second and third in turn.
		for range k % 3 {
			sides = append(sides[1:], sides[0])
		}
		for _, side := range sides {
			if err := side(); err != nil {
				b.Fatal(err)
			}
			// What a side queued (offer refreshes, the coordination's notices, the board) is
			// delivered before the next side clicks, so that no side pays for another's.
			waitDelivered(b, r, time.Minute)
			time.Sleep(150 * time.Millisecond)
		}
	}
	b.StopTimer()

	// Every click claimed its lot for its structure, once.
	var awarded, wrong int
	if err := r.DB().SQL().GetContext(ctx, &awarded, `SELECT count(*) FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.status = 'awarded'`, ev.ID); err != nil {
		b.Fatal(err)
	}
	if err := r.DB().SQL().GetContext(ctx, &wrong, `SELECT count(*) FROM lots l
		WHERE l.event_id = $1 AND (SELECT count(*) FROM claims c WHERE c.lot_id = l.id) <> 1`, ev.ID); err != nil {
		b.Fatal(err)
	}
	if awarded != 2*rounds*clickers || wrong != 0 {
		b.Fatalf("%d claims awarded for %d clicks; %d lots without exactly one claim", awarded, 2*rounds*clickers, wrong)
	}

	cp50, cp99 := percentile(claimLat, 50), percentile(claimLat, 99)
	np50, np99 := percentile(noopLat, 50), percentile(noopLat, 99)
	b.ReportMetric(ms(cp50), "claim-p50-ms")
	b.ReportMetric(ms(cp99), "claim-p99-ms")
	b.ReportMetric(ms(np50), "noop-p50-ms")
	b.ReportMetric(ms(np99), "noop-p99-ms")
	b.ReportMetric(ms(percentile(directLat, 50)), "bot-alone-p50-ms")
	b.ReportMetric(ms(percentile(directLat, 99)), "bot-alone-p99-ms")
	b.ReportMetric(ms(cp50)/ms(np50), "p50-ratio")
	b.ReportMetric(ms(cp99)/ms(np99), "p99-ratio")
	b.ReportMetric(ms(percentile(shownLat, 50)), "offer-shown-p50-ms")
	b.ReportMetric(ms(percentile(shownLat, 99)), "offer-shown-p99-ms")
	b.ReportMetric(float64(len(claimLat)), "clicks/side")
	b.Logf("claim p50 %.1f ms p99 %.1f ms; no-op p50 %.1f ms p99 %.1f ms; ratios p50 %.2f× p99 %.2f× (%d clicks per side, %d at once); the bot alone (straight to its port) p50 %.1f ms p99 %.1f ms",
		ms(cp50), ms(cp99), ms(np50), ms(np99), ms(cp50)/ms(np50), ms(cp99)/ms(np99), len(claimLat), clickers,
		ms(percentile(directLat, 50)), ms(percentile(directLat, 99)))
	b.Logf("the clicked offers showed their holder (refresh delivered by the outbox) p50 %.1f ms p99 %.1f ms after the clicks began",
		ms(percentile(shownLat, 50)), ms(percentile(shownLat, 99)))
}

// refreshedAfter returns, for each lot, how long after began the last refresh of its offer was
// delivered (its copies updated in Mattermost).
func refreshedAfter(b *testing.B, r *mmrig.Rig, lots []*guichet.Lot, began time.Time) []time.Duration {
	b.Helper()
	ids := make([]int64, len(lots))
	for i, l := range lots {
		ids[i] = l.ID
	}
	var at []time.Time
	if err := r.DB().SQL().SelectContext(context.Background(), &at, `SELECT max(delivered_at) FROM outbox
		WHERE kind = 'claimed' AND (payload->>'lot_id')::bigint = ANY($1) AND delivered_at IS NOT NULL
		GROUP BY payload->>'lot_id'`, pq.Int64Array(ids)); err != nil {
		b.Fatal(err)
	}
	if len(at) != len(lots) {
		b.Fatalf("%d of %d clicked offers refreshed", len(at), len(lots))
	}
	out := make([]time.Duration, len(at))
	for i, t := range at {
		out[i] = t.Sub(began)
	}
	return out
}

// atOnce runs fn(0) … fn(n-1) at the same moment and returns how long each took, or the first
// error.
func atOnce(n int, fn func(i int) error) ([]time.Duration, error) {
	out := make([]time.Duration, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			began := time.Now()
			errs[i] = fn(i)
			out[i] = time.Since(began)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// waitDelivered waits until the outbox holds nothing left to deliver and nothing parked.
func waitDelivered(b *testing.B, r *mmrig.Rig, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var pending, parked int
		if err := r.DB().SQL().QueryRowContext(context.Background(), `SELECT
			count(*) FILTER (WHERE delivered_at IS NULL AND parked_at IS NULL),
			count(*) FILTER (WHERE parked_at IS NOT NULL) FROM outbox`).Scan(&pending, &parked); err != nil {
			b.Fatal(err)
		}
		if parked > 0 {
			b.Fatalf("%d outbox messages parked", parked)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d outbox messages still pending after %s", pending, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
