package guichet

import (
	"context"
	"time"
)

// Waitlists on first-come lots. A structure that finds a first-come lot full may wait in line
// for it (Store.JoinWaitlist). When quantity is freed on the lot (a release, a withdrawn claim,
// a lot edit raising its quantity), the first structure in line is offered it by direct
// message with a time-limited « J'accepte » button (WaitlistOfferUntil), and what is offered
// is held for it: while the offer is out, no other structure may take that quantity (the claim
// rule, LotState.Grant, reads the offers in LotState.Waitlist). Quantity freed while an offer
// is out goes to the next in line, with its own offer. Accepting is a claim like any other,
// decided by LotState.Grant (what was offered of a shared lot, the whole of an exclusive one):
// there is no second claim rule. An offer not accepted in time expires and the next structure
// in line is offered what is free (a scheduler pass); until then it still holds. An acceptance that finds the lot full again puts the structure back in line at its
// place. A coordinator may promote any structure in line at once (Store.PromoteWaitlist).

// WaitlistStatus is the state of a structure's place in a lot's line.
type WaitlistStatus string

const (
	// WaitlistWaiting: in line, nothing offered yet.
	WaitlistWaiting WaitlistStatus = "waiting"
	// WaitlistOffered: the freed quantity is offered to it until its offer expires.
	WaitlistOffered WaitlistStatus = "offered"
	// WaitlistAccepted: it took the lot (accepted its offer, or was promoted).
	WaitlistAccepted WaitlistStatus = "accepted"
	// WaitlistExpired: its offer was not accepted in time.
	WaitlistExpired WaitlistStatus = "expired"
	// WaitlistLeft: it left the line.
	WaitlistLeft WaitlistStatus = "left"
)

// DefaultWaitlistOffer is how long a waitlist offer lasts by default (config waitlist_offer).
const DefaultWaitlistOffer = 24 * time.Hour

// MinWaitlistOffer is the shortest a waitlist offer lasts, even on the event's day.
const MinWaitlistOffer = time.Hour

// WaitlistEntry is a structure's place in a lot's line.
type WaitlistEntry struct {
	ID           int64          `db:"id"`
	LotID        int64          `db:"lot_id"`
	SupplierID   int64          `db:"supplier_id"`
	SupplierName string         `db:"supplier_name"`
	JoinedBy     string         `db:"joined_by"`
	Status       WaitlistStatus `db:"status"`
	// OfferExpiresAt is when the offer made to it expires, while Status is offered.
	OfferExpiresAt *time.Time `db:"offer_expires_at"`
	// OfferQuantity is the quantity offered to it and held for it, while Status is offered.
	OfferQuantity int64     `db:"offer_quantity"`
	CreatedAt     time.Time `db:"created_at"`
}

// Active reports whether the entry is still in line (waiting or offered).
func (w *WaitlistEntry) Active() bool {
	return w.Status == WaitlistWaiting || w.Status == WaitlistOffered
}

// WaitlistOfferUntil returns when an offer made at now to the first in line of a lot of the
// event expires, given the configured length d (DefaultWaitlistOffer when d <= 0): now + d,
// but no later than the start of the event's day (midnight, its time zone) when the offer is
// made before it — inside J-1 an offer is shorter — and never less than MinWaitlistOffer
// (on the event's day itself, an offer lasts MinWaitlistOffer), nor past the event's End.
func WaitlistOfferUntil(ev *Event, now time.Time, d time.Duration) time.Time {
	if d <= 0 {
		d = DefaultWaitlistOffer
	}
	until := now.Add(d)
	start, err := ev.LocalTime(0, 0, 0)
	if err == nil && now.Before(start) && until.After(start) {
		until = start
	}
	if min := now.Add(MinWaitlistOffer); until.Before(min) {
		until = min
	}
	if end := ev.End(); until.After(end) && now.Before(end) {
		until = end
	}
	return until
}

// ErrLotHeld is ECONFLICT "ErrLotHeld": what is free on the lot is offered to structures of its
// waitlist and held for them (LotState.Grant).
var ErrLotHeld = &Error{Code: ECONFLICT, MessageID: "ErrLotHeld"}

// Offered returns the lot's offers out to its line (Waitlist entries with Status offered).
func (s *LotState) Offered() []*WaitlistEntry {
	var out []*WaitlistEntry
	for _, w := range s.Waitlist {
		if w.Status == WaitlistOffered {
			out = append(out, w)
		}
	}
	return out
}

// OfferOf returns the offer out to the supplier from the lot's line, or nil.
func (s *LotState) OfferOf(supplierID int64) *WaitlistEntry {
	for _, w := range s.Offered() {
		if w.SupplierID == supplierID {
			return w
		}
	}
	return nil
}

// NextOffer returns what a new waitlist offer on the lot would hold at now: the quantity a
// structure neither holding a claim nor in line could take (what is free and not held by
// another offer; the whole of an exclusive lot), or the error that says why nothing is free
// (see Claimable).
func (s *LotState) NextOffer(ev *Event, now time.Time) (int64, error) {
	if err := s.Claimable(ev, now); err != nil {
		return 0, err
	}
	return s.capacity(0, 0)
}

// WaitlistAnswer is what an acceptance or a promotion came to.
type WaitlistAnswer struct {
	// Claim is the structure's new claim (nil when Full).
	Claim *Claim
	Lot   *Lot
	// Full is true when the lot had nothing left to give: the structure is back in line at
	// its place (an acceptance), or stays in line (a promotion), and nothing else changed.
	Full bool
	// Refusal is, when Full, the claim rule's answer (ECONFLICT "ErrLotFull", "ErrLotTaken"
	// or "ErrLotHeld").
	Refusal error
}

// WaitlistStore keeps the lots' lines. Every method that changes a line holds the lot's row
// lock (the lot first, then its event), as every change of a lot's claims does, so that a
// line and the claims it waits on change together; each writes its audit entry and its
// notices (outbox) in the same transaction.
type WaitlistStore interface {
	// JoinWaitlist puts the supplier (actor must be one of its members, by user id; EFORBIDDEN
	// "ErrNotMember" otherwise) at the end of the first-come lot's line at now and returns its
	// place (1 for the first). A structure already in line keeps its place (same answer). The
	// lot must be first-come (EINVALID "ErrWaitlistReview"), not cancelled or closed
	// (Lot.ClaimsOpen), its event open to claims (Event.ClaimsOpen), the structure holding no
	// claim on it (ECONFLICT "ErrWaitlistHolder") and nothing left to take (ECONFLICT
	// "ErrWaitlistNotFull": take it instead).
	JoinWaitlist(ctx context.Context, actor Actor, lotID, supplierID int64, now time.Time) (place int, err error)
	// AcceptWaitlistOffer takes, for the supplier (actor one of its members), the lot offered
	// to it: ENOTFOUND "ErrWaitlistNoOffer" when no offer to it is out, or it expired at now.
	// The claim is decided by LotState.Grant; a lot full again is answered with Full set.
	AcceptWaitlistOffer(ctx context.Context, actor Actor, lotID, supplierID int64, now time.Time) (*WaitlistAnswer, error)
	// PromoteWaitlist, by a coordinator of the lot's event (checked by the caller), gives the
	// lot to the supplier in its line, whatever its place: ENOTFOUND "ErrWaitlistNotInLine"
	// when it is not in line. The claim is decided by LotState.Grant; nothing left gives Full.
	// The coordinator's choice comes before the line's order: what is held for others in line
	// is withdrawn from them when the promotion needs it (they keep their places and are told
	// by NoticeWaitlistOfferWithdrawn), and what is left is offered again.
	PromoteWaitlist(ctx context.Context, actor Actor, lotID, supplierID int64, now time.Time) (*WaitlistAnswer, error)
	// ExpireWaitlistOffers ends every offer expired at now and offers each of their lots to
	// the next in line; with many schedulers, each offer is ended once. It returns how many
	// offers it ended.
	ExpireWaitlistOffers(ctx context.Context, now time.Time) (int, error)
	// Waitlist returns the lot's line: its active entries in order, with their structures'
	// names.
	Waitlist(ctx context.Context, lotID int64) ([]*WaitlistEntry, error)
}

// LocalClock writes t as day and hour in the event's time zone ("02/01/2006 15:04"), as the
// messages show a deadline.
func LocalClock(ev *Event, t time.Time) string {
	return deadlineText(&t, ev)
}
