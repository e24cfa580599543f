package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// invoiceColumns are an invoice's columns as guichet.Invoice reads them, invoices aliased i,
// suppliers s and the order's document o; paid_cents sums its payments.
const invoiceColumns = `i.id, i.event_id, i.supplier_id, s.name AS supplier_name, i.order_id, o.number AS order_number,
	i.number, i.gross_cents, i.order_gross_cents, i.issued_on, i.due_on, i.file_id, i.created_at,
	(SELECT coalesce(sum(p.amount_cents), 0) FROM payments p WHERE p.invoice_id = i.id) AS paid_cents`

const invoiceFrom = ` FROM invoices i JOIN suppliers s ON s.id = i.supplier_id JOIN documents o ON o.id = i.order_id`

// RecordInvoice implements guichet.InvoiceStore. The structure's current order is locked in
// share mode, so that the invoice is matched to the revision current at commit.
func (d *DB) RecordInvoice(ctx context.Context, actor guichet.Actor, eventID, supplierID int64, in guichet.InvoiceInput, paymentDays int) (*guichet.Invoice, error) {
	number, err := guichet.CheckInvoiceNumber(in.Number)
	if err != nil {
		return nil, err
	}
	if in.Gross <= 0 {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrInvoiceAmount", "Value", in.Gross.String())
	}
	if paymentDays <= 0 {
		paymentDays = guichet.DefaultPaymentDays
	}
	out := &guichet.Invoice{}
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		var ev struct {
			Slug        string `db:"slug"`
			PaymentDays int    `db:"payment_days"`
		}
		if err := tx.GetContext(ctx, &ev, `SELECT slug, payment_days FROM events WHERE id = $1`, eventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		var supplierName string
		if err := tx.GetContext(ctx, &supplierName, `SELECT name FROM suppliers WHERE id = $1`, supplierID); err != nil {
			return notFound(err, "ErrSupplierNotFound", "Name", supplierID)
		}
		var order struct {
			ID    int64         `db:"id"`
			Gross guichet.Cents `db:"gross_cents"`
		}
		if err := tx.GetContext(ctx, &order, `SELECT id, gross_cents FROM documents
			WHERE kind = 'order' AND event_id = $1 AND supplier_id = $2 AND replaced_by IS NULL FOR SHARE`, eventID, supplierID); err != nil {
			return notFound(err, "ErrInvoiceNoOrder", "Supplier", supplierName, "Event", ev.Slug)
		}
		days := paymentDays
		if ev.PaymentDays > 0 {
			days = ev.PaymentDays
		}
		issued := time.Date(in.IssuedOn.Year(), in.IssuedOn.Month(), in.IssuedOn.Day(), 0, 0, 0, 0, time.UTC)
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO invoices (event_id, supplier_id, order_id, number, gross_cents, order_gross_cents,
				issued_on, due_on, file_id, recorded_by, recorded_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			eventID, supplierID, order.ID, number, int64(in.Gross), int64(order.Gross), issued, issued.AddDate(0, 0, days),
			in.FileID, actor.UserID, actor.Username)
		if isUniqueViolation(err, "invoices_supplier_id_number_key") {
			return guichet.Errorf(guichet.ECONFLICT, "ErrInvoiceNumberUsed", "Number", number, "Supplier", supplierName)
		}
		if err != nil {
			return fmt.Errorf("record invoice: %w", err)
		}
		if err := tx.GetContext(ctx, out, `SELECT `+invoiceColumns+invoiceFrom+` WHERE i.id = $1`, id); err != nil {
			return fmt.Errorf("read invoice: %w", err)
		}
		if err := audit(ctx, tx, actor, "invoice.record", eventID, 0, supplierID, map[string]any{
			"invoice_id": id, "number": number, "gross_cents": in.Gross, "order_gross_cents": order.Gross,
			"issued_on": issued.Format(time.DateOnly), "due_on": out.DueOn.Format(time.DateOnly)}); err != nil {
			return err
		}
		if !out.Differs() {
			return nil
		}
		// Both sides are told, the amounts side by side.
		args := map[string]any{"Supplier": supplierName, "Number": number, "Order": out.OrderNumber,
			"Invoiced": out.Gross.String(), "Ordered": out.OrderGross.String(), "Difference": (out.Gross - out.OrderGross).String()}
		if err := noticeSupplier(ctx, tx, supplierID, "NoticeInvoiceDiffers", args); err != nil {
			return err
		}
		return noticeCoordinator(ctx, tx, eventID, "NoticeInvoiceDiffers", args)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PayInvoice implements guichet.InvoiceStore. The invoice's row is locked, so that payments
// recorded at once never together exceed what is due, nor corrections what was paid. The
// payment is a row of payments (with its invoice), so the recap's totals count it.
func (d *DB) PayInvoice(ctx context.Context, actor guichet.Actor, eventID, supplierID int64, number string, amount guichet.Cents, reason string) (*guichet.Invoice, error) {
	reason = strings.TrimSpace(reason)
	if amount == 0 {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrPaymentAmount", "Value", amount)
	}
	if amount < 0 && reason == "" {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrCorrectionReason", "Number", number, "Amount", amount.String())
	}
	if err := guichet.PaymentNote.Check(reason); err != nil {
		return nil, err
	}
	out := &guichet.Invoice{}
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `SELECT id FROM invoices WHERE event_id = $1 AND supplier_id = $2 AND number = $3 FOR UPDATE`,
			eventID, supplierID, strings.TrimSpace(number)); err != nil {
			return notFound(err, "ErrInvoiceNotFound", "Number", number)
		}
		if err := tx.GetContext(ctx, out, `SELECT `+invoiceColumns+invoiceFrom+` WHERE i.id = $1`, id); err != nil {
			return fmt.Errorf("read invoice: %w", err)
		}
		if amount > out.Remaining() {
			return guichet.Errorf(guichet.ECONFLICT, "ErrInvoiceOverpaid", "Number", out.Number, "Supplier", out.SupplierName,
				"Amount", amount.String(), "Remaining", out.Remaining().String(), "Gross", out.Gross.String(), "Paid", out.Paid.String())
		}
		if amount < 0 && -amount > out.Paid {
			return guichet.Errorf(guichet.ECONFLICT, "ErrInvoiceOvercorrected", "Number", out.Number, "Supplier", out.SupplierName,
				"Amount", (-amount).String(), "Paid", out.Paid.String())
		}
		var paymentID int64
		if err := tx.GetContext(ctx, &paymentID, `INSERT INTO payments (event_id, supplier_id, amount_cents, note, paid_by, invoice_id, reason)
			VALUES ($1, $2, $3, $4, $5, $6, $4) RETURNING id`, eventID, supplierID, int64(amount), reason, actor.Username, id); err != nil {
			return fmt.Errorf("record payment: %w", err)
		}
		action := "payment.record"
		if amount < 0 {
			action = "payment.correct"
		}
		if err := audit(ctx, tx, actor, action, eventID, 0, supplierID, map[string]any{
			"payment_id": paymentID, "invoice_id": id, "number": out.Number, "amount_cents": amount, "reason": reason}); err != nil {
			return err
		}
		out.Paid += amount
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Invoices implements guichet.InvoiceStore.
func (d *DB) Invoices(ctx context.Context, eventID int64) ([]*guichet.Invoice, error) {
	var out []*guichet.Invoice
	if err := d.db.SelectContext(ctx, &out, `SELECT `+invoiceColumns+invoiceFrom+`
		WHERE i.event_id = $1 ORDER BY s.name, i.issued_on, i.id`, eventID); err != nil {
		return nil, fmt.Errorf("invoices: %w", err)
	}
	return out, nil
}

// TellOverdueInvoices implements the scheduler's pass: the invoices past their due date at now
// (a date in the event's time zone) and not fully paid, not told yet, are taken with FOR UPDATE
// SKIP LOCKED (any number of replicas tell each once), marked told, and listed to each event's
// coordination channel in one notice per event, in one transaction. It returns how many
// invoices it told.
func (d *DB) TellOverdueInvoices(ctx context.Context, now time.Time) (int, error) {
	told := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []struct {
			ID        int64         `db:"id"`
			EventID   int64         `db:"event_id"`
			Supplier  string        `db:"supplier_name"`
			Number    string        `db:"number"`
			Remaining guichet.Cents `db:"remaining"`
			DueOn     time.Time     `db:"due_on"`
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT i.id, i.event_id, s.name AS supplier_name, i.number, i.due_on,
				i.gross_cents - (SELECT coalesce(sum(p.amount_cents), 0) FROM payments p WHERE p.invoice_id = i.id) AS remaining
			FROM invoices i JOIN suppliers s ON s.id = i.supplier_id JOIN events e ON e.id = i.event_id
			WHERE i.overdue_told_at IS NULL AND i.due_on < ($1::timestamptz AT TIME ZONE e.time_zone)::date
			ORDER BY i.event_id, s.name, i.number
			FOR UPDATE OF i SKIP LOCKED`, now); err != nil {
			return fmt.Errorf("overdue invoices: %w", err)
		}
		byEvent := map[int64][]string{}
		var events []int64
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
			if r.Remaining <= 0 {
				continue
			}
			if _, ok := byEvent[r.EventID]; !ok {
				events = append(events, r.EventID)
			}
			byEvent[r.EventID] = append(byEvent[r.EventID], fmt.Sprintf("%s %s: %s (%s)", r.Supplier, r.Number, r.Remaining.String(), r.DueOn.Format(time.DateOnly)))
			told++
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET overdue_told_at = $2 WHERE id = ANY($1)`, pqInts(ids), now); err != nil {
			return fmt.Errorf("mark overdue invoices: %w", err)
		}
		for _, ev := range events {
			if err := noticeCoordinator(ctx, tx, ev, "NoticeInvoicesOverdue", map[string]any{
				"Count": len(byEvent[ev]), "Invoices": "\n- " + strings.Join(byEvent[ev], "\n- ")}); err != nil {
				return err
			}
		}
		return nil
	})
	return told, err
}
