package db_test

import (
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
