package scheduler_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/scheduler"
)

func TestParseOffset(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in   string
		want guichet.ReminderSpec
		bad  bool
	}{
		"day before":      {in: "J-1@18:00", want: guichet.ReminderSpec{DaysBefore: 1, Hour: 18}},
		"day after":       {in: "J+1@09:00", want: guichet.ReminderSpec{DaysBefore: -1, Hour: 9}},
		"the day itself":  {in: "J@07:30", want: guichet.ReminderSpec{Hour: 7, Minute: 30}},
		"french hour":     {in: " j+2@9h05 ", want: guichet.ReminderSpec{DaysBefore: -2, Hour: 9, Minute: 5}},
		"no time":         {in: "J+1", bad: true},
		"hour 24":         {in: "J-1@24:00", bad: true},
		"too many days":   {in: "J-61@09:00", bad: true},
		"not relative":    {in: "18:00", bad: true},
		"empty":           {in: "", bad: true},
		"minutes missing": {in: "J-1@18", bad: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := scheduler.ParseOffset(tc.in)
			if tc.bad {
				require.Error(t, err)
				require.Contains(t, err.Error(), "J-1@18:00", "the error shows the right form")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestNewNamesTheBadSetting(t *testing.T) {
	t.Parallel()
	_, err := scheduler.New(scheduler.Deps{Store: &fakeStore{}, RecapAt: "demain"})
	require.ErrorContains(t, err, "recap_at")
	_, err = scheduler.New(scheduler.Deps{Store: &fakeStore{}, UnconfirmedAlert: "J-1@25:00"})
	require.ErrorContains(t, err, "unconfirmed_alert")
	_, err = scheduler.New(scheduler.Deps{Store: &fakeStore{}, Tick: 10})
	require.ErrorContains(t, err, "scheduler_tick")
}
