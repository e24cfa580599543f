package db_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

// The scheduler's queries stay on indexes with 10,000 events and 200,000 lots: no sequential
// scan of events, lots, claims or reminders on the hot path.
func TestSchedulerQueriesUseIndexesAtScale(t *testing.T) {
	b := setup(t)
	ctx := b.ctx
	sqlDB := b.db.SQL()
	dbtest.FillAtScale(ctx, t, sqlDB)
	require.GreaterOrEqual(t, b.count(t, `SELECT count(*) FROM lots`), 200000)

	now := time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC)
	queries := map[string]struct {
		sql  string
		args []any
	}{
		"take due reminders":        {db.TakeDueSQL, []any{now, 100}},
		"events with lots to close": {db.ExpiredLotEventsSQL, []any{now}},
		"alert candidates":          {fmt.Sprintf(db.OnceCandidatesSQL, "unconfirmed_alert_at"), []any{"2027-01-03"}},
		"recap candidates":          {fmt.Sprintf(db.OnceCandidatesSQL, "recap_queued_at"), []any{"2027-01-01"}},
		"confirmations": {`SELECT id FROM reminders WHERE event_id = $1 AND kind = $2 AND supplier_id IS NOT NULL ORDER BY supplier_id`,
			[]any{5000, "j1"}},
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			var plan []byte
			require.NoError(t, sqlDB.QueryRowContext(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+q.sql, q.args...).Scan(&plan))
			var root []map[string]any
			require.NoError(t, json.Unmarshal(plan, &root))
			for _, bad := range wideReads(root[0]["Plan"].(map[string]any)) {
				require.Fail(t, "wide read", "%s in\n%s", bad, plan)
			}
		})
	}

	// And the jobs themselves run on that data: a first pass catches up, a second finds little.
	for pass := 1; pass <= 2; pass++ {
		start := time.Now()
		sent, skipped, err := b.db.TakeDueReminders(ctx, now, 100)
		require.NoError(t, err)
		took := time.Since(start)
		closed, err := b.db.CloseExpiredLots(ctx, now)
		require.NoError(t, err)
		closing := time.Since(start) - took
		alerts, err := b.db.AlertUnconfirmed(ctx, now, alertSpec)
		require.NoError(t, err)
		recaps, err := b.db.TriggerRecaps(ctx, now, recapSpec)
		require.NoError(t, err)
		t.Logf("pass %d at scale: %d reminders taken in %s, %d lots closed in %s, %d alerts, %d recaps; %s in all",
			pass, sent+skipped, took, closed, closing, alerts, recaps, time.Since(start))
		if pass == 1 {
			require.Equal(t, 100, sent+skipped)
			require.Positive(t, closed)
		} else {
			require.Zero(t, closed)
			require.Zero(t, alerts)
		}
	}
}

// wideReads lists the plan's reads of the big tables that are sequential scans or that go
// through more than 5,000 rows: the hot path reads only what is due.
func wideReads(node map[string]any) []string {
	var out []string
	rel, _ := node["Relation Name"].(string)
	switch rel {
	case "events", "lots", "claims", "reminders":
		num := func(k string) float64 { f, _ := node[k].(float64); return f }
		read := (num("Actual Rows") + num("Rows Removed by Filter")) * num("Actual Loops")
		if node["Node Type"] == "Seq Scan" || read > 5000 {
			out = append(out, fmt.Sprintf("%s on %s reading %.0f rows", node["Node Type"], rel, read))
		}
	}
	if kids, ok := node["Plans"].([]any); ok {
		for _, k := range kids {
			out = append(out, wideReads(k.(map[string]any))...)
		}
	}
	return out
}
