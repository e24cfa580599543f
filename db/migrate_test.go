package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

func TestMigrateFromEmptyThenNoop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	d, err := db.Open(ctx, url)
	require.NoError(t, err)
	defer d.Close()
	// The template is migrated already: start from an empty schema.
	_, err = d.SQL().ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`)
	require.NoError(t, err)

	applied, err := d.Migrate(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, applied)
	var tables int
	require.NoError(t, d.SQL().GetContext(ctx, &tables, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name IN ('events','suppliers','supplier_members','lots','claims','offer_posts','outbox','reminders','audit','event_coordinators','administrator_names','legacy_coordinators')`))
	require.Equal(t, 12, tables)

	again, err := d.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again, "a second run applies nothing")
}

// Claims made before their audit entries moved into them (migration 5) keep them: the audit
// trail shows the same entries, numbers included, once migrated; and back again when undone.
func TestMigrateMovesClaimAuditEntriesIntoClaims(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "av", "audiovisuel")
	lot := b.lot(t, &guichet.Lot{Code: "FILM", Title: "Film", Category: "audiovisuel", Quantity: 2, Budget: 2000,
		Mode: guichet.Shared, MaxSuppliers: 2})
	for _, s := range sups {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 1, Note: "note " + s.Name}, time.Now())
		require.NoError(t, err)
	}
	_, err := b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "empêché")
	require.NoError(t, err)
	trail := func() []string {
		var out []string
		require.NoError(t, b.db.SQL().SelectContext(b.ctx, &out, `SELECT concat_ws(' ', id, at, actor_id, actor_name, action,
			event_id, lot_id, supplier_id, detail::text) FROM audit_trail ORDER BY id`))
		return out
	}
	before := trail()
	require.Len(t, before, 7, "the event, two structures, the lot, two claims, a withdrawal")

	require.NoError(t, b.db.MigrateDownTo(b.ctx, 4))
	var moved []string
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &moved, `SELECT concat_ws(' ', id, at, actor_id, actor_name, action,
		event_id, lot_id, supplier_id, detail::text) FROM audit ORDER BY id`))
	require.Equal(t, before, moved, "undone, the claims' entries are audit rows again")

	_, err = b.db.Migrate(b.ctx)
	require.NoError(t, err)
	require.Equal(t, before, trail())
	require.Equal(t, 5, b.count(t, `SELECT count(*) FROM audit`), "all but the claims' entries")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM claims WHERE audit_id IS NOT NULL`))
}
