package bot

import "guichet.dev/guichet"

// The bot's routes: every button action, dialog callback and outbox kind it answers, with the
// handler that answers it. New registers them all; a new button, dialog or outbox kind gets a
// line here and its handler next to its renderer. Nothing else registers a route (tests
// excepted), and no route depends on what the Store happens to implement.

// actionRoutes maps the action of each button the bot renders (ActionButton) to its handler.
func (b *Bot) actionRoutes() map[string]ActionHandler {
	return map[string]ActionHandler{
		actionClaim:        b.claimClicked,        // offer: "Je prends" (action.go)
		actionShare:        b.shareClicked,        // offer: "Je prends une part" (action.go)
		actionPass:         b.passClicked,         // offer: "Pas pour nous" (declines.go)
		actionConfirm:      b.confirmClicked,      // reminder: "Je confirme" (reminder.go)
		actionProblem:      b.problemClicked,      // reminder: "Un souci" (reminder.go)
		actionRelaunch:     b.relaunchClicked,     // coordinator's reminder digest: "Relancer" (reminder.go)
		actionRelease:      b.releaseClicked,      // a claim's notice and mylots: "Libérer" (release.go)
		actionDeliveredYes: b.deliveredYesClicked, // « Livré comme prévu ? »: "Oui" (delivered.go)
		actionDeliveredGap: b.deliveredGapClicked, // « Livré comme prévu ? »: "Un écart" (delivered.go)
		actionPublishRecap: b.publishRecapClicked, // the recap's draft: "Publier le bilan" (draftrecap.go)
		actionWaitJoin:     b.waitJoinClicked,     // full first-come offer: "Me mettre en liste d'attente" (waitlist.go)
		actionWaitAccept:   b.waitAcceptClicked,   // waitlist offer by DM: "J'accepte" (waitlist.go)
		actionSheetsImport: b.sheetsImportClicked, // a dropped spreadsheet's preview: "Importer" (sheets.go)
		actionSheetsCancel: b.sheetsCancelClicked, // a dropped spreadsheet's preview: "Annuler" (sheets.go)
		actionQuestion:     b.questionClicked,     // offer: "Une question" (question.go)
		actionOrderAccept:  b.orderAcceptClicked,  // a purchase order's PDF: "J'accepte le bon de commande" (order.go)
	}
}

// dialogRoutes maps the callback id prefix of each dialog the bot opens to its handler.
// Callback ids beginning with "cmd." go to the CommandHandler (see dialogHandler).
func (b *Bot) dialogRoutes() map[string]DialogHandler {
	return map[string]DialogHandler{
		claimDialog:     b.claimSubmitted,     // quantity and note of a claim (action.go)
		problemDialog:   b.problemSubmitted,   // "Un souci" on a reminder (reminder.go)
		deliveredDialog: b.deliveredSubmitted, // "Un écart": quantity delivered and a comment (delivered.go)
		questionDialog:  b.questionSubmitted,  // "Une question" on an offer (question.go)
	}
}

// outboxRoutes maps each outbox kind the domain queues to the handler that delivers it.
func (b *Bot) outboxRoutes() map[guichet.OutboxKind]OutboxHandler {
	return map[guichet.OutboxKind]OutboxHandler{
		guichet.OutboxPublishOffer:      b.publishOffer,         // post an offer in a channel (delivery.go)
		guichet.OutboxRefreshOffer:      b.refreshOffer,         // edit every post of an offer (delivery.go)
		guichet.OutboxClaimed:           b.claimed,              // a claim: refresh its offer, tell coordination (delivery.go)
		guichet.OutboxNotice:            b.notice,               // a catalogue message in a channel or DM (delivery.go)
		guichet.OutboxRefreshBoard:      b.refreshBoard,         // the event's status board (delivery.go)
		guichet.OutboxReminder:          b.deliverReminder,      // J-7/J-1 reminder or digest (reminder.go)
		guichet.OutboxRecap:             b.deliverRecap,         // the event's recap (recap.go)
		guichet.OutboxRecapDraft:        b.deliverRecapDraft,    // the recap's draft for the coordinators (draftrecap.go)
		guichet.OutboxRefreshRecapDraft: b.refreshRecapDraft,    // the draft re-rendered after a delivery or an adjustment (draftrecap.go)
		guichet.OutboxRelaunchOffer:     b.relaunchOffer,        // an offer posted anew, its older copy pointing to it (declines.go)
		guichet.OutboxDocument:          b.postDocument,         // a quote's PDF and CSV attached in a channel (document.go)
		guichet.OutboxQuestion:          b.deliverQuestion,      // a question on a lot, in the coordination channel (question.go)
		guichet.OutboxQuestionRelay:     b.deliverQuestionRelay, // a reply relayed to a question's other thread (question.go)
		guichet.OutboxOrder:             b.deliverOrder,         // a purchase order's PDF in its structure's channel (order.go)
	}
}

// registerRoutes registers every route above; New calls it last.
func (b *Bot) registerRoutes() {
	for action, h := range b.actionRoutes() {
		b.HandleAction(action, h)
	}
	for prefix, h := range b.dialogRoutes() {
		b.HandleDialog(prefix, h)
	}
	for kind, h := range b.outboxRoutes() {
		b.HandleOutbox(kind, h)
	}
	// Observers of the posts people write (listen.go).
	b.Observe(b.relayQuestionReply) // replies in a question's threads (question.go)
	b.Observe(b.invoiceDropped)     // a PDF dropped in a direct message: a structure's invoice (invoicedrop.go)
}
