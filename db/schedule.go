// The scheduler's passes: due reminders, expired claim deadlines, the unconfirmed alert,
// recaps, and closing the offers of events that are over.

package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// Reasons recorded on reminders that were skipped instead of sent.
const (
	// SkipEventStarted: the event's day had begun when the reminder was taken (after downtime).
	SkipEventStarted = "event_started"
	// SkipSuperseded: a later reminder of the same recipient was already due (a J-7 caught up
	// after the J-1 time).
	SkipSuperseded = "superseded"
	// SkipNotConcerned: the structure no longer held an awarded lot.
	SkipNotConcerned = "not_concerned"
)

const reminderColumns = `id, event_id, kind, supplier_id, due_at, status, sent_at, skip_reason,
	confirmed_at, confirmed_by, problem, previous_day, day`

// takeDueSQL locks due reminder rows that no other scheduler holds, with what the catch-up
// rules need: the event's day and zone, whether the recipient still holds an awarded lot that
// is not cancelled, and whether a later reminder of the same recipient is already due. The
// checks are LATERAL subqueries with LIMIT 1 so that they run per row taken, on indexes,
// rather than as one hashed pass over every claim.
const takeDueSQL = `
	SELECT r.id, r.event_id, r.kind, r.supplier_id, r.due_at,
		coalesce(r.day, e.day) AS day, e.time_zone, e.locale, e.status AS event_status,
		(r.supplier_id IS NULL OR held.yes IS NOT NULL) AS concerned,
		(later.yes IS NOT NULL) AS superseded
	FROM reminders r
	JOIN events e ON e.id = r.event_id
	LEFT JOIN LATERAL (
		SELECT true AS yes FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE c.supplier_id = r.supplier_id AND c.status = 'awarded'
		  AND l.event_id = r.event_id AND l.status <> 'cancelled'
		LIMIT 1) held ON true
	LEFT JOIN LATERAL (
		SELECT true AS yes FROM reminders o
		WHERE o.event_id = r.event_id AND coalesce(o.supplier_id, 0) = coalesce(r.supplier_id, 0)
		  AND o.due_at > r.due_at AND o.due_at <= $1
		LIMIT 1) later ON true
	WHERE r.status = 'due' AND r.due_at <= $1
	ORDER BY r.due_at, r.id
	LIMIT $2
	FOR UPDATE OF r SKIP LOCKED`

type dueReminder struct {
	ID          int64     `db:"id"`
	EventID     int64     `db:"event_id"`
	Kind        string    `db:"kind"`
	SupplierID  *int64    `db:"supplier_id"`
	DueAt       time.Time `db:"due_at"`
	Day         time.Time `db:"day"`
	TimeZone    string    `db:"time_zone"`
	Locale      string    `db:"locale"`
	EventStatus string    `db:"event_status"`
	Concerned   bool      `db:"concerned"`
	Superseded  bool      `db:"superseded"`
}

// TakeDueReminders takes up to limit reminders due at now (oldest first) and, in the same
// transaction, queues an OutboxReminder message for each one still worth sending and marks it
// sent; the others are marked skipped with a reason: SkipEventStarted when the event's day has
// begun in its time zone, SkipSuperseded when a later reminder of the same recipient is due
// too (a J-7 caught up after the J-1 time), SkipNotConcerned when the structure no longer holds
// an awarded lot that is not cancelled. Rows held by another scheduler are left to it
// (FOR UPDATE SKIP LOCKED), so any number of schedulers send each reminder once. Call it again
// while it returns limit rows in all.
func (d *DB) TakeDueReminders(ctx context.Context, now time.Time, limit int) (sent, skipped int, err error) {
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []dueReminder
		if err := tx.SelectContext(ctx, &rows, takeDueSQL, now, limit); err != nil {
			return fmt.Errorf("take due reminders: %w", err)
		}
		zones := zoneCache{}
		for _, r := range rows {
			start, err := zones.dayStart(r.Day, r.TimeZone)
			if err != nil {
				return err
			}
			reason := ""
			switch {
			case !now.Before(start) || r.EventStatus == string(guichet.EventDone) || r.EventStatus == string(guichet.EventRecapped):
				reason = SkipEventStarted
			case r.Superseded:
				reason = SkipSuperseded
			case !r.Concerned:
				reason = SkipNotConcerned
			}
			supplierID := int64(0)
			if r.SupplierID != nil {
				supplierID = *r.SupplierID
			}
			if reason != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE reminders SET status = 'skipped', sent_at = $2, skip_reason = $3 WHERE id = $1`,
					r.ID, now, reason); err != nil {
					return fmt.Errorf("skip reminder: %w", err)
				}
				if err := audit(ctx, tx, guichet.System, "reminder.skip", r.EventID, 0, supplierID, map[string]any{
					"reminder_id": r.ID, "kind": r.Kind, "reason": reason, "due_at": r.DueAt}); err != nil {
					return err
				}
				skipped++
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE reminders SET status = 'sent', sent_at = $2 WHERE id = $1`, r.ID, now); err != nil {
				return fmt.Errorf("mark reminder sent: %w", err)
			}
			if err := enqueue(ctx, tx, guichet.OutboxReminder, guichet.OutboxPayload{
				ReminderID: r.ID, EventID: r.EventID, Locale: r.Locale}); err != nil {
				return err
			}
			if err := audit(ctx, tx, guichet.System, "reminder.send", r.EventID, 0, supplierID, map[string]any{
				"reminder_id": r.ID, "kind": r.Kind, "due_at": r.DueAt}); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return sent, skipped, nil
}

// zoneCache loads each time zone once per call.
type zoneCache map[string]*time.Location

// dayStart returns midnight at the beginning of day (a date) in the zone.
func (z zoneCache) dayStart(day time.Time, zone string) (time.Time, error) {
	loc, ok := z[zone]
	if !ok {
		e := guichet.Event{TimeZone: zone}
		var err error
		if loc, err = e.Location(); err != nil {
			return time.Time{}, err
		}
		z[zone] = loc
	}
	y, m, dd := day.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc), nil
}

// at returns the instant of spec (DaysBefore days before day; negative: after) in the zone.
func (z zoneCache) at(day time.Time, zone string, spec guichet.ReminderSpec) (time.Time, error) {
	start, err := z.dayStart(day, zone)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(start.Year(), start.Month(), start.Day()-spec.DaysBefore, spec.Hour, spec.Minute, 0, 0, start.Location()), nil
}

// candidateDay returns the latest event day for which spec can be due at now, whatever the
// event's zone (zones lie within a day of UTC), as a date for SQL.
func candidateDay(now time.Time, spec guichet.ReminderSpec) string {
	u := now.UTC()
	return time.Date(u.Year(), u.Month(), u.Day()+spec.DaysBefore+1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// expiredLotEventsSQL finds events with open lots whose claim deadline has passed, reading the
// partial deadline index in deadline order.
const expiredLotEventsSQL = `
	WITH expired AS MATERIALIZED (
		SELECT event_id FROM lots
		WHERE status = 'open' AND deadline IS NOT NULL AND deadline <= $1
		ORDER BY deadline
		LIMIT 1000)
	SELECT DISTINCT event_id FROM expired ORDER BY event_id`

// CloseExpiredLots closes every open lot whose claim deadline is at or before now, one
// transaction per event: the lot's status becomes closed, every copy of its offer is refreshed,
// the coordinator is told what the lot got, and the board is refreshed. Lots locked by
// another scheduler are left to it; closed lots are not seen again, so a replay changes
// nothing. It returns how many lots it closed.
func (d *DB) CloseExpiredLots(ctx context.Context, now time.Time) (int, error) {
	closed := 0
	for {
		var events []int64
		if err := d.db.SelectContext(ctx, &events, expiredLotEventsSQL, now); err != nil {
			return closed, fmt.Errorf("expired lots: %w", err)
		}
		n := 0
		for _, eventID := range events {
			k, err := d.closeExpiredLotsOf(ctx, eventID, now)
			if err != nil {
				return closed, err
			}
			n += k
		}
		closed += n
		// Nothing left, or only lots another scheduler is closing.
		if n == 0 {
			return closed, nil
		}
	}
}

func (d *DB) closeExpiredLotsOf(ctx context.Context, eventID int64, now time.Time) (int, error) {
	n := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var lots []*guichet.Lot
		if err := tx.SelectContext(ctx, &lots, `SELECT `+lotColumns+` FROM lots
			WHERE event_id = $1 AND status = 'open' AND deadline IS NOT NULL AND deadline <= $2
			ORDER BY id FOR UPDATE SKIP LOCKED`, eventID, now); err != nil {
			return fmt.Errorf("lock expired lots: %w", err)
		}
		if len(lots) == 0 {
			return nil
		}
		for _, l := range lots {
			if _, err := tx.ExecContext(ctx, `UPDATE lots SET status = 'closed' WHERE id = $1`, l.ID); err != nil {
				return fmt.Errorf("close lot: %w", err)
			}
			var counts struct {
				Awarded int64 `db:"awarded"`
				Waiting int   `db:"waiting"`
			}
			if err := tx.GetContext(ctx, &counts, `SELECT
				coalesce(sum(quantity) FILTER (WHERE status = 'awarded'), 0) AS awarded,
				count(*) FILTER (WHERE status = 'pending') AS waiting
				FROM claims WHERE lot_id = $1`, l.ID); err != nil {
				return fmt.Errorf("closed lot claims: %w", err)
			}
			if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: l.ID}); err != nil {
				return err
			}
			if err := noticeCoordinator(ctx, tx, eventID, "ReminderLotClosed", map[string]any{
				"Code": l.Code, "Title": l.Title, "Awarded": counts.Awarded, "Quantity": l.Quantity,
				"Unit": l.Unit, "Waiting": counts.Waiting}); err != nil {
				return err
			}
			if err := audit(ctx, tx, guichet.System, "lot.close", eventID, l.ID, 0, map[string]any{
				"deadline": l.Deadline, "awarded": counts.Awarded, "waiting": counts.Waiting}); err != nil {
				return err
			}
		}
		n = len(lots)
		return d.afterEventChange(ctx, tx, eventID)
	})
	return n, err
}

// onceCandidatesSQL lists published events whose day is near enough for a once-per-event job
// to be due; the column named by the job (%s) is NULL until the job has run for the event.
const onceCandidatesSQL = `
	SELECT id, day, time_zone FROM events
	WHERE status = 'published' AND %s IS NULL AND day <= $1::date
	ORDER BY day, id
	LIMIT 1000`

type onceCandidate struct {
	ID       int64     `db:"id"`
	Day      time.Time `db:"day"`
	TimeZone string    `db:"time_zone"`
}

// dueOnce returns the ids of the published events for which the job recorded in column is
// due at now: spec's instant on the event's day, in its zone, has come.
func (d *DB) dueOnce(ctx context.Context, column string, now time.Time, spec guichet.ReminderSpec) ([]int64, error) {
	var cands []onceCandidate
	if err := d.db.SelectContext(ctx, &cands, fmt.Sprintf(onceCandidatesSQL, column), candidateDay(now, spec)); err != nil {
		return nil, fmt.Errorf("%s candidates: %w", column, err)
	}
	zones := zoneCache{}
	var due []int64
	for _, c := range cands {
		at, err := zones.at(c.Day, c.TimeZone, spec)
		if err != nil {
			return nil, err
		}
		if !now.Before(at) {
			due = append(due, c.ID)
		}
	}
	return due, nil
}

// AlertUnconfirmed tells the coordinator of each published event, once, at spec's time
// (DaysBefore days before the event, at Hour:Minute in its zone; J-1@18:00 by configuration),
// which structures have not confirmed their last reminder (J-1) and which reported a problem,
// or that every structure confirmed. Only structures that were sent that reminder and still
// hold a lot count. An event whose day has begun, or with no such structure, is marked done
// without a message. Several schedulers alert once (oncePerEvent). It returns how many alerts
// it queued.
func (d *DB) AlertUnconfirmed(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error) {
	due, err := d.dueOnce(ctx, "unconfirmed_alert_at", now, spec)
	if err != nil {
		return 0, err
	}
	return d.oncePerEvent(ctx, "alert", due, now, `UPDATE events SET unconfirmed_alert_at = $2
		WHERE id = $1 AND status = 'published' AND unconfirmed_alert_at IS NULL
		RETURNING `+eventColumns, func(tx *sqlx.Tx, e *guichet.Event) (bool, error) {
		start, err := e.LocalTime(0, 0, 0)
		if err != nil {
			return false, err
		}
		if !now.Before(start) {
			return false, audit(ctx, tx, guichet.System, "reminder.alert_skip", e.ID, 0, 0, map[string]any{"reason": SkipEventStarted})
		}
		kind, err := confirmationKind(e)
		if err != nil {
			return false, err
		}
		var rows []struct {
			Name      string     `db:"name"`
			Confirmed *time.Time `db:"confirmed_at"`
			Problem   string     `db:"problem"`
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT s.name, r.confirmed_at, r.problem
			FROM reminders r JOIN suppliers s ON s.id = r.supplier_id
			WHERE r.event_id = $1 AND r.kind = $2 AND r.status = 'sent'
			  AND EXISTS (SELECT 1 FROM lots l JOIN claims c ON c.lot_id = l.id
				WHERE l.event_id = r.event_id AND l.status <> 'cancelled'
				  AND c.supplier_id = r.supplier_id AND c.status = 'awarded')
			ORDER BY lower(s.name)`, e.ID, string(kind)); err != nil {
			return false, fmt.Errorf("confirmations: %w", err)
		}
		if len(rows) == 0 {
			return false, nil
		}
		var missing, problems []string
		for _, r := range rows {
			switch {
			case r.Problem != "":
				problems = append(problems, r.Name)
			case r.Confirmed == nil:
				missing = append(missing, r.Name)
			}
		}
		id := "ReminderUnconfirmedAlert"
		if len(missing) == 0 && len(problems) == 0 {
			id = "ReminderAllConfirmed"
		}
		if err := noticeCoordinator(ctx, tx, e.ID, id, map[string]any{
			"Event": e.Name, "Missing": strings.Join(missing, ", "), "MissingCount": len(missing),
			"Problems": strings.Join(problems, ", "), "Total": len(rows), "Slug": e.Slug,
			"Kind": strings.ToUpper(string(kind[:1])) + "-" + string(kind[1:])}); err != nil {
			return false, err
		}
		return true, audit(ctx, tx, guichet.System, "reminder.alert", e.ID, 0, 0, map[string]any{
			"missing": len(missing), "problems": len(problems), "total": len(rows)})
	})
}

// TriggerRecaps queues, once per published event, at spec's time after it (DaysBefore
// negative: J+1@09:00 is DaysBefore -1 by configuration), an OutboxRecapDraft message (the
// recap as a draft in the coordination channel, with « Publier le bilan »; none when the recap
// was published already or the event has no coordination channel) and marks the event done; the board is refreshed, and each structure holding an awarded share is asked
// « Livré comme prévu ? » for it (askDeliveries). Events caught up after downtime are recapped late.
// Several schedulers queue each recap once (oncePerEvent). It returns how many recaps it
// queued.
func (d *DB) TriggerRecaps(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error) {
	due, err := d.dueOnce(ctx, "recap_queued_at", now, spec)
	if err != nil {
		return 0, err
	}
	return d.oncePerEvent(ctx, "recap", due, now, `UPDATE events SET status = 'done', recap_queued_at = $2
		WHERE id = $1 AND status = 'published' AND recap_queued_at IS NULL
		RETURNING `+eventColumns, func(tx *sqlx.Tx, e *guichet.Event) (bool, error) {
		// The recap is a draft for the coordinators until one of them publishes it
		// (QueueRecap); none when it was published already, ahead of the day.
		var published bool
		if err := tx.GetContext(ctx, &published, `SELECT recap_published_at IS NOT NULL FROM events WHERE id = $1`, e.ID); err != nil {
			return false, fmt.Errorf("recap published: %w", err)
		}
		if !published && e.CoordChannelID != "" {
			if err := enqueue(ctx, tx, guichet.OutboxRecapDraft, guichet.OutboxPayload{EventID: e.ID, ChannelID: e.CoordChannelID, Locale: e.Locale}); err != nil {
				return false, err
			}
		}
		if err := audit(ctx, tx, guichet.System, "event.done", e.ID, 0, 0, map[string]any{"recap_draft": !published}); err != nil {
			return false, err
		}
		if err := askDeliveries(ctx, tx, e); err != nil {
			return false, err
		}
		return true, d.afterEventChange(ctx, tx, e.ID)
	})
}

// oncePerEvent runs a job that is done once per event (an alert, a recap, closing the
// offers) for each of the events eventIDs, in one transaction per event. mark, an UPDATE of
// the event's row ($1 its id, $2 now) returning eventColumns, records that the job ran and
// matches no row once it has (or once the event moved on): it claims the event for the job,
// so that any number of schedulers run it once per event; the event is then left alone. do
// then runs the job on the event as mark returned it, in the same transaction, and says
// whether it counts. oncePerEvent returns how many events counted, up to the first error.
func (d *DB) oncePerEvent(ctx context.Context, job string, eventIDs []int64, now time.Time, mark string,
	do func(tx *sqlx.Tx, e *guichet.Event) (bool, error)) (int, error) {
	counted := 0
	for _, id := range eventIDs {
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			var e guichet.Event
			err := tx.GetContext(ctx, &e, mark, id, now)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // another scheduler did it, or the event moved on
			}
			if err != nil {
				return fmt.Errorf("claim %s of event %d: %w", job, id, err)
			}
			ok, err := do(tx, &e)
			if err == nil && ok {
				counted++
			}
			return err
		})
		if err != nil {
			return counted, err
		}
	}
	return counted, nil
}

// confirmationKind returns the kind of the event's last reminder before the event (J-1 by
// default), the one structures confirm.
func confirmationKind(e *guichet.Event) (guichet.ReminderKind, error) {
	specs, err := guichet.ParseReminders(e.Reminders)
	if err != nil {
		return "", err
	}
	return specs[len(specs)-1].Kind(), nil
}

// endedEventsSQL lists the events whose offers may have to close at $1 (a date: the latest
// day that can have ended, whatever the zone): not drafts, not closed yet, done or recapped
// or on or before that day. guichet.Event.Over decides among them.
const endedEventsSQL = `
	SELECT id, day, time_zone, status, last_lot_day FROM events
	WHERE offers_closed_at IS NULL AND status <> 'draft'
	  AND (status IN ('done', 'recapped') OR coalesce(last_lot_day, day) <= $1::date)
	ORDER BY day, id
	LIMIT 1000`

// CloseEndedOffers closes the offers of every event that is over at now
// (guichet.Event.Over: the end of its day in its time zone has come, or it is done or
// recapped), once per event: in one transaction per event, it marks the event (its
// offers_closed_at, taken with a conditional update: oncePerEvent, so that any number of
// schedulers close each event once) and queues the refresh of every lot of the event that has copies of its
// offer, which the outbox re-renders without buttons. Draft events have no offers and are
// left alone. It returns how many events it closed.
func (d *DB) CloseEndedOffers(ctx context.Context, now time.Time) (int, error) {
	var cands []struct {
		ID       int64               `db:"id"`
		Day      time.Time           `db:"day"`
		TimeZone string              `db:"time_zone"`
		Status   guichet.EventStatus `db:"status"`
		LastDay  *time.Time          `db:"last_lot_day"`
	}
	if err := d.db.SelectContext(ctx, &cands, endedEventsSQL, now.UTC().Format(time.DateOnly)); err != nil {
		return 0, fmt.Errorf("ended events: %w", err)
	}
	byID := make(map[int64]*guichet.Event, len(cands))
	var over []int64
	for _, c := range cands {
		e := &guichet.Event{ID: c.ID, Day: c.Day, TimeZone: c.TimeZone, Status: c.Status, LastLotDay: c.LastDay}
		if e.Over(now) {
			byID[e.ID] = e
			over = append(over, e.ID)
		}
	}
	return d.oncePerEvent(ctx, "offers closing", over, now, `UPDATE events SET offers_closed_at = $2
		WHERE id = $1 AND offers_closed_at IS NULL AND status <> 'draft'
		RETURNING `+eventColumns, func(tx *sqlx.Tx, marked *guichet.Event) (bool, error) {
		// The event as it was found over, for the audit.
		e := byID[marked.ID]
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
			return false, fmt.Errorf("queue offer refreshes: %w", err)
		}
		if lots > 0 {
			// Wake the dispatchers at commit, as enqueue does.
			if _, err := tx.ExecContext(ctx, `SELECT pg_notify('guichet_outbox', '')`); err != nil {
				return false, err
			}
		}
		return true, audit(ctx, tx, guichet.System, "event.offers_closed", e.ID, 0, 0, map[string]any{
			"lots": lots, "status": e.Status, "end": e.End()})
	})
}
