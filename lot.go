package guichet

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// LotMode says how many suppliers may share a lot.
type LotMode string

// Lot modes.
const (
	// Exclusive lots go to one supplier, for the whole quantity.
	Exclusive LotMode = "exclusive"
	// Shared lots go to up to MaxSuppliers suppliers, each taking part of the quantity.
	Shared LotMode = "shared"
)

// AwardRule says how claims become awards.
type AwardRule string

// Award rules.
const (
	// FirstCome awards a claim as soon as it is made, if the lot has room.
	FirstCome AwardRule = "first-come"
	// Review records claims as candidacies; the coordinator awards or declines them.
	Review AwardRule = "review"
)

// LotStatus is where a lot stands: open → filled | closed | cancelled.
type LotStatus string

// Lot statuses.
const (
	LotOpen      LotStatus = "open"
	LotFilled    LotStatus = "filled"
	LotClosed    LotStatus = "closed"
	LotCancelled LotStatus = "cancelled"
)

// MaxQuantity bounds a lot's quantity, so that money arithmetic cannot overflow.
const MaxQuantity = 1_000_000

// Lot is a piece of an event's logistics offered to suppliers.
type Lot struct {
	ID          int64  `db:"id"`
	EventID     int64  `db:"event_id"`
	Code        string `db:"code"`
	Title       string `db:"title"`
	Category    string `db:"category"`
	Description string `db:"description"`
	Quantity    int64  `db:"quantity"`
	Unit        string `db:"unit"`
	Budget      Cents  `db:"budget_cents"`
	// Day is the date the lot's slot falls on when it is not the event's day (set-up the day
	// before, the second day of a two-day event), at midnight UTC; nil: the event's day.
	Day *time.Time `db:"day"`
	// SlotStart and SlotEnd are local times "HH:MM" on the lot's day, or empty.
	SlotStart    string    `db:"slot_start"`
	SlotEnd      string    `db:"slot_end"`
	Place        string    `db:"place"`
	Mode         LotMode   `db:"mode"`
	MaxSuppliers int       `db:"max_suppliers"`
	Award        AwardRule `db:"award"`
	// Deadline, if set, is when the offer closes to new claims.
	Deadline     *time.Time `db:"deadline"`
	Status       LotStatus  `db:"status"`
	CancelReason string     `db:"cancel_reason"`
	CreatedAt    time.Time  `db:"created_at"`
}

var lotCodeRe = regexp.MustCompile(`^[A-Z][A-Z0-9]{0,11}$`)

// ValidLotCode reports whether s is a lot code: an upper-case letter then up to 11 upper-case
// letters or digits ("DEJ", "PC2").
func ValidLotCode(s string) bool { return lotCodeRe.MatchString(s) }

var hhmmRe = regexp.MustCompile(`^(\d{1,2})[:h](\d{2})$`)

// ParseHHMM reads "09:00" or "9h00" and returns it normalised as "09:00".
func ParseHHMM(s string) (string, bool) {
	m := hhmmRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	if h > 23 || mi > 59 {
		return "", false
	}
	return strconv.Itoa(h/10) + strconv.Itoa(h%10) + ":" + m[2], true
}

// ParseSlot reads a slot "HH:MM-HH:MM" (empty means no slot) and returns its two ends
// normalised. The end must come after the start.
func ParseSlot(s string) (start, end string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", nil
	}
	a, b, ok := strings.Cut(s, "-")
	if ok {
		start, ok = ParseHHMM(a)
	}
	if ok {
		end, ok = ParseHHMM(b)
	}
	if !ok || end <= start {
		return "", "", Errorf(EINVALID, "ErrSlot", "Value", s)
	}
	return start, end, nil
}

// Validate checks the lot and fills defaults: mode exclusive, award first-come, one supplier
// for exclusive lots, status open. It returns an EINVALID *Error naming the field.
func (l *Lot) Validate() error {
	l.Code = strings.ToUpper(strings.TrimSpace(l.Code))
	l.Title = strings.TrimSpace(l.Title)
	l.Category = strings.ToLower(strings.TrimSpace(l.Category))
	if !ValidLotCode(l.Code) {
		return Errorf(EINVALID, "ErrLotCode", "Value", l.Code)
	}
	if l.Title == "" || len(l.Title) > 200 {
		return Errorf(EINVALID, "ErrLotTitle", "Code", l.Code)
	}
	if !ValidSlug(l.Category) {
		return Errorf(EINVALID, "ErrCategory", "Value", l.Category)
	}
	if l.Quantity <= 0 || l.Quantity > MaxQuantity {
		return Errorf(EINVALID, "ErrQuantity", "Value", l.Quantity, "Max", MaxQuantity)
	}
	if l.Budget < 0 || l.Budget > 100_000_000_00 {
		return Errorf(EINVALID, "ErrBudget", "Code", l.Code)
	}
	if len(l.Description) > 2000 || len(l.Unit) > 50 || len(l.Place) > 200 {
		return Errorf(EINVALID, "ErrTooLong", "Field", "description/unit/place", "Max", 2000)
	}
	switch l.Mode {
	case "":
		l.Mode = Exclusive
	case Exclusive, Shared:
	default:
		return Errorf(EINVALID, "ErrLotMode", "Value", string(l.Mode))
	}
	switch l.Award {
	case "":
		l.Award = FirstCome
	case FirstCome, Review:
	default:
		return Errorf(EINVALID, "ErrAwardRule", "Value", string(l.Award))
	}
	if l.Mode == Exclusive {
		if l.MaxSuppliers > 1 {
			return Errorf(EINVALID, "ErrExclusiveMax", "Code", l.Code)
		}
		l.MaxSuppliers = 1
	} else {
		if l.MaxSuppliers == 0 {
			l.MaxSuppliers = 2
		}
		if l.MaxSuppliers < 1 || l.MaxSuppliers > 100 {
			return Errorf(EINVALID, "ErrMaxSuppliers", "Value", l.MaxSuppliers)
		}
	}
	if l.SlotStart != "" || l.SlotEnd != "" {
		if _, _, err := ParseSlot(l.SlotStart + "-" + l.SlotEnd); err != nil {
			return err
		}
	}
	if l.Status == "" {
		l.Status = LotOpen
	}
	return nil
}

// Slot writes the lot's slot as "12:00-14:00", or "" when it has none.
func (l *Lot) Slot() string {
	if l.SlotStart == "" {
		return ""
	}
	return l.SlotStart + "-" + l.SlotEnd
}

// MaxLotDayOffset bounds how many days before or after its event's day a lot may fall.
const MaxLotDayOffset = 7

// OnDay returns the date the lot falls on (midnight UTC): its own Day, or the event's.
func (l *Lot) OnDay(ev *Event) time.Time {
	if l.Day != nil {
		return *l.Day
	}
	return ev.Day
}

// OwnDay reports whether the lot falls on another day than the event's.
func (l *Lot) OwnDay(ev *Event) bool {
	return l.Day != nil && !sameDate(*l.Day, ev.Day)
}

// SetDay gives the lot day for its own (nil, or the event's day itself, leaves it on the
// event's day) and checks it against the event at now: EINVALID "ErrLotDayFar" more than
// MaxLotDayOffset days from the event's day, "ErrLotDayPast" before today in the event's
// time zone (a lot already on that day keeps it: only a new day is judged).
func (l *Lot) SetDay(ev *Event, day *time.Time, now time.Time) error {
	if day == nil || sameDate(*day, ev.Day) {
		l.Day = nil
		return nil
	}
	d := dateOnly(*day)
	if off := DaysBetween(ev.Day, d); off > MaxLotDayOffset || off < -MaxLotDayOffset {
		return Errorf(EINVALID, "ErrLotDayFar", "Code", l.Code, "Value", d.Format(time.DateOnly),
			"EventDay", ev.Day.Format(time.DateOnly), "Max", MaxLotDayOffset)
	}
	if l.Day == nil || !sameDate(*l.Day, d) {
		loc, err := ev.Location()
		if err != nil {
			loc = time.UTC
		}
		y, m, dd := now.In(loc).Date()
		if d.Before(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) {
			return Errorf(EINVALID, "ErrLotDayPast", "Code", l.Code, "Value", d.Format(time.DateOnly))
		}
	}
	l.Day = &d
	return nil
}

// DaysBetween returns how many days date b comes after date a (negative: before); only their
// calendar dates count.
func DaysBetween(a, b time.Time) int {
	return int(dateOnly(b).Sub(dateOnly(a)).Hours() / 24)
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func sameDate(a, b time.Time) bool { return DaysBetween(a, b) == 0 }
