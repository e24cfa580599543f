package guichet

import "time"

// LateRelease reports whether a release at now comes late: from the start of the day before
// the event (J-1, midnight in its time zone), when the last reminder has asked the structures
// to confirm and a lot given back is hard to place again. The coordinators are then told at
// once, each by direct message, besides the coordination channel's notice. A time zone that
// cannot be loaded counts as UTC.
func (e *Event) LateRelease(now time.Time) bool {
	start, err := e.LocalTime(-1, 0, 0)
	if err != nil {
		y, m, d := e.Day.Date()
		start = time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC)
	}
	return !now.Before(start)
}
