package guichet

import (
	"context"
	"time"
)

// Deliveries: after the event, each structure holding an awarded share of a lot says whether
// it delivered as planned or how much it delivered (a gap, with a comment), and a coordinator
// may adjust the amount due to a structure for a lot, with a reason. The recap shows the three
// side by side, and the adjusted amount replaces the agreed one in what the event owes.

// DeliveryComment and AdjustReason are the texts typed with a delivery gap and with an
// adjustment.
const (
	DeliveryComment TypedText = "ErrDeliveredCommentTooLong"
	AdjustReason    TypedText = "ErrDeliveredReasonTooLong"
)

// Delivery is what is known of one structure's awarded share of one lot after the event: what
// it reported delivered and what a coordinator adjusted. Reported and Adjusted are nil until
// then.
type Delivery struct {
	LotID        int64  `db:"lot_id"`
	SupplierID   int64  `db:"supplier_id"`
	SupplierName string `db:"supplier_name"`
	// Quantity is the quantity reported delivered; nil when the structure has not answered.
	Quantity   *int64     `db:"delivered_qty"`
	Comment    string     `db:"comment"`
	ReportedBy string     `db:"reported_by"`
	ReportedAt *time.Time `db:"reported_at"`
	// Adjusted is the amount the coordinator set for the share; nil when not adjusted.
	Adjusted     *Cents     `db:"adjusted_cents"`
	AdjustReason string     `db:"adjust_reason"`
	AdjustedBy   string     `db:"adjusted_by"`
	AdjustedAt   *time.Time `db:"adjusted_at"`
}

// DeliveryReport is a structure's answer to « Livré comme prévu ? ».
type DeliveryReport struct {
	// AsPlanned is « Oui »: the whole awarded quantity was delivered; Quantity is ignored.
	AsPlanned bool
	// Quantity is what was delivered, when not AsPlanned (zero or more).
	Quantity int64
	// Comment says what happened (optional, at most MaxNoteLength characters).
	Comment string
}

// Adjustment is the result of a coordinator's adjustment: the claim it applies to, the amount
// before (the agreed one, or the previous adjustment) and the delivery row after it.
type Adjustment struct {
	Claim    *Claim
	Lot      *Lot
	Before   Cents
	Delivery *Delivery
}

// DeliveriesOpen returns nil when deliveries may be reported and amounts adjusted at now: from
// the start of the event's day. Before, ECONFLICT "ErrDeliveredTooEarly"; for a cancelled event
// ECONFLICT "ErrEventCancelled".
func (e *Event) DeliveriesOpen(now time.Time) error {
	if e.Status == EventCancelled {
		return Errorf(ECONFLICT, "ErrEventCancelled", "Event", e.Name)
	}
	if e.Status == EventDone || e.Status == EventRecapped {
		return nil
	}
	start, err := e.LocalTime(0, 0, 0)
	if err != nil {
		y, m, d := e.Day.Date()
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	if now.Before(start) {
		return Errorf(ECONFLICT, "ErrDeliveredTooEarly", "Event", e.Name)
	}
	return nil
}

// DeliveryStore records deliveries and adjustments; package db implements it.
type DeliveryStore interface {
	// ReportDelivery records the supplier's answer for its awarded share of the lot, replacing
	// an earlier answer, with its audit entry; a gap (less or more than the share) is told to
	// the event's coordination channel. EINVALID "ErrDeliveredQuantity" for a negative
	// quantity, DeliveryComment's message for a comment too long; ECONFLICT
	// "ErrDeliveredNoShare" when the supplier holds no awarded share of the lot (or the lot is
	// cancelled), DeliveriesOpen's errors; ENOTFOUND for an unknown lot.
	ReportDelivery(ctx context.Context, actor Actor, lotID, supplierID int64, r DeliveryReport, now time.Time) (*Delivery, *Claim, error)
	// AdjustAmount sets the amount due to the supplier for its awarded share of the lot, with a
	// reason, and tells the structure; the audit entry keeps the amount before and after.
	// EINVALID "ErrDeliveredAmount" for a negative amount, "ErrDeliveredNoReason" for an empty
	// reason, AdjustReason's message for one too long; ECONFLICT "ErrDeliveredNoShare",
	// DeliveriesOpen's errors; ENOTFOUND for an unknown lot.
	AdjustAmount(ctx context.Context, actor Actor, lotID, supplierID int64, amount Cents, reason string, now time.Time) (*Adjustment, error)
	// Deliveries returns the delivery rows of the event's lots, by lot then supplier.
	Deliveries(ctx context.Context, eventID int64) ([]*Delivery, error)
}
