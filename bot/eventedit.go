package bot

import (
	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// dateChanged writes, for a reminder sent again because the event was postponed after it first
// went out (its PreviousDay), a paragraph saying the date changed, from which day to which,
// to open the reminder; "" for any other reminder.
func (b *Bot) dateChanged(r *guichet.Reminder, ev *guichet.Event, loc string) string {
	if r.PreviousDay == nil || r.PreviousDay.Equal(ev.Day) {
		return ""
	}
	before := &guichet.Event{Day: *r.PreviousDay}
	return b.t(loc, "ReminderDateChanged", "Before", l10n.EventDay(before, loc), "After", l10n.EventDay(ev, loc)) + "\n\n"
}
