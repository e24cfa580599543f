package mmrig

// UseBotToken makes token the bot's access token: the bot's GUICHET_BOT_TOKEN for its next
// start, and Setup().BotToken for the tests that act as the bot. For tests that revoke the
// bot's token and make another (guichet setup --new-token).
func (r *Rig) UseBotToken(token string) {
	r.SetBotEnv("GUICHET_BOT_TOKEN", token)
	r.setup.BotToken = token
}
