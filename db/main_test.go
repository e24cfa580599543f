package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var coordinator = dbtest.Coordinator

// bundle is what most tests need: a fresh database and an event.
type bundle struct {
	ctx   context.Context
	db    *db.DB
	event *guichet.Event
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	e := &guichet.Event{Slug: "assises", Name: "Assises", Day: time.Date(2027, 4, 15, 0, 0, 0, 0, time.UTC), CoordChannelID: "coord-channel"}
	require.NoError(t, d.CreateEvent(ctx, coordinator, e))
	// Lots are claimed on published events only; the tests of a draft event make their own.
	_, err := d.SQL().ExecContext(ctx, `UPDATE events SET status = 'published' WHERE id = $1`, e.ID)
	require.NoError(t, err)
	e.Status = guichet.EventPublished
	return &bundle{ctx: ctx, db: d, event: e}
}

// suppliers creates n suppliers serving category, each with one member "<prefix><i>-user".
func (b *bundle) suppliers(t *testing.T, n int, prefix, category string) []*guichet.Supplier {
	t.Helper()
	var out []*guichet.Supplier
	for i := 0; i < n; i++ {
		out = append(out, &guichet.Supplier{
			Name:       fmt.Sprintf("%s %d", prefix, i),
			Categories: []string{category},
			ChannelID:  fmt.Sprintf("%s-%d-channel", prefix, i),
			Members:    []guichet.Member{{UserID: fmt.Sprintf("%s%d-user", prefix, i), Username: fmt.Sprintf("%s%d", prefix, i)}},
		})
	}
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coordinator, out))
	return out
}

func (b *bundle) lot(t *testing.T, l *guichet.Lot) *guichet.Lot {
	t.Helper()
	require.NoError(t, b.db.AddLots(b.ctx, coordinator, b.event.ID, []*guichet.Lot{l}))
	return l
}

var member = dbtest.Member

func (b *bundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &n, query, args...))
	return n
}
