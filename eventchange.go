package guichet

import (
	"context"
	"time"
)

// EventChange is a coordinator's edit of an event after its creation (a postponement, a new
// venue…): each field that is not nil is the new value, the others stay.
type EventChange struct {
	// Day is the new date, at midnight UTC like Event.Day.
	Day       *time.Time
	TimeZone  *string
	Venue     *string
	Client    *string
	Reminders *string
	// Fee is the network's coordination fee on the client's quote (Event.FeeBP, FeeCents;
	// both 0 for none).
	Fee *Fee
	// Summary is what changed, before → after, as the structures holding lots will read it, in
	// the event's language (written by the caller, which knows how people write dates); it is
	// passed on in their notice as is.
	Summary string
}

// Empty reports whether the change sets no field.
func (c EventChange) Empty() bool {
	return c.Day == nil && c.TimeZone == nil && c.Venue == nil && c.Client == nil && c.Reminders == nil && c.Fee == nil
}

// OnlyFee reports whether the change sets the fee and nothing else: the structures holding
// lots have nothing to be told.
func (c EventChange) OnlyFee() bool {
	return c.Fee != nil && (EventChange{Day: c.Day, TimeZone: c.TimeZone, Venue: c.Venue, Client: c.Client, Reminders: c.Reminders}).Empty()
}

// Apply returns a copy of e with the change made, validated, at now. It refuses, with nothing
// changed: an empty change (EINVALID "ErrEventEditNothing"); a cancelled event (ECONFLICT
// "ErrEventCancelled"); an event that is over (ECONFLICT "ErrEventPast"); a field that does not
// validate (EINVALID, as Event.Validate names it); a new day or time zone that puts the event's
// day in the past at now (EINVALID "ErrEventDayPast"): the event may move to today, not before.
func (c EventChange) Apply(e *Event, now time.Time) (*Event, error) {
	if c.Empty() {
		return nil, Errorf(EINVALID, "ErrEventEditNothing")
	}
	if err := e.ClaimChangesOpen(now); err != nil {
		return nil, err
	}
	next := *e
	if c.Day != nil {
		next.Day = *c.Day
	}
	if c.TimeZone != nil {
		next.TimeZone = *c.TimeZone
	}
	if c.Venue != nil {
		next.Venue = *c.Venue
	}
	if c.Client != nil {
		next.Client = *c.Client
	}
	if c.Reminders != nil {
		next.Reminders = *c.Reminders
	}
	if c.Fee != nil {
		if c.Fee.BP < 0 || c.Fee.BP > 10000 || c.Fee.Cents < 0 || (c.Fee.BP > 0 && c.Fee.Cents > 0) {
			return nil, Errorf(EINVALID, "ErrQuoteFee", "Value", c.Fee.String())
		}
		next.FeeBP, next.FeeCents = c.Fee.BP, int64(c.Fee.Cents)
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	if (c.Day != nil || c.TimeZone != nil) && !now.Before(next.End()) {
		return nil, Errorf(EINVALID, "ErrEventDayPast", "Value", next.Day.Format(time.DateOnly))
	}
	return &next, nil
}

// ScheduleMoved reports whether after puts the event on another day, in another time zone or
// on another reminder schedule than before: its reminders' moments move.
func ScheduleMoved(before, after *Event) bool {
	return !before.Day.Equal(after.Day) || before.TimeZone != after.TimeZone || before.Reminders != after.Reminders
}

// EventEdit is what an edit of an event came to (EventStore.EditEvent).
type EventEdit struct {
	// Before and After are the event as it was and as it is now.
	Before, After *Event
	// Told is how many structures holding lots were told.
	Told int
	// Rearmed is how many reminders already sent are due again at their new moment.
	Rearmed int
}

// EventCancellation is what cancelling an event came to (EventStore.CancelEvent).
type EventCancellation struct {
	Event *Event
	// Already is true when the event was cancelled before: nothing was done again.
	Already bool
	// Told is how many structures holding lots were told; Offers how many lots had offers
	// whose copies are re-rendered without buttons; Reminders how many reminders (structures'
	// and the coordination's digests) will not go out.
	Told, Offers, Reminders int
}

// EventChanger edits and cancels events after publication.
type EventChanger interface {
	// EditEvent applies change to the event (EventChange.Apply decides; its errors, nothing
	// changed) in one transaction holding the event's row: the reminders not yet sent move
	// with the event; a reminder already sent whose moment comes again after now is due again,
	// once, and says the date changed; every copy of every offer and the board are refreshed;
	// each structure holding an active claim on a lot that is not cancelled is told once
	// (notice "NoticeEventChanged" in its channel, with change.Summary); an "event.edit" audit
	// entry records before and after.
	EditEvent(ctx context.Context, actor Actor, eventID int64, change EventChange, now time.Time) (*EventEdit, error)
	// CancelEvent cancels the event in one transaction holding its row: its status becomes
	// cancelled with reason (checked with CancelReason), the reminders and digests still due
	// are skipped, no recap or alert will be queued, every copy of every offer is re-rendered
	// without buttons and the board says cancelled, each structure holding an active claim on
	// a lot that is not cancelled is told once ("NoticeEventCancelled"), and an "event.cancel"
	// audit entry is written. Cancelling a cancelled event changes nothing (Already). ECONFLICT
	// "ErrEventPast" once the event is over; ENOTFOUND for an unknown event.
	CancelEvent(ctx context.Context, actor Actor, eventID int64, reason string, now time.Time) (*EventCancellation, error)
}
