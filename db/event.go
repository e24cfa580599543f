package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

const eventColumns = `id, slug, name, day, time_zone, venue, client, coord_channel_id,
	recap_channel_id, status, reminders, locale, cancel_reason, cancelled_at, first_lot_day, last_lot_day,
	created_by, created_at, fee_bp, fee_cents, payment_days`

// CreateEvent implements guichet.EventStore. The actor, when a person, becomes the event's
// first coordinator in the same transaction.
func (d *DB) CreateEvent(ctx context.Context, actor guichet.Actor, e *guichet.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	e.CreatedBy = actor.UserID
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, e, `
			INSERT INTO events (slug, name, day, time_zone, venue, client, coord_channel_id,
				recap_channel_id, status, reminders, locale, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			RETURNING `+eventColumns,
			e.Slug, e.Name, e.Day, e.TimeZone, e.Venue, e.Client, e.CoordChannelID,
			e.RecapChannelID, e.Status, e.Reminders, e.Locale, e.CreatedBy)
		if isUniqueViolation(err, "events_slug_key") {
			return guichet.Errorf(guichet.ECONFLICT, "ErrEventExists", "Slug", e.Slug)
		}
		if err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
		if err := audit(ctx, tx, actor, "event.create", e.ID, 0, 0, map[string]any{
			"slug": e.Slug, "name": e.Name, "day": e.Day.Format("2006-01-02")}); err != nil {
			return err
		}
		if !actor.IsPerson() {
			return nil
		}
		// Its creator coordinates the event from the start (event.create's entry says who).
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_coordinators (event_id, user_id, added_by)
			VALUES ($1, $2, $2)`, e.ID, actor.UserID); err != nil {
			return fmt.Errorf("event's first coordinator: %w", err)
		}
		return nil
	})
}

// UpdateEvent implements guichet.EventStore.
func (d *DB) UpdateEvent(ctx context.Context, actor guichet.Actor, e *guichet.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE events SET name = $2, day = $3, time_zone = $4, venue = $5, client = $6,
				coord_channel_id = $7, recap_channel_id = $8, status = $9, reminders = $10, locale = $11
			WHERE id = $1`,
			e.ID, e.Name, e.Day, e.TimeZone, e.Venue, e.Client, e.CoordChannelID,
			e.RecapChannelID, e.Status, e.Reminders, e.Locale)
		if err != nil {
			return fmt.Errorf("update event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrEventNotFound", "Slug", e.Slug)
		}
		if err := d.afterEventChange(ctx, tx, e.ID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.update", e.ID, 0, 0, map[string]any{
			"day": e.Day.Format("2006-01-02"), "status": e.Status, "reminders": e.Reminders})
	})
}

// afterEventChange is called in every transaction that changes an event, its lots or its
// claims: the reminder rows follow the change in the same transaction, and the board is
// refreshed.
func (d *DB) afterEventChange(ctx context.Context, tx *sqlx.Tx, eventID int64) error {
	if err := syncReminders(ctx, tx, eventID); err != nil {
		return err
	}
	return enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: eventID})
}

// Event implements guichet.EventStore.
func (d *DB) Event(ctx context.Context, id int64) (*guichet.Event, error) {
	var e guichet.Event
	if err := d.db.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", id)
	}
	return &e, nil
}

// EventBySlug implements guichet.EventStore.
func (d *DB) EventBySlug(ctx context.Context, slug string) (*guichet.Event, error) {
	var e guichet.Event
	if err := d.db.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE slug = $1`, slug); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", slug)
	}
	return &e, nil
}

// EventByChannel implements guichet.EventStore.
func (d *DB) EventByChannel(ctx context.Context, channelID string) (*guichet.Event, error) {
	var e guichet.Event
	err := d.db.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events
		WHERE coord_channel_id = $1 ORDER BY day DESC, id DESC LIMIT 1`, channelID)
	if err != nil {
		return nil, notFound(err, "ErrNoEventHere")
	}
	return &e, nil
}

// Events implements guichet.EventStore.
func (d *DB) Events(ctx context.Context) ([]*guichet.Event, error) {
	var out []*guichet.Event
	if err := d.db.SelectContext(ctx, &out, `SELECT `+eventColumns+` FROM events ORDER BY day DESC, id DESC LIMIT 500`); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}
