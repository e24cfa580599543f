package bot

// registerBuiltins registers the bot's own actions, dialogs and outbox handlers.
func (b *Bot) registerBuiltins() {}
