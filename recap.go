package guichet

import (
	"context"
	"time"
)

// Payment is money actually paid to a structure for an event, recorded by a coordinator. The
// agreed amount comes from the structure's awarded claims; payments say what was paid of it.
type Payment struct {
	ID           int64     `db:"id"`
	EventID      int64     `db:"event_id"`
	SupplierID   int64     `db:"supplier_id"`
	SupplierName string    `db:"supplier_name"`
	Amount       Cents     `db:"amount_cents"`
	Note         string    `db:"note"`
	PaidBy       string    `db:"paid_by"`
	PaidAt       time.Time `db:"paid_at"`
}

// Balance is what an event owes one structure: the agreed amount (its awarded claims on lots
// that are not cancelled, each at its adjusted amount when a coordinator adjusted it), what was paid, and what remains due (negative when more was paid
// than agreed, e.g. after a withdrawal).
type Balance struct {
	EventID      int64
	EventSlug    string
	SupplierID   int64
	SupplierName string
	Agreed       Cents
	Paid         Cents
}

// Remaining returns what is still due: Agreed minus Paid.
func (b Balance) Remaining() Cents { return b.Agreed - b.Paid }

// RecapData is what an event's recap is made from, read in one consistent snapshot.
type RecapData struct {
	// Board is the event with every lot and all its claims (every status).
	Board *Board
	// Payments are the payments recorded for the event, oldest first.
	Payments []*Payment
	// Deliveries are what structures reported delivered and what coordinators adjusted, by
	// lot then structure.
	Deliveries []*Delivery
	// Confirmations are the rows of the event's last reminder before the event (J-1 by
	// default) to structures (SupplierID set): their ConfirmedAt and Problem say whether each
	// structure confirmed.
	Confirmations []*Reminder
	// Orders are the current purchase orders of the event; Invoices its invoices with what
	// was paid against each (order.go, invoice.go).
	Orders   []*Order
	Invoices []*Invoice
}

// AuditLine is an audit entry with the names a person reads: the lot's code and the
// structure's name, empty when the entry concerns neither.
type AuditLine struct {
	AuditEntry
	LotCode      string `db:"lot_code"`
	SupplierName string `db:"supplier_name"`
}

// RecapPost is a recap the bot posted: one per (outbox message, channel), so that a replayed
// message does not post twice.
type RecapPost struct {
	OutboxID  int64
	EventID   int64
	ChannelID string
	PostID    string
	FileIDs   []string
}

// RecapStore is the persistence of recaps, payments and the audit trail; package db
// implements it.
type RecapStore interface {
	// RecapData reads the event's recap data in one snapshot. ENOTFOUND if no such event.
	RecapData(ctx context.Context, eventID int64) (*RecapData, error)
	// RecordPayment records that amount (more than zero) was paid to the structure for the
	// event, with its audit entry, and returns the structure's balance after it. EINVALID
	// "ErrPaymentAmount" for an amount of zero or less, "ErrPaymentNothingAgreed" when the
	// structure has nothing agreed in the event; ECONFLICT "ErrPaymentTooMuch" when the payment
	// would exceed what remains due, PaymentNote's message for a note longer than
	// MaxNoteLength; ENOTFOUND for an unknown event or structure.
	RecordPayment(ctx context.Context, actor Actor, eventID, supplierID int64, amount Cents, note string) (*Balance, error)
	// Balance returns what the event owes the structure.
	Balance(ctx context.Context, eventID, supplierID int64) (*Balance, error)
	// AuditTrail returns the audit entries of the event, or of one of its lots when lotID is
	// not 0, oldest first.
	AuditTrail(ctx context.Context, eventID, lotID int64) ([]*AuditLine, error)
	// QueueRecap publishes the event's recap, once: it queues the final recap (coordination
	// channel, and the recap channel if set) and marks the event's recap published, with its
	// audit entry, in one transaction. ECONFLICT "ErrDraftrecapPublishedAlready" when it was
	// published already (nothing queued), "ErrEventCancelled" for a cancelled event; ENOTFOUND
	// for an unknown event.
	QueueRecap(ctx context.Context, actor Actor, eventID int64) error
	// RecapPostOf returns the post already made for (outboxID, channelID), or "" when none.
	RecapPostOf(ctx context.Context, outboxID int64, channelID string) (string, error)
	// RecordRecapPost remembers a posted recap, writes its audit entry and marks the event
	// recapped, in one transaction. Recording the same (outbox, channel) twice changes nothing.
	RecordRecapPost(ctx context.Context, p RecapPost) error
}
