package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// DeliveredTargets returns the targets (a user id or a channel id) that outbox message
// outboxID has reached already, with their post ids: a retried message that posts to several
// targets skips them.
func (d *DB) DeliveredTargets(ctx context.Context, outboxID int64) (map[string]string, error) {
	var rows []struct {
		Target string `db:"target"`
		PostID string `db:"post_id"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT target, post_id FROM outbox_targets WHERE outbox_id = $1`, outboxID); err != nil {
		return nil, fmt.Errorf("delivered targets: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Target] = r.PostID
	}
	return out, nil
}

// RecordDeliveredTarget records that outbox message outboxID reached target with postID.
// Recording twice keeps the first post id.
func (d *DB) RecordDeliveredTarget(ctx context.Context, outboxID int64, target, postID string) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO outbox_targets (outbox_id, target, post_id) VALUES ($1, $2, $3)
		ON CONFLICT (outbox_id, target) DO NOTHING`, outboxID, target, postID)
	if err != nil {
		return fmt.Errorf("record delivered target: %w", err)
	}
	return nil
}

// MarkReminderLate records that reminder id, taken in time by the scheduler, could not reach
// anyone before the event's day began (Mattermost was down): it becomes skipped with reason
// SkipEventStarted, and the delivery posts nothing. A reminder already skipped is left as is.
func (d *DB) MarkReminderLate(ctx context.Context, id int64, now time.Time) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var r guichet.Reminder
		err := tx.GetContext(ctx, &r, `UPDATE reminders SET status = 'skipped', skip_reason = $2, sent_at = $3
			WHERE id = $1 AND status = 'sent' RETURNING `+reminderColumns, id, SkipEventStarted, now)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("mark reminder late: %w", err)
		}
		supplierID := int64(0)
		if r.SupplierID != nil {
			supplierID = *r.SupplierID
		}
		return audit(ctx, tx, guichet.System, "reminder.skip", r.EventID, 0, supplierID, map[string]any{
			"reminder_id": r.ID, "kind": r.Kind, "reason": SkipEventStarted, "late_delivery": true})
	})
}
