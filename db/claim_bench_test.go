package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/pgserver"
)

// claimBenchClients is how many transactions run at once, on each side.
const claimBenchClients = 16

// warmUp is how long claims run before the measures, to fill the claims table before it is
// analyzed.
const warmUp = 2 * time.Second

// BenchmarkClaimVsPgbench measures the claim transaction alone (db.Claim: read the lot, check
// membership and capacity, insert the claim, which is its own audit entry, recompute the
// amounts and the lot's status, queue the one outbox message that stands for the offer
// refresh, the coordinator's notice and the board refresh, add the structure's reminder rows
// on its first award) against pgbench's
// simple-update script (pgbench -N) on the same PostgreSQL server, each with 16 clients at
// once for GUICHET_BENCH_SECONDS seconds (default 10), alternating twice; the medians count.
// The claims go to distinct exclusive lots ("spread") and, separately, all 16 clients claim a
// share of the same lot until it is full, then the next ("one lot"). Before the measures,
// claims run for warmUp and the database is analyzed, as pgbench's tables are when it
// creates them. Target: spread claims ≥ 0.5× pgbench's tps. Afterwards no lot is
// over-allocated. Run it with:
//
//	go test ./db -run '^$' -bench ClaimVsPgbench -benchtime 1x
func BenchmarkClaimVsPgbench(b *testing.B) {
	ctx := context.Background()
	seconds := 10
	if v := os.Getenv("GUICHET_BENCH_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("GUICHET_BENCH_SECONDS=%q: want a positive integer", v)
		}
		seconds = n
	}
	dur := time.Duration(seconds) * time.Second
	pgbench := findPgbench(b)

	// pgbench's own database on the same server, scale 16 (one branch per client).
	admin := dbtest.AdminURL(b)
	pgbURL := withDatabase(b, admin, fmt.Sprintf("pgbench_%d", time.Now().UnixNano()))
	if out, err := exec.CommandContext(ctx, pgbench, "-i", "-q", "-s", "16", pgbURL).CombinedOutput(); err != nil {
		b.Fatalf("pgbench -i: %v\n%s", err, out)
	}

	d := dbtest.New(b)
	actor := dbtest.Coordinator
	ev := &guichet.Event{Slug: "bench", Name: "Banc d'essai", Day: time.Now().AddDate(0, 1, 0), CoordChannelID: "coord-channel"}
	if err := d.CreateEvent(ctx, actor, ev); err != nil {
		b.Fatal(err)
	}
	var sups []*guichet.Supplier
	for i := range claimBenchClients {
		sups = append(sups, &guichet.Supplier{Name: fmt.Sprintf("Structure %d", i), Categories: []string{"bench"},
			ChannelID: fmt.Sprintf("ch-%d", i), Members: []guichet.Member{{UserID: fmt.Sprintf("user-%d", i), Username: fmt.Sprintf("user%d", i)}}})
	}
	if err := d.UpsertSuppliers(ctx, actor, sups); err != nil {
		b.Fatal(err)
	}
	// Enough lots for several runs at a few thousand claims per second.
	if _, err := d.SQL().ExecContext(ctx, `
		INSERT INTO lots (event_id, code, title, category, quantity, budget_cents, mode, max_suppliers, award, status)
		SELECT $1, 'X' || g, 'Lot exclusif ' || g, 'bench', 1, 10000, 'exclusive', 1, 'first-come', 'open'
		FROM generate_series(1, 200000) g`, ev.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := d.SQL().ExecContext(ctx, `
		INSERT INTO lots (event_id, code, title, category, quantity, budget_cents, mode, max_suppliers, award, status)
		SELECT $1, 'S' || g, 'Lot partagé ' || g, 'bench', $2::bigint, 160000, 'shared', $2::int, 'first-come', 'open'
		FROM generate_series(1, 50000) g`, ev.ID, claimBenchClients); err != nil {
		b.Fatal(err)
	}
	// Claims happen on published events (which have reminders to keep up to date).
	if _, err := d.SQL().ExecContext(ctx, `UPDATE events SET status = 'published' WHERE id = $1`, ev.ID); err != nil {
		b.Fatal(err)
	}
	var exclusive, shared []int64
	if err := d.SQL().SelectContext(ctx, &exclusive, `SELECT id FROM lots WHERE event_id = $1 AND mode = 'exclusive' ORDER BY id`, ev.ID); err != nil {
		b.Fatal(err)
	}
	if err := d.SQL().SelectContext(ctx, &shared, `SELECT id FROM lots WHERE event_id = $1 AND mode = 'shared' ORDER BY id`, ev.ID); err != nil {
		b.Fatal(err)
	}

	var nextExclusive atomic.Int64
	spread := func(dur time.Duration) (float64, error) {
		return runClaims(ctx, d, sups, dur, func(int) (int64, int64) {
			return exclusive[nextExclusive.Add(1)-1], 0
		})
	}
	// A database in service has statistics that describe its tables, as pgbench's have (pgbench
	// -i analyzes them): the claims' prepared statements are planned from them, and a claims
	// table analyzed while still empty would be read whole. So claims run for a moment first
	// (on lots of their own), then everything is analyzed.
	if _, err := spread(warmUp); err != nil {
		b.Fatal(err)
	}
	if _, err := d.SQL().ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var pgbTPS, spreadTPS []float64
	for range 2 {
		tps, err := runPgbench(ctx, pgbench, pgbURL, dur)
		if err != nil {
			b.Fatal(err)
		}
		pgbTPS = append(pgbTPS, tps)
		tps, err = spread(dur)
		if err != nil {
			b.Fatal(err)
		}
		spreadTPS = append(spreadTPS, tps)
	}
	// One lot at a time: every client asks for one unit of the current shared lot; the 16th
	// claim fills it and the clients move on to the next.
	sharedIndex := make(map[int64]int64, len(shared))
	for i, id := range shared {
		sharedIndex[id] = int64(i)
	}
	var current atomic.Int64
	oneLotTPS, err := runClaims(ctx, d, sups, dur, func(int) (int64, int64) {
		return shared[current.Load()], 1
	}, func(lotID int64, res *guichet.ClaimResult, err error) {
		if guichet.ErrorCode(err) == guichet.ECONFLICT || res != nil && res.Lot.Status == guichet.LotFilled {
			current.CompareAndSwap(sharedIndex[lotID], sharedIndex[lotID]+1)
		}
	})
	if err != nil {
		b.Fatal(err)
	}

	// No lot holds more than it has, no exclusive lot two awards, every amount adds up.
	var over int
	if err := d.SQL().GetContext(ctx, &over, `SELECT count(*) FROM lots l WHERE l.event_id = $1 AND (
		(SELECT coalesce(sum(quantity), 0) FROM claims c WHERE c.lot_id = l.id AND c.status = 'awarded') > l.quantity
		OR (SELECT count(*) FROM claims c WHERE c.lot_id = l.id AND c.status = 'awarded') > l.max_suppliers
		OR (l.status = 'filled' AND (SELECT sum(amount_cents) FROM claims c WHERE c.lot_id = l.id AND c.status = 'awarded') <> l.budget_cents))`, ev.ID); err != nil {
		b.Fatal(err)
	}
	if over != 0 {
		b.Fatalf("%d lots over-allocated or with amounts that do not add up", over)
	}
	var claimsMade int
	if err := d.SQL().GetContext(ctx, &claimsMade, `SELECT count(*) FROM claims`); err != nil {
		b.Fatal(err)
	}

	p, s := medianF(pgbTPS), medianF(spreadTPS)
	b.ReportMetric(p, "pgbench-N-tps")
	b.ReportMetric(s, "claim-tps")
	b.ReportMetric(s/p, "ratio")
	b.ReportMetric(oneLotTPS, "claim-one-lot-tps")
	b.Logf("%d clients, %s per run: pgbench -N %.0f tps %v; claims on distinct lots %.0f tps %v (%.2f×); claims on one lot at a time %.0f tps; %d claims made, none over-allocated",
		claimBenchClients, dur, p, pgbTPS, s, spreadTPS, s/p, oneLotTPS, claimsMade)
}

// runClaims runs claimBenchClients clients claiming for dur: client i claims for supplier i
// the lot and quantity pick returns; every transaction that ends (claim made or found, or
// refused for a reason of the lot's) counts. after, if given, sees each outcome. It returns transactions
// per second.
func runClaims(ctx context.Context, d *db.DB, sups []*guichet.Supplier, dur time.Duration,
	pick func(client int) (lotID, qty int64), after ...func(lotID int64, res *guichet.ClaimResult, err error)) (float64, error) {
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	stop := time.Now().Add(dur)
	began := time.Now()
	var wg sync.WaitGroup
	for i := range claimBenchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := dbtest.Member(sups[i])
			for time.Now().Before(stop) {
				lotID, qty := pick(i)
				res, err := d.Claim(ctx, guichet.ClaimRequest{Actor: actor, LotID: lotID, SupplierID: sups[i].ID, Quantity: qty}, time.Now())
				for _, f := range after {
					f(lotID, res, err)
				}
				if err != nil && guichet.ErrorCode(err) != guichet.ECONFLICT {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(began).Seconds(), firstErr
}

// findPgbench looks for pgbench on the PATH, beside the server's binaries, then in
// /usr/lib/postgresql/<newest>/bin.
func findPgbench(b *testing.B) string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if bin, err := pgserver.FindBin(); err == nil {
		dirs = append([]string{bin}, dirs...)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if p := filepath.Join(dirs[i], "pgbench"); fileExists(p) {
			return p
		}
	}
	b.Fatalf("pgbench not found on the PATH nor in %v", dirs)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var tpsRe = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// runPgbench runs pgbench's simple-update script with claimBenchClients clients for dur and
// returns its tps.
func runPgbench(ctx context.Context, pgbench, url string, dur time.Duration) (float64, error) {
	out, err := exec.CommandContext(ctx, pgbench, "-N", "-n", "-c", strconv.Itoa(claimBenchClients), "-j", "2",
		"-T", strconv.Itoa(int(dur.Seconds())), url).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := tpsRe.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no tps in pgbench's output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// withDatabase creates database name on the server of admin and returns its URL; it is
// dropped when the benchmark ends.
func withDatabase(b *testing.B, admin, name string) string {
	b.Helper()
	adb, err := sql.Open("postgres", admin)
	if err != nil {
		b.Fatal(err)
	}
	defer adb.Close()
	if _, err := adb.Exec(`CREATE DATABASE ` + name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		adb, err := sql.Open("postgres", admin)
		if err == nil {
			_, _ = adb.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			adb.Close()
		}
	})
	i := strings.LastIndex(admin, "/")
	q := strings.Index(admin[i:], "?")
	if q < 0 {
		return admin[:i+1] + name
	}
	return admin[:i+1] + name + admin[i+q:]
}

func medianF(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}
