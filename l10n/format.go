package l10n

import (
	"fmt"
	"strconv"
	"time"

	"guichet.dev/guichet"
)

var frDays = []string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
var frMonths = []string{"", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// Date writes t's day in loc: "mardi 15 avril 2011" (fr) or "Tuesday 15 April 2011" (en).
func Date(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	if Locale(locale) == "en" {
		return t.Format("Monday 2 January 2006")
	}
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %s %d", frDays[t.Weekday()], day, frMonths[t.Month()], t.Year())
}

// DateTime writes t in loc: "mardi 15 avril 2011, 12 h 00" (fr) or
// "Tuesday 15 April 2011, 12:00" (en).
func DateTime(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	return Date(t, loc, locale) + ", " + Clock(t, loc, locale)
}

// Clock writes t's time of day in loc: "12 h 00" (fr) or "12:00" (en).
func Clock(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	if Locale(locale) == "en" {
		return t.Format("15:04")
	}
	return fmt.Sprintf("%d h %02d", t.Hour(), t.Minute())
}

// EventDay writes an event's day: e.Day is a date, not an instant.
func EventDay(e *guichet.Event, locale string) string {
	return Date(e.Day, time.UTC, locale)
}

// Money writes an amount in euros the way locale's readers write it: "1 234,50 €" in French
// (narrow no-break spaces between thousands, a no-break space before the sign), "€1,234.50"
// in English. CSV files keep their own machine-readable formats and do not use it.
func Money(c guichet.Cents, locale string) string {
	if Locale(locale) != "en" {
		return c.String()
	}
	sign, n := "", int64(c)
	if n < 0 {
		sign, n = "-", -n
	}
	euros := strconv.FormatInt(n/100, 10)
	var grouped []byte
	for i := range len(euros) {
		if i > 0 && (len(euros)-i)%3 == 0 {
			grouped = append(grouped, ',')
		}
		grouped = append(grouped, euros[i])
	}
	return fmt.Sprintf("%s€%s.%02d", sign, grouped, n%100)
}
