package bot

// registerExtensions registers every action, dialog and outbox handler; New calls it last.
// Each feature kept in its own file of this package adds one line here calling its own
// register method (for example b.registerReminders() from reminder.go).
func (b *Bot) registerExtensions() {
	b.registerBuiltins()
	b.registerRecap()
	b.registerReminders()
}
