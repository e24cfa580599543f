package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// Waitlists (guichet.WaitlistStore). Every transaction here holds the lot's row lock first and
// its event's next (lockLotEvent), as every change of a lot's claims does: a line, its offer
// and the claims it waits on change together, and an offer is made, accepted or ended once.

// waitlistColumns are a waitlist row's columns with its structure's name (w, s).
const waitlistColumns = `w.id, w.lot_id, w.supplier_id, s.name AS supplier_name, w.joined_by, w.status,
	w.offer_expires_at, w.offer_quantity, w.created_at`

// lockedLine returns the lot's line: its active entries (waiting or offered) in order, with
// their structures' names. The caller holds the lot's lock, or reads it for display.
func lockedLine(ctx context.Context, q sqlx.QueryerContext, lotID int64) ([]*guichet.WaitlistEntry, error) {
	lines, err := lotLines(ctx, q, []int64{lotID})
	return lines[lotID], err
}

// lotLines returns the lines of the lots ids (their active entries in order, with their
// structures' names), by lot; a lot without a line has no key.
func lotLines(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64][]*guichet.WaitlistEntry, error) {
	var rows []*guichet.WaitlistEntry
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+waitlistColumns+` FROM waitlist w JOIN suppliers s ON s.id = w.supplier_id
		WHERE w.lot_id = ANY($1) AND w.status IN ('waiting', 'offered') ORDER BY w.lot_id, w.id`, pqInts(ids)); err != nil {
		return nil, fmt.Errorf("waitlists: %w", err)
	}
	out := map[int64][]*guichet.WaitlistEntry{}
	for _, w := range rows {
		out[w.LotID] = append(out[w.LotID], w)
	}
	return out, nil
}

// lockedLotEvent locks the lot and its event (lockLotEvent) and reads them whole, with the
// lot's claims.
func lockedLotEvent(ctx context.Context, tx *sqlx.Tx, lotID int64) (*guichet.LotState, *guichet.Event, error) {
	if _, _, err := lockLotEvent(ctx, tx, lotID); err != nil {
		return nil, nil, err
	}
	var lot guichet.Lot
	if err := tx.GetContext(ctx, &lot, `SELECT `+lotColumns+` FROM lots WHERE id = $1`, lotID); err != nil {
		return nil, nil, fmt.Errorf("waitlist lot: %w", err)
	}
	var ev guichet.Event
	if err := tx.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM events WHERE id = $1`, lot.EventID); err != nil {
		return nil, nil, fmt.Errorf("waitlist event: %w", err)
	}
	claims, err := lockedClaims(ctx, tx, lotID)
	if err != nil {
		return nil, nil, err
	}
	line, err := lockedLine(ctx, tx, lotID)
	if err != nil {
		return nil, nil, err
	}
	return &guichet.LotState{Lot: &lot, Claims: claims, Waitlist: line}, &ev, nil
}

// JoinWaitlist implements guichet.WaitlistStore.
func (d *DB) JoinWaitlist(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, now time.Time) (int, error) {
	var place int
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		st, ev, err := lockedLotEvent(ctx, tx, lotID)
		if err != nil {
			return err
		}
		lot := st.Lot
		if ok, err := isMember(ctx, tx, supplierID, actor.UserID); err != nil {
			return fmt.Errorf("membership: %w", err)
		} else if !ok {
			return guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember")
		}
		if err := ev.ClaimsOpen(now); err != nil {
			return err
		}
		if lot.Award != guichet.FirstCome {
			return guichet.Errorf(guichet.EINVALID, "ErrWaitlistReview", "Code", lot.Code)
		}
		if err := lot.ClaimsOpen(now); err != nil {
			return err
		}
		if c := st.ActiveClaim(supplierID); c != nil {
			return guichet.Errorf(guichet.ECONFLICT, "ErrWaitlistHolder", "Code", lot.Code)
		}
		var id int64
		err = tx.GetContext(ctx, &id, `SELECT id FROM waitlist WHERE lot_id = $1 AND supplier_id = $2
			AND status IN ('waiting', 'offered')`, lotID, supplierID)
		switch {
		case err == nil:
		case errors.Is(err, sql.ErrNoRows):
			if st.Claimable(ev, now) == nil {
				return guichet.Errorf(guichet.ECONFLICT, "ErrWaitlistNotFull", "Code", lot.Code, "Remaining", st.Free(), "Unit", lot.Unit)
			}
			if err := tx.GetContext(ctx, &id, `INSERT INTO waitlist (lot_id, supplier_id, joined_by, joined_by_name)
				VALUES ($1, $2, $3, $4) RETURNING id`, lotID, supplierID, actor.UserID, actor.Username); err != nil {
				return fmt.Errorf("join waitlist: %w", err)
			}
			if err := audit(ctx, tx, actor, "waitlist.join", lot.EventID, lot.ID, supplierID, nil); err != nil {
				return err
			}
			if err := touchLot(ctx, tx, lot.ID); err != nil {
				return err
			}
			if err := enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: lot.EventID}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("waitlist place: %w", err)
		}
		return tx.GetContext(ctx, &place, `SELECT count(*) FROM waitlist WHERE lot_id = $1
			AND status IN ('waiting', 'offered') AND id <= $2`, lotID, id)
	})
	return place, err
}

// offerNext offers what is free on the lot to its line: while a claim by a structure outside
// the line would get through (guichet.LotState.NextOffer: what is free and not held by an
// offer already out), the first structure still waiting is offered it and it is held for it,
// by direct message to the member who put its structure in line, with a « J'accepte » button
// until guichet.WaitlistOfferUntil. So quantity freed twice goes to two structures, each
// offered its part. The caller holds the lot's lock; the lot's claims and line are read
// again here, after the caller's changes. An offer writes the lot's row, so that a claim
// decided on what was read before sees it changed (see Claim).
func (d *DB) offerNext(ctx context.Context, tx *sqlx.Tx, lotID int64, now time.Time) error {
	var lot guichet.Lot
	if err := tx.GetContext(ctx, &lot, `SELECT `+lotColumns+` FROM lots WHERE id = $1`, lotID); err != nil {
		return fmt.Errorf("offered lot: %w", err)
	}
	if lot.Award != guichet.FirstCome {
		return nil
	}
	var ev guichet.Event
	if err := tx.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM events WHERE id = $1`, lot.EventID); err != nil {
		return fmt.Errorf("offered lot's event: %w", err)
	}
	claims, err := lockedClaims(ctx, tx, lotID)
	if err != nil {
		return err
	}
	line, err := lockedLine(ctx, tx, lotID)
	if err != nil {
		return err
	}
	st := &guichet.LotState{Lot: &lot, Claims: claims, Waitlist: line}
	offered := false
	for _, next := range line {
		if next.Status != guichet.WaitlistWaiting {
			continue
		}
		qty, err := st.NextOffer(&ev, now)
		if err != nil {
			break
		}
		until := guichet.WaitlistOfferUntil(&ev, now, d.WaitlistOffer)
		if _, err := tx.ExecContext(ctx, `UPDATE waitlist SET status = 'offered', offer_expires_at = $2, offer_quantity = $3,
			updated_at = now() WHERE id = $1`, next.ID, until, qty); err != nil {
			return fmt.Errorf("offer: %w", err)
		}
		next.Status, next.OfferExpiresAt, next.OfferQuantity = guichet.WaitlistOffered, &until, qty
		offered = true
		if next.JoinedBy != "" {
			if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{
				UserID: next.JoinedBy, LotID: lot.ID, EventID: lot.EventID, Locale: ev.Locale, MessageID: "NoticeWaitlistOffer",
				WaitlistSupplierID: next.SupplierID,
				Args: map[string]any{"Event": ev.Name, "Supplier": next.SupplierName, "Code": lot.Code, "Title": lot.Title,
					"Quantity": qty, "Unit": lot.Unit, "Until": guichet.LocalClock(&ev, until)},
			}); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, guichet.Actor{}, "waitlist.offer", lot.EventID, lot.ID, next.SupplierID, map[string]any{
			"quantity": qty, "until": until}); err != nil {
			return err
		}
	}
	if !offered {
		return nil
	}
	if err := touchLot(ctx, tx, lot.ID); err != nil {
		return err
	}
	if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID}); err != nil {
		return err
	}
	return enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: lot.EventID})
}

// AcceptWaitlistOffer implements guichet.WaitlistStore.
func (d *DB) AcceptWaitlistOffer(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, now time.Time) (*guichet.WaitlistAnswer, error) {
	return d.takeFromLine(ctx, actor, lotID, supplierID, now, false)
}

// PromoteWaitlist implements guichet.WaitlistStore.
func (d *DB) PromoteWaitlist(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, now time.Time) (*guichet.WaitlistAnswer, error) {
	return d.takeFromLine(ctx, actor, lotID, supplierID, now, true)
}

// takeFromLine gives the lot to the supplier from its line: its offer accepted by one of its
// members, or a coordinator's promotion. The claim is decided by guichet.LotState.Grant.
func (d *DB) takeFromLine(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, now time.Time, promote bool) (*guichet.WaitlistAnswer, error) {
	var out *guichet.WaitlistAnswer
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		st, ev, err := lockedLotEvent(ctx, tx, lotID)
		if err != nil {
			return err
		}
		lot := st.Lot
		if !promote {
			if ok, err := isMember(ctx, tx, supplierID, actor.UserID); err != nil {
				return fmt.Errorf("membership: %w", err)
			} else if !ok {
				return guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember")
			}
		}
		var entry guichet.WaitlistEntry
		err = tx.GetContext(ctx, &entry, `SELECT `+waitlistColumns+` FROM waitlist w JOIN suppliers s ON s.id = w.supplier_id
			WHERE w.lot_id = $1 AND w.supplier_id = $2 AND w.status IN ('waiting', 'offered')`, lotID, supplierID)
		if errors.Is(err, sql.ErrNoRows) {
			if promote {
				return guichet.Errorf(guichet.ENOTFOUND, "ErrWaitlistNotInLine", "Code", lot.Code)
			}
			return guichet.Errorf(guichet.ENOTFOUND, "ErrWaitlistNoOffer", "Code", lot.Code)
		}
		if err != nil {
			return fmt.Errorf("waitlist entry: %w", err)
		}
		if !promote && (entry.Status != guichet.WaitlistOffered || entry.OfferExpiresAt == nil || !now.Before(*entry.OfferExpiresAt)) {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrWaitlistNoOffer", "Code", lot.Code)
		}
		dec, err := st.Grant(ev, supplierID, 0, now)
		if promote && errors.Is(err, guichet.ErrLotHeld) {
			// The coordinator's choice comes before the line's order: the offers out to
			// others are withdrawn (their structures keep their places and are told), and
			// what is left after the promotion is offered again below.
			if err := d.withdrawOffers(ctx, tx, st, ev, supplierID); err != nil {
				return err
			}
			dec, err = st.Grant(ev, supplierID, 0, now)
		}
		if err != nil {
			if !errors.Is(err, guichet.ErrLotFull) && !errors.Is(err, guichet.ErrLotTaken) && !errors.Is(err, guichet.ErrLotHeld) {
				return err
			}
			// Nothing left: the structure keeps its place in line, waiting again.
			if _, err := tx.ExecContext(ctx, `UPDATE waitlist SET status = 'waiting', offer_expires_at = NULL, offer_quantity = 0,
				updated_at = now() WHERE id = $1`, entry.ID); err != nil {
				return fmt.Errorf("back in line: %w", err)
			}
			if entry.Status == guichet.WaitlistOffered {
				if err := enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: lot.EventID}); err != nil {
					return err
				}
			}
			out = &guichet.WaitlistAnswer{Lot: lot, Full: true, Refusal: err}
			return nil
		}
		c := dec.Claim
		if !dec.Existing {
			action := "claim.waitlist"
			if promote {
				action = "claim.waitlist.promote"
			}
			c.ClickedBy, c.SupplierName = actor.UserID, entry.SupplierName
			if err := tx.GetContext(ctx, c, `INSERT INTO claims (lot_id, supplier_id, quantity, amount_cents, clicked_by, note,
					status, clicked_by_name, action)
				VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8) RETURNING id, created_at, updated_at`,
				lot.ID, supplierID, c.Quantity, c.Amount, actor.UserID, c.Status, actor.Username, action); err != nil {
				return fmt.Errorf("claim from waitlist: %w", err)
			}
			if err := afterClaimChange(ctx, tx, lot); err != nil {
				return err
			}
			if err := tx.GetContext(ctx, &c.Amount, `SELECT amount_cents FROM claims WHERE id = $1`, c.ID); err != nil {
				return fmt.Errorf("claim amount: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE waitlist SET status = 'accepted', offer_expires_at = NULL, offer_quantity = 0,
			updated_at = now() WHERE id = $1`, entry.ID); err != nil {
			return fmt.Errorf("accepted: %w", err)
		}
		args := map[string]any{"Event": ev.Name, "Supplier": entry.SupplierName, "Code": lot.Code, "Title": lot.Title,
			"Quantity": c.Quantity, "Unit": lot.Unit, "Amount": c.Amount, "Actor": actor.Username}
		msg := "NoticeWaitlistAccepted"
		if promote {
			msg = "NoticeWaitlistPromoted"
			if entry.JoinedBy != "" {
				if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{UserID: entry.JoinedBy, LotID: lot.ID,
					EventID: lot.EventID, Locale: ev.Locale, MessageID: "NoticeWaitlistPromotedToStructure", Args: args}); err != nil {
					return err
				}
			}
		}
		if ev.CoordChannelID != "" {
			if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: ev.CoordChannelID, EventID: lot.EventID,
				Locale: ev.Locale, MessageID: msg, Args: args}); err != nil {
				return err
			}
		}
		// A promotion may leave room still (a share): the next in line is offered it.
		if err := d.offerNext(ctx, tx, lot.ID, now); err != nil {
			return err
		}
		out = &guichet.WaitlistAnswer{Claim: c, Lot: lot}
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}

// withdrawOffers puts every structure of st's line offered the lot, but exceptSupplierID,
// back to waiting at its place, tells the member who put it in line, and drops the offers
// from st. The caller holds the lot's lock.
func (d *DB) withdrawOffers(ctx context.Context, tx *sqlx.Tx, st *guichet.LotState, ev *guichet.Event, exceptSupplierID int64) error {
	lot := st.Lot
	for _, w := range st.Offered() {
		if w.SupplierID == exceptSupplierID {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE waitlist SET status = 'waiting', offer_expires_at = NULL, offer_quantity = 0,
			updated_at = now() WHERE id = $1`, w.ID); err != nil {
			return fmt.Errorf("withdraw offer: %w", err)
		}
		w.Status, w.OfferExpiresAt, w.OfferQuantity = guichet.WaitlistWaiting, nil, 0
		if w.JoinedBy != "" {
			if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{UserID: w.JoinedBy, LotID: lot.ID,
				EventID: lot.EventID, Locale: ev.Locale, MessageID: "NoticeWaitlistOfferWithdrawn",
				Args: map[string]any{"Supplier": w.SupplierName, "Code": lot.Code, "Title": lot.Title}}); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, guichet.Actor{}, "waitlist.offer.withdraw", lot.EventID, lot.ID, w.SupplierID, nil); err != nil {
			return err
		}
	}
	return touchLot(ctx, tx, lot.ID)
}

// ExpireWaitlistOffers implements guichet.WaitlistStore. It finds the lots with an offer
// expired at now without locks, then, lot by lot under the lot's lock, ends the offers still
// expired (another scheduler may have ended them meanwhile: it then finds none) and offers
// the lot to the next in line.
func (d *DB) ExpireWaitlistOffers(ctx context.Context, now time.Time) (int, error) {
	var lots []int64
	if err := d.db.SelectContext(ctx, &lots, `SELECT DISTINCT lot_id FROM waitlist
		WHERE status = 'offered' AND offer_expires_at <= $1 ORDER BY lot_id`, now); err != nil {
		return 0, fmt.Errorf("expired offers: %w", err)
	}
	total := 0
	for _, lotID := range lots {
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			lot, ev, err := lockLotEvent(ctx, tx, lotID)
			if err != nil {
				return err
			}
			var ended []guichet.WaitlistEntry
			if err := tx.SelectContext(ctx, &ended, `UPDATE waitlist w SET status = 'expired', offer_quantity = 0, updated_at = now()
				FROM suppliers s WHERE s.id = w.supplier_id AND w.lot_id = $1 AND w.status = 'offered' AND w.offer_expires_at <= $2
				RETURNING `+waitlistColumns, lotID, now); err != nil {
				return fmt.Errorf("end offers: %w", err)
			}
			if len(ended) == 0 {
				return nil
			}
			var locale string
			if err := tx.GetContext(ctx, &locale, `SELECT locale FROM events WHERE id = $1`, ev.ID); err != nil {
				return fmt.Errorf("event locale: %w", err)
			}
			for _, w := range ended {
				if w.JoinedBy != "" {
					if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{UserID: w.JoinedBy, LotID: lot.ID,
						EventID: lot.EventID, Locale: locale, MessageID: "NoticeWaitlistExpired",
						Args: map[string]any{"Supplier": w.SupplierName, "Code": lot.Code, "Title": lot.Title}}); err != nil {
						return err
					}
				}
				if err := audit(ctx, tx, guichet.Actor{}, "waitlist.expire", lot.EventID, lot.ID, w.SupplierID, nil); err != nil {
					return err
				}
			}
			total += len(ended)
			// What the ended offers held is free again: for the next in line, or for anyone.
			if err := touchLot(ctx, tx, lotID); err != nil {
				return err
			}
			if err := d.offerNext(ctx, tx, lotID, now); err != nil {
				return err
			}
			if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lotID}); err != nil {
				return err
			}
			return enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: lot.EventID})
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Waitlist implements guichet.WaitlistStore.
func (d *DB) Waitlist(ctx context.Context, lotID int64) ([]*guichet.WaitlistEntry, error) {
	var out []*guichet.WaitlistEntry
	if err := d.db.SelectContext(ctx, &out, `SELECT `+waitlistColumns+` FROM waitlist w JOIN suppliers s ON s.id = w.supplier_id
		WHERE w.lot_id = $1 AND w.status IN ('waiting', 'offered') ORDER BY w.id`, lotID); err != nil {
		return nil, fmt.Errorf("waitlist: %w", err)
	}
	return out, nil
}
