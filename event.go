package guichet

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeZone is the time zone of an event created without one.
const DefaultTimeZone = "Europe/Paris"

// DefaultReminders is the reminder schedule of an event created without one: seven days and one
// day before the event, at 09:00 local time.
const DefaultReminders = "J-7@09:00,J-1@09:00"

// EventStatus is where an event stands: draft → published → done → recapped, or cancelled
// (from draft or published).
type EventStatus string

// Event statuses.
const (
	EventDraft     EventStatus = "draft"
	EventPublished EventStatus = "published"
	EventDone      EventStatus = "done"
	EventRecapped  EventStatus = "recapped"
	// EventCancelled: the coordination cancelled the event (EventStore.CancelEvent); its offers
	// are closed and nothing more is sent for it.
	EventCancelled EventStatus = "cancelled"
)

// Event is one client event whose logistics are split into lots.
type Event struct {
	ID   int64  `db:"id"`
	Slug string `db:"slug"`
	Name string `db:"name"`
	// Day is the event's date, at midnight UTC; read it with Day.Format(time.DateOnly).
	Day      time.Time `db:"day"`
	TimeZone string    `db:"time_zone"`
	Venue    string    `db:"venue"`
	Client   string    `db:"client"`
	// CoordChannelID is the Mattermost channel bound to the event, where the coordinator works.
	CoordChannelID string `db:"coord_channel_id"`
	// RecapChannelID, if set, is a channel for the client where the recap is posted too.
	RecapChannelID string      `db:"recap_channel_id"`
	Status         EventStatus `db:"status"`
	// Reminders is the reminder schedule as written by people, e.g. "J-7@09:00,J-1@09:00".
	Reminders string `db:"reminders"`
	// Locale is the language of the event's messages: "fr" (default) or "en".
	Locale string `db:"locale"`
	// CancelReason is what the coordination said when it cancelled the event ("" if it did
	// not say); CancelledAt is when, nil while the event is not cancelled.
	CancelReason string     `db:"cancel_reason"`
	CancelledAt  *time.Time `db:"cancelled_at"`
	// FirstLotDay and LastLotDay are the earliest day of its lots (not cancelled) that comes
	// before its day and the latest that comes after it; nil when none does. The store keeps
	// them with the lots.
	FirstLotDay *time.Time `db:"first_lot_day"`
	LastLotDay  *time.Time `db:"last_lot_day"`
	CreatedBy   string     `db:"created_by"`
	CreatedAt   time.Time  `db:"created_at"`
	// FeeBP and FeeCents are the network's coordination fee on the client's documents: a
	// share of the structures' net amounts in basis points (500 = 5 %), or a fixed amount; both
	// 0 for none. PaymentDays is the client's payment term in days (0: the issuer's).
	FeeBP       int   `db:"fee_bp"`
	FeeCents    int64 `db:"fee_cents"`
	PaymentDays int   `db:"payment_days"`
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidSlug reports whether s is usable as a slug: lowercase letters, digits and dashes,
// starting with a letter or digit, at most 63 characters.
func ValidSlug(s string) bool { return slugRe.MatchString(s) }

// Location returns the event's time zone, DefaultTimeZone when unset.
func (e *Event) Location() (*time.Location, error) {
	tz := e.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	if loc, ok := zones.Load(tz); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		return nil, Errorf(EINVALID, "ErrTimeZone", "Value", tz)
	}
	zones.Store(tz, loc)
	return loc, nil
}

// zones holds the time zones Location loaded, by name: loading one reads and parses its file
// each time (some microseconds), and every claim asks for its event's (Event.ClaimsOpen).
var zones sync.Map

// LocalTime returns the instant at hour:minute on the event's day plus dayOffset days, in the
// event's time zone. On a clock change, a local time that does not exist is moved forward
// the way time.Date does (02:30 becomes 03:30).
func (e *Event) LocalTime(dayOffset, hour, minute int) (time.Time, error) {
	loc, err := e.Location()
	if err != nil {
		return time.Time{}, err
	}
	y, m, d := e.Day.Date()
	return time.Date(y, m, d+dayOffset, hour, minute, 0, 0, loc), nil
}

// Validate checks the event's fields and fills defaults (time zone, reminders, locale, status).
// It returns an EINVALID *Error naming the first field that is wrong.
func (e *Event) Validate() error {
	e.Name = strings.TrimSpace(e.Name)
	if !ValidSlug(e.Slug) {
		return Errorf(EINVALID, "ErrSlug", "Value", e.Slug)
	}
	if e.Name == "" || len(e.Name) > 200 {
		return Errorf(EINVALID, "ErrEventName")
	}
	if e.Day.IsZero() {
		return Errorf(EINVALID, "ErrDate", "Value", "")
	}
	e.Day = time.Date(e.Day.Year(), e.Day.Month(), e.Day.Day(), 0, 0, 0, 0, time.UTC)
	if e.TimeZone == "" {
		e.TimeZone = DefaultTimeZone
	}
	if _, err := e.Location(); err != nil {
		return err
	}
	if e.Reminders == "" {
		e.Reminders = DefaultReminders
	}
	if _, err := ParseReminders(e.Reminders); err != nil {
		return err
	}
	switch e.Locale {
	case "":
		e.Locale = "fr"
	case "fr", "en":
	default:
		return Errorf(EINVALID, "ErrLocale", "Value", e.Locale)
	}
	if e.Status == "" {
		e.Status = EventDraft
	}
	if len(e.Venue) > 300 || len(e.Client) > 300 {
		return Errorf(EINVALID, "ErrTooLong", "Field", "venue/client", "Max", 300)
	}
	return nil
}

// ReminderKind names a reminder: "j7", "j1" and so on, from its offset in days.
type ReminderKind string

// ReminderSpec is one entry of an event's reminder schedule: DaysBefore days before the event,
// at Hour:Minute local time.
type ReminderSpec struct {
	DaysBefore   int
	Hour, Minute int
}

// Kind returns the spec's kind, "j<days>", e.g. "j7".
func (s ReminderSpec) Kind() ReminderKind { return ReminderKind("j" + strconv.Itoa(s.DaysBefore)) }

// String writes the spec as people write it: "J-7@09:00".
func (s ReminderSpec) String() string {
	return fmt.Sprintf("J-%d@%02d:%02d", s.DaysBefore, s.Hour, s.Minute)
}

var reminderRe = regexp.MustCompile(`^[Jj]-(\d{1,2})@(\d{1,2})[:h](\d{2})$`)

// ParseReminders reads a schedule such as "J-7@09:00,J-1@09:00". Days are 1 to 60 and each
// appears once; hours are 00:00 to 23:59. It returns the specs ordered from the earliest (most
// days before) to the latest, or an EINVALID error naming the entry that is wrong.
func ParseReminders(s string) ([]ReminderSpec, error) {
	var specs []ReminderSpec
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		m := reminderRe.FindStringSubmatch(part)
		if m == nil {
			return nil, Errorf(EINVALID, "ErrReminders", "Value", part)
		}
		d, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		mi, _ := strconv.Atoi(m[3])
		if d < 1 || d > 60 || h > 23 || mi > 59 || seen[d] {
			return nil, Errorf(EINVALID, "ErrReminders", "Value", part)
		}
		seen[d] = true
		specs = append(specs, ReminderSpec{DaysBefore: d, Hour: h, Minute: mi})
	}
	for i := 1; i < len(specs); i++ {
		for j := i; j > 0 && specs[j].DaysBefore > specs[j-1].DaysBefore; j-- {
			specs[j], specs[j-1] = specs[j-1], specs[j]
		}
	}
	return specs, nil
}
