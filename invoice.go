package guichet

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultPaymentDays is the client's payment term when neither the event nor the issuer sets
// one: 30 days (Code de commerce, article L441-10: 30 days after receipt unless agreed
// otherwise).
const DefaultPaymentDays = 30

// MaxInvoiceNumberLength is the most characters of an invoice number.
const MaxInvoiceNumberLength = 60

// CheckInvoiceNumber returns the invoice number trimmed, or EINVALID "ErrInvoiceNumber" when
// it is empty, longer than MaxInvoiceNumberLength or holds a line break.
func CheckInvoiceNumber(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > MaxInvoiceNumberLength || strings.ContainsAny(s, "\r\n") {
		return "", Errorf(EINVALID, "ErrInvoiceNumber", "Value", s, "Max", MaxInvoiceNumberLength)
	}
	return s, nil
}

// Invoice is a structure's invoice to the client for an event, matched to the purchase order
// current when it was recorded. Gross is the amount invoiced, VAT included; Paid the sum of the
// payments against it (corrections, negative, included).
type Invoice struct {
	ID           int64     `db:"id"`
	EventID      int64     `db:"event_id"`
	SupplierID   int64     `db:"supplier_id"`
	SupplierName string    `db:"supplier_name"`
	OrderID      int64     `db:"order_id"`
	OrderNumber  string    `db:"order_number"`
	Number       string    `db:"number"`
	Gross        Cents     `db:"gross_cents"`
	OrderGross   Cents     `db:"order_gross_cents"`
	IssuedOn     time.Time `db:"issued_on"`
	DueOn        time.Time `db:"due_on"`
	Paid         Cents     `db:"paid_cents"`
	FileID       string    `db:"file_id"`
	CreatedAt    time.Time `db:"created_at"`
}

// Remaining is what is still to pay: Gross minus Paid.
func (i *Invoice) Remaining() Cents { return i.Gross - i.Paid }

// Differs reports whether the invoice's amount is not its order's gross.
func (i *Invoice) Differs() bool { return i.Gross != i.OrderGross }

// Overdue reports whether the invoice is not fully paid and its due date (a calendar date)
// is before today's date in loc.
func (i *Invoice) Overdue(now time.Time, loc *time.Location) bool {
	if i.Remaining() <= 0 {
		return false
	}
	today := now.In(loc).Format(time.DateOnly)
	return i.DueOn.Format(time.DateOnly) < today
}

// InvoiceInput is an invoice as a structure records it: its number, its gross amount and its
// date; FileID the Mattermost file of its PDF, when dropped.
type InvoiceInput struct {
	Number   string
	Gross    Cents
	IssuedOn time.Time
	FileID   string
}

// InvoiceStore keeps invoices and the payments against them.
type InvoiceStore interface {
	// RecordInvoice records the structure's invoice for the event, matched to its current
	// purchase order, due paymentDays after its date (the event's payment_days when set).
	// A difference with the order's gross is told to the structure and the coordinators.
	// ENOTFOUND "ErrInvoiceNoOrder" without an order; ECONFLICT "ErrInvoiceNumberUsed" when
	// the structure used the number already; EINVALID "ErrInvoiceAmount".
	RecordInvoice(ctx context.Context, actor Actor, eventID, supplierID int64, in InvoiceInput, paymentDays int) (*Invoice, error)
	// PayInvoice records a payment against the structure's invoice number for the event, or a
	// correction (a negative amount, with its reason); nothing is deleted, all is audited.
	// ENOTFOUND "ErrInvoiceNotFound"; ECONFLICT "ErrInvoiceOverpaid" (above what is due),
	// "ErrInvoiceOvercorrected" (a correction above what was paid); EINVALID
	// "ErrPaymentAmount" (zero), "ErrCorrectionReason" (a correction without reason).
	PayInvoice(ctx context.Context, actor Actor, eventID, supplierID int64, number string, amount Cents, reason string) (*Invoice, error)
	// Invoices returns the event's invoices with what was paid against each, by structure
	// name then date.
	Invoices(ctx context.Context, eventID int64) ([]*Invoice, error)
}
