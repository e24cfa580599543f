package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// orderColumns are a purchase order's columns as guichet.Order reads them, documents aliased
// o and suppliers s.
const orderColumns = `o.id, o.number, o.revision, o.event_id, o.supplier_id, s.name AS supplier_name, o.content,
	o.net_cents, o.vat_cents, o.gross_cents, o.created_at, o.replaced_by, o.accepted_by, o.accepted_at`

// OrderBases implements guichet.OrderStore. What it returns is read without locks: it tells
// which structures to look at; SyncOrder reads each one's basis again under its lock.
func (d *DB) OrderBases(ctx context.Context, eventID int64) ([]*guichet.OrderBasis, error) {
	ev, err := d.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	sups, err := d.loadSuppliers(ctx, `WHERE id IN (
			SELECT c.supplier_id FROM claims c JOIN lots l ON l.id = c.lot_id
			WHERE l.event_id = $1 AND c.status = 'awarded' AND l.status <> 'cancelled'
			UNION SELECT supplier_id FROM documents WHERE kind = 'order' AND event_id = $1)
		ORDER BY name, id`, eventID)
	if err != nil {
		return nil, err
	}
	out := make([]*guichet.OrderBasis, len(sups))
	for i, s := range sups {
		out[i] = &guichet.OrderBasis{Event: ev, Supplier: s}
	}
	return out, nil
}

// orderLockKey names the advisory lock that serialises the making of one structure's order for
// one event.
func orderLockKey(eventID, supplierID int64) string {
	return "guichet.order:" + strconv.FormatInt(eventID, 10) + ":" + strconv.FormatInt(supplierID, 10)
}

// SyncOrder makes the structure's purchase order for the event agree with its shares, in one
// transaction: under an advisory lock on (event, structure), it reads the basis (the event,
// the structure, its shares, its current order) and asks build for the draft and its renderer;
// a nil draft records nothing (the order cannot be made yet). A draft whose content is the
// current revision's records nothing either, and returns the current revision and false.
// Otherwise the first revision takes the next number of the year's series (nextDocumentNumber)
// and later ones keep the number; the PDF is rendered, the revision recorded, the one it
// replaces marked replaced, the post of the PDF in the structure's channel queued, the block
// (BlockOrder) lifted and the change audited, all in the transaction.
//
// Why here and not in the claim's transaction: the claim is the bot's hot path, one statement
// that locks one lot; taking the year's counter there would serialise every claim of every
// event on one row, held while the PDF renders. Here the counter's row lock is held from the
// number taken to the commit of the document that carries it, so fifty awards made at once give
// fifty numbers, one after the other, with no gap (a rolled back transaction gives its number
// back) and no duplicate; the dispatcher that calls this retries on failure, and the advisory
// lock with the content digest make a repeat do nothing.
func (d *DB) SyncOrder(ctx context.Context, eventID, supplierID int64, build func(*guichet.OrderBasis) (*guichet.OrderDraft, guichet.OrderRender, error)) (*guichet.Order, bool, error) {
	var out *guichet.Order
	made := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, orderLockKey(eventID, supplierID)); err != nil {
			return fmt.Errorf("order lock: %w", err)
		}
		b, err := orderBasis(ctx, tx, eventID, supplierID)
		if err != nil {
			return err
		}
		draft, render, err := build(b)
		if err != nil || draft == nil {
			out = b.Current
			return err
		}
		if b.Current != nil && b.Current.Content == draft.Content {
			out = b.Current
			return nil
		}
		number, revision := "", 1
		if b.Current != nil {
			number, revision = b.Current.Number, b.Current.Revision+1
		} else if number, err = nextDocumentNumber(ctx, tx, guichet.OrderPrefix, draft.Year); err != nil {
			return err
		}
		pdf, err := render(number, revision, b.Current)
		if err != nil {
			return fmt.Errorf("render order %s: %w", number, err)
		}
		// The revision replaced is marked first: one current revision at a time
		// (documents_current_idx); the mark names the new row, checked at commit.
		var id int64
		if err := tx.GetContext(ctx, &id, `SELECT nextval(pg_get_serial_sequence('documents', 'id'))`); err != nil {
			return fmt.Errorf("order id: %w", err)
		}
		if b.Current != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE documents SET replaced_by = $2, replaced_at = now() WHERE id = $1`,
				b.Current.ID, id); err != nil {
				return fmt.Errorf("replace order: %w", err)
			}
		}
		o := &guichet.Order{}
		if err := tx.GetContext(ctx, o, `
			WITH o AS (
				INSERT INTO documents (id, kind, number, revision, event_id, supplier_id, content, net_cents, vat_cents, gross_cents, pdf)
				VALUES ($10, 'order', $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *)
			SELECT `+orderColumns+` FROM o JOIN suppliers s ON s.id = o.supplier_id`,
			number, revision, eventID, supplierID, draft.Content, int64(draft.Net), int64(draft.VAT), int64(draft.Gross), pdf, id); err != nil {
			return fmt.Errorf("record order: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM order_blocks WHERE event_id = $1 AND supplier_id IN (0, $2)`, eventID, supplierID); err != nil {
			return fmt.Errorf("lift order block: %w", err)
		}
		if err := enqueue(ctx, tx, guichet.OutboxOrder, guichet.OutboxPayload{EventID: eventID, OrderID: o.ID}); err != nil {
			return err
		}
		if err := audit(ctx, tx, guichet.Actor{}, "order.issue", eventID, 0, supplierID, map[string]any{
			"number": number, "revision": revision, "gross_cents": o.Gross}); err != nil {
			return err
		}
		out, made = o, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return out, made, nil
}

// orderBasis reads, in tx, what the structure's order for the event is made from.
func orderBasis(ctx context.Context, tx *sqlx.Tx, eventID, supplierID int64) (*guichet.OrderBasis, error) {
	b := &guichet.OrderBasis{Event: &guichet.Event{}, Supplier: &guichet.Supplier{}}
	if err := tx.GetContext(ctx, b.Event, `SELECT `+eventColumns+` FROM events WHERE id = $1`, eventID); err != nil {
		return nil, notFound(err, "ErrEventNotFound", "Slug", eventID)
	}
	var s supplierRow
	if err := tx.GetContext(ctx, &s, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, supplierID); err != nil {
		return nil, notFound(err, "ErrSupplierNotFound", "Name", supplierID)
	}
	*b.Supplier = s.Supplier
	b.Supplier.Categories = s.Categories
	var rows []struct {
		guichet.Lot
		ShareQuantity int64         `db:"share_quantity"`
		ShareAmount   guichet.Cents `db:"share_amount"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT `+prefixed("l.", lotColumns)+`,
			c.quantity AS share_quantity, c.amount_cents AS share_amount
		FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.supplier_id = $2 AND c.status = 'awarded' AND l.status <> 'cancelled'
		ORDER BY l.code, c.id`, eventID, supplierID); err != nil {
		return nil, fmt.Errorf("order shares: %w", err)
	}
	for i := range rows {
		lot := rows[i].Lot
		b.Shares = append(b.Shares, guichet.OrderShare{Lot: &lot, Quantity: rows[i].ShareQuantity, Amount: rows[i].ShareAmount})
	}
	var cur []*guichet.Order
	if err := tx.SelectContext(ctx, &cur, `SELECT `+orderColumns+` FROM documents o JOIN suppliers s ON s.id = o.supplier_id
		WHERE o.kind = 'order' AND o.event_id = $1 AND o.supplier_id = $2 AND o.replaced_by IS NULL`, eventID, supplierID); err != nil {
		return nil, fmt.Errorf("current order: %w", err)
	}
	if len(cur) > 0 {
		b.Current = cur[0]
	}
	return b, nil
}

// BlockOrder implements guichet.OrderStore.
func (d *DB) BlockOrder(ctx context.Context, eventID, supplierID int64, missing string, notice guichet.OutboxPayload) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var told bool
		err := tx.GetContext(ctx, &told, `
			INSERT INTO order_blocks (event_id, supplier_id, missing) VALUES ($1, $2, $3)
			ON CONFLICT (event_id, supplier_id) DO UPDATE SET missing = EXCLUDED.missing, told_at = now()
				WHERE order_blocks.missing <> EXCLUDED.missing
			RETURNING true`, eventID, supplierID, missing)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("order block: %w", err)
		}
		if !told || notice.ChannelID == "" {
			return nil
		}
		return enqueue(ctx, tx, guichet.OutboxNotice, notice)
	})
}

// AcceptOrder implements guichet.OrderStore. The revision's row is locked, so that two
// members clicking at once record one acceptance.
func (d *DB) AcceptOrder(ctx context.Context, actor guichet.Actor, orderID, supplierID int64) (*guichet.Order, bool, error) {
	o := &guichet.Order{}
	already := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, o, `SELECT `+orderColumns+` FROM documents o JOIN suppliers s ON s.id = o.supplier_id
			WHERE o.id = $1 AND o.kind = 'order' AND o.supplier_id = $2 FOR UPDATE OF o`, orderID, supplierID); err != nil {
			return notFound(err, "ErrOrderNotFound")
		}
		if o.Accepted() {
			already = true
			return nil
		}
		if o.ReplacedBy != nil {
			return guichet.Errorf(guichet.ECONFLICT, "ErrOrderReplaced", "Number", o.Number, "Revision", o.Revision)
		}
		if err := tx.GetContext(ctx, &o.AcceptedAt, `UPDATE documents SET accepted_by = $2, accepted_at = now()
			WHERE id = $1 RETURNING accepted_at`, orderID, actor.UserID); err != nil {
			return fmt.Errorf("accept order: %w", err)
		}
		o.AcceptedBy = actor.UserID
		if err := audit(ctx, tx, actor, "order.accept", o.EventID, 0, supplierID, map[string]any{
			"number": o.Number, "revision": o.Revision}); err != nil {
			return err
		}
		if err := noticeCoordinator(ctx, tx, o.EventID, "NoticeOrderAccepted", map[string]any{
			"Supplier": o.SupplierName, "Number": o.Number, "Revision": o.Revision, "Actor": actor.Username}); err != nil {
			return err
		}
		return enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: o.EventID})
	})
	if err != nil {
		return nil, false, err
	}
	return o, already, nil
}

// OrderFile implements guichet.OrderStore.
func (d *DB) OrderFile(ctx context.Context, orderID int64) (*guichet.Order, []byte, error) {
	var row struct {
		guichet.Order
		PDF []byte `db:"pdf"`
	}
	if err := d.db.GetContext(ctx, &row, `SELECT `+orderColumns+`, o.pdf FROM documents o JOIN suppliers s ON s.id = o.supplier_id
		WHERE o.id = $1 AND o.kind = 'order'`, orderID); err != nil {
		return nil, nil, notFound(err, "ErrOrderNotFound")
	}
	return &row.Order, row.PDF, nil
}

// currentOrders returns the current revision of every order of the event, by structure name.
func currentOrders(ctx context.Context, q sqlx.QueryerContext, eventID int64) ([]*guichet.Order, error) {
	var out []*guichet.Order
	if err := sqlx.SelectContext(ctx, q, &out, `SELECT `+orderColumns+` FROM documents o JOIN suppliers s ON s.id = o.supplier_id
		WHERE o.kind = 'order' AND o.event_id = $1 AND o.replaced_by IS NULL ORDER BY s.name, s.id`, eventID); err != nil {
		return nil, fmt.Errorf("current orders: %w", err)
	}
	return out, nil
}

// Orders returns the current revision of every purchase order of the event, by structure
// name.
func (d *DB) Orders(ctx context.Context, eventID int64) ([]*guichet.Order, error) {
	return currentOrders(ctx, d.db, eventID)
}
