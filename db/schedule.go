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
	confirmed_at, confirmed_by, problem`

// takeDueSQL locks due reminder rows that no other scheduler holds, with what the catch-up
// rules need: the event's day and zone, whether the recipient still holds an awarded lot that
// is not cancelled, and whether a later reminder of the same recipient is already due. The
// checks are LATERAL subqueries with LIMIT 1 so that they run per row taken, on indexes,
// rather than as one hashed pass over every claim.
const takeDueSQL = `
	SELECT r.id, r.event_id, r.kind, r.supplier_id, r.due_at,
		e.day, e.time_zone, e.locale, e.status AS event_status,
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

// dueOnce returns the published events for which the job recorded in column is due at now:
// spec's instant on the event's day, in its zone, has come.
func (d *DB) dueOnce(ctx context.Context, column string, now time.Time, spec guichet.ReminderSpec) ([]onceCandidate, error) {
	var cands []onceCandidate
	if err := d.db.SelectContext(ctx, &cands, fmt.Sprintf(onceCandidatesSQL, column), candidateDay(now, spec)); err != nil {
		return nil, fmt.Errorf("%s candidates: %w", column, err)
	}
	zones := zoneCache{}
	var due []onceCandidate
	for _, c := range cands {
		at, err := zones.at(c.Day, c.TimeZone, spec)
		if err != nil {
			return nil, err
		}
		if !now.Before(at) {
			due = append(due, c)
		}
	}
	return due, nil
}

// AlertUnconfirmed tells the coordinator of each published event, once, at spec's time
// (DaysBefore days before the event, at Hour:Minute in its zone; J-1@18:00 by configuration),
// which structures have not confirmed their last reminder (J-1) and which reported a problem,
// or that every structure confirmed. Only structures that were sent that reminder and still
// hold a lot count. An event whose day has begun, or with no such structure, is marked done
// without a message. Several schedulers alert once: the
// event row is claimed with a conditional update. It returns how many alerts it queued.
func (d *DB) AlertUnconfirmed(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error) {
	due, err := d.dueOnce(ctx, "unconfirmed_alert_at", now, spec)
	if err != nil {
		return 0, err
	}
	alerts := 0
	for _, c := range due {
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			var e guichet.Event
			err := tx.GetContext(ctx, &e, `UPDATE events SET unconfirmed_alert_at = $2
				WHERE id = $1 AND status = 'published' AND unconfirmed_alert_at IS NULL
				RETURNING `+eventColumns, c.ID, now)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // another scheduler did it, or the event moved on
			}
			if err != nil {
				return fmt.Errorf("claim alert: %w", err)
			}
			start, err := e.LocalTime(0, 0, 0)
			if err != nil {
				return err
			}
			if !now.Before(start) {
				return audit(ctx, tx, guichet.System, "reminder.alert_skip", e.ID, 0, 0, map[string]any{"reason": SkipEventStarted})
			}
			kind, err := confirmationKind(&e)
			if err != nil {
				return err
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
				return fmt.Errorf("confirmations: %w", err)
			}
			if len(rows) == 0 {
				return nil
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
				return err
			}
			alerts++
			return audit(ctx, tx, guichet.System, "reminder.alert", e.ID, 0, 0, map[string]any{
				"missing": len(missing), "problems": len(problems), "total": len(rows)})
		})
		if err != nil {
			return alerts, err
		}
	}
	return alerts, nil
}

// TriggerRecaps queues, once per published event, at spec's time after it (DaysBefore
// negative: J+1@09:00 is DaysBefore -1 by configuration), an OutboxRecap message and marks the
// event done; the board is refreshed. Events caught up after downtime are recapped late.
// Several schedulers queue each recap once. It returns how many recaps it queued.
func (d *DB) TriggerRecaps(ctx context.Context, now time.Time, spec guichet.ReminderSpec) (int, error) {
	due, err := d.dueOnce(ctx, "recap_queued_at", now, spec)
	if err != nil {
		return 0, err
	}
	recaps := 0
	for _, c := range due {
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			var e guichet.Event
			err := tx.GetContext(ctx, &e, `UPDATE events SET status = 'done', recap_queued_at = $2
				WHERE id = $1 AND status = 'published' AND recap_queued_at IS NULL
				RETURNING `+eventColumns, c.ID, now)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("claim recap: %w", err)
			}
			if err := enqueue(ctx, tx, guichet.OutboxRecap, guichet.OutboxPayload{EventID: e.ID, Locale: e.Locale}); err != nil {
				return err
			}
			if err := audit(ctx, tx, guichet.System, "event.done", e.ID, 0, 0, map[string]any{"recap": true}); err != nil {
				return err
			}
			recaps++
			return d.afterEventChange(ctx, tx, e.ID)
		})
		if err != nil {
			return recaps, err
		}
	}
	return recaps, nil
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

// Reminder returns the reminder with that id; ENOTFOUND "ErrReminderNotFound" otherwise.
func (d *DB) Reminder(ctx context.Context, id int64) (*guichet.Reminder, error) {
	var r guichet.Reminder
	if err := d.db.GetContext(ctx, &r, `SELECT `+reminderColumns+` FROM reminders WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "ErrReminderNotFound")
	}
	return &r, nil
}

// Confirmations returns, for the status board, the event's reminders of its confirmation kind
// (its last reminder, J-1 by default) to structures, by supplier id: ConfirmedAt and
// ConfirmedBy (a username) are set once a member clicked "Je confirme", Problem holds the text
// of a reported problem; Status says whether the reminder went out yet. A structure without an
// awarded lot has no row.
func (d *DB) Confirmations(ctx context.Context, eventID int64) ([]*guichet.Reminder, error) {
	e, err := d.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	kind, err := confirmationKind(e)
	if err != nil {
		return nil, err
	}
	var out []*guichet.Reminder
	if err := d.db.SelectContext(ctx, &out, `SELECT `+reminderColumns+` FROM reminders
		WHERE event_id = $1 AND kind = $2 AND supplier_id IS NOT NULL ORDER BY supplier_id`, eventID, string(kind)); err != nil {
		return nil, fmt.Errorf("confirmations: %w", err)
	}
	return out, nil
}

// lockSupplierReminder locks reminder id and checks that the actor is a member of its
// structure. ENOTFOUND for a missing reminder or one to the coordinator, EFORBIDDEN
// "ErrNotMember" for someone outside the structure.
func lockSupplierReminder(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, id int64) (*guichet.Reminder, string, error) {
	var r guichet.Reminder
	if err := tx.GetContext(ctx, &r, `SELECT `+reminderColumns+` FROM reminders WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, "", notFound(err, "ErrReminderNotFound")
	}
	if r.SupplierID == nil {
		return nil, "", guichet.Errorf(guichet.ENOTFOUND, "ErrReminderNotFound")
	}
	ok, err := isMember(ctx, tx, *r.SupplierID, actor.UserID)
	if err != nil {
		return nil, "", fmt.Errorf("membership: %w", err)
	}
	var name string
	if err := tx.GetContext(ctx, &name, `SELECT name FROM suppliers WHERE id = $1`, *r.SupplierID); err != nil {
		return nil, "", fmt.Errorf("supplier name: %w", err)
	}
	if !ok {
		return nil, "", guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember", "Supplier", name)
	}
	return &r, name, nil
}

// ConfirmReminder records that the actor, a member of the reminder's structure, confirms
// ("Je confirme"): a reported problem is cleared, the coordinator is told, the board is
// refreshed and an audit entry written. Confirming again changes nothing and returns changed
// false. Errors: ENOTFOUND "ErrReminderNotFound", EFORBIDDEN "ErrNotMember".
func (d *DB) ConfirmReminder(ctx context.Context, actor guichet.Actor, reminderID int64) (r *guichet.Reminder, changed bool, err error) {
	now := d.Now()
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		var name string
		var err error
		r, name, err = lockSupplierReminder(ctx, tx, actor, reminderID)
		if err != nil {
			return err
		}
		if r.ConfirmedAt != nil {
			return nil
		}
		if err := tx.GetContext(ctx, r, `UPDATE reminders SET confirmed_at = $2, confirmed_by = $3, problem = ''
			WHERE id = $1 RETURNING `+reminderColumns, r.ID, now, actor.Username); err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		changed = true
		if err := noticeCoordinator(ctx, tx, r.EventID, "ReminderConfirmedNotice", map[string]any{
			"Supplier": name, "By": actor.Username}); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: r.EventID}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "reminder.confirm", r.EventID, 0, *r.SupplierID, map[string]any{
			"reminder_id": r.ID, "kind": r.Kind})
	})
	if err != nil {
		return nil, false, err
	}
	return r, changed, nil
}

// ReportProblem records the problem text an actor, a member of the reminder's structure,
// typed after clicking "Un souci": a confirmation is withdrawn, the coordinator gets the text,
// the board is refreshed and an audit entry written. The same text again changes nothing
// (changed false). Errors: EINVALID "ErrProblemEmpty" or guichet.ProblemText's, ENOTFOUND
// "ErrReminderNotFound", EFORBIDDEN "ErrNotMember".
func (d *DB) ReportProblem(ctx context.Context, actor guichet.Actor, reminderID int64, text string) (r *guichet.Reminder, changed bool, err error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, false, guichet.Errorf(guichet.EINVALID, "ErrProblemEmpty")
	}
	if err := guichet.ProblemText.Check(text); err != nil {
		return nil, false, err
	}
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		var name string
		var err error
		r, name, err = lockSupplierReminder(ctx, tx, actor, reminderID)
		if err != nil {
			return err
		}
		if r.Problem == text {
			return nil
		}
		if err := tx.GetContext(ctx, r, `UPDATE reminders SET problem = $2, confirmed_at = NULL, confirmed_by = $3
			WHERE id = $1 RETURNING `+reminderColumns, r.ID, text, actor.Username); err != nil {
			return fmt.Errorf("report problem: %w", err)
		}
		changed = true
		var eventName string
		if err := tx.GetContext(ctx, &eventName, `SELECT name FROM events WHERE id = $1`, r.EventID); err != nil {
			return fmt.Errorf("event name: %w", err)
		}
		if err := noticeCoordinator(ctx, tx, r.EventID, "ReminderProblemNotice", map[string]any{
			"Supplier": name, "By": actor.Username, "Text": text, "Event": eventName}); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: r.EventID}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "reminder.problem", r.EventID, 0, *r.SupplierID, map[string]any{
			"reminder_id": r.ID, "kind": r.Kind, "problem": text})
	})
	if err != nil {
		return nil, false, err
	}
	return r, changed, nil
}

// Relaunch offers again, from a coordinator's digest (reminder reminderID, to the
// coordinator), every lot of the event that is still open and not past its deadline: each
// channel that shows its offer gets a notice saying what is still missing, channels of
// structures serving its category that never got the offer get it now, and every copy is
// refreshed. A digest relaunches once: again, ECONFLICT "ErrRelaunchedAlready". Errors:
// ENOTFOUND "ErrReminderNotFound", ECONFLICT "ErrEventOver" when the event is no longer
// published or is over (guichet.Event.Over). It returns how many lots were relaunched.
func (d *DB) Relaunch(ctx context.Context, actor guichet.Actor, reminderID int64) (int, error) {
	now := d.Now()
	n := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var r guichet.Reminder
		if err := tx.GetContext(ctx, &r, `SELECT `+reminderColumns+` FROM reminders WHERE id = $1`, reminderID); err != nil {
			return notFound(err, "ErrReminderNotFound")
		}
		if r.SupplierID != nil {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrReminderNotFound")
		}
		var e guichet.Event
		if err := tx.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1`, r.EventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", r.EventID)
		}
		if e.Status != guichet.EventPublished || e.Over(now) {
			return guichet.Errorf(guichet.ECONFLICT, "ErrEventOver", "Slug", e.Slug)
		}
		// Lots before the reminder row: the order every claim takes (lot, event, reminders).
		var lots []*guichet.Lot
		if err := tx.SelectContext(ctx, &lots, `SELECT `+lotColumns+` FROM lots
			WHERE event_id = $1 AND status = 'open' AND (deadline IS NULL OR deadline > $2)
			ORDER BY id FOR UPDATE`, e.ID, now); err != nil {
			return fmt.Errorf("open lots: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE reminders SET relaunched_at = $2 WHERE id = $1 AND relaunched_at IS NULL`, r.ID, now)
		if err != nil {
			return fmt.Errorf("mark relaunched: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return guichet.Errorf(guichet.ECONFLICT, "ErrRelaunchedAlready")
		}
		for _, l := range lots {
			var awarded int64
			if err := tx.GetContext(ctx, &awarded, `SELECT coalesce(sum(quantity), 0) FROM claims
				WHERE lot_id = $1 AND status = 'awarded'`, l.ID); err != nil {
				return fmt.Errorf("awarded quantity: %w", err)
			}
			remaining := l.Quantity - awarded
			if l.Mode == guichet.Exclusive {
				remaining = l.Quantity
			}
			var posted []string
			if err := tx.SelectContext(ctx, &posted, `SELECT channel_id FROM offer_posts
				WHERE lot_id = $1 AND post_id <> '' ORDER BY channel_id`, l.ID); err != nil {
				return fmt.Errorf("offer posts: %w", err)
			}
			for _, ch := range posted {
				if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: ch, EventID: e.ID,
					MessageID: "ReminderRelaunchNotice", Args: map[string]any{
						"Code": l.Code, "Title": l.Title, "Remaining": remaining, "Unit": l.Unit, "Event": e.Name}}); err != nil {
					return err
				}
			}
			var missing []string
			if err := tx.SelectContext(ctx, &missing, `
				SELECT DISTINCT s.channel_id FROM suppliers s
				WHERE $2 = ANY(s.categories) AND s.channel_id <> ''
				  AND NOT EXISTS (SELECT 1 FROM offer_posts o WHERE o.lot_id = $1 AND o.channel_id = s.channel_id)
				ORDER BY s.channel_id`, l.ID, l.Category); err != nil {
				return fmt.Errorf("offer targets: %w", err)
			}
			for _, ch := range missing {
				if _, err := tx.ExecContext(ctx, `INSERT INTO offer_posts (lot_id, channel_id) VALUES ($1, $2)`, l.ID, ch); err != nil {
					return fmt.Errorf("queue offer: %w", err)
				}
				if err := enqueue(ctx, tx, guichet.OutboxPublishOffer, guichet.OutboxPayload{LotID: l.ID, ChannelID: ch}); err != nil {
					return err
				}
			}
			if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: l.ID}); err != nil {
				return err
			}
			if err := audit(ctx, tx, actor, "lot.relaunch", e.ID, l.ID, 0, map[string]any{
				"remaining": remaining, "notices": len(posted), "new_channels": len(missing)}); err != nil {
				return err
			}
		}
		n = len(lots)
		return nil
	})
	return n, err
}

// remindersOfKind syncs the event's reminder rows and returns, locked, those of kind to the
// coordinator and to structures that still hold an awarded lot. EINVALID "ErrEventDraft" for a
// draft event, "ErrReminderKind" for a kind not in the event's schedule.
func remindersOfKind(ctx context.Context, tx *sqlx.Tx, eventID int64, kind guichet.ReminderKind) ([]*guichet.Reminder, error) {
	var e guichet.Event
	if err := tx.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR UPDATE`, eventID); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	if e.Status == guichet.EventDraft {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrEventDraft", "Slug", e.Slug)
	}
	specs, err := guichet.ParseReminders(e.Reminders)
	if err != nil {
		return nil, err
	}
	found := false
	for _, s := range specs {
		found = found || s.Kind() == kind
	}
	if !found {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrReminderKind", "Kind", string(kind), "Schedule", e.Reminders)
	}
	if err := syncReminders(ctx, tx, eventID); err != nil {
		return nil, err
	}
	var out []*guichet.Reminder
	if err := tx.SelectContext(ctx, &out, `SELECT `+reminderColumns+` FROM reminders r
		WHERE r.event_id = $1 AND r.kind = $2 AND (r.supplier_id IS NULL OR EXISTS (
			SELECT 1 FROM lots l JOIN claims c ON c.lot_id = l.id
			WHERE l.event_id = r.event_id AND l.status <> 'cancelled'
			  AND c.supplier_id = r.supplier_id AND c.status = 'awarded'))
		ORDER BY r.supplier_id NULLS FIRST
		FOR UPDATE`, eventID, string(kind)); err != nil {
		return nil, fmt.Errorf("reminders of kind: %w", err)
	}
	return out, nil
}

// SendRemindersNow sends the event's reminder of kind ("j7", "j1"…) now, on the coordinator's
// request, to the coordinator and to every structure that holds an awarded lot: rows still due
// are marked sent (the scheduler will not send them again), rows sent before are sent again.
// Errors: ENOTFOUND for a missing event, EINVALID "ErrEventDraft" or "ErrReminderKind". It
// returns how many reminders it queued.
func (d *DB) SendRemindersNow(ctx context.Context, actor guichet.Actor, eventID int64, kind guichet.ReminderKind) (int, error) {
	now := d.Now()
	n := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		rows, err := remindersOfKind(ctx, tx, eventID, kind)
		if err != nil {
			return err
		}
		var locale string
		if err := tx.GetContext(ctx, &locale, `SELECT locale FROM events WHERE id = $1`, eventID); err != nil {
			return fmt.Errorf("event locale: %w", err)
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, `UPDATE reminders SET status = 'sent', sent_at = $2, skip_reason = '' WHERE id = $1`, r.ID, now); err != nil {
				return fmt.Errorf("mark reminder sent: %w", err)
			}
			if err := enqueue(ctx, tx, guichet.OutboxReminder, guichet.OutboxPayload{ReminderID: r.ID, EventID: eventID, Locale: locale}); err != nil {
				return err
			}
		}
		n = len(rows)
		return audit(ctx, tx, actor, "reminder.send_now", eventID, 0, 0, map[string]any{"kind": string(kind), "recipients": n})
	})
	return n, err
}

// PreviewReminders returns what SendRemindersNow would send, changing nothing: the reminders
// of kind to the coordinator (SupplierID nil, first) and to each structure holding an awarded
// lot, and the event's board, from which each message is made (a structure's awarded lots that
// are not cancelled; for the coordinator, the lots still open or under-filled). Same errors as
// SendRemindersNow.
func (d *DB) PreviewReminders(ctx context.Context, eventID int64, kind guichet.ReminderKind) ([]*guichet.Reminder, *guichet.Board, error) {
	var rows []*guichet.Reminder
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if rows, err = remindersOfKind(ctx, tx, eventID, kind); err != nil {
			return err
		}
		return errPreview
	})
	if !errors.Is(err, errPreview) {
		return nil, nil, err
	}
	b, err := d.Board(ctx, eventID)
	if err != nil {
		return nil, nil, err
	}
	return rows, b, nil
}

// errPreview rolls a preview's transaction back.
var errPreview = errors.New("preview: roll back")

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
