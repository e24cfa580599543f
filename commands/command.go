package commands

import (
	"time"

	"guichet.dev/guichet"
)

// Command is one parsed command of the /guichet language; each command has its own type
// below. CommandName returns the command's canonical name, e.g. "lot add".
type Command interface {
	CommandName() string
}

// LotRef names a lot as people write it: "assises-2011/DEJ", or "DEJ" with the event left to
// the channel (or to the only event that has such a lot). Code is upper-case.
type LotRef struct {
	Event string
	Code  string
}

// String writes the reference back: "assises-2011/DEJ" or "DEJ".
func (r LotRef) String() string {
	if r.Event == "" {
		return r.Code
	}
	return r.Event + "/" + r.Code
}

// LocalTime is a wall-clock time without a time zone, read from a command; it becomes an
// instant in the event's time zone.
type LocalTime struct {
	Year              int
	Month             time.Month
	Day, Hour, Minute int
}

// In returns the instant at that wall-clock time in loc.
func (t LocalTime) In(loc *time.Location) time.Time {
	return time.Date(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, 0, loc)
}

// Help lists the commands, or explains one (Topic is its canonical name).
type Help struct{ Topic string }

// EventCreate creates an event bound to the current channel. Dialog is set when no argument
// was given: a dialog asks for the fields.
type EventCreate struct {
	Dialog    bool
	Slug      string
	Day       time.Time // midnight UTC
	Name      string
	Venue     string
	Client    string
	TimeZone  string
	Reminders string
	Locale    string
}

// EventList lists the events.
type EventList struct{}

// EventShow shows an event (Event empty: the channel's).
type EventShow struct{ Event string }

// SupplierAdd adds or updates a structure of the directory.
type SupplierAdd struct {
	Name       string
	Categories []string
	// Channel is the channel's name without "~"; Members are usernames without "@".
	Channel string
	Members []string
}

// SupplierList lists the directory.
type SupplierList struct{}

// SupplierImport opens a dialog to paste a suppliers CSV.
type SupplierImport struct{}

// LotAdd adds a lot to an event (Event empty: the channel's).
type LotAdd struct {
	Event string
	// Lot holds what was written; its Validate fills the defaults.
	Lot      guichet.Lot
	Deadline *LocalTime
}

// LotList lists an event's lots.
type LotList struct{ Event string }

// LotCancel cancels a lot; its claimants are told.
type LotCancel struct {
	Lot    LotRef
	Reason string
}

// LotImport opens a dialog to paste a lots CSV into an event.
type LotImport struct{ Event string }

// LotEdit changes the terms of a lot, published or not (guichet.LotEdit).
type LotEdit struct {
	Lot  LotRef
	Edit guichet.LotEdit
	// Deadline is the new deadline in the event's local time (Edit.ClearDeadline: none).
	Deadline *LocalTime
}

// Publish posts the offers of an event's open lots.
type Publish struct{ Event string }

// Status answers with an event's status.
type Status struct{ Event string }

// Award gives a lot to a structure's candidacy (review mode).
type Award struct {
	Lot      LotRef
	Supplier string
}

// Decline refuses a structure's candidacy, with an optional reason.
type Decline struct {
	Lot      LotRef
	Supplier string
	Reason   string
}

// Claim takes a lot, or a share of it (Quantity 0: the whole lot, or what remains), for one
// of the person's suppliers (Supplier empty: their only one).
//
// A coordinator of the lot's event may name any structure serving the lot's category (the
// phone call), or, with Force, any structure at all.
type Claim struct {
	Lot      LotRef
	Quantity int64
	Supplier string
	Note     string
	Force    bool
}

// Release gives back what the person's structure holds on a lot.
type Release struct {
	Lot      LotRef
	Supplier string
	Reason   string
}

// Remind sends the event's reminder of Kind now, to the coordinator and to every structure
// holding an awarded lot, or, with Preview, shows privately who would get it and what it
// would say, and changes nothing.
type Remind struct {
	Event   string
	Kind    guichet.ReminderKind // "j7", "j1"…
	Preview bool
}

// Recap posts the event's recap now (coordination channel, and the client's channel if set),
// or, with Preview, shows it privately and changes nothing.
type Recap struct {
	Event   string
	Preview bool
}

// Paid records a payment to a structure for an event (Event empty: the channel's). With
// Invoice (`facture=…`), the payment is against that invoice of the structure, and a negative
// Amount is a correction whose reason is Note (`motif=…`); without, Amount is more than zero.
type Paid struct {
	Supplier string
	Amount   guichet.Cents
	Event    string
	Note     string
	Invoice  string
}

// MyLots lists what the person's structures hold.
type MyLots struct{}

// Relaunch offers a lot again, as a new post, to the structures that have neither taken nor
// declined it.
type Relaunch struct{ Lot LotRef }

// History lists who did what on a lot.
type History struct{ Lot LotRef }

// CoordinatorAdd makes a user a coordinator of an event (Event empty: the channel's).
// Username is without "@".
type CoordinatorAdd struct{ Username, Event string }

// CoordinatorRemove takes a user off an event's coordinators (Event empty: the channel's).
type CoordinatorRemove struct{ Username, Event string }

// CoordinatorList lists an event's coordinators and the administrators.
type CoordinatorList struct{ Event string }

// SupplierBind binds a structure's pending members (listed by username, without a Mattermost
// account when imported) to the accounts that have those usernames now.
type SupplierBind struct{ Supplier string }

// CommandName implements Command.
func (Help) CommandName() string { return "help" }

// CommandName implements Command.
func (EventCreate) CommandName() string { return "event create" }

// CommandName implements Command.
func (EventList) CommandName() string { return "event list" }

// CommandName implements Command.
func (EventShow) CommandName() string { return "event show" }

// CommandName implements Command.
func (SupplierAdd) CommandName() string { return "supplier add" }

// CommandName implements Command.
func (SupplierList) CommandName() string { return "supplier list" }

// CommandName implements Command.
func (SupplierImport) CommandName() string { return "supplier import" }

// CommandName implements Command.
func (LotAdd) CommandName() string { return "lot add" }

// CommandName implements Command.
func (LotList) CommandName() string { return "lot list" }

// CommandName implements Command.
func (LotCancel) CommandName() string { return "lot cancel" }

// CommandName implements Command.
func (LotImport) CommandName() string { return "lot import" }

// CommandName implements Command.
func (LotEdit) CommandName() string { return "lot edit" }

// CommandName implements Command.
func (Publish) CommandName() string { return "publish" }

// CommandName implements Command.
func (Status) CommandName() string { return "status" }

// CommandName implements Command.
func (Award) CommandName() string { return "award" }

// CommandName implements Command.
func (Decline) CommandName() string { return "decline" }

// CommandName implements Command.
func (Claim) CommandName() string { return "claim" }

// CommandName implements Command.
func (Release) CommandName() string { return "release" }

// CommandName implements Command.
func (Remind) CommandName() string { return "remind" }

// CommandName implements Command.
func (Recap) CommandName() string { return "recap" }

// CommandName implements Command.
func (Paid) CommandName() string { return "paid" }

// CommandName implements Command.
func (MyLots) CommandName() string { return "mylots" }

// CommandName implements Command.
func (History) CommandName() string { return "history" }

// CommandName implements Command.
func (Relaunch) CommandName() string { return "relaunch" }

// CommandName implements Command.
func (CoordinatorAdd) CommandName() string { return "coordinator add" }

// CommandName implements Command.
func (CoordinatorRemove) CommandName() string { return "coordinator remove" }

// CommandName implements Command.
func (CoordinatorList) CommandName() string { return "coordinator list" }

// CommandName implements Command.
func (SupplierBind) CommandName() string { return "supplier bind" }
