package db

import (
	"context"
	"fmt"
)

// BoardPostID returns the id of the post showing the event's status board, "" when none was
// posted yet. ENOTFOUND if the event does not exist.
func (d *DB) BoardPostID(ctx context.Context, eventID int64) (string, error) {
	var id string
	if err := d.db.GetContext(ctx, &id, `SELECT board_post_id FROM events WHERE id = $1`, eventID); err != nil {
		return "", notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	return id, nil
}

// SetBoardPostID records newPostID as the event's board post if the recorded one is still
// oldPostID, and reports whether it did: when two dispatchers post a board at once, one wins
// and the other learns it should give its post up.
func (d *DB) SetBoardPostID(ctx context.Context, eventID int64, oldPostID, newPostID string) (bool, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE events SET board_post_id = $3 WHERE id = $1 AND board_post_id = $2`,
		eventID, oldPostID, newPostID)
	if err != nil {
		return false, fmt.Errorf("set board post: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("set board post: %w", err)
	}
	return n == 1, nil
}
