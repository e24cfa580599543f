package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// Claims on one event add their structures' reminders without waiting for each other, and an
// event moved to another day while they run leaves every reminder at the new day's time.
func TestConcurrentClaimsAndADayChangeKeepRemindersRight(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 12, "rappel", "rappel")
	var lots []*guichet.Lot
	for i := range sups {
		lots = append(lots, b.lot(t, &guichet.Lot{Code: "R" + string(rune('A'+i)), Title: "Lot", Category: "rappel", Quantity: 1, Budget: 100, Mode: guichet.Exclusive}))
	}
	_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)

	moved, err := b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.EventPublished, moved.Status)
	moved.Day = time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i, s := range sups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lots[i].ID, SupplierID: s.ID}, time.Now())
			require.NoError(t, err)
		}()
		if i == len(sups)/2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				require.NoError(t, b.db.UpdateEvent(b.ctx, coordinator, moved))
			}()
		}
	}
	wg.Wait()

	require.Equal(t, 2*(len(sups)+1), b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1`, b.event.ID),
		"J-7 and J-1 for the coordinator and each structure")
	require.Zero(t, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND kind = 'j1'
		AND due_at <> timestamptz '2027-05-19 09:00 Europe/Paris'`, b.event.ID), "every J-1 follows the new day")
	require.Zero(t, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND kind = 'j7'
		AND due_at <> timestamptz '2027-05-13 09:00 Europe/Paris'`, b.event.ID), "every J-7 follows the new day")
}
