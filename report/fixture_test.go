package report_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	fixture "guichet.dev/guichet/internal/assises"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var coordinator = dbtest.Coordinator

// assises is the Assises 2011 fixture loaded into a fresh database: its event (published, so
// that reminder rows exist), its 19 structures and 14 lots.
type assises struct {
	ctx       context.Context
	db        *db.DB
	event     *guichet.Event
	suppliers map[string]*guichet.Supplier // by name
	lots      map[string]*guichet.Lot      // by code
	replay    []replayRow
}

type replayRow struct {
	Lot      string
	Supplier string
	Quantity int64
}

func readCSV(t *testing.T, name string) []map[string]string {
	t.Helper()
	rows, err := fixture.Rows(name)
	require.NoError(t, err)
	return rows
}

// loadAssises imports the fixture through db, as the import command would, without claiming.
func loadAssises(t *testing.T) *assises {
	t.Helper()
	ctx := context.Background()
	d := dbtest.New(t)
	ev, err := fixture.LoadEvent()
	require.NoError(t, err)
	e := &guichet.Event{Slug: "assises-2011", Name: ev.Name, Day: ev.Day, TimeZone: ev.TimeZone,
		Venue: ev.Venue, Client: ev.Client, CoordChannelID: "coord-channel"}
	require.NoError(t, d.CreateEvent(ctx, coordinator, e))
	// The store's clock reads a month before the event, when the coordination works on it.
	d.Now = func() time.Time { return e.Day.AddDate(0, -1, 0) }

	a := &assises{ctx: ctx, db: d, event: e, suppliers: map[string]*guichet.Supplier{}, lots: map[string]*guichet.Lot{}}
	var sups []*guichet.Supplier
	for _, row := range readCSV(t, "suppliers.csv") {
		s := &guichet.Supplier{Name: row["name"], Categories: strings.Split(row["categories"], ";"),
			ChannelName: row["channel"], ChannelID: "ch-" + row["channel"]}
		for _, u := range strings.Split(row["members"], ";") {
			s.Members = append(s.Members, guichet.Member{UserID: "u-" + u, Username: u})
		}
		sups = append(sups, s)
		a.suppliers[s.Name] = s
	}
	require.NoError(t, d.UpsertSuppliers(ctx, coordinator, sups))

	var lots []*guichet.Lot
	for _, row := range readCSV(t, "lots.csv") {
		qty, err := strconv.ParseInt(row["quantity"], 10, 64)
		require.NoError(t, err)
		budget, err := guichet.ParseEuros(row["budget_eur"])
		require.NoError(t, err)
		maxSup, err := strconv.Atoi(row["max_suppliers"])
		require.NoError(t, err)
		start, end, err := guichet.ParseSlot(row["slot"])
		require.NoError(t, err)
		l := &guichet.Lot{Code: row["code"], Title: row["title"], Category: row["category"], Quantity: qty,
			Unit: row["unit"], Budget: budget, Mode: guichet.LotMode(row["mode"]), MaxSuppliers: maxSup,
			SlotStart: start, SlotEnd: end, Description: row["description"]}
		lots = append(lots, l)
		a.lots[l.Code] = l
	}
	require.NoError(t, d.AddLots(ctx, coordinator, e.ID, lots))
	_, err = d.Publish(ctx, coordinator, e.ID)
	require.NoError(t, err)

	for _, row := range readCSV(t, "replay.csv") {
		q, err := strconv.ParseInt(row["quantity"], 10, 64)
		require.NoError(t, err)
		a.replay = append(a.replay, replayRow{Lot: row["lot"], Supplier: row["supplier"], Quantity: q})
	}
	return a
}

// claimAll makes every structure claim what it took in 2011, as one of its members, on the
// store's clock (a month before the event's day).
func (a *assises) claimAll(t *testing.T) {
	t.Helper()
	claimedAt := a.db.Now()
	for _, r := range a.replay {
		s := a.suppliers[r.Supplier]
		require.NotNil(t, s, r.Supplier)
		l := a.lots[r.Lot]
		require.NotNil(t, l, r.Lot)
		_, err := a.db.Claim(a.ctx, guichet.ClaimRequest{
			Actor:      dbtest.Member(s),
			LotID:      l.ID,
			SupplierID: s.ID,
			Quantity:   r.Quantity,
		}, claimedAt)
		require.NoError(t, err, "%s claims %s", r.Supplier, r.Lot)
	}
}

// budgets returns the sum of the fixture's lot budgets.
func (a *assises) budgets() guichet.Cents {
	var sum guichet.Cents
	for _, l := range a.lots {
		sum += l.Budget
	}
	return sum
}

// count runs a count query.
func (a *assises) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, a.db.SQL().GetContext(a.ctx, &n, query, args...))
	return n
}
