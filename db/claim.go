package db

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// MaxNoteLength bounds a claim's note or a reason, in bytes.
const MaxNoteLength = 1000

// Claim implements guichet.ClaimStore.
func (d *DB) Claim(ctx context.Context, req guichet.ClaimRequest, now time.Time) (*guichet.ClaimResult, error) {
	if req.Quantity < 0 || req.Quantity > guichet.MaxQuantity {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrQuantity", "Value", req.Quantity, "Max", guichet.MaxQuantity)
	}
	req.Note = strings.TrimSpace(req.Note)
	if len(req.Note) > MaxNoteLength {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrTooLong", "Field", "note", "Max", MaxNoteLength)
	}
	var res *guichet.ClaimResult
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		lot, err := lockLot(ctx, tx, req.LotID)
		if err != nil {
			return err
		}
		ok, err := isMember(ctx, tx, req.SupplierID, req.Actor.UserID)
		if err != nil {
			return fmt.Errorf("membership: %w", err)
		}
		if !ok {
			return guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember")
		}
		claims, err := lockedClaims(ctx, tx, lot.ID)
		if err != nil {
			return err
		}
		for _, c := range claims {
			if c.SupplierID == req.SupplierID && c.Status.Active() {
				res = &guichet.ClaimResult{Claim: c, Lot: lot, Existing: true}
				return nil
			}
		}
		if err := checkOpen(lot, now); err != nil {
			return err
		}
		qty, err := grantable(lot, claims, req.Quantity)
		if err != nil {
			return err
		}
		status := guichet.ClaimAwarded
		if lot.Award == guichet.Review {
			status = guichet.ClaimPending
		}
		c := &guichet.Claim{}
		if err := tx.GetContext(ctx, c, `
			INSERT INTO claims (lot_id, supplier_id, quantity, clicked_by, note, status)
			VALUES ($1, $2, $3, $4, $5, $6)
			RETURNING id, lot_id, supplier_id, quantity, amount_cents, clicked_by, note, status, reason, created_at, updated_at`,
			lot.ID, req.SupplierID, qty, req.Actor.UserID, req.Note, status); err != nil {
			return fmt.Errorf("insert claim: %w", err)
		}
		if err := tx.GetContext(ctx, &c.SupplierName, `SELECT name FROM suppliers WHERE id = $1`, req.SupplierID); err != nil {
			return fmt.Errorf("supplier name: %w", err)
		}
		action := "claim.award"
		notice := "NoticeClaimed"
		if status == guichet.ClaimPending {
			action, notice = "claim.candidacy", "NoticeCandidacy"
		}
		if err := afterClaimChange(ctx, tx, lot); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &c.Amount, `SELECT amount_cents FROM claims WHERE id = $1`, c.ID); err != nil {
			return err
		}
		if err := noticeCoordinator(ctx, tx, lot.EventID, notice, map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Supplier": c.SupplierName, "Quantity": c.Quantity,
			"Unit": lot.Unit, "Note": c.Note}); err != nil {
			return err
		}
		if err := audit(ctx, tx, req.Actor, action, lot.EventID, lot.ID, req.SupplierID, map[string]any{
			"quantity": qty, "note": c.Note}); err != nil {
			return err
		}
		// A claim only ever adds a reminder recipient (an award), so it does not resync the
		// whole event's reminders, which would serialize every claim on the event's row.
		if status == guichet.ClaimAwarded {
			if err := addReminderRecipient(ctx, tx, lot.EventID, req.SupplierID); err != nil {
				return err
			}
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: lot.EventID}); err != nil {
			return err
		}
		res = &guichet.ClaimResult{Claim: c, Lot: lot}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkOpen refuses claims on a lot that is not open or whose deadline has passed.
func checkOpen(lot *guichet.Lot, now time.Time) error {
	switch {
	case lot.Status == guichet.LotCancelled:
		return guichet.Errorf(guichet.ECONFLICT, "ErrLotCancelled", "Code", lot.Code)
	case lot.Status == guichet.LotClosed, lot.Deadline != nil && !now.Before(*lot.Deadline):
		return guichet.Errorf(guichet.ECONFLICT, "ErrLotClosed", "Code", lot.Code)
	}
	return nil
}

// grantable returns the quantity a new claim of want (0: as much as fits) may hold on the lot,
// given its other claims, or the ECONFLICT error that says why it may not.
func grantable(lot *guichet.Lot, claims []*guichet.Claim, want int64) (int64, error) {
	var awardedQty int64
	var awarded []*guichet.Claim
	for _, c := range claims {
		if c.Status == guichet.ClaimAwarded {
			awardedQty += c.Quantity
			awarded = append(awarded, c)
		}
	}
	if lot.Mode == guichet.Exclusive {
		if len(awarded) > 0 {
			return 0, guichet.Errorf(guichet.ECONFLICT, "ErrLotTaken", "Code", lot.Code, "Supplier", awarded[0].SupplierName)
		}
		if want != 0 && want != lot.Quantity {
			return 0, guichet.Errorf(guichet.EINVALID, "ErrExclusiveQuantity", "Code", lot.Code, "Quantity", lot.Quantity)
		}
		return lot.Quantity, nil
	}
	remaining := lot.Quantity - awardedQty
	if remaining <= 0 || len(awarded) >= lot.MaxSuppliers || lot.Status == guichet.LotFilled {
		return 0, guichet.Errorf(guichet.ECONFLICT, "ErrLotFull", "Code", lot.Code)
	}
	if want == 0 {
		return remaining, nil
	}
	if want > remaining {
		return 0, guichet.Errorf(guichet.ECONFLICT, "ErrShareTooBig", "Code", lot.Code, "Remaining", remaining, "Unit", lot.Unit)
	}
	return want, nil
}

// lockedClaims returns the lot's claims with the supplier names; the caller holds the lot lock.
func lockedClaims(ctx context.Context, tx *sqlx.Tx, lotID int64) ([]*guichet.Claim, error) {
	var claims []*guichet.Claim
	if err := tx.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.lot_id = $1 ORDER BY c.id`, lotID); err != nil {
		return nil, fmt.Errorf("lot claims: %w", err)
	}
	return claims, nil
}

// afterClaimChange recomputes the awarded claims' amounts, sets the lot's status from its
// awards (filled when full, open again when not) and queues the refresh of every offer copy.
// The caller holds the lot lock.
func afterClaimChange(ctx context.Context, tx *sqlx.Tx, lot *guichet.Lot) error {
	var awarded []struct {
		ID       int64 `db:"id"`
		Quantity int64 `db:"quantity"`
	}
	if err := tx.SelectContext(ctx, &awarded, `SELECT id, quantity FROM claims
		WHERE lot_id = $1 AND status = 'awarded' ORDER BY id`, lot.ID); err != nil {
		return fmt.Errorf("awarded claims: %w", err)
	}
	qty := make([]int64, len(awarded))
	var total int64
	for i, a := range awarded {
		qty[i] = a.Quantity
		total += a.Quantity
	}
	amounts := guichet.LotAmounts(lot, qty)
	for i, a := range awarded {
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET amount_cents = $2 WHERE id = $1`, a.ID, amounts[i]); err != nil {
			return fmt.Errorf("claim amount: %w", err)
		}
	}
	// Claims no longer awarded hold no money.
	if _, err := tx.ExecContext(ctx, `UPDATE claims SET amount_cents = 0 WHERE lot_id = $1 AND status <> 'awarded' AND amount_cents <> 0`, lot.ID); err != nil {
		return fmt.Errorf("reset amounts: %w", err)
	}
	full := total >= lot.Quantity || len(awarded) >= lot.MaxSuppliers
	next := lot.Status
	switch {
	case lot.Status == guichet.LotOpen && full:
		next = guichet.LotFilled
	case lot.Status == guichet.LotFilled && !full:
		next = guichet.LotOpen
	}
	if next != lot.Status {
		if _, err := tx.ExecContext(ctx, `UPDATE lots SET status = $2 WHERE id = $1`, lot.ID, next); err != nil {
			return fmt.Errorf("lot status: %w", err)
		}
		lot.Status = next
	}
	return enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID})
}

// activeClaim returns the supplier's active claim on the locked lot.
func activeClaim(claims []*guichet.Claim, supplierID int64) *guichet.Claim {
	for _, c := range claims {
		if c.SupplierID == supplierID && c.Status.Active() {
			return c
		}
	}
	return nil
}

// lockActiveClaim locks the lot and returns it with its claims and the supplier's active claim
// (nil when it has none).
func lockActiveClaim(ctx context.Context, tx *sqlx.Tx, lotID, supplierID int64) (*guichet.Lot, []*guichet.Claim, *guichet.Claim, error) {
	lot, err := lockLot(ctx, tx, lotID)
	if err != nil {
		return nil, nil, nil, err
	}
	claims, err := lockedClaims(ctx, tx, lotID)
	if err != nil {
		return nil, nil, nil, err
	}
	return lot, claims, activeClaim(claims, supplierID), nil
}

// Withdraw implements guichet.ClaimStore.
func (d *DB) Withdraw(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, reason string) (*guichet.Claim, error) {
	var out *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		lot, claims, c, err := lockActiveClaim(ctx, tx, lotID, supplierID)
		if err != nil {
			return err
		}
		if c == nil {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrNoClaim", "Code", lot.Code)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET status = 'withdrawn', reason = $2, updated_at = now() WHERE id = $1`, c.ID, reason); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		wasAwarded := c.Status == guichet.ClaimAwarded
		c.Status = guichet.ClaimWithdrawn
		c.Reason = reason
		if err := afterClaimChange(ctx, tx, lot); err != nil {
			return err
		}
		// The first waiting candidate is named, so that the coordinator can give them the
		// place with one command.
		var waiting int
		var next string
		for _, o := range claims {
			if o.Status == guichet.ClaimPending && o.ID != c.ID {
				if waiting == 0 {
					next = o.SupplierName
				}
				waiting++
			}
		}
		if err := noticeCoordinator(ctx, tx, lot.EventID, "NoticeWithdrawn", map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Supplier": c.SupplierName, "Quantity": c.Quantity,
			"Unit": lot.Unit, "Reason": reason, "Waiting": waiting, "Next": next, "WasAwarded": wasAwarded}); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, "claim.withdraw", lot.EventID, lot.ID, supplierID, map[string]any{
			"quantity": c.Quantity, "reason": reason}); err != nil {
			return err
		}
		out = c
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}

// Award implements guichet.ClaimStore.
func (d *DB) Award(ctx context.Context, actor guichet.Actor, lotID, supplierID int64) (*guichet.Claim, error) {
	var out *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		lot, claims, c, err := lockActiveClaim(ctx, tx, lotID, supplierID)
		if err != nil {
			return err
		}
		if lot.Status == guichet.LotCancelled {
			return guichet.Errorf(guichet.ECONFLICT, "ErrLotCancelled", "Code", lot.Code)
		}
		if c == nil || c.Status != guichet.ClaimPending {
			if c != nil && c.Status == guichet.ClaimAwarded {
				out = c
				return nil
			}
			return guichet.Errorf(guichet.ENOTFOUND, "ErrNoCandidacy", "Code", lot.Code)
		}
		var others []*guichet.Claim
		for _, o := range claims {
			if o.ID != c.ID {
				others = append(others, o)
			}
		}
		if _, err := grantable(lot, others, c.Quantity); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET status = 'awarded', updated_at = now() WHERE id = $1`, c.ID); err != nil {
			return fmt.Errorf("award: %w", err)
		}
		c.Status = guichet.ClaimAwarded
		if err := afterClaimChange(ctx, tx, lot); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &c.Amount, `SELECT amount_cents FROM claims WHERE id = $1`, c.ID); err != nil {
			return err
		}
		if err := noticeSupplier(ctx, tx, supplierID, "NoticeAwarded", map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Quantity": c.Quantity, "Unit": lot.Unit, "Amount": c.Amount.String()}); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, "claim.award", lot.EventID, lot.ID, supplierID, map[string]any{"quantity": c.Quantity}); err != nil {
			return err
		}
		out = c
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}

// Decline implements guichet.ClaimStore.
func (d *DB) Decline(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, reason string) (*guichet.Claim, error) {
	if len(reason) > MaxNoteLength {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrTooLong", "Field", "reason", "Max", MaxNoteLength)
	}
	var out *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		lot, _, c, err := lockActiveClaim(ctx, tx, lotID, supplierID)
		if err != nil {
			return err
		}
		if c == nil || c.Status != guichet.ClaimPending {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrNoCandidacy", "Code", lot.Code)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET status = 'declined', reason = $2, updated_at = now() WHERE id = $1`, c.ID, reason); err != nil {
			return fmt.Errorf("decline: %w", err)
		}
		c.Status, c.Reason = guichet.ClaimDeclined, reason
		if err := noticeSupplier(ctx, tx, supplierID, "NoticeDeclined", map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Reason": reason}); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID}); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, "claim.decline", lot.EventID, lot.ID, supplierID, map[string]any{"reason": reason}); err != nil {
			return err
		}
		out = c
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}
