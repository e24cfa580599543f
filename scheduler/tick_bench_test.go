package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/scheduler"
)

// BenchmarkTickAtScale measures one scheduler pass (Scheduler.Tick: due reminders, claim
// deadlines, the unconfirmed alert, the recap trigger) on a database of 10,000 events and
// 200,000 lots: the first pass at 2027-01-01 08:00 catches up what fell due (thousands of
// reminders, in batches of 100), then 200 passes a second apart find what is due in that
// second. It reports the catch-up's time and the steady passes' p50 and p99 (target ≤ 10 ms),
// and logs the plans of one steady pass's queries, as PostgreSQL's auto_explain wrote them,
// failing if one of them scans events, lots, claims or reminders sequentially. Run it with:
//
//	go test ./scheduler -run '^$' -bench TickAtScale -benchtime 1x
func BenchmarkTickAtScale(b *testing.B) {
	ctx := context.Background()
	d := dbtest.New(b)
	dbtest.FillAtScale(ctx, b, d.SQL())
	now := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
	clock := &simClock{}
	clock.Set(now)
	s, err := scheduler.New(scheduler.Deps{Store: d, Clock: clock.clock(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if err := s.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	catchUp := time.Since(began)
	var taken int
	if err := d.SQL().GetContext(ctx, &taken, `SELECT count(*) FROM reminders WHERE status <> 'due' AND due_at <= $1
		AND event_id IN (SELECT id FROM events WHERE status = 'published')`, now); err != nil {
		b.Fatal(err)
	}

	var passes []time.Duration
	for i := range 200 {
		clock.Set(now.Add(time.Duration(i+1) * time.Second))
		began := time.Now()
		if err := s.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		passes = append(passes, time.Since(began))
	}
	sort.Slice(passes, func(i, j int) bool { return passes[i] < passes[j] })
	p50, p99 := passes[len(passes)/2], passes[len(passes)*99/100-1]
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(catchUp), "catch-up-ms")
	b.ReportMetric(ms(p50), "tick-p50-ms")
	b.ReportMetric(ms(p99), "tick-p99-ms")
	b.ReportMetric(ms(passes[len(passes)-1]), "tick-max-ms")
	b.Logf("10,000 events, 200,000 lots: catch-up pass %s (%d reminders taken), steady pass p50 %s, p99 %s, max %s",
		catchUp.Round(time.Microsecond), taken, p50.Round(time.Microsecond), p99.Round(time.Microsecond), passes[len(passes)-1].Round(time.Microsecond))

	logPlans(b, d, func() error {
		clock.Set(now.Add(time.Minute))
		return s.Tick(ctx)
	})
}

var scanNode = regexp.MustCompile(`Scan|Join|->`)

var seqScan = regexp.MustCompile(`Seq Scan on (events|lots|claims|reminders)\b`)

// logPlans runs fn with PostgreSQL's auto_explain on for d's database (on the throwaway
// server the tests start; skipped with a log line on a server given by URL), logs the plans
// it wrote and fails if one scans a big table sequentially.
func logPlans(b *testing.B, d *db.DB, fn func() error) {
	b.Helper()
	ctx := context.Background()
	srv := dbtest.Server(b)
	if srv == nil {
		b.Log("plans not logged: the server is not the tests' own (TEST_DATABASE_URL)")
		return
	}
	var name string
	if err := d.SQL().GetContext(ctx, &name, `SELECT current_database()`); err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		`ALTER DATABASE ` + name + ` SET session_preload_libraries = 'auto_explain'`,
		`ALTER DATABASE ` + name + ` SET auto_explain.log_min_duration = 0`,
		`ALTER DATABASE ` + name + ` SET auto_explain.log_analyze = on`,
		`ALTER DATABASE ` + name + ` SET auto_explain.log_nested_statements = on`,
	} {
		if _, err := d.SQL().ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	defer d.SQL().ExecContext(ctx, `ALTER DATABASE `+name+` RESET ALL`)
	// The settings apply to new sessions only.
	d.SQL().SetMaxIdleConns(0)
	d.SQL().SetMaxIdleConns(16)
	logPath := filepath.Join(srv.Dir, "log")
	before, err := os.Stat(logPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	f, err := os.Open(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(before.Size(), io.SeekStart); err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		b.Fatal(err)
	}
	plans := string(data)
	if !strings.Contains(plans, "plan:") {
		b.Fatalf("auto_explain wrote no plan; the log has:\n%s", plans)
	}
	if path := os.Getenv("GUICHET_BENCH_PLANS"); path != "" {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var summary []string
	for _, line := range strings.Split(plans, "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "duration:") || scanNode.MatchString(line) {
			summary = append(summary, line)
		}
	}
	b.Logf("plans of one steady pass (auto_explain; all of them in GUICHET_BENCH_PLANS when set):\n%s", strings.Join(summary, "\n"))
	if m := seqScan.FindAllString(plans, -1); len(m) > 0 {
		b.Fatalf("sequential scans on the hot path: %v", m)
	}
}
