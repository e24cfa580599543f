package guichet

import "time"

// ReminderStatus is where a reminder stands.
type ReminderStatus string

// Reminder statuses.
const (
	ReminderDue     ReminderStatus = "due"
	ReminderSent    ReminderStatus = "sent"
	ReminderSkipped ReminderStatus = "skipped"
)

// Reminder is one scheduled reminder to one recipient: a supplier (SupplierID set) or the
// coordinator (SupplierID nil). Rows are the schedule: nothing about what was sent lives only in
// memory.
type Reminder struct {
	ID         int64        `db:"id"`
	EventID    int64        `db:"event_id"`
	Kind       ReminderKind `db:"kind"`
	SupplierID *int64       `db:"supplier_id"`
	// DueAt is in UTC, computed from the event's day, time zone and schedule.
	DueAt       time.Time      `db:"due_at"`
	Status      ReminderStatus `db:"status"`
	SentAt      *time.Time     `db:"sent_at"`
	SkipReason  string         `db:"skip_reason"`
	ConfirmedAt *time.Time     `db:"confirmed_at"`
	ConfirmedBy string         `db:"confirmed_by"`
	Problem     string         `db:"problem"`
	// PreviousDay is the event's day this reminder was first sent for, when the event was
	// postponed since and its moment came again: the reminder says the date changed. Nil
	// otherwise.
	PreviousDay *time.Time `db:"previous_day"`
	// Day is the day the reminder counts back from when it is not the event's: the earliest
	// day of the structure's lots (of any lot, for the coordination's). Nil: the event's day.
	Day *time.Time `db:"day"`
}
