package db

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"guichet.dev/guichet"
)

// ForgetOfferPost removes a copy of an offer that was queued but never posted (its delivery was
// refused, e.g. the bot is not in the channel), so that publishing the event again queues it
// anew. A copy already posted is kept.
func (d *DB) ForgetOfferPost(ctx context.Context, lotID int64, channelID string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM offer_posts WHERE lot_id = $1 AND channel_id = $2 AND post_id = ''`,
		lotID, channelID); err != nil {
		return fmt.Errorf("forget offer post: %w", err)
	}
	return nil
}

// RecordOfferDelivered records, in one statement, that outbox message msgID, held by the take
// token (see TakeOutbox), delivered the copy p of an offer: the copy's post, and the message
// delivered at now. version is the version of the lot's state the copy was rendered from
// (LotStates). If the lot has changed since, the statement also queues a refresh of the lot's
// offer and reports it: the change's own refresh may have run before this copy was recorded,
// and missed it. When the message is not held by token it records nothing and returns
// guichet.ErrOutboxLeaseLost: the dispatcher that holds it records the copy. A msgID of 0
// records the copy alone, for no message.
func (d *DB) RecordOfferDelivered(ctx context.Context, msgID, token int64, p guichet.OfferPost, now time.Time, version string) (refreshQueued bool, err error) {
	st, err := d.prepared(ctx, recordOfferDeliveredQuery)
	if err != nil {
		return false, err
	}
	var out struct {
		Held   bool `db:"held"`
		Queued bool `db:"queued"`
	}
	err = st.GetContext(ctx, &out, p.LotID, p.ChannelID, p.PostID, msgID, now, version, string(guichet.OutboxRefreshOffer), token)
	if err != nil {
		return false, fmt.Errorf("record offer delivered: %w", err)
	}
	if !out.Held {
		return false, guichet.ErrOutboxLeaseLost
	}
	return out.Queued, nil
}

// RecordOffersShown records that the copies posts of lot lotID were just updated with the
// lot's state read at version (LotStates): OfferPosts then gives that version as theirs, so
// that a claim's refresh can leave alone a copy that already shows its claim. If the lot has
// changed since version was read, or a copy was posted anew, nothing is claimed for the copy
// (its version becomes "", and the next refresh updates it).
func (d *DB) RecordOffersShown(ctx context.Context, lotID int64, posts []guichet.OfferPost, version string) error {
	channels, ids := make([]string, len(posts)), make([]string, len(posts))
	for i, p := range posts {
		channels[i], ids[i] = p.ChannelID, p.PostID
	}
	st, err := d.prepared(ctx, `UPDATE offer_posts o
		SET shown_version = CASE WHEN (SELECT `+lotVersion+` FROM lots l WHERE l.id = $1) = $4 THEN $4 ELSE '' END
		FROM unnest($2::text[], $3::text[]) AS s(channel_id, post_id)
		WHERE o.lot_id = $1 AND o.channel_id = s.channel_id AND o.post_id = s.post_id`)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, lotID, pq.Array(channels), pq.Array(ids), version); err != nil {
		return fmt.Errorf("record offers shown: %w", err)
	}
	return nil
}

// recordOfferDeliveredQuery is RecordOfferDelivered's statement (prepared: it is run for every
// copy posted, and planning it costs more than running it).
const recordOfferDeliveredQuery = `
	WITH delivered AS (
		UPDATE outbox SET delivered_at = $5, post_id = $3, last_error = '', lease_token = NULL
		WHERE id = $4 AND lease_token = $8 RETURNING id
	), held AS (
		SELECT $4::bigint = 0 OR EXISTS (SELECT FROM delivered) AS ok
	), copy AS (
		INSERT INTO offer_posts (lot_id, channel_id, post_id, posted_at) SELECT $1, $2, $3, now() FROM held WHERE ok
		ON CONFLICT (lot_id, channel_id) DO UPDATE SET post_id = EXCLUDED.post_id, posted_at = now(), shown_version = ''
	), changed AS (
		SELECT l.id FROM lots l, held WHERE held.ok AND l.id = $1 AND ` + lotVersion + ` <> $6
	), queued AS (
		INSERT INTO outbox (kind, payload) SELECT $7, jsonb_build_object('lot_id', id) FROM changed RETURNING id
	)
	SELECT (SELECT ok FROM held) AS held,
		CASE WHEN EXISTS (SELECT FROM queued) THEN (SELECT true FROM pg_notify('guichet_outbox', '')) ELSE false END AS queued`
