package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guichet.dev/guichet"
)

// A structure's answer to an offer: declined when it said « Pas pour nous » (lot_declines) and
// holds no claim on the lot; unanswered when it serves the lot's category, has a channel, and
// has neither declined nor a claim pending, awarded or declined by the coordination (see
// guichet.Answers). unansweredSupplier is that last condition, on suppliers s and lots l.
const unansweredSupplier = `l.category = ANY(s.categories) AND s.channel_id <> ''
	AND NOT EXISTS (SELECT 1 FROM lot_declines d WHERE d.lot_id = l.id AND d.supplier_id = s.id)
	AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.lot_id = l.id AND c.supplier_id = s.id
		AND c.status IN ('pending', 'awarded', 'declined'))`

// lockLotForAnswer reads lot lotID and its event, locking the lot's row in share mode (a
// claim, which locks it for update, waits for the answer and the answer for the claim) and the
// event's in key-share mode (claims on the event's other lots do not wait).
func lockLotForAnswer(ctx context.Context, tx *sqlx.Tx, lotID int64) (*guichet.Lot, *guichet.Event, error) {
	var l guichet.Lot
	if err := tx.GetContext(ctx, &l, `SELECT `+lotColumns+` FROM lots WHERE id = $1 FOR SHARE`, lotID); err != nil {
		return nil, nil, notFound(err, "ErrLotNotFound", "Code", lotID)
	}
	var e guichet.Event
	if err := tx.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR KEY SHARE`, l.EventID); err != nil {
		return nil, nil, notFound(err, "ErrEventNotFound", "Slug", l.EventID)
	}
	return &l, &e, nil
}

// DeclineLot implements guichet.DeclineStore.
func (d *DB) DeclineLot(ctx context.Context, actor guichet.Actor, lotID int64, supplierIDs []int64, now time.Time) (int, error) {
	recorded := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		l, e, err := lockLotForAnswer(ctx, tx, lotID)
		if err != nil {
			return err
		}
		if err := e.ClaimsOpen(now); err != nil {
			return err
		}
		if err := l.ClaimsOpen(now); err != nil {
			return err
		}
		// Only the structures the person is a member of, by user id, and that hold no claim.
		var members []int64
		if err := tx.SelectContext(ctx, &members, `SELECT DISTINCT m.supplier_id FROM supplier_members m
			WHERE m.supplier_id = ANY($1) AND m.user_id = $2 AND m.user_id <> '' ORDER BY 1`,
			pq.Array(supplierIDs), actor.UserID); err != nil {
			return fmt.Errorf("decline members: %w", err)
		}
		if len(members) == 0 {
			return guichet.Errorf(guichet.EFORBIDDEN, "ErrDeclinesNotMember", "Code", l.Code)
		}
		var inserted []int64
		if err := tx.SelectContext(ctx, &inserted, `INSERT INTO lot_declines (lot_id, supplier_id, user_id, declined_at)
			SELECT $1, s, $3, $4 FROM unnest($2::bigint[]) AS s
			WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.lot_id = $1 AND c.supplier_id = s
				AND c.status IN ('pending', 'awarded'))
			ON CONFLICT (lot_id, supplier_id) DO NOTHING RETURNING supplier_id`,
			l.ID, pq.Array(members), actor.UserID, now); err != nil {
			return fmt.Errorf("record declines: %w", err)
		}
		for _, sid := range inserted {
			if err := audit(ctx, tx, actor, "lot.decline", l.EventID, l.ID, sid, nil); err != nil {
				return err
			}
		}
		recorded = len(inserted)
		if recorded == 0 {
			return nil
		}
		return enqueue(ctx, tx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: l.EventID})
	})
	return recorded, err
}

// RelaunchLot implements guichet.DeclineStore (relaunchLot, in one transaction).
func (d *DB) RelaunchLot(ctx context.Context, actor guichet.Actor, lotID int64) (int, error) {
	channels := 0
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		channels, err = relaunchLot(ctx, tx, actor, lotID, d.now(), nil)
		return err
	})
	return channels, err
}

// relaunchLot offers lot lotID again to the structures that have not answered it, as
// guichet.DeclineStore.RelaunchLot says, in tx, and returns how many channels get the new
// post. The lot's row is locked for update first, then the event's (lockLotEvent): a claim or
// a decline arriving meanwhile waits, so the structures asked again are exactly those that had
// not answered at commit. auditExtra, when set, is added to the audit entry's details (the
// digest a relaunch came from). It is the one relaunch: `relancer <lot>` and the digest's
// « Relancer » both come here.
func relaunchLot(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, lotID int64, now time.Time, auditExtra map[string]any) (int, error) {
	l, _, err := lockLotEvent(ctx, tx, lotID)
	if err != nil {
		return 0, err
	}
	var e guichet.Event
	if err := tx.GetContext(ctx, &e, `SELECT `+eventColumns+` FROM events WHERE id = $1`, l.EventID); err != nil {
		return 0, notFound(err, "ErrEventNotFound", "Slug", l.EventID)
	}
	if err := e.ClaimsOpen(now); err != nil {
		return 0, err
	}
	if err := l.ClaimsOpen(now); err != nil {
		return 0, err
	}
	if l.Status != guichet.LotOpen {
		return 0, guichet.Errorf(guichet.ECONFLICT, "ErrDeclinesLotFilled", "Code", l.Code)
	}
	var targets []struct {
		ChannelID string  `db:"channel_id"`
		PostID    *string `db:"post_id"`
	}
	if err := tx.SelectContext(ctx, &targets, `
		SELECT t.channel_id, o.post_id FROM (
			SELECT DISTINCT s.channel_id FROM suppliers s, lots l WHERE l.id = $1 AND `+unansweredSupplier+`
		) t LEFT JOIN offer_posts o ON o.lot_id = $1 AND o.channel_id = t.channel_id
		ORDER BY t.channel_id`, l.ID); err != nil {
		return 0, fmt.Errorf("relaunch targets: %w", err)
	}
	reposted, first, queued := 0, 0, 0
	for _, t := range targets {
		switch {
		case t.PostID == nil:
			// Never offered in this channel (a structure added since the publication).
			if _, err := tx.ExecContext(ctx, `INSERT INTO offer_posts (lot_id, channel_id) VALUES ($1, $2)`, l.ID, t.ChannelID); err != nil {
				return 0, fmt.Errorf("queue offer: %w", err)
			}
			if err := enqueue(ctx, tx, guichet.OutboxPublishOffer, guichet.OutboxPayload{LotID: l.ID, ChannelID: t.ChannelID}); err != nil {
				return 0, err
			}
			first++
		case *t.PostID == "":
			// Queued and not posted yet: it will be the newest post of the channel anyway.
			queued++
		default:
			if err := enqueue(ctx, tx, guichet.OutboxRelaunchOffer, guichet.OutboxPayload{LotID: l.ID,
				ChannelID: t.ChannelID, PreviousPostID: *t.PostID}); err != nil {
				return 0, err
			}
			reposted++
		}
	}
	channels := reposted + first + queued
	if channels == 0 {
		return 0, nil
	}
	details := map[string]any{"unanswered": true, "reposted": reposted, "new_channels": first, "queued": queued}
	for k, v := range auditExtra {
		details[k] = v
	}
	return channels, audit(ctx, tx, actor, "lot.relaunch", l.EventID, l.ID, 0, details)
}

// lotAnswers reads who declined and who has not answered each lot of event eventID.
func lotAnswers(ctx context.Context, q sqlx.QueryerContext, eventID int64) (map[int64]*guichet.Answers, error) {
	var rows []struct {
		LotID    int64  `db:"lot_id"`
		Name     string `db:"name"`
		Declined bool   `db:"declined"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT d.lot_id, s.name, true AS declined
		FROM lot_declines d JOIN suppliers s ON s.id = d.supplier_id JOIN lots l ON l.id = d.lot_id
		WHERE l.event_id = $1 AND NOT EXISTS (SELECT 1 FROM claims c
			WHERE c.lot_id = d.lot_id AND c.supplier_id = d.supplier_id AND c.status IN ('pending', 'awarded'))
		UNION ALL
		SELECT l.id, s.name, false
		FROM lots l JOIN suppliers s ON `+unansweredSupplier+`
		WHERE l.event_id = $1
		ORDER BY 1, 3 DESC, 2`, eventID); err != nil {
		return nil, fmt.Errorf("lot answers: %w", err)
	}
	out := map[int64]*guichet.Answers{}
	for _, r := range rows {
		a := out[r.LotID]
		if a == nil {
			a = &guichet.Answers{}
			out[r.LotID] = a
		}
		if r.Declined {
			a.Declined = append(a.Declined, r.Name)
		} else {
			a.Unanswered = append(a.Unanswered, r.Name)
		}
	}
	return out, nil
}
