package guichet

import "time"

// The event's state gates its claims. These rules are the one place that decides whether a
// claim, a release, an award or a decline may happen, how much a claim holds and what the
// lot's claims come to: Store.Claim and the other claim use cases apply them inside their
// transactions (LotState.Grant, LotState.Award, LotState.Settle), and the offers show their
// buttons only while LotState.Claimable would let a claim through.

// End returns the instant the event is over by the clock: midnight at the end of its last
// day, in its time zone. Its last day is its own day, or its last lot's when a lot falls after
// it (LastLotDay). An event has dates, not hours: its lots' slots are not looked at, so a lot
// served late in the evening is still within its day. A time zone that cannot be loaded
// (Validate refuses one) counts as UTC.
func (e *Event) End() time.Time {
	days := 1
	if e.LastLotDay != nil && e.LastLotDay.After(e.Day) {
		days += DaysBetween(e.Day, *e.LastLotDay)
	}
	end, err := e.LocalTime(days, 0, 0)
	if err != nil {
		y, m, d := e.Day.Date()
		return time.Date(y, m, d+days, 0, 0, 0, 0, time.UTC)
	}
	return end
}

// Over reports whether the event is over at now: its status is done or recapped, or now is at
// or after End, whichever comes first. A draft event is over by the clock too.
func (e *Event) Over(now time.Time) bool {
	if e.Status == EventDone || e.Status == EventRecapped {
		return true
	}
	return !now.Before(e.End())
}

// ClaimsOpen returns nil when members may claim the event's lots at now: the event is
// published and not Over. Otherwise it returns ECONFLICT "ErrEventNotPublished" for a draft
// event (the coordination publishes it first), "ErrEventPast" once it is over, or
// "ErrEventCancelled" for a cancelled event.
func (e *Event) ClaimsOpen(now time.Time) error {
	if e.Status == EventCancelled {
		return Errorf(ECONFLICT, "ErrEventCancelled", "Event", e.Name)
	}
	if e.Over(now) {
		return Errorf(ECONFLICT, "ErrEventPast")
	}
	if e.Status == EventDraft {
		return Errorf(ECONFLICT, "ErrEventNotPublished")
	}
	return nil
}

// ClaimChangesOpen returns nil while the claims already made on the event's lots may still
// change at now (released, awarded, declined): until the event is Over. Afterwards it returns
// ECONFLICT "ErrEventPast", so that the recap and the payments recorded against it are never
// contradicted by a late change. A cancelled event's claims no longer change either:
// ECONFLICT "ErrEventCancelled".
func (e *Event) ClaimChangesOpen(now time.Time) error {
	if e.Status == EventCancelled {
		return Errorf(ECONFLICT, "ErrEventCancelled", "Event", e.Name)
	}
	if e.Over(now) {
		return Errorf(ECONFLICT, "ErrEventPast")
	}
	return nil
}

// PastDeadline reports whether the lot's claim deadline, if it has one, has come at now.
func (l *Lot) PastDeadline(now time.Time) bool {
	return l.Deadline != nil && !now.Before(*l.Deadline)
}

// ClaimsOpen returns nil when the lot takes new claims at now, as far as its own status goes:
// ECONFLICT "ErrLotCancelled" for a cancelled lot, "ErrLotClosed" for a closed one or one past
// its deadline. Whether anything is left to take is LotState.Grant's question.
func (l *Lot) ClaimsOpen(now time.Time) error {
	switch {
	case l.Status == LotCancelled:
		return Errorf(ECONFLICT, "ErrLotCancelled", "Code", l.Code)
	case l.Status == LotClosed, l.PastDeadline(now):
		return Errorf(ECONFLICT, "ErrLotClosed", "Code", l.Code)
	}
	return nil
}

// ClaimDecision is what a supplier's new claim on a lot comes to (LotState.Grant).
type ClaimDecision struct {
	// Claim is the supplier's claim already there when Existing is true, returned unchanged
	// (a double click changes nothing). Otherwise it is the new claim as it is to be written,
	// without an ID yet: its LotID, SupplierID, Quantity, Status (awarded, or pending on a
	// review lot) and Amount (its share of the budget when awarded, else 0).
	Claim    *Claim
	Existing bool
	// LotStatus is the lot's status once the new claim is made (LotState.Settle).
	LotStatus LotStatus
	// Amounts holds the new amount of each of the lot's other claims whose amount changes
	// with the new claim, by claim id; it is empty when none changes.
	Amounts map[int64]Cents
}

// Grant decides a new claim of want (0: the whole of an exclusive lot, what remains of a
// shared one) by the supplier on the lot at now, applying in this order: the event's state
// (ev.ClaimsOpen; not judged when ev is nil), the supplier's active claim already there
// (returned with Existing set), the lot's state (Lot.ClaimsOpen) and what is left to take:
// ECONFLICT "ErrLotTaken" (exclusive, with the holder's name), "ErrLotFull", "ErrShareTooBig"
// (with what remains); EINVALID "ErrExclusiveQuantity" for a part of an exclusive lot.
//
// What is offered to a structure of the lot's line (s.Waitlist, LotState.Offered) is held for
// it while the offer is out, expired or not until the store ends it: another structure cannot
// take it (ECONFLICT "ErrLotHeld" when nothing else is free, "ErrShareTooBig" when a part is),
// and each offer counts as one of the structures the lot takes. The structure it is offered
// to may take it: with want 0, it gets what was offered (what is free, if less). It does not
// change s. Membership and the request's own checks are the store's.
func (s *LotState) Grant(ev *Event, supplierID, want int64, now time.Time) (*ClaimDecision, error) {
	if ev != nil {
		if err := ev.ClaimsOpen(now); err != nil {
			return nil, err
		}
	}
	if c := s.ActiveClaim(supplierID); c != nil {
		return &ClaimDecision{Claim: c, Existing: true, LotStatus: s.Lot.Status}, nil
	}
	qty, err := s.grantable(supplierID, want, now)
	if err != nil {
		return nil, err
	}
	c := &Claim{LotID: s.Lot.ID, SupplierID: supplierID, Quantity: qty, Status: ClaimAwarded}
	if s.Lot.Award == Review {
		c.Status = ClaimPending
	}
	// The new claim comes last: it will have the largest id.
	after := &LotState{Lot: s.Lot, Claims: append(s.Claims[:len(s.Claims):len(s.Claims)], c)}
	amounts, next := after.Settle()
	d := &ClaimDecision{Claim: c, LotStatus: next, Amounts: map[int64]Cents{}}
	for i, o := range s.Claims {
		if amounts[i] != o.Amount {
			d.Amounts[o.ID] = amounts[i]
		}
	}
	c.Amount = amounts[len(s.Claims)]
	return d, nil
}

// Claimable returns nil when a new claim of what remains of the lot would get through at now
// (Grant, for a supplier with no claim on the lot and no offer from its line), or the error
// that says why not. An offer shows its buttons only while it returns nil.
func (s *LotState) Claimable(ev *Event, now time.Time) error {
	if ev != nil {
		if err := ev.ClaimsOpen(now); err != nil {
			return err
		}
	}
	_, err := s.grantable(0, 0, now)
	return err
}

// Award decides the coordinator's award of the supplier's pending candidacy on a review lot:
// it returns the candidacy to award, or the supplier's claim already awarded with already set
// (nothing to do), or the error that says why not: ECONFLICT "ErrLotCancelled"; ENOTFOUND
// "ErrNoCandidacy" when the supplier has no pending candidacy; what is left to take, as for
// Grant but without the lot's deadline or closing (the coordinator may still award what was
// asked in time). Whether the event still lets claims change is Event.ClaimChangesOpen's
// question.
func (s *LotState) Award(supplierID int64) (c *Claim, already bool, err error) {
	lot := s.Lot
	if lot.Status == LotCancelled {
		return nil, false, Errorf(ECONFLICT, "ErrLotCancelled", "Code", lot.Code)
	}
	c = s.ActiveClaim(supplierID)
	if c != nil && c.Status == ClaimAwarded {
		return c, true, nil
	}
	if c == nil || c.Status != ClaimPending {
		return nil, false, Errorf(ENOTFOUND, "ErrNoCandidacy", "Code", lot.Code)
	}
	if _, err := s.capacity(supplierID, c.Quantity); err != nil {
		return nil, false, err
	}
	return c, false, nil
}

// ActiveClaim returns the supplier's active claim on the lot (pending or awarded), or nil.
func (s *LotState) ActiveClaim(supplierID int64) *Claim {
	for _, c := range s.Claims {
		if c.SupplierID == supplierID && c.Status.Active() {
			return c
		}
	}
	return nil
}

// Settle returns what the lot's claims come to: amounts[i] is the amount of s.Claims[i] (its
// share of the budget, LotAmounts over the awarded claims in their order, when awarded; 0
// otherwise), and next the lot's status that follows: an open lot becomes filled once its
// awarded claims hold its whole quantity or as many structures as it takes, and a filled
// one opens again when they no longer do; any other status stays.
func (s *LotState) Settle() (amounts []Cents, next LotStatus) {
	lot := s.Lot
	var qty []int64
	var total int64
	for _, c := range s.Claims {
		if c.Status == ClaimAwarded {
			qty = append(qty, c.Quantity)
			total += c.Quantity
		}
	}
	full := total >= lot.Quantity || len(qty) >= lot.MaxSuppliers
	next = lot.Status
	switch {
	case lot.Status == LotOpen && full:
		next = LotFilled
	case lot.Status == LotFilled && !full:
		next = LotOpen
	}
	shares := LotAmounts(lot, qty)
	amounts = make([]Cents, len(s.Claims))
	for i, c := range s.Claims {
		if c.Status == ClaimAwarded {
			amounts[i], shares = shares[0], shares[1:]
		}
	}
	return amounts, next
}

// grantable applies the lot's own state at now (Lot.ClaimsOpen) and then capacity.
func (s *LotState) grantable(supplierID, want int64, now time.Time) (int64, error) {
	if err := s.Lot.ClaimsOpen(now); err != nil {
		return 0, err
	}
	return s.capacity(supplierID, want)
}

// capacity returns the quantity a claim of want by the supplier may hold on the lot given its
// awarded claims (a pending candidacy holds nothing yet) and the offers out to its line
// (held for their structures), or the error that says why it may not (see Grant).
func (s *LotState) capacity(supplierID, want int64) (int64, error) {
	lot := s.Lot
	awarded := s.Awarded()
	var own *WaitlistEntry
	var heldQty int64
	heldBy := 0
	for _, w := range s.Offered() {
		if supplierID != 0 && w.SupplierID == supplierID {
			own = w
			continue
		}
		heldQty += w.OfferQuantity
		heldBy++
	}
	heldErr := func() error { return Errorf(ECONFLICT, "ErrLotHeld", "Code", lot.Code) }
	if lot.Mode == Exclusive {
		if len(awarded) > 0 {
			return 0, Errorf(ECONFLICT, "ErrLotTaken", "Code", lot.Code, "Supplier", awarded[0].SupplierName)
		}
		if heldBy > 0 {
			return 0, heldErr()
		}
		if want != 0 && want != lot.Quantity {
			return 0, Errorf(EINVALID, "ErrExclusiveQuantity", "Code", lot.Code, "Quantity", lot.Quantity)
		}
		return lot.Quantity, nil
	}
	remaining := lot.Quantity - s.AwardedQuantity() - heldQty
	if remaining <= 0 || len(awarded)+heldBy >= lot.MaxSuppliers || lot.Status == LotFilled {
		if heldBy > 0 && lot.Status != LotFilled && len(awarded) < lot.MaxSuppliers && s.AwardedQuantity() < lot.Quantity {
			return 0, heldErr()
		}
		return 0, Errorf(ECONFLICT, "ErrLotFull", "Code", lot.Code)
	}
	if want == 0 {
		if own != nil && own.OfferQuantity > 0 && own.OfferQuantity < remaining {
			return own.OfferQuantity, nil
		}
		return remaining, nil
	}
	if want > remaining {
		return 0, Errorf(ECONFLICT, "ErrShareTooBig", "Code", lot.Code, "Remaining", remaining, "Unit", lot.Unit)
	}
	return want, nil
}
