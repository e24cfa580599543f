package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

var _ guichet.DeliveryStore = (*DB)(nil)

const deliveryColumns = `d.lot_id, d.supplier_id, s.name AS supplier_name, d.delivered_qty, d.comment,
	d.reported_by, d.reported_at, d.adjusted_cents, d.adjust_reason, d.adjusted_by, d.adjusted_at`

// awardedShare is a supplier's awarded share of a lot, read under the lot's lock.
type awardedShare struct {
	lot      *guichet.Lot
	event    *guichet.Event
	claim    *guichet.Claim
	delivery *guichet.Delivery // nil when nothing was reported nor adjusted yet
}

// lockAwardedShare locks the lot's row for update and its event's in share mode (the order of
// a claim's locks; a payment's update lock on the event waits for it), checks that deliveries
// are open at now and returns the supplier's awarded claim on the lot with its delivery row.
// ECONFLICT "ErrDeliveredNoShare" when the supplier holds no awarded share of the lot or the
// lot is cancelled.
func lockAwardedShare(ctx context.Context, tx *sqlx.Tx, lotID, supplierID int64, now time.Time) (*awardedShare, error) {
	var lot guichet.Lot
	if err := tx.GetContext(ctx, &lot, `SELECT `+lotColumns+` FROM lots WHERE id = $1 FOR UPDATE`, lotID); err != nil {
		return nil, notFound(err, "ErrLotNotFound", "Code", lotID)
	}
	var ev guichet.Event
	if err := tx.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR SHARE`, lot.EventID); err != nil {
		return nil, fmt.Errorf("event of lot %d: %w", lotID, err)
	}
	if err := ev.DeliveriesOpen(now); err != nil {
		return nil, err
	}
	var claims []*guichet.Claim
	if err := tx.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id
		WHERE c.lot_id = $1 AND c.supplier_id = $2 AND c.status = 'awarded'`, lotID, supplierID); err != nil {
		return nil, fmt.Errorf("awarded share: %w", err)
	}
	if len(claims) == 0 || lot.Status == guichet.LotCancelled {
		var name string
		if err := tx.GetContext(ctx, &name, `SELECT name FROM suppliers WHERE id = $1`, supplierID); err != nil {
			return nil, notFound(err, "ErrSupplierNotFound", "Name", supplierID)
		}
		return nil, guichet.Errorf(guichet.ECONFLICT, "ErrDeliveredNoShare", "Supplier", name, "Code", lot.Code)
	}
	out := &awardedShare{lot: &lot, event: &ev, claim: claims[0]}
	var rows []*guichet.Delivery
	if err := tx.SelectContext(ctx, &rows, `SELECT `+deliveryColumns+`
		FROM deliveries d JOIN suppliers s ON s.id = d.supplier_id
		WHERE d.lot_id = $1 AND d.supplier_id = $2`, lotID, supplierID); err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	if len(rows) > 0 {
		out.delivery = rows[0]
	}
	return out, nil
}

// ReportDelivery implements guichet.DeliveryStore.
func (d *DB) ReportDelivery(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, r guichet.DeliveryReport, now time.Time) (*guichet.Delivery, *guichet.Claim, error) {
	r.Comment = strings.TrimSpace(r.Comment)
	if err := guichet.DeliveryComment.Check(r.Comment); err != nil {
		return nil, nil, err
	}
	if !r.AsPlanned && r.Quantity < 0 {
		return nil, nil, guichet.Errorf(guichet.EINVALID, "ErrDeliveredQuantity", "Value", r.Quantity)
	}
	var out *guichet.Delivery
	var claim *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		sh, err := lockAwardedShare(ctx, tx, lotID, supplierID, now)
		if err != nil {
			return err
		}
		claim = sh.claim
		qty := r.Quantity
		if r.AsPlanned {
			qty = sh.claim.Quantity
		}
		var dl guichet.Delivery
		if err := tx.GetContext(ctx, &dl, `
			WITH up AS (
				INSERT INTO deliveries AS d (lot_id, supplier_id, delivered_qty, comment, reported_by, reported_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (lot_id, supplier_id) DO UPDATE SET delivered_qty = EXCLUDED.delivered_qty,
					comment = EXCLUDED.comment, reported_by = EXCLUDED.reported_by, reported_at = EXCLUDED.reported_at
				RETURNING d.*)
			SELECT `+deliveryColumns+` FROM up d JOIN suppliers s ON s.id = d.supplier_id`,
			lotID, supplierID, qty, r.Comment, actor.Username, now); err != nil {
			return fmt.Errorf("record delivery: %w", err)
		}
		out = &dl
		detail := map[string]any{"claim_id": sh.claim.ID, "agreed_qty": sh.claim.Quantity, "delivered_qty": qty,
			"as_planned": qty == sh.claim.Quantity, "comment": r.Comment}
		if sh.delivery != nil && sh.delivery.Quantity != nil {
			detail["before_qty"] = *sh.delivery.Quantity
		}
		if err := audit(ctx, tx, actor, "delivery.report", sh.lot.EventID, lotID, supplierID, detail); err != nil {
			return err
		}
		if err := afterRecapFigureChange(ctx, tx, sh.event, lotID, "NoticeRecapPublishedDelivery", map[string]any{
			"Supplier": sh.claim.SupplierName, "Code": sh.lot.Code, "Agreed": sh.claim.Quantity, "Delivered": qty,
			"Unit": sh.lot.Unit, "Actor": actor.Username}); err != nil {
			return err
		}
		if qty == sh.claim.Quantity || sh.event.CoordChannelID == "" {
			return nil
		}
		// A gap is the coordinators' to settle: they may adjust the amount.
		return enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: sh.event.CoordChannelID, EventID: sh.lot.EventID, LotID: lotID, Locale: sh.event.Locale,
			MessageID: "NoticeDeliveredGap", Args: map[string]any{"Supplier": sh.claim.SupplierName,
				"Code": sh.lot.Code, "Title": sh.lot.Title, "Agreed": sh.claim.Quantity, "Delivered": qty,
				"Unit": sh.lot.Unit, "Comment": r.Comment, "Actor": actor.Username}})
	})
	if err != nil {
		return nil, nil, err
	}
	return out, claim, nil
}

// AdjustAmount implements guichet.DeliveryStore.
func (d *DB) AdjustAmount(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, amount guichet.Cents, reason string, now time.Time) (*guichet.Adjustment, error) {
	if amount < 0 {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrDeliveredAmount", "Value", amount)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrDeliveredNoReason")
	}
	if err := guichet.AdjustReason.Check(reason); err != nil {
		return nil, err
	}
	var out *guichet.Adjustment
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		sh, err := lockAwardedShare(ctx, tx, lotID, supplierID, now)
		if err != nil {
			return err
		}
		before := sh.claim.Amount
		if sh.delivery != nil && sh.delivery.Adjusted != nil {
			before = *sh.delivery.Adjusted
		}
		var dl guichet.Delivery
		if err := tx.GetContext(ctx, &dl, `
			WITH up AS (
				INSERT INTO deliveries AS d (lot_id, supplier_id, adjusted_cents, adjust_reason, adjusted_by, adjusted_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (lot_id, supplier_id) DO UPDATE SET adjusted_cents = EXCLUDED.adjusted_cents,
					adjust_reason = EXCLUDED.adjust_reason, adjusted_by = EXCLUDED.adjusted_by, adjusted_at = EXCLUDED.adjusted_at
				RETURNING d.*)
			SELECT `+deliveryColumns+` FROM up d JOIN suppliers s ON s.id = d.supplier_id`,
			lotID, supplierID, amount, reason, actor.Username, now); err != nil {
			return fmt.Errorf("record adjustment: %w", err)
		}
		out = &guichet.Adjustment{Claim: sh.claim, Lot: sh.lot, Before: before, Delivery: &dl}
		if err := audit(ctx, tx, actor, "delivery.adjust", sh.lot.EventID, lotID, supplierID, map[string]any{
			"claim_id": sh.claim.ID, "agreed_cents": sh.claim.Amount, "before_cents": before,
			"after_cents": amount, "reason": reason}); err != nil {
			return err
		}
		if err := afterRecapFigureChange(ctx, tx, sh.event, lotID, "NoticeRecapPublishedAdjustment", map[string]any{
			"Supplier": sh.claim.SupplierName, "Code": sh.lot.Code, "Before": before.String(), "After": amount.String(),
			"Reason": reason, "Actor": actor.Username}); err != nil {
			return err
		}
		contacts, err := structureContactsTx(ctx, tx, supplierID)
		if err != nil {
			return err
		}
		args := map[string]any{"Actor": actor.Username, "Supplier": sh.claim.SupplierName, "Code": sh.lot.Code,
			"Title": sh.lot.Title, "Before": before, "After": amount, "Reason": reason}
		for _, p := range contacts.payloads(guichet.OutboxPayload{EventID: sh.lot.EventID, LotID: lotID,
			Locale: sh.event.Locale, MessageID: "NoticeDeliveredAdjusted", Args: args}) {
			if err := enqueue(ctx, tx, guichet.OutboxNotice, p); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Deliveries implements guichet.DeliveryStore.
func (d *DB) Deliveries(ctx context.Context, eventID int64) ([]*guichet.Delivery, error) {
	var out []*guichet.Delivery
	if err := d.db.SelectContext(ctx, &out, deliveriesOfEvent, eventID); err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	return out, nil
}

const deliveriesOfEvent = `SELECT ` + deliveryColumns + `
	FROM deliveries d JOIN suppliers s ON s.id = d.supplier_id JOIN lots l ON l.id = d.lot_id
	WHERE l.event_id = $1 ORDER BY d.lot_id, d.supplier_id`

// structureContactsTx reads the supplier's contacts in tx (see DB.structureContacts).
func structureContactsTx(ctx context.Context, tx *sqlx.Tx, supplierID int64) (*structureContacts, error) {
	var channelID string
	if err := tx.GetContext(ctx, &channelID, `SELECT channel_id FROM suppliers WHERE id = $1`, supplierID); err != nil {
		return nil, notFound(err, "ErrSupplierNotFound", "Name", supplierID)
	}
	out := &structureContacts{channelID: channelID}
	if channelID != "" {
		return out, nil
	}
	if err := tx.SelectContext(ctx, &out.memberIDs, `SELECT user_id FROM supplier_members
		WHERE supplier_id = $1 AND user_id <> '' ORDER BY username`, supplierID); err != nil {
		return nil, fmt.Errorf("structure members: %w", err)
	}
	return out, nil
}

// payloads returns p addressed to the structure: once to its channel, or once per member by
// direct message.
func (t *structureContacts) payloads(p guichet.OutboxPayload) []guichet.OutboxPayload {
	if t.channelID != "" {
		p.ChannelID = t.channelID
		return []guichet.OutboxPayload{p}
	}
	out := make([]guichet.OutboxPayload, 0, len(t.memberIDs))
	for _, id := range t.memberIDs {
		q := p
		q.UserID = id
		out = append(out, q)
	}
	return out
}

// askDeliveries queues, in tx, the question « Livré comme prévu ? » for each awarded share of
// a lot of the event that is not cancelled: one notice per share, in the structure's channel
// (or to each of its members), with the « Oui » and « Un écart » buttons. The caller runs it
// once per event (TriggerRecaps).
func askDeliveries(ctx context.Context, tx *sqlx.Tx, e *guichet.Event) error {
	var shares []struct {
		LotID      int64  `db:"lot_id"`
		Code       string `db:"code"`
		Title      string `db:"title"`
		Unit       string `db:"unit"`
		SupplierID int64  `db:"supplier_id"`
		Supplier   string `db:"supplier_name"`
		Quantity   int64  `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &shares, `
		SELECT l.id AS lot_id, l.code, l.title, l.unit, c.supplier_id, s.name AS supplier_name, c.quantity
		FROM claims c JOIN lots l ON l.id = c.lot_id JOIN suppliers s ON s.id = c.supplier_id
		WHERE l.event_id = $1 AND l.status <> 'cancelled' AND c.status = 'awarded'
		ORDER BY l.id, c.supplier_id`, e.ID); err != nil {
		return fmt.Errorf("awarded shares: %w", err)
	}
	for _, sh := range shares {
		contacts, err := structureContactsTx(ctx, tx, sh.SupplierID)
		if err != nil {
			return err
		}
		for _, p := range contacts.payloads(guichet.OutboxPayload{EventID: e.ID, LotID: sh.LotID, Locale: e.Locale,
			MessageID: "NoticeDeliveredAsk", DeliverySupplierID: sh.SupplierID, Args: map[string]any{
				"Event": e.Name, "Supplier": sh.Supplier, "Code": sh.Code, "Title": sh.Title,
				"Quantity": sh.Quantity, "Unit": sh.Unit}}) {
			if err := enqueue(ctx, tx, guichet.OutboxNotice, p); err != nil {
				return err
			}
		}
	}
	return nil
}
