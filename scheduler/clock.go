package scheduler

import "time"

// Clock tells the time. Every job asks it, never time.Now, so tests can drive the scheduler
// through a simulated week.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the machine's clock.
var SystemClock Clock = ClockFunc(time.Now)
