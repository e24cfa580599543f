package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// SkipEventCancelled: the event was cancelled before the reminder was due.
const SkipEventCancelled = "event_cancelled"

// EditEvent implements guichet.EventChanger. The event's row is locked first, then the
// reminder rows (the order syncReminders and the scheduler's pass take them in), so that a
// reminder being sent while the event moves is either sent before and re-armed, or moved
// before it is taken.
func (d *DB) EditEvent(ctx context.Context, actor guichet.Actor, eventID int64, change guichet.EventChange, now time.Time) (*guichet.EventEdit, error) {
	var out *guichet.EventEdit
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		before, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		after, err := change.Apply(before, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET day = $2, time_zone = $3, venue = $4, client = $5,
			reminders = $6, fee_bp = $7, fee_cents = $8 WHERE id = $1`,
			eventID, after.Day, after.TimeZone, after.Venue, after.Client, after.Reminders, after.FeeBP, after.FeeCents); err != nil {
			return fmt.Errorf("edit event: %w", err)
		}
		// Lots on their own days move with the event, by as many days.
		if shift := guichet.DaysBetween(before.Day, after.Day); shift != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE lots SET day = day + $2::int WHERE event_id = $1 AND day IS NOT NULL`,
				eventID, shift); err != nil {
				return fmt.Errorf("move lots' days: %w", err)
			}
		}
		out = &guichet.EventEdit{Before: before, After: after}
		if before.Status != guichet.EventDraft && !before.Day.Equal(after.Day) {
			if out.Rearmed, err = rearmReminders(ctx, tx, before, after, now); err != nil {
				return err
			}
		}
		// Due reminders follow the new day, zone and schedule; the board is refreshed.
		if err := d.afterEventChange(ctx, tx, eventID); err != nil {
			return err
		}
		// The fee is the client's business: the structures are not told of it.
		if before.Status != guichet.EventDraft && !change.OnlyFee() {
			if _, err := queueOfferRefreshes(ctx, tx, eventID); err != nil {
				return err
			}
			if out.Told, err = noticeHolders(ctx, tx, eventID, "NoticeEventChanged", map[string]any{
				"Event": after.Name, "Changes": change.Summary}); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actor, "event.edit", eventID, 0, 0, map[string]any{
			"before": eventFields(before), "after": eventFields(after), "rearmed": out.Rearmed, "told": out.Told})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelEvent implements guichet.EventChanger.
func (d *DB) CancelEvent(ctx context.Context, actor guichet.Actor, eventID int64, reason string, now time.Time) (*guichet.EventCancellation, error) {
	if err := guichet.CancelReason.Check(reason); err != nil {
		return nil, err
	}
	var out *guichet.EventCancellation
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if e.Status == guichet.EventCancelled {
			out = &guichet.EventCancellation{Event: e, Already: true}
			return nil
		}
		if err := e.ClaimChangesOpen(now); err != nil {
			return err
		}
		// The offers are closed here, so the scheduler's pass for events that are over leaves
		// them alone (they are re-rendered below).
		if err := tx.GetContext(ctx, e, `UPDATE events SET status = 'cancelled', cancel_reason = $2,
			cancelled_at = $3, offers_closed_at = coalesce(offers_closed_at, $3)
			WHERE id = $1 RETURNING `+eventColumns, eventID, reason, now); err != nil {
			return fmt.Errorf("cancel event: %w", err)
		}
		out = &guichet.EventCancellation{Event: e}
		res, err := tx.ExecContext(ctx, `UPDATE reminders SET status = 'skipped', sent_at = $2, skip_reason = $3
			WHERE event_id = $1 AND status = 'due'`, eventID, now, SkipEventCancelled)
		if err != nil {
			return fmt.Errorf("skip reminders: %w", err)
		}
		n, _ := res.RowsAffected()
		out.Reminders = int(n)
		if out.Offers, err = queueOfferRefreshes(ctx, tx, eventID); err != nil {
			return err
		}
		if out.Told, err = noticeHolders(ctx, tx, eventID, "NoticeEventCancelled", map[string]any{
			"Event": e.Name, "Reason": reason}); err != nil {
			return err
		}
		if err := d.afterEventChange(ctx, tx, eventID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "event.cancel", eventID, 0, 0, map[string]any{
			"reason": reason, "told": out.Told, "offers": out.Offers, "reminders": out.Reminders})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func lockEvent(ctx context.Context, tx *sqlx.Tx, eventID int64) (*guichet.Event, error) {
	var e guichet.Event
	if err := tx.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR UPDATE`, eventID); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	return &e, nil
}

// eventFields is what the audit keeps of an event's editable fields.
func eventFields(e *guichet.Event) map[string]any {
	return map[string]any{"day": e.Day.Format(time.DateOnly), "time_zone": e.TimeZone, "venue": e.Venue,
		"client": e.Client, "reminders": e.Reminders, "fee_bp": e.FeeBP, "fee_cents": e.FeeCents}
}

// rearmReminders makes due again, at their moment for the event's new day, the reminders
// already sent for the old one whose new moment is after now (an event postponed past its J-7
// gets its J-7 again), for the coordination and for the structures that still hold an awarded
// lot that is not cancelled; they record the day they were sent for (previous_day), so that the
// new one says the date changed, and their confirmation is asked again. Skipped reminders stay
// as they are. It returns how many it re-armed.
func rearmReminders(ctx context.Context, tx *sqlx.Tx, before, after *guichet.Event, now time.Time) (int, error) {
	specs, err := guichet.ParseReminders(after.Reminders)
	if err != nil {
		return 0, err
	}
	rearmed := 0
	for _, s := range specs {
		due, err := after.LocalTime(-s.DaysBefore, s.Hour, s.Minute)
		if err != nil {
			return 0, err
		}
		if !due.After(now) {
			continue
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE reminders r SET status = 'due', due_at = $3, previous_day = $4, sent_at = NULL,
				skip_reason = '', confirmed_at = NULL, confirmed_by = '', problem = '', relaunched_at = NULL
			WHERE r.event_id = $1 AND r.kind = $2 AND r.status = 'sent'
			  AND (r.supplier_id IS NULL OR EXISTS (
				SELECT 1 FROM claims c JOIN lots l ON l.id = c.lot_id
				WHERE l.event_id = r.event_id AND l.status <> 'cancelled'
				  AND c.supplier_id = r.supplier_id AND c.status = 'awarded'))`,
			after.ID, string(s.Kind()), due.UTC(), before.Day)
		if err != nil {
			return 0, fmt.Errorf("re-arm reminders: %w", err)
		}
		n, _ := res.RowsAffected()
		rearmed += int(n)
		if n > 0 && s.DaysBefore == specs[len(specs)-1].DaysBefore {
			// The confirmations are asked again: so is the coordination's alert about them.
			if _, err := tx.ExecContext(ctx, `UPDATE events SET unconfirmed_alert_at = NULL WHERE id = $1`, after.ID); err != nil {
				return 0, fmt.Errorf("reset alert: %w", err)
			}
		}
	}
	return rearmed, nil
}

// queueOfferRefreshes queues the refresh of every lot of the event that has copies of its
// offer (the outbox re-renders them from the database) and returns how many.
func queueOfferRefreshes(ctx context.Context, tx *sqlx.Tx, eventID int64) (int, error) {
	var lots int
	if err := tx.GetContext(ctx, &lots, `
		WITH refreshes AS (
			INSERT INTO outbox (kind, payload)
			SELECT $2, jsonb_build_object('lot_id', l.id) FROM lots l
			WHERE l.event_id = $1 AND EXISTS (SELECT 1 FROM offer_posts o WHERE o.lot_id = l.id)
			ORDER BY l.id
			RETURNING id
		)
		SELECT count(*) FROM refreshes`, eventID, string(guichet.OutboxRefreshOffer)); err != nil {
		return 0, fmt.Errorf("queue offer refreshes: %w", err)
	}
	if lots > 0 {
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify('guichet_outbox', '')`); err != nil {
			return 0, err
		}
	}
	return lots, nil
}

// noticeHolders queues the notice messageID with args, in the event's language, once to the
// channel of each structure holding an active claim (pending or awarded) on a lot of the event
// that is not cancelled, and returns how many structures it reaches.
func noticeHolders(ctx context.Context, tx *sqlx.Tx, eventID int64, messageID string, args map[string]any) (int, error) {
	var channels []string
	if err := tx.SelectContext(ctx, &channels, `
		SELECT DISTINCT s.channel_id FROM claims c JOIN lots l ON l.id = c.lot_id
		JOIN suppliers s ON s.id = c.supplier_id
		WHERE l.event_id = $1 AND l.status <> 'cancelled' AND c.status IN ('pending', 'awarded')
		  AND s.channel_id <> ''
		ORDER BY s.channel_id`, eventID); err != nil {
		return 0, fmt.Errorf("event's holders: %w", err)
	}
	for _, ch := range channels {
		if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: ch, EventID: eventID, MessageID: messageID, Args: args}); err != nil {
			return 0, err
		}
	}
	return len(channels), nil
}
