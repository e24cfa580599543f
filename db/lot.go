package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

const lotColumns = `id, event_id, code, title, category, description, quantity, unit, budget_cents,
	day, slot_start, slot_end, place, mode, max_suppliers, award, deadline, status, cancel_reason, created_at`

const claimColumns = `c.id, c.lot_id, c.supplier_id, c.quantity, c.amount_cents, c.clicked_by, c.note,
	c.status, c.reason, c.created_at, c.updated_at, s.name AS supplier_name`

// AddLots implements guichet.LotStore.
func (d *DB) AddLots(ctx context.Context, actor guichet.Actor, eventID int64, lots []*guichet.Lot) error {
	if err := checkLots(lots); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		return d.addLots(ctx, tx, actor, eventID, lots)
	})
}

// checkLots validates lots to be added together: each valid, no two with one code.
func checkLots(lots []*guichet.Lot) error {
	seen := map[string]bool{}
	for _, l := range lots {
		if err := l.Validate(); err != nil {
			return err
		}
		if seen[l.Code] {
			return guichet.Errorf(guichet.ECONFLICT, "ErrLotCodeTwice", "Code", l.Code)
		}
		seen[l.Code] = true
	}
	return nil
}

// addLots adds lots checked by checkLots to the event in tx, with their audit entries, and
// the changes that follow (the board).
func (d *DB) addLots(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, eventID int64, lots []*guichet.Lot) error {
	if err := checkLotDays(ctx, tx, eventID, lots, d.now()); err != nil {
		return err
	}
	for _, l := range lots {
		l.EventID = eventID
		err := tx.GetContext(ctx, l, `
			INSERT INTO lots (event_id, code, title, category, description, quantity, unit,
				budget_cents, slot_start, slot_end, place, mode, max_suppliers, award, deadline, status, day)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			RETURNING `+lotColumns,
			eventID, l.Code, l.Title, l.Category, l.Description, l.Quantity, l.Unit, l.Budget,
			l.SlotStart, l.SlotEnd, l.Place, l.Mode, l.MaxSuppliers, l.Award, l.Deadline, l.Status, l.Day)
		if isUniqueViolation(err, "lots_event_id_code_key") {
			return guichet.Errorf(guichet.ECONFLICT, "ErrLotCodeExists", "Code", l.Code)
		}
		if err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		if err := audit(ctx, tx, actor, "lot.add", eventID, l.ID, 0, map[string]any{
			"code": l.Code, "title": l.Title, "quantity": l.Quantity, "budget_cents": l.Budget, "mode": l.Mode}); err != nil {
			return err
		}
	}
	return d.afterEventChange(ctx, tx, eventID)
}

// checkLotDays checks the days of new lots of the event against it at now
// (guichet.Lot.SetDay): a lot whose day is the event's is stored without one.
func checkLotDays(ctx context.Context, tx *sqlx.Tx, eventID int64, lots []*guichet.Lot, now time.Time) error {
	var ev *guichet.Event
	for _, l := range lots {
		if l.Day == nil {
			continue
		}
		if ev == nil {
			ev = &guichet.Event{}
			if err := tx.GetContext(ctx, ev, `SELECT `+eventColumns+` FROM events WHERE id = $1`, eventID); err != nil {
				return notFound(err, "ErrEventNotFound", "Slug", eventID)
			}
		}
		day := l.Day
		l.Day = nil
		if err := l.SetDay(ev, day, now); err != nil {
			return err
		}
	}
	return nil
}

// Lot implements guichet.LotStore.
func (d *DB) Lot(ctx context.Context, id int64) (*guichet.Lot, error) {
	var l guichet.Lot
	if err := d.db.GetContext(ctx, &l, `SELECT `+lotColumns+` FROM lots WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "ErrLotNotFound", "Code", id)
	}
	return &l, nil
}

// LotByCode implements guichet.LotStore.
func (d *DB) LotByCode(ctx context.Context, eventID int64, code string) (*guichet.Lot, error) {
	var l guichet.Lot
	if err := d.db.GetContext(ctx, &l, `SELECT `+lotColumns+` FROM lots WHERE event_id = $1 AND code = upper($2)`, eventID, code); err != nil {
		return nil, notFound(err, "ErrLotNotFound", "Code", code)
	}
	return &l, nil
}

// Lots implements guichet.LotStore.
func (d *DB) Lots(ctx context.Context, eventID int64) ([]*guichet.Lot, error) {
	var out []*guichet.Lot
	if err := d.db.SelectContext(ctx, &out, `SELECT `+lotColumns+` FROM lots WHERE event_id = $1 ORDER BY id`, eventID); err != nil {
		return nil, fmt.Errorf("list lots: %w", err)
	}
	return out, nil
}

// LotState implements guichet.LotStore.
func (d *DB) LotState(ctx context.Context, lotID int64) (*guichet.LotState, error) {
	l, err := d.Lot(ctx, lotID)
	if err != nil {
		return nil, err
	}
	var claims []*guichet.Claim
	if err := d.db.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.lot_id = $1 ORDER BY c.id`, lotID); err != nil {
		return nil, fmt.Errorf("lot claims: %w", err)
	}
	line, err := lockedLine(ctx, d.db, lotID)
	if err != nil {
		return nil, err
	}
	return &guichet.LotState{Lot: l, Claims: claims, Waitlist: line}, nil
}

// lotVersion is an expression over a lot's row l that changes whenever the lot's row or any
// of its claims is written (a row's xmin is the transaction that wrote it): everything its
// offer shows, since a change to a claim's structure does not refresh offers either; a change
// of its waitlist's offers writes the lot's row (offerNext).
const lotVersion = `l.xmin::text || coalesce((SELECT string_agg(c.id::text || '.' || c.xmin::text, ',' ORDER BY c.id)
	FROM claims c WHERE c.lot_id = l.id), '')`

// LotStates returns the states of the lots ids that exist, each with its version: a string
// that changes whenever the lot or its claims change (RecordOfferDelivered compares it). The
// versions are read first, then the claims: a change in between makes a state newer than its
// version, never older, so a comparison at record time errs only towards a needless refresh.
func (d *DB) LotStates(ctx context.Context, ids []int64) (map[int64]*guichet.LotState, map[int64]string, error) {
	var rows []struct {
		guichet.Lot
		Version string `db:"version"`
	}
	read, err := d.prepared(ctx, `SELECT `+lotColumns+`, `+lotVersion+` AS version FROM lots l WHERE l.id = ANY($1)`)
	if err != nil {
		return nil, nil, err
	}
	if err := read.SelectContext(ctx, &rows, pqInts(ids)); err != nil {
		return nil, nil, fmt.Errorf("lot states: %w", err)
	}
	states := make(map[int64]*guichet.LotState, len(rows))
	versions := make(map[int64]string, len(rows))
	for i := range rows {
		l := rows[i].Lot
		states[l.ID] = &guichet.LotState{Lot: &l}
		versions[l.ID] = rows[i].Version
	}
	if len(rows) == 0 {
		return states, versions, nil
	}
	readClaims, err := d.prepared(ctx, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.lot_id = ANY($1) ORDER BY c.id`)
	if err != nil {
		return nil, nil, err
	}
	var claims []*guichet.Claim
	if err := readClaims.SelectContext(ctx, &claims, pqInts(ids)); err != nil {
		return nil, nil, fmt.Errorf("lot states claims: %w", err)
	}
	for _, c := range claims {
		if st := states[c.LotID]; st != nil {
			st.Claims = append(st.Claims, c)
		}
	}
	lines, err := lotLines(ctx, d.db, ids)
	if err != nil {
		return nil, nil, err
	}
	for id, line := range lines {
		if st := states[id]; st != nil {
			st.Waitlist = line
		}
	}
	return states, versions, nil
}

// Board implements guichet.LotStore.
func (d *DB) Board(ctx context.Context, eventID int64) (*guichet.Board, error) {
	e, err := d.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	lots, err := d.Lots(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var claims []*guichet.Claim
	if err := d.db.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 ORDER BY c.id`, eventID); err != nil {
		return nil, fmt.Errorf("board claims: %w", err)
	}
	b := &guichet.Board{Event: e}
	byLot := map[int64]*guichet.LotState{}
	for _, l := range lots {
		st := &guichet.LotState{Lot: l}
		byLot[l.ID] = st
		b.Lots = append(b.Lots, st)
	}
	for _, c := range claims {
		if st := byLot[c.LotID]; st != nil {
			st.Claims = append(st.Claims, c)
		}
	}
	ids := make([]int64, 0, len(lots))
	for _, l := range lots {
		ids = append(ids, l.ID)
	}
	lines, err := lotLines(ctx, d.db, ids)
	if err != nil {
		return nil, err
	}
	for id, line := range lines {
		if st := byLot[id]; st != nil {
			st.Waitlist = line
		}
	}
	answers, err := lotAnswers(ctx, d.db, eventID)
	if err != nil {
		return nil, err
	}
	for id, a := range answers {
		if st := byLot[id]; st != nil {
			st.Answers = *a
		}
	}
	if b.Orders, err = currentOrders(ctx, d.db, eventID); err != nil {
		return nil, err
	}
	return b, nil
}

// CancelLot implements guichet.LotStore.
func (d *DB) CancelLot(ctx context.Context, actor guichet.Actor, lotID int64, reason string) error {
	if err := guichet.CancelReason.Check(reason); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		l, ev, err := lockLotEvent(ctx, tx, lotID)
		if err != nil {
			return err
		}
		if l.Status == guichet.LotCancelled {
			return nil
		}
		// Cancelling ends the lot's claims and their amounts: not once the event is over.
		if err := ev.ClaimChangesOpen(d.now()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lots SET status = 'cancelled', cancel_reason = $2 WHERE id = $1`, lotID, reason); err != nil {
			return fmt.Errorf("cancel lot: %w", err)
		}
		var claimants []int64
		if err := tx.SelectContext(ctx, &claimants, `
			UPDATE claims SET status = 'cancelled', reason = $2, amount_cents = 0, updated_at = now()
			WHERE lot_id = $1 AND status IN ('pending', 'awarded') RETURNING supplier_id`, lotID, reason); err != nil {
			return fmt.Errorf("cancel claims: %w", err)
		}
		for _, sid := range claimants {
			if err := noticeSupplier(ctx, tx, sid, "NoticeLotCancelled", map[string]any{
				"Code": l.Code, "Title": l.Title, "Reason": reason}); err != nil {
				return err
			}
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lotID}); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, "lot.cancel", l.EventID, lotID, 0, map[string]any{"reason": reason, "claimants": len(claimants)}); err != nil {
			return err
		}
		return d.afterEventChange(ctx, tx, l.EventID)
	})
}

// noticeSupplier queues a notice to a supplier's channel (its members are there).
func noticeSupplier(ctx context.Context, tx *sqlx.Tx, supplierID int64, messageID string, args map[string]any) error {
	var channelID string
	if err := tx.GetContext(ctx, &channelID, `SELECT channel_id FROM suppliers WHERE id = $1`, supplierID); err != nil {
		return fmt.Errorf("supplier channel: %w", err)
	}
	if channelID == "" {
		return nil
	}
	return enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: channelID, MessageID: messageID, Args: args})
}

// noticeCoordinator queues a notice to the event's coordination channel.
func noticeCoordinator(ctx context.Context, tx *sqlx.Tx, eventID int64, messageID string, args map[string]any) error {
	var channelID string
	if err := tx.GetContext(ctx, &channelID, `SELECT coord_channel_id FROM events WHERE id = $1`, eventID); err != nil {
		return fmt.Errorf("coordination channel: %w", err)
	}
	if channelID == "" {
		return nil
	}
	return enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: channelID, EventID: eventID, MessageID: messageID, Args: args})
}

// Publish implements guichet.LotStore.
func (d *DB) Publish(ctx context.Context, actor guichet.Actor, eventID int64) (int, error) {
	queued := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var status string
		if err := tx.GetContext(ctx, &status, `SELECT status FROM events WHERE id = $1 FOR UPDATE`, eventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		// The publication the messages belong to, so that the one who published is told once
		// when the last of them is delivered or refused (migration 00023).
		publication, err := startPublication(ctx, tx, eventID, actor)
		if err != nil {
			return err
		}
		// One post per distinct channel and lot, for open lots and the suppliers serving them,
		// queued lot by lot (a dispatcher's batch then reads each lot once for its copies). The
		// board refresh queued below wakes the dispatchers.
		err = tx.GetContext(ctx, &queued, `
			WITH pairs AS (
				SELECT DISTINCT l.id AS lot_id, s.channel_id
				FROM lots l JOIN suppliers s ON l.category = ANY(s.categories)
				WHERE l.event_id = $1 AND l.status = 'open' AND s.channel_id <> ''
				  AND NOT EXISTS (SELECT 1 FROM offer_posts o WHERE o.lot_id = l.id AND o.channel_id = s.channel_id)
			), copies AS (
				INSERT INTO offer_posts (lot_id, channel_id) SELECT lot_id, channel_id FROM pairs
			), messages AS (
				INSERT INTO outbox (kind, payload)
				SELECT $2, jsonb_build_object('lot_id', lot_id, 'channel_id', channel_id) ||
					CASE WHEN $3::bigint > 0 THEN jsonb_build_object('publication_id', $3::bigint) ELSE '{}' END
				FROM pairs
				ORDER BY lot_id, channel_id
				RETURNING id
			)
			SELECT count(*) FROM messages`, eventID, string(guichet.OutboxPublishOffer), publication)
		if err != nil {
			return fmt.Errorf("queue offers: %w", err)
		}
		if err := settlePublication(ctx, tx, publication, queued); err != nil {
			return err
		}
		if status == string(guichet.EventDraft) {
			if _, err := tx.ExecContext(ctx, `UPDATE events SET status = 'published' WHERE id = $1`, eventID); err != nil {
				return fmt.Errorf("publish event: %w", err)
			}
		}
		if err := audit(ctx, tx, actor, "event.publish", eventID, 0, 0, map[string]any{"posts": queued}); err != nil {
			return err
		}
		return d.afterEventChange(ctx, tx, eventID)
	})
	return queued, err
}

// OfferPosts implements guichet.LotStore. Copies queued but not yet posted are left out; each
// copy comes with the version it was last rendered from (RecordOffersShown).
func (d *DB) OfferPosts(ctx context.Context, lotID int64) ([]guichet.OfferPost, error) {
	var out []guichet.OfferPost
	if err := d.db.SelectContext(ctx, &out, `SELECT lot_id, channel_id, post_id, shown_version FROM offer_posts
		WHERE lot_id = $1 AND post_id <> '' ORDER BY channel_id`, lotID); err != nil {
		return nil, fmt.Errorf("offer posts: %w", err)
	}
	return out, nil
}

// OfferPostsOf returns the posted copies of the offers of lots ids, by lot and channel.
// Copies queued but not yet posted are left out.
func (d *DB) OfferPostsOf(ctx context.Context, ids []int64) ([]guichet.OfferPost, error) {
	read, err := d.prepared(ctx, `SELECT lot_id, channel_id, post_id FROM offer_posts
		WHERE lot_id = ANY($1) AND post_id <> '' ORDER BY lot_id, channel_id`)
	if err != nil {
		return nil, err
	}
	var out []guichet.OfferPost
	if err := read.SelectContext(ctx, &out, pqInts(ids)); err != nil {
		return nil, fmt.Errorf("offer posts: %w", err)
	}
	return out, nil
}

// RecordOfferPost implements guichet.LotStore.
func (d *DB) RecordOfferPost(ctx context.Context, p guichet.OfferPost) error {
	_, err := d.db.ExecContext(ctx, `
		INSERT INTO offer_posts (lot_id, channel_id, post_id, posted_at) VALUES ($1, $2, $3, now())
		ON CONFLICT (lot_id, channel_id) DO UPDATE SET post_id = EXCLUDED.post_id, posted_at = now()`,
		p.LotID, p.ChannelID, p.PostID)
	if err != nil {
		return fmt.Errorf("record offer post: %w", err)
	}
	return nil
}
