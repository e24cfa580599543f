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
	// reminder rows before that they may have changed (see claimReadQuery). Its lots' first
	// and last days are written with it.
	if err := tx.GetContext(ctx, &e, `UPDATE events e SET reminders = reminders,
			first_lot_day = (SELECT min(l.day) FROM lots l WHERE l.event_id = e.id AND l.status <> 'cancelled' AND l.day < e.day),
			last_lot_day = (SELECT max(l.day) FROM lots l WHERE l.event_id = e.id AND l.status <> 'cancelled' AND l.day > e.day)
		WHERE id = $1 RETURNING `+eventColumns, eventID); err != nil {
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
	// Each structure's reminders count back from the earliest day of its awarded lots; the
	// coordination's from the earliest day of any lot (or the event's).
	var held []struct {
		SupplierID int64     `db:"supplier_id"`
		Day        time.Time `db:"day"`
	}
	if err := tx.SelectContext(ctx, &held, `
		SELECT c.supplier_id, min(coalesce(l.day, $2::date)) AS day FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.status = 'awarded' AND l.status <> 'cancelled'
		GROUP BY c.supplier_id ORDER BY c.supplier_id`, eventID, e.Day.Format(time.DateOnly)); err != nil {
		return fmt.Errorf("reminder recipients: %w", err)
	}
	type recipient struct {
		supplier any // nil: the coordination
		day      time.Time
	}
	first := e.Day
	if e.FirstLotDay != nil {
		first = *e.FirstLotDay
	}
	recipients := []recipient{{nil, first}}
	suppliers := make([]int64, 0, len(held))
	for _, h := range held {
		recipients = append(recipients, recipient{h.SupplierID, h.Day})
		suppliers = append(suppliers, h.SupplierID)
	}
	var kinds []string
	for _, s := range specs {
		kinds = append(kinds, string(s.Kind()))
		for _, r := range recipients {
			due, err := e.LocalTime(guichet.DaysBetween(e.Day, r.day)-s.DaysBefore, s.Hour, s.Minute)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO reminders (event_id, kind, supplier_id, due_at, day) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (event_id, kind, coalesce(supplier_id, 0))
				DO UPDATE SET due_at = EXCLUDED.due_at, day = EXCLUDED.day WHERE reminders.status = 'due'`,
				eventID, string(s.Kind()), r.supplier, due.UTC(), ownDay(&e, r.day)); err != nil {
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

// ownDay returns day as a reminder's day column: nil when it is the event's day.
func ownDay(e *guichet.Event, day time.Time) any {
	if guichet.DaysBetween(e.Day, day) == 0 {
		return nil
	}
	return day.Format(time.DateOnly)
}

// reminderRows returns the reminder rows that a structure just awarded a lot of event e on day
// (the lot's own day, or the event's) gets, counted back from day, as array literals for claimWriteQuery: their kinds (text[]) and due times (timestamptz[]),
// one per kind of the event's schedule, none on a draft. This is what syncReminders would add
// after an award, without its cost: the claim inserts them (claimWriteQuery, ON CONFLICT DO
// NOTHING) holding e's row in share mode, still at the version they were computed from, so
// that claims on one event do not wait for each other, while a change of the event's schedule
// (syncReminders, which writes the row) waits for them and then sees their rows.
func reminderRows(e *guichet.Event, day time.Time) (kinds, dues string, err error) {
	if e.Status == guichet.EventDraft {
		return "{}", "{}", nil
	}
	offset := guichet.DaysBetween(e.Day, day)
	key := reminderKey{day: e.Day.Format(time.DateOnly), tz: e.TimeZone, schedule: e.Reminders, offset: offset}
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
		due, err := e.LocalTime(offset-s.DaysBefore, s.Hour, s.Minute)
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

type reminderKey struct {
	day, tz, schedule string
	offset            int
}

type reminderLiterals struct{ kinds, dues string }

func toAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
