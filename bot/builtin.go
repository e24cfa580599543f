package bot

import "guichet.dev/guichet"

// registerBuiltins registers the bot's own actions, dialogs and outbox handlers.
func (b *Bot) registerBuiltins() {
	b.HandleOutbox(guichet.OutboxPublishOffer, b.publishOffer)
	b.HandleOutbox(guichet.OutboxRefreshOffer, b.refreshOffer)
	b.HandleOutbox(guichet.OutboxNotice, b.notice)
	b.HandleOutbox(guichet.OutboxRefreshBoard, b.refreshBoard)
	b.HandleOutbox(guichet.OutboxClaimed, b.claimed)
	b.HandleAction(actionClaim, b.claimClicked)
	b.HandleAction(actionShare, b.shareClicked)
	b.HandleAction(actionPass, b.passClicked)
	b.HandleDialog(claimDialog, b.claimSubmitted)
}
