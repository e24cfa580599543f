package guichet

import (
	"context"
	"time"
)

// OrderPrefix begins the numbers of purchase orders (bons de commande): "BC-2027-0001",
// numbered per year of issue without gap or duplicate.
const OrderPrefix = "BC"

// OrderShare is one share a structure holds for an event (an awarded claim on a lot that is
// not cancelled): one line of its purchase order.
type OrderShare struct {
	Lot      *Lot
	Quantity int64
	// Amount is the share's net amount, as the claim holds it (split with the largest
	// remainder among the lot's holders).
	Amount Cents
}

// OrderBasis is what a structure's purchase order for an event is made from: the event, the
// structure with its legal profile, its shares (in lot code order) and its current order
// (nil before the first).
type OrderBasis struct {
	Event    *Event
	Supplier *Supplier
	Shares   []OrderShare
	Current  *Order
}

// Order is one revision of a structure's purchase order for an event, as recorded. A revision
// is never edited: a change makes the next one under the same number, and this one is marked
// replaced (ReplacedBy). AcceptedBy is the Mattermost user id of the member who accepted it.
type Order struct {
	ID           int64      `db:"id"`
	Number       string     `db:"number"`
	Revision     int        `db:"revision"`
	EventID      int64      `db:"event_id"`
	SupplierID   int64      `db:"supplier_id"`
	SupplierName string     `db:"supplier_name"`
	Content      string     `db:"content"`
	Net          Cents      `db:"net_cents"`
	VAT          Cents      `db:"vat_cents"`
	Gross        Cents      `db:"gross_cents"`
	CreatedAt    time.Time  `db:"created_at"`
	ReplacedBy   *int64     `db:"replaced_by"`
	AcceptedBy   string     `db:"accepted_by"`
	AcceptedAt   *time.Time `db:"accepted_at"`
}

// Accepted reports whether a member of the structure accepted this revision.
func (o *Order) Accepted() bool { return o.AcceptedAt != nil }

// OrderDraft is a revision of an order to record: its content digest (a new revision is made
// only when it differs from the current one's), its totals and the year whose series numbers
// it.
type OrderDraft struct {
	EventID, SupplierID int64
	Content             string
	Net, VAT, Gross     Cents
	Year                int
}

// OrderRender renders the PDF of a revision once its number and revision are known; replaces
// is the revision it replaces (nil for the first).
type OrderRender func(number string, revision int, replaces *Order) ([]byte, error)

// OrderStore keeps the purchase orders.
type OrderStore interface {
	// OrderBases returns, for every structure that holds a share of the event or has an order
	// for it, what its order is made from, by structure name.
	OrderBases(ctx context.Context, eventID int64) ([]*OrderBasis, error)
	// SyncOrder makes the structure's order for the event agree with its shares: under a lock
	// on (event, structure) it reads the basis again and asks build for the draft (nil: no
	// order now) and its renderer, and records a new revision unless the current one says the
	// same (then it returns it and false). The first revision takes the next number of the
	// year's series; later ones keep the number. The post of the PDF in the structure's
	// channel is queued with it (OutboxOrder).
	SyncOrder(ctx context.Context, eventID, supplierID int64, build func(*OrderBasis) (*OrderDraft, OrderRender, error)) (*Order, bool, error)
	// BlockOrder records that the structure's order (supplierID 0: every order of the event,
	// for want of the issuer's details) cannot be made for want of missing, and queues notice
	// to the coordinators when this is new or what is missing changed.
	BlockOrder(ctx context.Context, eventID, supplierID int64, missing string, notice OutboxPayload) error
	// AcceptOrder records that actor, a member of the structure, accepts the order revision:
	// it returns the order and true when it was already accepted; ECONFLICT
	// "ErrOrderReplaced" when the revision was replaced, ENOTFOUND "ErrOrderNotFound" when it
	// is not the structure's.
	AcceptOrder(ctx context.Context, actor Actor, orderID, supplierID int64) (*Order, bool, error)
	// OrderFile returns the order revision with its PDF.
	OrderFile(ctx context.Context, orderID int64) (*Order, []byte, error)
	// Orders returns the current revision of every order of the event, by structure name.
	Orders(ctx context.Context, eventID int64) ([]*Order, error)
}
