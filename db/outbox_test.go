package db_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// Released messages are due again when asked, with their cause; a message delivered or parked
// meanwhile stays so, and messages not named are untouched.
func TestReleaseOutbox(t *testing.T) {
	b := setup(t)
	for i := 0; i < 4; i++ {
		require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: b.event.ID}))
	}
	now := time.Now()
	msgs, err := b.db.TakeOutbox(b.ctx, now, 10, time.Hour)
	require.NoError(t, err)
	var ids []int64
	for _, m := range msgs {
		if m.Kind == guichet.OutboxRefreshBoard {
			ids = append(ids, m.ID)
		}
	}
	require.GreaterOrEqual(t, len(ids), 4)
	ids = ids[len(ids)-4:]
	require.NoError(t, b.db.MarkDelivered(b.ctx, ids[0], "post-0", now))
	require.NoError(t, b.db.Park(b.ctx, ids[1], "refused", now))

	at := now.Add(90 * time.Second).Truncate(time.Millisecond)
	require.NoError(t, b.db.ReleaseOutbox(b.ctx, ids[:3], "not attempted: Mattermost did not answer", at))
	type row struct {
		Next      time.Time `db:"next_attempt_at"`
		LastError string    `db:"last_error"`
	}
	get := func(id int64) row {
		var r row
		require.NoError(t, b.db.SQL().GetContext(b.ctx, &r, `SELECT next_attempt_at, last_error FROM outbox WHERE id = $1`, id))
		return r
	}
	require.Equal(t, "", get(ids[0]).LastError, "delivered meanwhile: left as it is")
	require.Equal(t, "refused", get(ids[1]).LastError, "parked meanwhile: left as it is")
	released := get(ids[2])
	require.True(t, released.Next.Equal(at), "due again at %v, not %v", at, released.Next)
	require.Equal(t, "not attempted: Mattermost did not answer", released.LastError)
	untouched := get(ids[3])
	require.Equal(t, "", untouched.LastError)
	require.True(t, untouched.Next.After(now.Add(30*time.Minute)), "not named: still leased")

	require.NoError(t, b.db.ReleaseOutbox(b.ctx, nil, "nothing", at))
}

// A gathered message is queued once while one like it waits untaken; once that one is taken,
// the next is queued again; another payload is another message.
func TestEnqueueGathered(t *testing.T) {
	b := setup(t)
	lot := guichet.OutboxPayload{LotID: 4242, Gathered: true}
	count := func(p guichet.OutboxPayload) int {
		t.Helper()
		js, err := json.Marshal(p)
		require.NoError(t, err)
		var n int
		require.NoError(t, b.db.SQL().GetContext(b.ctx, &n, `SELECT count(*) FROM outbox
			WHERE kind = 'refresh_offer' AND delivered_at IS NULL AND payload = $1::jsonb`, string(js)))
		return n
	}
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, lot, at))
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, lot, at.Add(time.Minute)))
	require.Equal(t, 1, count(lot), "the one waiting stands for the second")
	var due time.Time
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &due, `SELECT next_attempt_at FROM outbox WHERE kind = 'refresh_offer'
		AND payload @> '{"lot_id": 4242}'`))
	require.True(t, due.Equal(at), "due at %v, not %v", at, due)

	other := guichet.OutboxPayload{LotID: 4243, Gathered: true}
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, other, at))
	require.Equal(t, 1, count(other))
	full := guichet.OutboxPayload{LotID: 4242}
	require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxRefreshOffer, full))
	require.Equal(t, 1, count(full), "a full refresh is not a gathered one")

	// Taken (its rendering may have read the database already): a new one is queued.
	msgs, err := b.db.TakeOutbox(b.ctx, at.Add(time.Second), 50, time.Minute)
	require.NoError(t, err)
	require.NotEmpty(t, msgs)
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, lot, at.Add(time.Minute)))
	require.Equal(t, 2, count(lot))
}
