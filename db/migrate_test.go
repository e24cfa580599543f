package db_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

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
		WHERE table_schema = 'public' AND table_name IN ('events','suppliers','supplier_members','lots','claims','offer_posts','outbox','reminders','audit','coordinators')`))
	require.Equal(t, 10, tables)

	again, err := d.Migrate(ctx)
	require.NoError(t, err)
	require.Empty(t, again, "a second run applies nothing")
}
