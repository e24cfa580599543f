package dbtest

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
)

// ScaleData fills a migrated database with four years of events around 2027-01-01 (10,000
// events, half of them done), 20 lots each (200,000 lots, a third filled, a quarter with a
// claim deadline), the claims of the filled lots and the reminder rows (J-7 and J-1 for the
// coordinator and three structures per event), then runs ANALYZE. The scheduler's plan test
// and its benchmark at scale use it.
var ScaleData = []string{
	`INSERT INTO suppliers (slug, name, categories, channel_id)
		SELECT 'sup-' || g, 'Sup ' || g, '{restauration}', 'ch-' || g FROM generate_series(1, 2000) g`,
	`INSERT INTO events (slug, name, day, status, coord_channel_id)
		SELECT 'ev-' || g, 'Ev ' || g, date '2025-01-01' + (g % 1460),
			CASE WHEN g % 1460 < 730 THEN 'recapped' ELSE 'published' END, 'coord-' || g
		FROM generate_series(1, 10000) g`,
	`INSERT INTO lots (event_id, code, title, category, quantity, budget_cents, mode, max_suppliers, award, deadline, status)
		SELECT e.id, 'L' || g, 'Lot', 'restauration', 10, 1000, 'exclusive', 1, 'first-come',
			CASE WHEN g % 4 = 0 THEN e.day - 10 END,
			CASE WHEN e.status <> 'published' THEN 'filled' WHEN g % 3 = 0 THEN 'filled' ELSE 'open' END
		FROM events e, generate_series(1, 20) g`,
	`INSERT INTO claims (lot_id, supplier_id, quantity, status)
		SELECT l.id, 1 + (l.id % 2000), 10, 'awarded' FROM lots l WHERE l.status = 'filled'`,
	`INSERT INTO reminders (event_id, kind, supplier_id, due_at, status)
		SELECT e.id, k.kind, s.sid, e.day - k.days + time '07:00',
			CASE WHEN e.status = 'published' THEN 'due' ELSE 'sent' END
		FROM events e,
			(VALUES ('j7', 7), ('j1', 1)) AS k(kind, days),
			LATERAL (SELECT NULL::bigint AS sid UNION ALL SELECT 1 + ((e.id * 7 + n) % 2000) FROM generate_series(1, 3) n) s`,
	`ANALYZE`,
}

// FillAtScale runs ScaleData on db, failing tb on the first error.
func FillAtScale(ctx context.Context, tb testing.TB, db *sqlx.DB) {
	tb.Helper()
	for _, q := range ScaleData {
		if _, err := db.ExecContext(ctx, q); err != nil {
			tb.Fatalf("scale data: %v\n%s", err, q)
		}
	}
}
