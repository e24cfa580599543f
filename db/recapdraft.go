package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// RecapDraftPost implements guichet.RecapDraftStore.
func (d *DB) RecapDraftPost(ctx context.Context, eventID int64) (string, string, error) {
	var row struct {
		PostID      string `db:"recap_draft_post_id"`
		PublishedBy string `db:"published_by"`
	}
	if err := d.db.GetContext(ctx, &row, `SELECT recap_draft_post_id,
		CASE WHEN recap_published_at IS NULL THEN '' ELSE coalesce(recap_published_by, '') END AS published_by
		FROM events WHERE id = $1`, eventID); err != nil {
		return "", "", notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	return row.PostID, row.PublishedBy, nil
}

// RecordRecapDraftPost implements guichet.RecapDraftStore.
func (d *DB) RecordRecapDraftPost(ctx context.Context, eventID int64, postID string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE events SET recap_draft_post_id = $2 WHERE id = $1`, eventID, postID); err != nil {
		return fmt.Errorf("record recap draft post: %w", err)
	}
	return nil
}

// afterRecapFigureChange follows a delivery report or an amount adjustment on event ev, in
// its transaction (which holds the event's row in share mode, as QueueRecap takes it for
// update: a publication comes wholly before or after it). Before the recap is published,
// once the event is done (its draft queued or shown), it queues the draft's re-rendering;
// after, it tells the coordination channel that the published recap does not show the
// change (notice, with args and the event's name).
func afterRecapFigureChange(ctx context.Context, tx *sqlx.Tx, ev *guichet.Event, lotID int64, notice string, args map[string]any) error {
	var state struct {
		Status    guichet.EventStatus `db:"status"`
		Published bool                `db:"published"`
	}
	if err := tx.GetContext(ctx, &state, `SELECT status, recap_published_at IS NOT NULL AS published FROM events WHERE id = $1`,
		ev.ID); err != nil {
		return fmt.Errorf("recap state: %w", err)
	}
	switch {
	case state.Published:
		if ev.CoordChannelID == "" {
			return nil
		}
		full := map[string]any{"Event": ev.Name, "Slug": ev.Slug}
		for k, v := range args {
			full[k] = v
		}
		return enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: ev.CoordChannelID, EventID: ev.ID,
			LotID: lotID, Locale: ev.Locale, MessageID: notice, Args: full})
	case state.Status == guichet.EventDone:
		return enqueue(ctx, tx, guichet.OutboxRefreshRecapDraft, guichet.OutboxPayload{EventID: ev.ID})
	}
	return nil
}
