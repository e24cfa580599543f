package guichet

import (
	"context"
	"time"
)

// Answers says, for one lot, how the structures serving its category answered its offer. A
// structure appears in one list only: a structure holding a claim (pending or awarded) took
// the lot, whatever it said before; one that clicked « Pas pour nous » and holds no claim
// declined it; one serving the lot's category that did neither has not answered. A structure
// whose candidacy the coordination declined answered too, and is in no list; one that gave
// its claim back has not answered (a relaunch asks it again).
type Answers struct {
	// Declined names the structures that declined the lot, by name.
	Declined []string
	// Unanswered names the structures serving the lot's category, with a channel, that have
	// neither taken nor declined it, by name.
	Unanswered []string
}

// DeclineStore records « Pas pour nous » and offers a lot again to the structures that have
// not answered it.
type DeclineStore interface {
	// DeclineLot records that each of supplierIDs (structures actor is a member of, by user
	// id) declined lot lotID at now, audits it and refreshes the event's board, in one transaction;
	// it returns how many were newly recorded (a structure that already declined counts 0).
	// A structure already holding a claim on the lot is left out. Errors: ENOTFOUND
	// "ErrLotNotFound"; EFORBIDDEN "ErrDeclinesNotMember" when actor is a member of none of
	// them; the lot's and the event's ClaimsOpen refusals (a cancelled or closed lot, an event
	// over or cancelled).
	DeclineLot(ctx context.Context, actor Actor, lotID int64, supplierIDs []int64, now time.Time) (int, error)
	// RelaunchLot offers lot lotID again to the structures serving its category that have
	// neither taken nor declined it (Answers.Unanswered): in each of their channels the offer
	// is posted anew, at the bottom, and the older copy there is edited to point to the new
	// one; a channel that never had the offer gets it, and one whose copy is queued and not yet
	// posted gets it when it goes out. It is audited ("lot.relaunch") and
	// returns how many channels get the new post: 0, with nothing written, when every
	// structure has answered. Errors: ENOTFOUND "ErrLotNotFound"; the lot's and the event's
	// ClaimsOpen refusals.
	RelaunchLot(ctx context.Context, actor Actor, lotID int64) (int, error)
}
