package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
)

// BenchmarkServe measures `guichet serve`: its start-up time, from exec to the first 200 from
// /readyz on a migrated database (five starts, median and worst), and its resident memory
// (VmRSS, sampled every 20 ms) idle and while serving the Assises 2011 event (the 14 lots
// published to the 19 structures, and every structure claiming its part at once from its
// channel with /guichet, as in 2011), then the larger publication of BenchmarkPublish.
// Targets: start-up ≤ 1 s, memory ≤ 50 MB.
func BenchmarkServe(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	var starts []time.Duration
	for range 5 {
		if err := botProc.stop(syscall.SIGTERM); err != nil {
			b.Fatal(err)
		}
		p, err := startServe(ctx, r.BotEnv())
		if err != nil {
			b.Fatal(err)
		}
		botProc = p
		starts = append(starts, p.ready)
	}
	time.Sleep(2 * time.Second) // the first scheduler pass and dispatcher poll are done
	idle, _, err := botProc.rss()
	if err != nil {
		b.Fatal(err)
	}

	// Serve the Assises event while sampling memory.
	var peak int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			if rss, _, err := botProc.rss(); err == nil && rss > peak {
				peak = rss
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	ev := assisesEvent(b, r, 7)
	n, err := r.DB().Publish(ctx, coordActor(r), ev.ID)
	if err != nil {
		b.Fatal(err)
	}
	waitDelivered(b, r, 5*time.Minute)
	claimsMade := replayClaims(b, r, ev.Slug)
	waitDelivered(b, r, 5*time.Minute)
	// And a larger publication: GUICHET_BENCH_LOTS lots to GUICHET_BENCH_STRUCTURES structures.
	cats := scaleStructures(b, r, envInt(b, "GUICHET_BENCH_STRUCTURES", 100), envInt(b, "GUICHET_BENCH_CATEGORIES", 20))
	big := scaleEvent(b, r, 8, envInt(b, "GUICHET_BENCH_LOTS", 200), cats)
	more, err := r.DB().Publish(ctx, coordActor(r), big.ID)
	if err != nil {
		b.Fatal(err)
	}
	n += more
	waitDelivered(b, r, 15*time.Minute)
	close(stop)
	sampler.Wait()
	after, hwm, err := botProc.rss()
	if err != nil {
		b.Fatal(err)
	}

	mb := func(n int64) float64 { return float64(n) / (1 << 20) }
	b.ReportMetric(ms(median(starts)), "startup-ms")
	b.ReportMetric(ms(maxDuration(starts)), "startup-max-ms")
	b.ReportMetric(mb(idle), "rss-idle-MB")
	b.ReportMetric(mb(peak), "rss-serving-peak-MB")
	b.ReportMetric(mb(hwm), "rss-hwm-MB")
	b.Logf("start-up to /readyz: median %.0f ms, worst %.0f ms (%v); RSS idle %.1f MB, peak while serving %.1f MB (%d offers, %d claims), high-water mark %.1f MB, after %.1f MB",
		ms(median(starts)), ms(maxDuration(starts)), starts, mb(idle), mb(peak), n, claimsMade, mb(hwm), mb(after))
}

func maxDuration(d []time.Duration) time.Duration {
	var m time.Duration
	for _, x := range d {
		m = max(m, x)
	}
	return m
}

// replayClaims has every structure of the Assises fixture claim what it took in 2011
// (replay.csv), all at once, each from its channel through /guichet; it returns how many
// claims were made.
func replayClaims(b *testing.B, r *mmrig.Rig, slug string) int {
	b.Helper()
	rows, err := assises.Rows(assises.ReplayFile, "lot", "supplier", "quantity")
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]mmrig.Supplier{}
	for _, s := range r.Suppliers() {
		byName[s.Name] = s
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(rows))
	for _, row := range rows {
		s, ok := byName[row["supplier"]]
		if !ok {
			b.Fatalf("replay.csv: no structure %q", row["supplier"])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			resp, err := r.User(s.Members[0]).Command(ctx, r.Channel(s.Channel).Id, fmt.Sprintf("/guichet prendre %s/%s %s", slug, row["lot"], row["quantity"]))
			if err == nil && !strings.Contains(resp.Text, "prend le lot") {
				err = fmt.Errorf("%s claims %s: %s", s.Name, row["lot"], resp.Text)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return len(rows)
}
