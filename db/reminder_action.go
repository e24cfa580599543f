// What people do with reminders: confirm, report a problem, relaunch a lot, send or preview
// an event's reminders now.

package db

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

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
// coordinator), every lot of the event that is still open and not past its deadline, as
// `relancer <lot>` does (relaunchLot, the one relaunch): in the channels of the structures
// that have neither taken nor declined it, the offer is posted anew at the bottom and the
// older copy points to it; structures serving its category that never got the offer get it.
// A digest relaunches once: again, ECONFLICT "ErrRelaunchedAlready". Errors: ENOTFOUND
// "ErrReminderNotFound", ECONFLICT "ErrEventOver" when the event is no longer published or is
// over (guichet.Event.Over). It returns how many lots were offered again (a lot every
// structure has answered is not).
func (d *DB) Relaunch(ctx context.Context, actor guichet.Actor, reminderID int64) (int, error) {
	now := d.now()
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
		var lots []int64
		if err := tx.SelectContext(ctx, &lots, `SELECT id FROM lots
			WHERE event_id = $1 AND status = 'open' AND (deadline IS NULL OR deadline > $2)
			ORDER BY id FOR UPDATE`, e.ID, now); err != nil {
			return fmt.Errorf("open lots: %w", err)
		}
		for _, lotID := range lots {
			channels, err := relaunchLot(ctx, tx, actor, lotID, now, map[string]any{"reminder_id": r.ID})
			if err != nil {
				return err
			}
			if channels > 0 {
				n++
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE reminders SET relaunched_at = $2 WHERE id = $1 AND relaunched_at IS NULL`, r.ID, now)
		if err != nil {
			return fmt.Errorf("mark relaunched: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return guichet.Errorf(guichet.ECONFLICT, "ErrRelaunchedAlready")
		}
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
	if e.Status == guichet.EventCancelled {
		return nil, guichet.Errorf(guichet.ECONFLICT, "ErrEventCancelled", "Event", e.Name)
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
