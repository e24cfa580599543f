package guichet

import "time"

// The event's state gates its claims. These rules are the one place that decides whether a
// claim, a release, an award or a decline may happen: Store.Claim and the other claim use
// cases apply them inside their transactions, and the offers show their buttons only while
// CheckClaim would let a claim through.

// End returns the instant the event is over by the clock: midnight at the end of its day, in
// its time zone. An event has a date, not hours: its lots' slots are not looked at, so a
// lot served late in the evening is still within the event's day. A time zone that cannot be
// loaded (Validate refuses one) counts as UTC.
func (e *Event) End() time.Time {
	end, err := e.LocalTime(1, 0, 0)
	if err != nil {
		y, m, d := e.Day.Date()
		return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
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
// event (the coordination publishes it first) or "ErrEventPast" once it is over.
func (e *Event) ClaimsOpen(now time.Time) error {
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
// contradicted by a late change.
func (e *Event) ClaimChangesOpen(now time.Time) error {
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
// its deadline. Whether anything is left to take is Grantable's question.
func (l *Lot) ClaimsOpen(now time.Time) error {
	switch {
	case l.Status == LotCancelled:
		return Errorf(ECONFLICT, "ErrLotCancelled", "Code", l.Code)
	case l.Status == LotClosed, l.PastDeadline(now):
		return Errorf(ECONFLICT, "ErrLotClosed", "Code", l.Code)
	}
	return nil
}

// Grantable returns the quantity a new claim of want (0: the whole of an exclusive lot, what
// remains of a shared one) may hold on the lot, given the lot's other claims (all statuses;
// only awarded ones count), or the error that says why it may not: ECONFLICT "ErrLotTaken"
// (exclusive, with the holder's name), "ErrLotFull", "ErrShareTooBig" (with what remains);
// EINVALID "ErrExclusiveQuantity" for a part of an exclusive lot.
func Grantable(lot *Lot, claims []*Claim, want int64) (int64, error) {
	var awardedQty int64
	var awarded []*Claim
	for _, c := range claims {
		if c.Status == ClaimAwarded {
			awardedQty += c.Quantity
			awarded = append(awarded, c)
		}
	}
	if lot.Mode == Exclusive {
		if len(awarded) > 0 {
			return 0, Errorf(ECONFLICT, "ErrLotTaken", "Code", lot.Code, "Supplier", awarded[0].SupplierName)
		}
		if want != 0 && want != lot.Quantity {
			return 0, Errorf(EINVALID, "ErrExclusiveQuantity", "Code", lot.Code, "Quantity", lot.Quantity)
		}
		return lot.Quantity, nil
	}
	remaining := lot.Quantity - awardedQty
	if remaining <= 0 || len(awarded) >= lot.MaxSuppliers || lot.Status == LotFilled {
		return 0, Errorf(ECONFLICT, "ErrLotFull", "Code", lot.Code)
	}
	if want == 0 {
		return remaining, nil
	}
	if want > remaining {
		return 0, Errorf(ECONFLICT, "ErrShareTooBig", "Code", lot.Code, "Remaining", remaining, "Unit", lot.Unit)
	}
	return want, nil
}

// CheckClaim applies every rule a new claim of want on the lot meets at now, in this order:
// the event's state (ev.ClaimsOpen; not judged when ev is nil), the lot's (lot.ClaimsOpen),
// and what is left to take (Grantable, given the lot's claims). It returns the quantity the
// claim may hold, or the error that says why it may not. Store.Claim decides with it, and an
// offer shows its buttons only while CheckClaim(ev, lot, claims, 0, now) succeeds.
func CheckClaim(ev *Event, lot *Lot, claims []*Claim, want int64, now time.Time) (int64, error) {
	if ev != nil {
		if err := ev.ClaimsOpen(now); err != nil {
			return 0, err
		}
	}
	if err := lot.ClaimsOpen(now); err != nil {
		return 0, err
	}
	return Grantable(lot, claims, want)
}
