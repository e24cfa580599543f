package db

import (
	"context"
	"fmt"

	"guichet.dev/guichet"
)

// ReminderTally counts an event's reminder rows of one kind by what the scheduler did with
// them, and the messages it queued for them.
type ReminderTally struct {
	// Due is how many rows wait for the scheduler.
	Due int `db:"due"`
	// Sent is how many rows were sent, the coordinator's included.
	Sent int `db:"sent"`
	// Skipped is how many rows the scheduler skipped (too late to be of use).
	Skipped int `db:"skipped"`
	// Coordination is how many of the sent rows were the coordinator's (supplier_id NULL).
	Coordination int `db:"coordination"`
	// Queued is how many outbox messages of kind reminder carry one of these rows.
	Queued int `db:"queued"`
}

// ReminderTally returns the tally of the event's reminders of that kind. An event without
// reminders of that kind, or no such event, gives a zero tally.
func (d *DB) ReminderTally(ctx context.Context, eventID int64, kind guichet.ReminderKind) (*ReminderTally, error) {
	var t ReminderTally
	err := d.db.GetContext(ctx, &t, `SELECT
		count(*) FILTER (WHERE r.status = 'due') AS due,
		count(*) FILTER (WHERE r.status = 'sent') AS sent,
		count(*) FILTER (WHERE r.status = 'skipped') AS skipped,
		count(*) FILTER (WHERE r.status = 'sent' AND r.supplier_id IS NULL) AS coordination,
		coalesce(sum((SELECT count(*) FROM outbox o WHERE o.kind = 'reminder'
			AND (o.payload->>'reminder_id')::bigint = r.id)), 0) AS queued
		FROM reminders r WHERE r.event_id = $1 AND r.kind = $2`, eventID, string(kind))
	if err != nil {
		return nil, fmt.Errorf("reminder tally: %w", err)
	}
	return &t, nil
}

// UnconfirmedAlertDone reports whether the scheduler has passed the event's unconfirmed alert:
// sent it to the coordination, or skipped it as too late. It returns ErrEventNotFound when
// there is no such event.
func (d *DB) UnconfirmedAlertDone(ctx context.Context, eventID int64) (bool, error) {
	var done bool
	err := d.db.GetContext(ctx, &done, `SELECT unconfirmed_alert_at IS NOT NULL FROM events WHERE id = $1`, eventID)
	if err != nil {
		return false, notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	return done, nil
}
