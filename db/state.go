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

// now returns the time by d.Now, time.Now when unset.
func (d *DB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// endedEventsSQL lists the events whose offers may have to close at $1 (a date: the latest
// day that can have ended, whatever the zone): not drafts, not closed yet, done or recapped
// or on or before that day. guichet.Event.Over decides among them.
const endedEventsSQL = `
	SELECT id, day, time_zone, status FROM events
	WHERE offers_closed_at IS NULL AND status <> 'draft'
	  AND (status IN ('done', 'recapped') OR day <= $1::date)
	ORDER BY day, id
	LIMIT 1000`

// CloseEndedOffers closes the offers of every event that is over at now
// (guichet.Event.Over: the end of its day in its time zone has come, or it is done or
// recapped), once per event: in one transaction per event, it marks the event (its
// offers_closed_at, taken with a conditional update, so that any number of schedulers close
// each event once) and queues the refresh of every lot of the event that has copies of its
// offer, which the outbox re-renders without buttons. Draft events have no offers and are
// left alone. It returns how many events it closed.
func (d *DB) CloseEndedOffers(ctx context.Context, now time.Time) (int, error) {
	var cands []struct {
		ID       int64               `db:"id"`
		Day      time.Time           `db:"day"`
		TimeZone string              `db:"time_zone"`
		Status   guichet.EventStatus `db:"status"`
	}
	if err := d.db.SelectContext(ctx, &cands, endedEventsSQL, now.UTC().Format(time.DateOnly)); err != nil {
		return 0, fmt.Errorf("ended events: %w", err)
	}
	closed := 0
	for _, c := range cands {
		e := guichet.Event{ID: c.ID, Day: c.Day, TimeZone: c.TimeZone, Status: c.Status}
		if !e.Over(now) {
			continue
		}
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			var id int64
			err := tx.GetContext(ctx, &id, `UPDATE events SET offers_closed_at = $2
				WHERE id = $1 AND offers_closed_at IS NULL AND status <> 'draft' RETURNING id`, e.ID, now)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // another scheduler closed it
			}
			if err != nil {
				return fmt.Errorf("close offers of event %d: %w", e.ID, err)
			}
			var lots int
			if err := tx.GetContext(ctx, &lots, `
				WITH refreshes AS (
					INSERT INTO outbox (kind, payload)
					SELECT $2, jsonb_build_object('lot_id', l.id) FROM lots l
					WHERE l.event_id = $1 AND EXISTS (SELECT 1 FROM offer_posts o WHERE o.lot_id = l.id)
					ORDER BY l.id
					RETURNING id
				)
				SELECT count(*) FROM refreshes`, e.ID, string(guichet.OutboxRefreshOffer)); err != nil {
				return fmt.Errorf("queue offer refreshes: %w", err)
			}
			if lots > 0 {
				// Wake the dispatchers at commit, as enqueue does.
				if _, err := tx.ExecContext(ctx, `SELECT pg_notify('guichet_outbox', '')`); err != nil {
					return err
				}
			}
			closed++
			return audit(ctx, tx, guichet.System, "event.offers_closed", e.ID, 0, 0, map[string]any{
				"lots": lots, "status": e.Status, "end": e.End()})
		})
		if err != nil {
			return closed, err
		}
	}
	return closed, nil
}
