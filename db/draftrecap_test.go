package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// The day after, the recap is a draft in the coordination channel only; it is posted for good
// once, whoever publishes it and however many click at once.
func TestRecapDraftThenPublishedOnce(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 2)
	at := time.Date(2027, 4, 16, 9, 0, 0, 0, time.UTC)
	n, err := b.db.TriggerRecaps(b.ctx, at, recapSpec)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap_draft'
		AND payload->>'channel_id' = 'coord-channel' AND (payload->>'event_id')::bigint = $1`, b.event.ID))
	require.Zero(t, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`), "nothing final before a coordinator publishes")

	const clicks = 4
	errs := make([]error, clicks)
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.db.QueueRecap(b.ctx, coordinator, b.event.ID)
		}()
	}
	wg.Wait()
	published := 0
	for _, err := range errs {
		if err == nil {
			published++
			continue
		}
		require.Equal(t, "ErrDraftrecapPublishedAlready", guichet.AsError(err).MessageID, "got %v", err)
		require.Equal(t, guichet.ECONFLICT, guichet.ErrorCode(err))
	}
	require.Equal(t, 1, published)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'recap.publish' AND actor_id = $1`, coordinator.UserID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM events WHERE id = $1 AND recap_published_by = $2 AND recap_published_at IS NOT NULL`,
		b.event.ID, coordinator.UserID))
}

// A recap published ahead of the day (`bilan`) is not drafted again the day after.
func TestRecapPublishedEarlyHasNoDraft(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	require.NoError(t, b.db.QueueRecap(b.ctx, coordinator, b.event.ID))
	n, err := b.db.TriggerRecaps(b.ctx, time.Date(2027, 4, 16, 9, 0, 0, 0, time.UTC), recapSpec)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the event is done all the same")
	require.Zero(t, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap_draft'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`))
}
