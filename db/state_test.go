package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A draft event's lots cannot be claimed: the claim is refused with the message that says
// the event is not published yet, and nothing is written.
func TestClaimOnDraftEventIsRefusedAndWritesNothing(t *testing.T) {
	b := setup(t)
	draft := &guichet.Event{Slug: "brouillon", Name: "Brouillon", Day: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), CoordChannelID: "coord-draft"}
	require.NoError(t, b.db.CreateEvent(b.ctx, coordinator, draft))
	s := b.suppliers(t, 1, "pho", "photo")[0]
	lots := []*guichet.Lot{
		{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000},
		{Code: "REV", Title: "Sur dossier", Category: "photo", Quantity: 10, Budget: 60000, Mode: guichet.Shared, Award: guichet.Review},
	}
	require.NoError(t, b.db.AddLots(b.ctx, coordinator, draft.ID, lots))
	m := b.mark(t)
	for _, l := range lots {
		for _, confirm := range []bool{false, true} {
			_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: l.ID, SupplierID: s.ID, Confirm: confirm},
				time.Date(2027, 4, 1, 10, 0, 0, 0, time.UTC))
			requireError(t, err, guichet.ECONFLICT, "ErrEventNotPublished", nil)
		}
	}
	require.Equal(t, effects{}, b.since(t, m))
	require.Zero(t, b.count(t, `SELECT count(*) FROM claims`))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1 AND status = 'open'`, draft.ID))
}

// Once the event is over (its day ended in its time zone, or it is done or recapped), claims,
// releases, awards, declines and lot cancellations are refused and nothing is written: the
// recap and the payments stand.
func TestClaimChangesAreRefusedOnceTheEventIsOver(t *testing.T) {
	b := setup(t) // 15 April 2027, Europe/Paris
	sups := b.suppliers(t, 3, "fin", "repas")
	shared := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "repas", Quantity: 100, Budget: 100000,
		Mode: guichet.Shared, MaxSuppliers: 3})
	review := b.lot(t, &guichet.Lot{Code: "REV", Title: "Sur dossier", Category: "repas", Quantity: 1, Budget: 50000,
		Award: guichet.Review})
	before := time.Date(2027, 4, 1, 10, 0, 0, 0, time.UTC)
	end := time.Date(2027, 4, 15, 22, 0, 0, 0, time.UTC) // midnight in Paris
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: shared.ID, SupplierID: sups[0].ID, Quantity: 40}, before)
	require.NoError(t, err)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: review.ID, SupplierID: sups[1].ID}, before)
	require.NoError(t, err)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[2]), LotID: review.ID, SupplierID: sups[2].ID}, before)
	require.NoError(t, err)
	claims := func() []*guichet.Claim {
		var out []*guichet.Claim
		for _, l := range []*guichet.Lot{shared, review} {
			st, err := b.db.LotState(b.ctx, l.ID)
			require.NoError(t, err)
			out = append(out, st.Claims...)
		}
		return out
	}
	held := claims()

	refused := func(t *testing.T, now time.Time) {
		t.Helper()
		b.db.Now = func() time.Time { return now }
		m := b.mark(t)
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: shared.ID, SupplierID: sups[1].ID, Quantity: 10}, now)
		requireError(t, err, guichet.ECONFLICT, "ErrEventPast", nil)
		_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: shared.ID, SupplierID: sups[0].ID}, now)
		requireError(t, err, guichet.ECONFLICT, "ErrEventPast", nil)
		_, err = b.db.Withdraw(b.ctx, member(sups[0]), shared.ID, sups[0].ID, "trop tard")
		requireError(t, err, guichet.ECONFLICT, "ErrEventPast", nil)
		_, err = b.db.Award(b.ctx, coordinator, review.ID, sups[1].ID)
		requireError(t, err, guichet.ECONFLICT, "ErrEventPast", nil)
		_, err = b.db.Decline(b.ctx, coordinator, review.ID, sups[2].ID, "non")
		requireError(t, err, guichet.ECONFLICT, "ErrEventPast", nil)
		err = b.db.CancelLot(b.ctx, coordinator, shared.ID, "trop tard")
		requireError(t, err, guichet.ECONFLICT, "ErrEventPast", nil)
		require.Equal(t, effects{}, b.since(t, m))
		require.Equal(t, held, claims(), "every claim as it was")
	}
	t.Run("at the end of the day in Paris", func(t *testing.T) { refused(t, end) })
	t.Run("a week later", func(t *testing.T) { refused(t, end.AddDate(0, 0, 7)) })
	t.Run("done before the end", func(t *testing.T) {
		_, err := b.db.SQL().ExecContext(b.ctx, `UPDATE events SET status = 'done' WHERE id = $1`, b.event.ID)
		require.NoError(t, err)
		refused(t, before)
	})

	// A second before the end, everything still works.
	_, err = b.db.SQL().ExecContext(b.ctx, `UPDATE events SET status = 'published' WHERE id = $1`, b.event.ID)
	require.NoError(t, err)
	last := end.Add(-time.Second)
	b.db.Now = func() time.Time { return last }
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), shared.ID, sups[0].ID, "")
	require.NoError(t, err)
	_, err = b.db.Award(b.ctx, coordinator, review.ID, sups[1].ID)
	require.NoError(t, err)
	_, err = b.db.Decline(b.ctx, coordinator, review.ID, sups[2].ID, "")
	require.NoError(t, err)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[2]), LotID: shared.ID, SupplierID: sups[2].ID}, last)
	require.NoError(t, err)
}

// The offers of an event close once, when it is over: its lots that have copies of their
// offer get one refresh each, whatever the number of schedulers; drafts and events not over
// are left alone.
func TestCloseEndedOffersQueuesTheRefreshesOnce(t *testing.T) {
	b := setup(t) // "assises", 15 April 2027, Europe/Paris
	now := time.Date(2027, 4, 15, 22, 0, 0, 0, time.UTC)
	event := func(slug string, day time.Time, zone string, status guichet.EventStatus) *guichet.Event {
		e := &guichet.Event{Slug: slug, Name: slug, Day: day, TimeZone: zone}
		require.NoError(t, b.db.CreateEvent(b.ctx, coordinator, e))
		_, err := b.db.SQL().ExecContext(b.ctx, `UPDATE events SET status = $2 WHERE id = $1`, e.ID, string(status))
		require.NoError(t, err)
		return e
	}
	day := b.event.Day
	montreal := event("montreal", day, "America/Montreal", guichet.EventPublished) // ends at 04:00 UTC on the 16th
	future := event("plus-tard", day.AddDate(0, 1, 0), "Europe/Paris", guichet.EventPublished)
	recapped := event("bilan", day.AddDate(0, 1, 0), "Europe/Paris", guichet.EventRecapped)
	draft := event("brouillon", day.AddDate(0, 0, -5), "Europe/Paris", guichet.EventDraft)
	offered := map[int64][]int64{} // event → lots with offer copies
	for _, e := range []*guichet.Event{b.event, montreal, future, recapped, draft} {
		lots := []*guichet.Lot{
			{Code: "DEJ", Title: "Déjeuner", Category: "repas", Quantity: 1, Budget: 1000},
			{Code: "PAU", Title: "Pause", Category: "repas", Quantity: 1, Budget: 1000},
			{Code: "SCE", Title: "Scénographie", Category: "deco", Quantity: 1, Budget: 1000},
		}
		require.NoError(t, b.db.AddLots(b.ctx, coordinator, e.ID, lots))
		if e.Status == guichet.EventDraft {
			continue
		}
		// Two copies of DEJ's offer, one of PAU's; SCE was never offered.
		for _, p := range []guichet.OfferPost{{LotID: lots[0].ID, ChannelID: "a", PostID: "p1"},
			{LotID: lots[0].ID, ChannelID: "b", PostID: "p2"}, {LotID: lots[1].ID, ChannelID: "a", PostID: "p3"}} {
			require.NoError(t, b.db.RecordOfferPost(b.ctx, p))
		}
		offered[e.ID] = []int64{lots[0].ID, lots[1].ID}
	}
	m := b.mark(t)
	refreshes := func(t *testing.T) []int64 {
		t.Helper()
		var ids []int64
		require.NoError(t, b.db.SQL().SelectContext(b.ctx, &ids, `SELECT (payload->>'lot_id')::bigint FROM outbox
			WHERE id > $1 AND kind = 'refresh_offer' ORDER BY id`, m.outbox))
		return ids
	}

	// Two schedulers at once: both read the event as over, then both try to close it, while
	// a transaction holds its row; once it lets go, one of them closes it.
	tx, err := b.db.SQL().BeginTxx(b.ctx, nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(b.ctx, `SELECT 1 FROM events WHERE id = $1 FOR UPDATE`, b.event.ID)
	require.NoError(t, err)
	var wg sync.WaitGroup
	closed := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			closed[i], errs[i] = b.db.CloseEndedOffers(b.ctx, now)
		}()
	}
	require.Eventually(t, func() bool {
		return b.count(t, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%offers_closed_at = $2%'`) == 2
	}, 10*time.Second, 10*time.Millisecond, "both schedulers wait for the event's row")
	require.NoError(t, tx.Rollback())
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Equal(t, 2, closed[0]+closed[1], "Paris at its midnight, and the recapped event")
	require.ElementsMatch(t, append(offered[b.event.ID], offered[recapped.ID]...), refreshes(t), "one refresh per offered lot")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM audit WHERE action = 'event.offers_closed'`))

	// Again, nothing more; Montréal's day ends later.
	n, err := b.db.CloseEndedOffers(b.ctx, now.Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = b.db.CloseEndedOffers(b.ctx, time.Date(2027, 4, 16, 4, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.ElementsMatch(t, append(append(offered[b.event.ID], offered[recapped.ID]...), offered[montreal.ID]...), refreshes(t))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE offers_closed_at IS NULL AND status <> 'draft'`), "the future event")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE id = $1 AND offers_closed_at IS NULL`, future.ID))
}

// A coordinator's digest cannot offer the lots again once the event is over.
func TestRelaunchRefusedOnceTheEventIsOver(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	b.take(t, time.Date(2027, 4, 8, 7, 0, 0, 0, time.UTC))
	var digest int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &digest, `SELECT id FROM reminders WHERE supplier_id IS NULL AND kind = 'j7'`))
	b.db.Now = func() time.Time { return time.Date(2027, 4, 15, 22, 0, 0, 0, time.UTC) }
	m := b.mark(t)
	_, err := b.db.Relaunch(b.ctx, schedActor, digest)
	requireError(t, err, guichet.ECONFLICT, "ErrEventOver", map[string]any{"Slug": "ev"})
	require.Equal(t, effects{}, b.since(t, m))
	require.Zero(t, b.count(t, `SELECT count(*) FROM reminders WHERE relaunched_at IS NOT NULL`))
}
