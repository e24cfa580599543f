package db_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
)

// The tally follows the J-7 reminders from due to sent, and counts the J-1 reminders the
// scheduler skips when it runs after the event.
func TestReminderTally(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 2)
	tally := func(kind guichet.ReminderKind) db.ReminderTally {
		t.Helper()
		got, err := b.db.ReminderTally(b.ctx, b.event.ID, kind)
		require.NoError(t, err)
		return db.ReminderTally(*got)
	}
	require.Equal(t, db.ReminderTally{Due: 3}, tally("j7"), "two structures and the coordinator")

	j7 := time.Date(2027, 4, 8, 7, 0, 0, 0, time.UTC) // 09:00 in Paris
	sent, _ := b.take(t, j7)
	require.Equal(t, 3, sent)
	require.Equal(t, db.ReminderTally{Sent: 3, Coordination: 1, Queued: 3}, tally("j7"))
	require.Equal(t, db.ReminderTally{Due: 3}, tally("j1"))

	_, skipped := b.take(t, time.Date(2027, 4, 18, 10, 0, 0, 0, time.UTC))
	require.Equal(t, 3, skipped)
	require.Equal(t, db.ReminderTally{Skipped: 3}, tally("j1"))
	require.Equal(t, db.ReminderTally{}, tally("j30"), "no reminder of that kind")
}

func TestUnconfirmedAlertDone(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	done, err := b.db.UnconfirmedAlertDone(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.False(t, done)

	b.take(t, time.Date(2027, 4, 14, 7, 0, 0, 0, time.UTC)) // J-1, 09:00 in Paris
	n, err := b.db.AlertUnconfirmed(b.ctx, time.Date(2027, 4, 14, 16, 0, 0, 0, time.UTC), alertSpec)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	done, err = b.db.UnconfirmedAlertDone(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.True(t, done)

	_, err = b.db.UnconfirmedAlertDone(b.ctx, b.event.ID+1000)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))
}
