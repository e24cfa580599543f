package db_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A set-up lot the day before and a lot the day after: each structure's reminders count back
// from its earliest lot's day, the coordination's from the earliest lot's, and the event ends
// with its last lot's day.
func TestLotsOnOtherDaysMoveRemindersAndTheEventsEnd(t *testing.T) {
	b := setup(t)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	day := func(d int) *time.Time { t := time.Date(2027, 4, d, 0, 0, 0, 0, time.UTC); return &t }
	sups := b.suppliers(t, 2, "log", "logistique")
	dej := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "logistique", Quantity: 1, Budget: 100_00})
	set := b.lot(t, &guichet.Lot{Code: "SET", Title: "Montage", Category: "logistique", Quantity: 1, Budget: 100_00, Day: day(14)})
	fri := b.lot(t, &guichet.Lot{Code: "FRI", Title: "Démontage", Category: "logistique", Quantity: 1, Budget: 100_00, Day: day(16)})
	same := b.lot(t, &guichet.Lot{Code: "SAME", Title: "Accueil", Category: "logistique", Quantity: 1, Budget: 100_00, Day: day(15)})
	require.Nil(t, same.Day, "a lot on the event's day is stored without a day of its own")

	ev, err := b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "2027-04-14", ev.FirstLotDay.Format(time.DateOnly))
	require.Equal(t, "2027-04-16", ev.LastLotDay.Format(time.DateOnly))
	require.Equal(t, time.Date(2027, 4, 17, 0, 0, 0, 0, paris), ev.End().In(paris), "the event ends with its last lot's day")

	claim := func(s *guichet.Supplier, l *guichet.Lot) {
		t.Helper()
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: l.ID, SupplierID: s.ID}, time.Now())
		require.NoError(t, err)
	}
	j1 := func(supplier any) (time.Time, *time.Time) {
		t.Helper()
		var r struct {
			Due time.Time  `db:"due_at"`
			Day *time.Time `db:"day"`
		}
		require.NoError(t, b.db.SQL().GetContext(b.ctx, &r, `SELECT due_at, day FROM reminders
			WHERE event_id = $1 AND kind = 'j1' AND coalesce(supplier_id, 0) = coalesce($2::bigint, 0)`, b.event.ID, supplier))
		return r.Due.In(paris), r.Day
	}
	// The first structure takes the lunch, then the set-up the day before: its reminders move
	// earlier, to count back from the set-up.
	claim(sups[0], dej)
	due, _ := j1(sups[0].ID)
	require.Equal(t, time.Date(2027, 4, 14, 9, 0, 0, 0, paris), due)
	claim(sups[0], set)
	due, d := j1(sups[0].ID)
	require.Equal(t, time.Date(2027, 4, 13, 9, 0, 0, 0, paris), due, "J-1 of the set-up day")
	require.Equal(t, "2027-04-14", d.Format(time.DateOnly))
	// The second structure holds only the lot of the day after.
	claim(sups[1], fri)
	due, _ = j1(sups[1].ID)
	require.Equal(t, time.Date(2027, 4, 15, 9, 0, 0, 0, paris), due)
	due, _ = j1(nil)
	require.Equal(t, time.Date(2027, 4, 13, 9, 0, 0, 0, paris), due, "the coordination's J-1 counts back from the earliest lot")

	// The set-up moves back to the event's day: the first structure's reminders follow.
	_, err = b.db.EditLot(b.ctx, coordinator, set.ID, &guichet.LotEdit{ClearDay: true})
	require.NoError(t, err)
	due, d = j1(sups[0].ID)
	require.Equal(t, time.Date(2027, 4, 14, 9, 0, 0, 0, paris), due)
	require.Nil(t, d)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeLotEdited'
		AND payload->'args'->>'SlotBefore' = '14/04/2027' AND payload->'args'->>'SlotAfter' = '—'`))
	ev, err = b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Nil(t, ev.FirstLotDay)

	// On the event's day, the second structure's J-1 (for the day after) is sent, not skipped
	// as if the event had begun.
	sent, skipped, err := b.db.TakeDueReminders(b.ctx, time.Date(2027, 4, 15, 9, 30, 0, 0, paris), 100)
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM reminders WHERE supplier_id = $1 AND kind = 'j1' AND status = 'sent'`, sups[1].ID))
	require.Equal(t, 1, sent)
	require.Equal(t, 5, skipped, "the others' J-7 and J-1 and the coordination's came before the event's day")
}

func TestLotDayOutOfRangeIsRefusedAndNothingAdded(t *testing.T) {
	b := setup(t)
	far := time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)
	err := b.db.AddLots(b.ctx, coordinator, b.event.ID, []*guichet.Lot{
		{Code: "OK", Title: "Ok", Category: "logistique", Quantity: 1, Budget: 1},
		{Code: "FAR", Title: "Loin", Category: "logistique", Quantity: 1, Budget: 1, Day: &far}})
	require.Equal(t, "ErrLotDayFar", guichet.AsError(err).MessageID)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, b.event.ID))

	l := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "logistique", Quantity: 1, Budget: 1})
	_, err = b.db.EditLot(b.ctx, coordinator, l.ID, &guichet.LotEdit{Day: &far})
	require.Equal(t, "ErrLotDayFar", guichet.AsError(err).MessageID)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM lots WHERE id = $1 AND day IS NOT NULL`, l.ID))
}
