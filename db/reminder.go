package db

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// syncReminders makes the event's due reminder rows match its schedule and its awarded claims:
// one row per (reminder kind, structure with an awarded claim on a lot that is not cancelled)
// and one per kind for the coordinator (supplier_id NULL). Rows already sent or skipped are
// kept as history; due rows for recipients no longer concerned are deleted; due times follow the
// event's day, time zone and schedule. Draft events have no reminders.
func syncReminders(ctx context.Context, tx *sqlx.Tx, eventID int64) error {
	var e guichet.Event
	// The event's row is written, not only locked: its new version tells a claim that read the
	// reminder rows before that they may have changed (see claimReadQuery).
	if err := tx.GetContext(ctx, &e, `UPDATE events SET reminders = reminders WHERE id = $1 RETURNING `+eventColumns, eventID); err != nil {
		return notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	if e.Status == guichet.EventCancelled {
		return nil // its reminders were skipped when it was cancelled; none comes again
	}
	if e.Status == guichet.EventDraft {
		_, err := tx.ExecContext(ctx, `DELETE FROM reminders WHERE event_id = $1 AND status = 'due'`, eventID)
		return err
	}
	specs, err := guichet.ParseReminders(e.Reminders)
	if err != nil {
		return err
	}
	var suppliers []int64
	if err := tx.SelectContext(ctx, &suppliers, `
		SELECT DISTINCT c.supplier_id FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.status = 'awarded' AND l.status <> 'cancelled'`, eventID); err != nil {
		return fmt.Errorf("reminder recipients: %w", err)
	}
	recipients := append([]any{nil}, toAny(suppliers)...)
	var kinds []string
	for _, s := range specs {
		kinds = append(kinds, string(s.Kind()))
		due, err := e.LocalTime(-s.DaysBefore, s.Hour, s.Minute)
		if err != nil {
			return err
		}
		for _, r := range recipients {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO reminders (event_id, kind, supplier_id, due_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (event_id, kind, coalesce(supplier_id, 0))
				DO UPDATE SET due_at = EXCLUDED.due_at WHERE reminders.status = 'due'`,
				eventID, string(s.Kind()), r, due.UTC()); err != nil {
				return fmt.Errorf("upsert reminder: %w", err)
			}
		}
	}
	_, err = tx.ExecContext(ctx, `
		DELETE FROM reminders WHERE event_id = $1 AND status = 'due'
		AND (kind <> ALL($2) OR (supplier_id IS NOT NULL AND supplier_id <> ALL($3)))`,
		eventID, pqStrings(kinds), pqInts(suppliers))
	if err != nil {
		return fmt.Errorf("prune reminders: %w", err)
	}
	return nil
}

// reminderRows returns the reminder rows that a structure just awarded a lot of event e gets,
// as array literals for claimWriteQuery: their kinds (text[]) and due times (timestamptz[]),
// one per kind of the event's schedule, none on a draft. This is what syncReminders would add
// after an award, without its cost: the claim inserts them (claimWriteQuery, ON CONFLICT DO
// NOTHING) holding e's row in share mode, still at the version they were computed from, so
// that claims on one event do not wait for each other, while a change of the event's schedule
// (syncReminders, which writes the row) waits for them and then sees their rows.
func reminderRows(e *guichet.Event) (kinds, dues string, err error) {
	if e.Status == guichet.EventDraft {
		return "{}", "{}", nil
	}
	key := reminderKey{day: e.Day.Format(time.DateOnly), tz: e.TimeZone, schedule: e.Reminders}
	if r, ok := reminderCache.Load(key); ok {
		r := r.(reminderLiterals)
		return r.kinds, r.dues, nil
	}
	specs, err := guichet.ParseReminders(e.Reminders)
	if err != nil {
		return "", "", err
	}
	k := make([]string, 0, len(specs))
	d := make([]string, 0, len(specs))
	for _, s := range specs {
		due, err := e.LocalTime(-s.DaysBefore, s.Hour, s.Minute)
		if err != nil {
			return "", "", err
		}
		k = append(k, string(s.Kind()))
		d = append(d, due.UTC().Format(time.RFC3339Nano))
	}
	r := reminderLiterals{kinds: "{" + strings.Join(k, ",") + "}", dues: "{" + strings.Join(d, ",") + "}"}
	if reminderCacheSize.Add(1) > maxReminderCache {
		reminderCache.Clear()
		reminderCacheSize.Store(1)
	}
	reminderCache.Store(key, r)
	return r.kinds, r.dues, nil
}

// reminderCache keeps reminderRows' answers by schedule: computing one loads the event's time
// zone from disk. It is emptied when it reaches maxReminderCache entries.
var (
	reminderCache     sync.Map // reminderKey → reminderLiterals
	reminderCacheSize atomic.Int64
)

const maxReminderCache = 1024

type reminderKey struct{ day, tz, schedule string }

type reminderLiterals struct{ kinds, dues string }

func toAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
