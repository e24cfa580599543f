package guichet

import "time"

// ClaimStatus is where a claim stands: pending → awarded | declined | withdrawn | cancelled.
type ClaimStatus string

// Claim statuses.
const (
	// ClaimPending is a candidacy on a review lot, waiting for the coordinator.
	ClaimPending   ClaimStatus = "pending"
	ClaimAwarded   ClaimStatus = "awarded"
	ClaimDeclined  ClaimStatus = "declined"
	ClaimWithdrawn ClaimStatus = "withdrawn"
	// ClaimCancelled is an award ended by the lot's cancellation.
	ClaimCancelled ClaimStatus = "cancelled"
)

// Active reports whether the claim still holds (pending or awarded).
func (s ClaimStatus) Active() bool { return s == ClaimPending || s == ClaimAwarded }

// Claim is a supplier's hold on a lot or a share of it.
type Claim struct {
	ID         int64 `db:"id"`
	LotID      int64 `db:"lot_id"`
	SupplierID int64 `db:"supplier_id"`
	Quantity   int64 `db:"quantity"`
	// Amount is the claim's share of the lot's budget: proportional to quantity, split by the
	// largest-remainder rule (see SplitLargestRemainder).
	Amount Cents `db:"amount_cents"`
	// ClickedBy is the Mattermost user id of the person who claimed.
	ClickedBy string      `db:"clicked_by"`
	Note      string      `db:"note"`
	Status    ClaimStatus `db:"status"`
	// Reason is the coordinator's reason for declining, or a withdrawal's reason.
	Reason    string    `db:"reason"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`

	// SupplierName is filled by queries that join the supplier.
	SupplierName string `db:"supplier_name"`
}

// ClaimRequest asks for a lot, or a share of it, on behalf of a supplier.
type ClaimRequest struct {
	Actor      Actor
	LotID      int64
	SupplierID int64
	// Quantity is the share wanted; 0 means the whole lot for an exclusive lot and what remains
	// for a shared one.
	Quantity int64
	Note     string
	// Confirm asks the store to queue, with a new claim and in the same write, the clicking
	// member's confirmation: an OutboxNotice to Actor.UserID with ClaimResult.MessageID and
	// MessageArgs, in the event's language, so that a claim made is never left unconfirmed
	// for want of a second write. A refusal or a claim already there (Existing) writes
	// nothing, this included: the caller answers them.
	Confirm bool
	// OnBehalf records the claim for the structure by someone who is not one of its members:
	// a coordinator of the lot's event taking a claim by phone. The caller checks that right
	// (the store does not, as it does not check membership then); the claim's audit entry is
	// "claim.behalf" (or "claim.behalf.candidacy"), with Actor as who did it and SupplierID as
	// for whom, and the structure's members are told, with a « Libérer » button.
	OnBehalf bool
}

// ClaimResult says what a claim did.
type ClaimResult struct {
	Claim *Claim
	Lot   *Lot
	// Existing is true when the supplier already held an active claim on the lot, which is
	// returned unchanged (a double click changes nothing).
	Existing bool
	// Locale is the event's locale (events.locale), so that the claim can be answered in the
	// event's language without reading the event again; "" when the event has none.
	Locale string
}

// MessageID names the catalogue message that tells the member who clicked what the claim did:
// MsgClaimed or MsgCandidacy for a new claim, MsgAlreadyHeld or MsgAlreadyCandidate for a
// claim already there.
func (r *ClaimResult) MessageID() string {
	switch {
	case r.Existing && r.Claim.Status == ClaimPending:
		return "MsgAlreadyCandidate"
	case r.Existing:
		return "MsgAlreadyHeld"
	case r.Claim.Status == ClaimPending:
		return "MsgCandidacy"
	}
	return "MsgClaimed"
}

// MessageArgs are the arguments of the message MessageID names.
func (r *ClaimResult) MessageArgs() map[string]any {
	return map[string]any{"Supplier": r.Claim.SupplierName, "Code": r.Lot.Code, "Title": r.Lot.Title,
		"Quantity": r.Claim.Quantity, "Unit": r.Lot.Unit, "Amount": r.Claim.Amount}
}

// LotAmounts splits a lot's budget over its awarded claims in proportion to their quantities,
// with the part of the quantity still unclaimed taking its own share, so that the claims add up
// to the whole budget exactly when the lot is full. It returns the amounts in claims' order.
func LotAmounts(lot *Lot, awardedQty []int64) []Cents {
	var sum int64
	weights := make([]int64, 0, len(awardedQty)+1)
	for _, q := range awardedQty {
		weights = append(weights, q)
		sum += q
	}
	rest := lot.Quantity - sum
	if rest < 0 {
		rest = 0
	}
	weights = append(weights, rest)
	parts := SplitLargestRemainder(lot.Budget, weights)
	if parts == nil {
		return make([]Cents, len(awardedQty))
	}
	return parts[:len(awardedQty)]
}
