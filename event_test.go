package guichet_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestParseReminders(t *testing.T) {
	specs, err := guichet.ParseReminders("J-1@09:00, J-7@8h30")
	require.NoError(t, err)
	require.Equal(t, []guichet.ReminderSpec{{DaysBefore: 7, Hour: 8, Minute: 30}, {DaysBefore: 1, Hour: 9}}, specs)
	require.Equal(t, guichet.ReminderKind("j7"), specs[0].Kind())
	require.Equal(t, "J-7@08:30", specs[0].String())
	for _, bad := range []string{"", "J-0@09:00", "J-7@25:00", "J-7", "J-1@09:00,J-1@10:00", "X-7@09:00"} {
		_, err := guichet.ParseReminders(bad)
		require.Equal(t, "ErrReminders", guichet.AsError(err).MessageID, bad)
	}
}

func TestLocalTimeAcrossClockChanges(t *testing.T) {
	// 2027-03-28 is the night clocks go forward in Europe/Paris: J-1 of an event on the 29th.
	e := &guichet.Event{Day: time.Date(2027, 3, 29, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris"}
	j1, err := e.LocalTime(-1, 9, 0)
	require.NoError(t, err)
	require.Equal(t, time.Date(2027, 3, 28, 7, 0, 0, 0, time.UTC), j1.UTC(), "09:00 CEST")
	j7, err := e.LocalTime(-7, 9, 0)
	require.NoError(t, err)
	require.Equal(t, time.Date(2027, 3, 22, 8, 0, 0, 0, time.UTC), j7.UTC(), "09:00 CET")
	// 2027-10-31: clocks go back that night.
	e.Day = time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC)
	j1, _ = e.LocalTime(-1, 9, 0)
	require.Equal(t, time.Date(2027, 10, 30, 7, 0, 0, 0, time.UTC), j1.UTC())
	day, _ := e.LocalTime(0, 9, 0)
	require.Equal(t, time.Date(2027, 10, 31, 8, 0, 0, 0, time.UTC), day.UTC())
}

func TestEventValidateFillsDefaults(t *testing.T) {
	e := &guichet.Event{Slug: "assises-2011", Name: " Assises ", Day: time.Date(2011, 4, 15, 13, 0, 0, 0, time.UTC)}
	require.NoError(t, e.Validate())
	require.Equal(t, "Assises", e.Name)
	require.Equal(t, guichet.DefaultTimeZone, e.TimeZone)
	require.Equal(t, guichet.DefaultReminders, e.Reminders)
	require.Equal(t, "fr", e.Locale)
	require.Equal(t, guichet.EventDraft, e.Status)
	require.Equal(t, 0, e.Day.Hour())

	tests := map[string]struct {
		e   guichet.Event
		msg string
	}{
		"bad slug":    {guichet.Event{Slug: "Assises 2011", Name: "A", Day: time.Now()}, "ErrSlug"},
		"no name":     {guichet.Event{Slug: "a", Day: time.Now()}, "ErrEventName"},
		"no day":      {guichet.Event{Slug: "a", Name: "A"}, "ErrDate"},
		"unknown tz":  {guichet.Event{Slug: "a", Name: "A", Day: time.Now(), TimeZone: "Mars/Olympus"}, "ErrTimeZone"},
		"local tz":    {guichet.Event{Slug: "a", Name: "A", Day: time.Now(), TimeZone: "Local"}, "ErrTimeZone"},
		"bad locale":  {guichet.Event{Slug: "a", Name: "A", Day: time.Now(), Locale: "de"}, "ErrLocale"},
		"bad reminds": {guichet.Event{Slug: "a", Name: "A", Day: time.Now(), Reminders: "tomorrow"}, "ErrReminders"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.msg, guichet.AsError(tc.e.Validate()).MessageID)
		})
	}
}

func TestSlugify(t *testing.T) {
	require.Equal(t, "meli-melo-d-oser-foret-vivante", guichet.Slugify("Méli-Mélo d'Oser Forêt Vivante"))
	require.Equal(t, "l-equipage", guichet.Slugify("L'Équipage"))
	require.Equal(t, "regart-s", guichet.Slugify("Regart's"))
	require.Equal(t, "tak-apres", guichet.Slugify("TAK-APRES"))
}

func TestParseSlot(t *testing.T) {
	s, e, err := guichet.ParseSlot("7:45-10h00")
	require.NoError(t, err)
	require.Equal(t, "07:45", s)
	require.Equal(t, "10:00", e)
	for _, bad := range []string{"12:00", "14:00-12:00", "25:00-26:00", "12:00-12:00"} {
		_, _, err := guichet.ParseSlot(bad)
		require.Equal(t, "ErrSlot", guichet.AsError(err).MessageID, bad)
	}
}
