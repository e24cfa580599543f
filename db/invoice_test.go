package db_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// orderedSupplier returns a structure holding lot code of budget cents, with its purchase order.
func (b *bundle) orderedSupplier(t *testing.T, code string, budget guichet.Cents) (*guichet.Supplier, *guichet.Order) {
	t.Helper()
	s := b.awardedSupplier(t, code, budget)
	o, made, err := b.db.SyncOrder(b.ctx, b.event.ID, s.ID, orderBuild)
	require.NoError(t, err)
	require.True(t, made)
	return s, o
}

// An invoice is matched to the structure's order, due 30 days after its date by default or the
// event's term; a difference with the order is told to both sides; a number used twice by one
// structure is refused and changes nothing.
func TestInvoicesMatchTheirOrder(t *testing.T) {
	b := setup(t)
	s, o := b.orderedSupplier(t, "IMP", 1200_00)
	day := time.Date(2027, 4, 20, 0, 0, 0, 0, time.UTC)

	_, err := b.db.RecordInvoice(b.ctx, member(s), b.event.ID, s.ID, guichet.InvoiceInput{Number: "F-001", Gross: 1200_00, IssuedOn: day}, 0)
	require.NoError(t, err)
	inv, err := b.db.Invoices(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Len(t, inv, 1)
	require.Equal(t, o.Number, inv[0].OrderNumber)
	require.Equal(t, "2027-05-20", inv[0].DueOn.Format(time.DateOnly), "30 days by default")
	require.False(t, inv[0].Differs())
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeInvoiceDiffers'`))

	_, err = b.db.RecordInvoice(b.ctx, member(s), b.event.ID, s.ID, guichet.InvoiceInput{Number: "F-001", Gross: 10_00, IssuedOn: day}, 0)
	requireError(t, err, guichet.ECONFLICT, "ErrInvoiceNumberUsed", map[string]any{"Number": "F-001"})

	_, err = b.db.SQL().ExecContext(b.ctx, `UPDATE events SET payment_days = 45 WHERE id = $1`, b.event.ID)
	require.NoError(t, err)
	second, err := b.db.RecordInvoice(b.ctx, member(s), b.event.ID, s.ID, guichet.InvoiceInput{Number: "F-002", Gross: 1250_50, IssuedOn: day}, 30)
	require.NoError(t, err)
	require.True(t, second.Differs())
	require.Equal(t, "2027-06-04", second.DueOn.Format(time.DateOnly), "the event's term")
	var channels []string
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &channels, `SELECT payload->>'channel_id' FROM outbox
		WHERE payload->>'message_id' = 'NoticeInvoiceDiffers' ORDER BY id`))
	require.Equal(t, []string{s.ChannelID, "coord-channel"}, channels, "both sides are told")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM invoices`))

	other := b.suppliers(t, 1, "autre", "impression")[0]
	_, err = b.db.RecordInvoice(b.ctx, member(other), b.event.ID, other.ID, guichet.InvoiceInput{Number: "F-001", Gross: 10_00, IssuedOn: day}, 0)
	requireError(t, err, guichet.ENOTFOUND, "ErrInvoiceNoOrder", nil)
}

// Payments against an invoice never exceed what is due; corrections are counter-entries with a
// reason, never above what was paid; nothing is deleted and all is audited.
func TestInvoicePaymentsAndCorrections(t *testing.T) {
	b := setup(t)
	s, _ := b.orderedSupplier(t, "IMP", 1000_00)
	_, err := b.db.RecordInvoice(b.ctx, member(s), b.event.ID, s.ID, guichet.InvoiceInput{Number: "F1", Gross: 1000_00,
		IssuedOn: time.Date(2027, 4, 20, 0, 0, 0, 0, time.UTC)}, 0)
	require.NoError(t, err)

	inv, err := b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F1", 600_00, "virement 12")
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(400_00), inv.Remaining())
	_, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F1", 400_01, "")
	requireError(t, err, guichet.ECONFLICT, "ErrInvoiceOverpaid", map[string]any{"Remaining": guichet.Cents(400_00).String()})
	_, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F1", -100_00, "  ")
	requireError(t, err, guichet.EINVALID, "ErrCorrectionReason", nil)
	_, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F1", -600_01, "doublon")
	requireError(t, err, guichet.ECONFLICT, "ErrInvoiceOvercorrected", nil)
	_, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F9", 1_00, "")
	requireError(t, err, guichet.ENOTFOUND, "ErrInvoiceNotFound", nil)
	inv, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F1", -100_00, "saisi deux fois")
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(500_00), inv.Paid)
	inv, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, s.ID, "F1", 500_00, "")
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(0), inv.Remaining())

	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM payments WHERE invoice_id IS NOT NULL`), "the correction is a row, nothing deleted")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM audit WHERE action = 'payment.record'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'payment.correct'`))
	bal, err := b.db.Balance(b.ctx, b.event.ID, s.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(1000_00), bal.Paid, "the recap's balance counts the payments and the correction")
}

// An invoice past its due date and not fully paid is told to the coordinators once, whoever
// runs the pass and however often; one paid in full is not.
func TestOverdueInvoicesToldOnce(t *testing.T) {
	b := setup(t)
	late, _ := b.orderedSupplier(t, "IMP", 1000_00)
	paid, _ := b.orderedSupplier(t, "SON", 500_00)
	day := time.Date(2027, 4, 20, 0, 0, 0, 0, time.UTC)
	_, err := b.db.RecordInvoice(b.ctx, member(late), b.event.ID, late.ID, guichet.InvoiceInput{Number: "L1", Gross: 1000_00, IssuedOn: day}, 0)
	require.NoError(t, err)
	_, err = b.db.RecordInvoice(b.ctx, member(paid), b.event.ID, paid.ID, guichet.InvoiceInput{Number: "P1", Gross: 500_00, IssuedOn: day}, 0)
	require.NoError(t, err)
	_, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, late.ID, "L1", 300_00, "")
	require.NoError(t, err)
	_, err = b.db.PayInvoice(b.ctx, coordinator, b.event.ID, paid.ID, "P1", 500_00, "")
	require.NoError(t, err)

	n, err := b.db.TellOverdueInvoices(b.ctx, time.Date(2027, 5, 20, 12, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, 0, n, "due on 20 May: not overdue that day")
	later := time.Date(2027, 5, 21, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Go(func() {
			var err error
			counts[i], err = b.db.TellOverdueInvoices(b.ctx, later)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Equal(t, 1, counts[0]+counts[1]+counts[2]+counts[3])
	var args []string
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &args, `SELECT payload->'args'->>'Invoices' FROM outbox
		WHERE payload->>'message_id' = 'NoticeInvoicesOverdue'`))
	require.Len(t, args, 1)
	require.Contains(t, args[0], "L1: 700,00\u00a0€")
	require.NotContains(t, args[0], "P1")
}
