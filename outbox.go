package guichet

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrOutboxLeaseLost is what the outbox store answers a dispatcher that records the outcome
// of a message (delivered, failed, parked, given back) it no longer holds: its lease ended and
// another dispatcher took the message (or the message was finished meanwhile). Nothing was
// recorded; the holder records the outcome.
var ErrOutboxLeaseLost = errors.New("outbox: the message is held by another dispatcher")

// AfterChangeTimeout bounds what AfterChange's context allows: a request's deadline (20 s)
// plus this still answers Mattermost within its 30 s.
const AfterChangeTimeout = 5 * time.Second

// AfterChange returns the context for queueing what follows a change already made (its
// confirmation to the person): not ended by ctx's deadline or cancellation, which a request
// that waited for the database under load may have reached meanwhile, but bounded by
// AfterChangeTimeout of its own. Call cancel when done.
func AfterChange(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), AfterChangeTimeout)
}

// OutboxKind says what an outbox message asks the dispatcher to do. The dispatcher renders
// every message from the database state at delivery time, so a late delivery shows the truth.
type OutboxKind string

// Outbox kinds.
const (
	// OutboxPublishOffer posts the offer of LotID in ChannelID and records the offer post.
	OutboxPublishOffer OutboxKind = "publish_offer"
	// OutboxRefreshOffer re-renders every posted copy of LotID's offer.
	OutboxRefreshOffer OutboxKind = "refresh_offer"
	// OutboxNotice posts a localised notice (MessageID, Args) in ChannelID, or as a direct
	// message to UserID.
	OutboxNotice OutboxKind = "notice"
	// OutboxRefreshBoard re-renders (or first posts) EventID's status board.
	OutboxRefreshBoard OutboxKind = "refresh_board"
	// OutboxReminder sends reminder ReminderID.
	OutboxReminder OutboxKind = "reminder"
	// OutboxRecap posts EventID's recap.
	OutboxRecap OutboxKind = "recap"
	// OutboxRecapDraft shows EventID's recap as a draft in ChannelID (its coordination
	// channel), with the « Publier le bilan » button that publishes it (RecapStore.QueueRecap).
	OutboxRecapDraft OutboxKind = "recap_draft"
	// OutboxClaimed is what a new claim asks for, in one message: every copy of LotID's offer
	// refreshed, EventID's board refreshed, then, when ChannelID (the event's coordination
	// channel) is set, the notice MessageID with Args in Locale posted there.
	OutboxClaimed OutboxKind = "claimed"
	// OutboxRelaunchOffer posts LotID's offer anew in ChannelID, records the new post as the
	// channel's copy, then edits the older copy PreviousPostID to point to the new one.
	OutboxRelaunchOffer OutboxKind = "relaunch_offer"
	// OutboxOrder posts purchase order OrderID's PDF in its structure's channel, with « J'accepte
	// le bon de commande » while it is current and not accepted (order.go).
	OutboxOrder OutboxKind = "order"
)

// OutboxWakeGathered is the wake-up a claim gives its process's dispatcher (db.DB.Claimed; it
// is also understood as the payload of PostgreSQL's NOTIFY on the outbox channel): a
// dispatcher so woken waits a moment before taking the messages, so that the refreshes and
// notices of a burst of claims go out together, after the clicks have been answered, instead of
// competing with them. Every other wake-up has an empty payload and is acted on at once (a
// publication's offers are not delayed).
const OutboxWakeGathered = "gather"

// OutboxPayload is the body of an outbox message; which fields matter depends on the kind.
type OutboxPayload struct {
	LotID      int64          `json:"lot_id,omitempty"`
	EventID    int64          `json:"event_id,omitempty"`
	ReminderID int64          `json:"reminder_id,omitempty"`
	ChannelID  string         `json:"channel_id,omitempty"`
	UserID     string         `json:"user_id,omitempty"`
	MessageID  string         `json:"message_id,omitempty"`
	Args       map[string]any `json:"args,omitempty"`
	Locale     string         `json:"locale,omitempty"`
	// Gathered marks a refresh queued to gather the edits of a burst of claims (see
	// db.DB.EnqueueGathered): a refresh of an offer leaves alone the copies already showing
	// the lot as it is.
	Gathered bool `json:"gathered,omitempty"`
	// ReleaseSupplierID, on an OutboxNotice with LotID, gives the notice a « Libérer » button
	// with which a member of that supplier gives back its claim on the lot.
	ReleaseSupplierID int64 `json:"release_supplier_id,omitempty"`
	// WaitlistSupplierID, on an OutboxNotice with LotID, gives the notice a « J'accepte »
	// button with which a member of that supplier accepts the lot offered to it from the line.
	WaitlistSupplierID int64 `json:"waitlist_supplier_id,omitempty"`
	// PreviousPostID, on an OutboxRelaunchOffer, is the copy the new post replaces.
	PreviousPostID string `json:"previous_post_id,omitempty"`
	// DeliverySupplierID, on an OutboxNotice with LotID, gives the notice the « Oui » and « Un
	// écart » buttons with which a member of that supplier says what it delivered of its share.
	DeliverySupplierID int64 `json:"delivery_supplier_id,omitempty"`
	// PublicationID, on an OutboxPublishOffer, is the publication the copy belongs to: when
	// the last copy of a publication is delivered or refused, the one who published is told.
	PublicationID int64 `json:"publication_id,omitempty"`
	// DocumentID, on an OutboxDocument, is the stored document posted with its files.
	DocumentID int64 `json:"document_id,omitempty"`
	// OrderID, on an OutboxOrder, is the purchase order revision to post.
	OrderID int64 `json:"order_id,omitempty"`
}

// OutboxMessage is a message to Mattermost, written in the same transaction as the change that
// causes it and delivered by the dispatcher.
type OutboxMessage struct {
	ID            int64           `db:"id"`
	Kind          OutboxKind      `db:"kind"`
	PayloadJSON   json.RawMessage `db:"payload"`
	Attempts      int             `db:"attempts"`
	NextAttemptAt time.Time       `db:"next_attempt_at"`
	DeliveredAt   *time.Time      `db:"delivered_at"`
	ParkedAt      *time.Time      `db:"parked_at"`
	LastError     string          `db:"last_error"`
	PostID        string          `db:"post_id"`
	CreatedAt     time.Time       `db:"created_at"`
	// LeaseToken is the fencing token of the take that holds the message (set by a take; see
	// db.DB.TakeOutbox): recording its outcome needs it.
	LeaseToken int64 `db:"lease_token"`
}

// Payload decodes the message's payload.
func (m *OutboxMessage) Payload() (OutboxPayload, error) {
	var p OutboxPayload
	err := json.Unmarshal(m.PayloadJSON, &p)
	return p, err
}
