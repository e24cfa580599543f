package guichet

import (
	"context"
	"time"
)

// EventStore keeps events. Every change writes its audit entry in the same transaction.
type EventStore interface {
	// CreateEvent validates and inserts e, filling its ID. ECONFLICT if the slug is taken.
	CreateEvent(ctx context.Context, actor Actor, e *Event) error
	// UpdateEvent saves e's fields (not its ID or slug). ENOTFOUND if it does not exist.
	// Reminder rows of a published event are recomputed in the same transaction.
	UpdateEvent(ctx context.Context, actor Actor, e *Event) error
	// Event returns the event with that id; ENOTFOUND otherwise.
	Event(ctx context.Context, id int64) (*Event, error)
	// EventBySlug returns the event with that slug; ENOTFOUND otherwise.
	EventBySlug(ctx context.Context, slug string) (*Event, error)
	// EventByChannel returns the most recent event bound to that coordination channel;
	// ENOTFOUND otherwise.
	EventByChannel(ctx context.Context, channelID string) (*Event, error)
	// Events lists events, the most recent day first.
	Events(ctx context.Context) ([]*Event, error)
}

// SupplierStore keeps the supplier directory.
type SupplierStore interface {
	// UpsertSuppliers validates and inserts or updates (by slug) every supplier with its
	// members, all or nothing, filling IDs. It writes each supplier's legal profile, but a
	// profile field left empty (a file without that column, an empty cell) keeps the value
	// stored, and so does the VAT rate when the regime is left empty: a re-import of a file
	// without the profile columns changes no profile (EditSupplierProfile clears fields).
	UpsertSuppliers(ctx context.Context, actor Actor, suppliers []*Supplier) error
	// Supplier returns the supplier with that id, with its categories and members.
	Supplier(ctx context.Context, id int64) (*Supplier, error)
	// SupplierByRef finds a supplier by slug or by name (case and accents ignored).
	SupplierByRef(ctx context.Context, ref string) (*Supplier, error)
	// Suppliers lists the directory by name.
	Suppliers(ctx context.Context) ([]*Supplier, error)
	// SuppliersOfUser lists the suppliers the Mattermost user is a member of.
	SuppliersOfUser(ctx context.Context, userID string) ([]*Supplier, error)
}

// LotStore keeps lots, claims and offers.
type LotStore interface {
	// AddLots validates and inserts lots into the event, all or nothing. ECONFLICT names a
	// code that exists already or appears twice.
	AddLots(ctx context.Context, actor Actor, eventID int64, lots []*Lot) error
	// Lot returns the lot with that id; ENOTFOUND otherwise.
	Lot(ctx context.Context, id int64) (*Lot, error)
	// LotByCode returns the event's lot with that code; ENOTFOUND otherwise.
	LotByCode(ctx context.Context, eventID int64, code string) (*Lot, error)
	// Lots lists the event's lots in the order they were added.
	Lots(ctx context.Context, eventID int64) ([]*Lot, error)
	// LotState returns the lot with its claims.
	LotState(ctx context.Context, lotID int64) (*LotState, error)
	// Board returns the event with every lot and its claims.
	Board(ctx context.Context, eventID int64) (*Board, error)
	// CancelLot cancels the lot and its active claims, tells the claimants and refreshes the
	// offers. Cancelling a cancelled lot changes nothing. A reason longer than MaxNoteLength
	// is refused (EINVALID, CancelReason's message), nothing changed. ECONFLICT "ErrEventPast"
	// once the event is over (Event.ClaimChangesOpen).
	CancelLot(ctx context.Context, actor Actor, lotID int64, reason string) error
	// EditLot changes the lot's terms as LotState.Edit decides (its errors; ECONFLICT
	// "ErrEventPast" once the event is over), rewrites the shares and amounts it changes,
	// refreshes every copy of the offer and tells each structure with an active claim what
	// changed, asking again the confirmation of those whose quantity, amount, slot or place
	// changed. An edit that changes nothing writes nothing.
	EditLot(ctx context.Context, actor Actor, lotID int64, edit *LotEdit) (*LotEditDecision, error)
	// Publish queues an offer post for every (lot, channel) pair of the event's open lots and
	// the suppliers serving each lot's category, skipping pairs already queued, and marks the
	// event published. It returns how many posts it queued.
	Publish(ctx context.Context, actor Actor, eventID int64) (int, error)
	// OfferPosts lists the posted copies of a lot's offer.
	OfferPosts(ctx context.Context, lotID int64) ([]OfferPost, error)
	// RecordOfferPost remembers a posted copy of an offer.
	RecordOfferPost(ctx context.Context, p OfferPost) error
}

// ClaimStore runs the claim use cases, each in one transaction that locks the lot row.
type ClaimStore interface {
	// Claim takes a lot or a share of it for a supplier whose member is the actor. First-come
	// lots are awarded at once, review lots get a pending candidacy. Errors: EFORBIDDEN if the
	// actor is not a member of the supplier; ECONFLICT "ErrEventNotPublished" (a draft event),
	// "ErrEventPast" (the event is over: see Event.ClaimsOpen), "ErrLotTaken" (exclusive, with the holder's
	// name), "ErrLotFull", "ErrShareTooBig" (with what remains), "ErrLotClosed", "ErrLotCancelled"; EINVALID for a
	// bad quantity or a note longer than MaxNoteLength (ClaimNote's message). A supplier with an
	// active claim gets it back with Existing set, unless the event's state refuses claims.
	Claim(ctx context.Context, req ClaimRequest, now time.Time) (*ClaimResult, error)
	// Withdraw ends the supplier's active claim on the lot and reopens what it held. A reason
	// longer than MaxNoteLength is refused (EINVALID, ReleaseReason's message), nothing changed.
	// Withdraw, Award and Decline return ECONFLICT "ErrEventPast" once the event is over
	// (Event.ClaimChangesOpen), and change nothing.
	Withdraw(ctx context.Context, actor Actor, lotID, supplierID int64, reason string) (*Claim, error)
	// Award turns the supplier's pending candidacy into an award (review lots), with the same
	// capacity rules as Claim.
	Award(ctx context.Context, actor Actor, lotID, supplierID int64) (*Claim, error)
	// Decline refuses the supplier's pending candidacy with a reason; the supplier is told. A
	// reason longer than MaxNoteLength is refused (EINVALID, DeclineReason's message).
	Decline(ctx context.Context, actor Actor, lotID, supplierID int64, reason string) (*Claim, error)
}

// Store is everything the adapters need from persistence.
type Store interface {
	EventStore
	EventChanger
	SupplierStore
	LotStore
	ClaimStore
	DeclineStore
}
