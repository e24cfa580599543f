package guichet

// OfferPost is a copy of a lot's offer the bot posted: every copy is re-rendered when the lot
// changes.
type OfferPost struct {
	LotID     int64  `db:"lot_id"`
	ChannelID string `db:"channel_id"`
	PostID    string `db:"post_id"`
	// ShownVersion is the version of the lot the copy was last rendered from (the store's
	// LotStates), or "" when unknown.
	ShownVersion string `db:"shown_version"`
}

// LotState is a lot with its claims, as the status board and the offers show it.
type LotState struct {
	Lot *Lot
	// Claims are the lot's claims in the order they were made, all statuses.
	Claims []*Claim
	// Answers are who declined the lot and who has not answered it; set by the store's Board
	// only (empty elsewhere).
	Answers Answers
	// Waitlist is the lot's line: its active entries (waiting or offered) in order. The offers
	// in it hold their quantities against other structures' claims (Grant), so every store
	// method that decides a claim or shows one sets it; nil when the lot has no line.
	Waitlist []*WaitlistEntry
}

// AwardedQuantity returns the quantity held by awarded claims.
func (s *LotState) AwardedQuantity() int64 {
	var q int64
	for _, c := range s.Claims {
		if c.Status == ClaimAwarded {
			q += c.Quantity
		}
	}
	return q
}

// Awarded returns the awarded claims.
func (s *LotState) Awarded() []*Claim { return s.withStatus(ClaimAwarded) }

// Pending returns the candidacies waiting for the coordinator.
func (s *LotState) Pending() []*Claim { return s.withStatus(ClaimPending) }

func (s *LotState) withStatus(st ClaimStatus) []*Claim {
	var out []*Claim
	for _, c := range s.Claims {
		if c.Status == st {
			out = append(out, c)
		}
	}
	return out
}

// Remaining returns the quantity still to be claimed (0 when the lot is filled or closed),
// counting what is offered to the lot's waitlist and not yet accepted (see Free).
func (s *LotState) Remaining() int64 {
	if s.Lot.Status != LotOpen {
		return 0
	}
	if s.Lot.Mode == Exclusive {
		if len(s.Awarded()) > 0 {
			return 0
		}
		return s.Lot.Quantity
	}
	return s.Lot.Quantity - s.AwardedQuantity()
}

// Free returns what a structure outside the lot's waitlist may still take: Remaining less what
// is offered to structures of the waitlist and held for them (0 for an exclusive lot offered
// to one).
func (s *LotState) Free() int64 {
	left := s.Remaining()
	for _, w := range s.Offered() {
		if s.Lot.Mode == Exclusive {
			return 0
		}
		left -= w.OfferQuantity
	}
	return max(left, 0)
}

// Board is an event's status: every lot with its claims.
type Board struct {
	Event *Event
	Lots  []*LotState
	// Orders are the current purchase orders of the event, by structure name (order.go).
	Orders []*Order
}
