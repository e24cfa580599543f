package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// EditLot implements guichet.LotStore. In one transaction it locks the lot's row, then its
// event's (lockLotEvent, as every change of a lot's claims does), reads the claims under that
// lock, lets guichet.LotState.Edit decide, and writes the lot, the claims whose quantity or
// amount changed, the audit entry and the outbox messages: every copy of the offer refreshed,
// the board refreshed, a notice to each structure with an active claim (NoticeLotEdited,
// before → after) and, for each one whose quantity, amount, slot or place changed, its
// confirmation reminder reset and, when it was already sent, sent again. An edit that changes
// nothing writes nothing.
func (d *DB) EditLot(ctx context.Context, actor guichet.Actor, lotID int64, edit *guichet.LotEdit) (*guichet.LotEditDecision, error) {
	var out *guichet.LotEditDecision
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, _, err := lockLotEvent(ctx, tx, lotID); err != nil {
			return err
		}
		var lot guichet.Lot
		if err := tx.GetContext(ctx, &lot, `SELECT `+lotColumns+` FROM lots WHERE id = $1`, lotID); err != nil {
			return fmt.Errorf("edited lot: %w", err)
		}
		var ev guichet.Event
		if err := tx.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM events WHERE id = $1`, lot.EventID); err != nil {
			return fmt.Errorf("edited lot's event: %w", err)
		}
		var claims []*guichet.Claim
		if err := tx.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
			FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.lot_id = $1 ORDER BY c.id`, lotID); err != nil {
			return fmt.Errorf("edited lot's claims: %w", err)
		}
		st := &guichet.LotState{Lot: &lot, Claims: claims}
		dec, err := st.Edit(&ev, edit, d.now())
		if err != nil {
			return err
		}
		out = dec
		if !dec.Changed() {
			return nil
		}
		l := dec.Lot
		if _, err := tx.ExecContext(ctx, `UPDATE lots SET title = $2, description = $3, quantity = $4, unit = $5,
			budget_cents = $6, slot_start = $7, slot_end = $8, place = $9, deadline = $10, max_suppliers = $11,
			award = $12, status = $13, day = $14 WHERE id = $1`,
			l.ID, l.Title, l.Description, l.Quantity, l.Unit, l.Budget, l.SlotStart, l.SlotEnd, l.Place, l.Deadline,
			l.MaxSuppliers, l.Award, l.Status, l.Day); err != nil {
			return fmt.Errorf("edit lot: %w", err)
		}
		kind, err := confirmationKind(&ev)
		if err != nil {
			return err
		}
		fields := dec.ChangeArgs()
		var shares []map[string]any
		for _, h := range dec.Holders {
			c := h.Claim
			if h.ShareChanged() {
				if _, err := tx.ExecContext(ctx, `UPDATE claims SET quantity = $2, amount_cents = $3, updated_at = now() WHERE id = $1`,
					c.ID, h.Quantity, h.Amount); err != nil {
					return fmt.Errorf("edit claim: %w", err)
				}
				shares = append(shares, map[string]any{"supplier_id": c.SupplierID, "quantity": []int64{h.BeforeQuantity, h.Quantity},
					"amount_cents": []int64{int64(h.BeforeAmount), int64(h.Amount)}})
			}
			args := map[string]any{"Code": l.Code, "Title": l.Title, "Supplier": c.SupplierName, "Unit": l.Unit,
				"Reconfirm": h.Reconfirm, "Pending": c.Status == guichet.ClaimPending}
			for k, v := range fields {
				args[k] = v
			}
			if h.Quantity != h.BeforeQuantity {
				args["ShareBefore"], args["ShareAfter"] = h.BeforeQuantity, h.Quantity
			}
			if h.Amount != h.BeforeAmount {
				args["AmountBefore"], args["AmountAfter"] = h.BeforeAmount, h.Amount
			}
			if h.Reconfirm {
				if err := askConfirmationAgain(ctx, tx, &ev, kind, c.SupplierID); err != nil {
					return err
				}
			}
			if err := noticeSupplier(ctx, tx, c.SupplierID, "NoticeLotEdited", args); err != nil {
				return err
			}
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: l.ID}); err != nil {
			return err
		}
		changes := map[string]any{}
		for _, c := range dec.Changes {
			changes[c.Field] = []string{c.Before, c.After}
		}
		if err := audit(ctx, tx, actor, "lot.edit", l.EventID, l.ID, 0, map[string]any{
			"changes": changes, "shares": shares, "status": l.Status}); err != nil {
			return err
		}
		// A quantity raised or a share reduced frees room for the first structure in line.
		if err := d.offerNext(ctx, tx, l.ID, d.now()); err != nil {
			return err
		}
		return d.afterEventChange(ctx, tx, l.EventID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// askConfirmationAgain resets the structure's confirmation of the event (its reminder of the
// confirmation kind): a confirmation or a reported problem is cleared and, if the reminder
// already went out, it is sent again with the lot as it now is.
func askConfirmationAgain(ctx context.Context, tx *sqlx.Tx, ev *guichet.Event, kind guichet.ReminderKind, supplierID int64) error {
	var rows []struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
	}
	if err := tx.SelectContext(ctx, &rows, `UPDATE reminders SET confirmed_at = NULL, confirmed_by = '', problem = ''
		WHERE event_id = $1 AND supplier_id = $2 AND kind = $3 RETURNING id, status`, ev.ID, supplierID, string(kind)); err != nil {
		return fmt.Errorf("reset confirmation: %w", err)
	}
	for _, r := range rows {
		if r.Status != string(guichet.ReminderSent) {
			continue
		}
		if err := enqueue(ctx, tx, guichet.OutboxReminder, guichet.OutboxPayload{ReminderID: r.ID, EventID: ev.ID, Locale: ev.Locale}); err != nil {
			return err
		}
	}
	return nil
}
