package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guichet.dev/guichet"
)

var _ guichet.RecapStore = (*DB)(nil)

// RecapData implements guichet.RecapStore. The event, its lots and claims, its payments and the
// confirmations of its last reminder are read in one read-only REPEATABLE READ transaction, so the figures agree
// with each other even while claims change.
func (d *DB) RecapData(ctx context.Context, eventID int64) (*guichet.RecapData, error) {
	tx, err := d.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	var e guichet.Event
	if err := tx.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1`, eventID); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	var lots []*guichet.Lot
	if err := tx.SelectContext(ctx, &lots, `SELECT `+lotColumns+` FROM lots WHERE event_id = $1 ORDER BY id`, eventID); err != nil {
		return nil, fmt.Errorf("recap lots: %w", err)
	}
	var claims []*guichet.Claim
	if err := tx.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 ORDER BY c.id`, eventID); err != nil {
		return nil, fmt.Errorf("recap claims: %w", err)
	}
	out := &guichet.RecapData{Board: &guichet.Board{Event: &e}}
	byLot := map[int64]*guichet.LotState{}
	for _, l := range lots {
		st := &guichet.LotState{Lot: l}
		byLot[l.ID] = st
		out.Board.Lots = append(out.Board.Lots, st)
	}
	for _, c := range claims {
		if st := byLot[c.LotID]; st != nil {
			st.Claims = append(st.Claims, c)
		}
	}
	if err := tx.SelectContext(ctx, &out.Payments, `SELECT `+paymentColumns+`
		FROM payments p JOIN suppliers s ON s.id = p.supplier_id
		WHERE p.event_id = $1 ORDER BY p.id`, eventID); err != nil {
		return nil, fmt.Errorf("recap payments: %w", err)
	}
	if err := tx.SelectContext(ctx, &out.Deliveries, deliveriesOfEvent, eventID); err != nil {
		return nil, fmt.Errorf("recap deliveries: %w", err)
	}
	// Structures confirm the last reminder before the event (J-1 by default).
	kind, err := confirmationKind(&e)
	if err != nil {
		kind = "j1"
	}
	if err := tx.SelectContext(ctx, &out.Confirmations, `SELECT id, event_id, kind, supplier_id, due_at,
			status, sent_at, skip_reason, confirmed_at, confirmed_by, problem
		FROM reminders WHERE event_id = $1 AND kind = $2 AND supplier_id IS NOT NULL
		ORDER BY supplier_id`, eventID, string(kind)); err != nil {
		return nil, fmt.Errorf("recap confirmations: %w", err)
	}
	if out.Orders, err = currentOrders(ctx, tx, eventID); err != nil {
		return nil, err
	}
	if err := tx.SelectContext(ctx, &out.Invoices, `SELECT `+invoiceColumns+invoiceFrom+`
		WHERE i.event_id = $1 ORDER BY s.name, i.issued_on, i.id`, eventID); err != nil {
		return nil, fmt.Errorf("recap invoices: %w", err)
	}
	return out, nil
}

const paymentColumns = `p.id, p.event_id, p.supplier_id, s.name AS supplier_name, p.amount_cents,
	p.note, p.paid_by, p.paid_at`

// RecordPayment implements guichet.RecapStore. The event row is locked for the transaction,
// so that two payments recorded at once cannot together exceed what is due.
func (d *DB) RecordPayment(ctx context.Context, actor guichet.Actor, eventID, supplierID int64, amount guichet.Cents, note string) (*guichet.Balance, error) {
	if amount <= 0 {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrPaymentAmount", "Value", amount)
	}
	note = strings.TrimSpace(note)
	if err := guichet.PaymentNote.Check(note); err != nil {
		return nil, err
	}
	var out *guichet.Balance
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var slug string
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM events WHERE id = $1 FOR UPDATE`, eventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		b, err := balance(ctx, tx, eventID, supplierID)
		if err != nil {
			return err
		}
		if b.Agreed == 0 {
			return guichet.Errorf(guichet.EINVALID, "ErrPaymentNothingAgreed", "Supplier", b.SupplierName, "Event", slug)
		}
		if amount > b.Remaining() {
			return guichet.Errorf(guichet.ECONFLICT, "ErrPaymentTooMuch", "Supplier", b.SupplierName,
				"Amount", amount, "Remaining", b.Remaining(), "Agreed", b.Agreed, "Paid", b.Paid)
		}
		var paymentID int64
		if err := tx.GetContext(ctx, &paymentID, `
			INSERT INTO payments (event_id, supplier_id, amount_cents, note, paid_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			eventID, supplierID, amount, note, actor.Username); err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		if err := audit(ctx, tx, actor, "payment.record", eventID, 0, supplierID, map[string]any{
			"payment_id": paymentID, "amount_cents": amount, "note": note}); err != nil {
			return err
		}
		b.Paid += amount
		out = b
		return nil
	})
	return out, err
}

// Balance implements guichet.RecapStore.
func (d *DB) Balance(ctx context.Context, eventID, supplierID int64) (*guichet.Balance, error) {
	var out *guichet.Balance
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = balance(ctx, tx, eventID, supplierID)
		return err
	})
	return out, err
}

// balance computes what the event owes the structure: its awarded claims on lots that are not
// cancelled (each at its adjusted amount when a coordinator adjusted it), and its payments.
func balance(ctx context.Context, tx *sqlx.Tx, eventID, supplierID int64) (*guichet.Balance, error) {
	b := &guichet.Balance{EventID: eventID, SupplierID: supplierID}
	if err := tx.GetContext(ctx, &b.EventSlug, `SELECT slug FROM events WHERE id = $1`, eventID); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	if err := tx.GetContext(ctx, &b.SupplierName, `SELECT name FROM suppliers WHERE id = $1`, supplierID); err != nil {
		return nil, notFound(err, "ErrSupplierNotFound", "Name", supplierID)
	}
	if err := tx.GetContext(ctx, &b.Agreed, `
		SELECT coalesce(sum(coalesce(d.adjusted_cents, c.amount_cents)), 0) FROM claims c JOIN lots l ON l.id = c.lot_id
		LEFT JOIN deliveries d ON d.lot_id = c.lot_id AND d.supplier_id = c.supplier_id
		WHERE l.event_id = $1 AND c.supplier_id = $2 AND c.status = 'awarded' AND l.status <> 'cancelled'`,
		eventID, supplierID); err != nil {
		return nil, fmt.Errorf("agreed amount: %w", err)
	}
	if err := tx.GetContext(ctx, &b.Paid, `
		SELECT coalesce(sum(amount_cents), 0) FROM payments WHERE event_id = $1 AND supplier_id = $2`,
		eventID, supplierID); err != nil {
		return nil, fmt.Errorf("paid amount: %w", err)
	}
	return b, nil
}

// AuditTrail implements guichet.RecapStore. ENOTFOUND "ErrLotNotFound" when lotID is not a lot
// of the event.
func (d *DB) AuditTrail(ctx context.Context, eventID, lotID int64) ([]*guichet.AuditLine, error) {
	if _, err := d.Event(ctx, eventID); err != nil {
		return nil, err
	}
	if lotID != 0 {
		l, err := d.Lot(ctx, lotID)
		if err != nil {
			return nil, err
		}
		if l.EventID != eventID {
			return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrLotNotFound", "Code", l.Code)
		}
	}
	var out []*guichet.AuditLine
	if err := d.db.SelectContext(ctx, &out, `
		SELECT a.id, a.at, a.actor_id, a.actor_name, a.action, a.event_id, a.lot_id, a.supplier_id,
			a.detail, coalesce(l.code, '') AS lot_code, coalesce(s.name, '') AS supplier_name
		FROM audit_trail a
		LEFT JOIN lots l ON l.id = a.lot_id
		LEFT JOIN suppliers s ON s.id = a.supplier_id
		WHERE a.event_id = $1 AND ($2 = 0 OR a.lot_id = $2)
		ORDER BY a.id`, eventID, lotID); err != nil {
		return nil, fmt.Errorf("audit trail: %w", err)
	}
	return out, nil
}

// QueueRecap implements guichet.RecapStore: it publishes the recap, once. The event's row is
// locked and marked published (recap_published_at) in the transaction that queues the final
// recap, so two coordinators clicking « Publier le bilan » at once, or a click and `bilan`,
// post it once; the second is told it was published already.
func (d *DB) QueueRecap(ctx context.Context, actor guichet.Actor, eventID int64) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var ev struct {
			Name      string `db:"name"`
			Slug      string `db:"slug"`
			Locale    string `db:"locale"`
			Status    string `db:"status"`
			Published bool   `db:"published"`
		}
		if err := tx.GetContext(ctx, &ev, `SELECT name, slug, locale, status, recap_published_at IS NOT NULL AS published
			FROM events WHERE id = $1 FOR UPDATE`, eventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		// A cancelled event has no recap: there is nothing to pay for.
		if ev.Status == string(guichet.EventCancelled) {
			return guichet.Errorf(guichet.ECONFLICT, "ErrEventCancelled", "Event", ev.Name)
		}
		if ev.Published {
			return guichet.Errorf(guichet.ECONFLICT, "ErrDraftrecapPublishedAlready", "Event", ev.Name, "Slug", ev.Slug)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET recap_published_at = now(), recap_published_by = $2 WHERE id = $1`,
			eventID, actor.UserID); err != nil {
			return fmt.Errorf("mark recap published: %w", err)
		}
		if err := enqueue(ctx, tx, guichet.OutboxRecap, guichet.OutboxPayload{EventID: eventID, Locale: ev.Locale}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, "recap.publish", eventID, 0, 0, nil)
	})
}

// RecapPostOf implements guichet.RecapStore.
func (d *DB) RecapPostOf(ctx context.Context, outboxID int64, channelID string) (string, error) {
	var postID string
	err := d.db.GetContext(ctx, &postID, `SELECT post_id FROM recap_posts WHERE outbox_id = $1 AND channel_id = $2`, outboxID, channelID)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("recap post: %w", err)
	}
	return postID, nil
}

// RecordRecapPost implements guichet.RecapStore.
func (d *DB) RecordRecapPost(ctx context.Context, p guichet.RecapPost) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO recap_posts (outbox_id, channel_id, event_id, post_id, file_ids)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (outbox_id, channel_id) DO NOTHING`,
			p.OutboxID, p.ChannelID, p.EventID, p.PostID, pq.StringArray(nonNil(p.FileIDs)))
		if err != nil {
			return fmt.Errorf("record recap post: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE events SET status = 'recapped' WHERE id = $1 AND status NOT IN ('recapped', 'cancelled')`, p.EventID); err != nil {
			return fmt.Errorf("mark recapped: %w", err)
		}
		if err := audit(ctx, tx, guichet.System, "recap.post", p.EventID, 0, 0, map[string]any{
			"channel_id": p.ChannelID, "post_id": p.PostID, "files": len(p.FileIDs)}); err != nil {
			return err
		}
		return d.afterEventChange(ctx, tx, p.EventID)
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
