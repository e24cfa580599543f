package scheduler

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"guichet.dev/guichet"
)

var offsetRe = regexp.MustCompile(`^[Jj](?:([+-])(\d{1,2}))?@(\d{1,2})[:h](\d{2})$`)

// ParseOffset reads a time relative to an event's day as the configuration writes it:
// "J-1@18:00" (the day before, at 18:00 in the event's time zone), "J+1@09:00" (the day after),
// "J@07:30" (the day itself). Days are 0 to 60 either way. The result's DaysBefore is negative
// for days after the event.
func ParseOffset(s string) (guichet.ReminderSpec, error) {
	m := offsetRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return guichet.ReminderSpec{}, fmt.Errorf("%q is not a time relative to the event: write it like J-1@18:00 or J+1@09:00", s)
	}
	days, _ := strconv.Atoi(m[2])
	hour, _ := strconv.Atoi(m[3])
	minute, _ := strconv.Atoi(m[4])
	if days > 60 || hour > 23 || minute > 59 {
		return guichet.ReminderSpec{}, fmt.Errorf("%q is out of range: days 0 to 60, time 00:00 to 23:59, e.g. J-1@18:00", s)
	}
	if m[1] == "+" {
		days = -days
	}
	return guichet.ReminderSpec{DaysBefore: days, Hour: hour, Minute: minute}, nil
}
