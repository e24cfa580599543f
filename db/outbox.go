package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

const outboxColumns = `id, kind, payload, attempts, next_attempt_at, delivered_at, parked_at, last_error, post_id, created_at`

// Enqueue writes one outbox message, due at once, in its own transaction.
func (d *DB) Enqueue(ctx context.Context, kind guichet.OutboxKind, p guichet.OutboxPayload) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error { return enqueue(ctx, tx, kind, p) })
}

// TakeOutbox leases the oldest due messages, up to limit, for lease: they are skipped by
// other takers until the lease ends, and come back then if not marked delivered, failed or
// parked (a dispatcher that dies loses nothing). Rows locked by another taker are skipped
// (FOR UPDATE SKIP LOCKED), so any number of dispatchers share the work. Attempts is
// incremented. Beyond those, it also leases the messages other than offers to publish among
// the limit newest due: while thousands of offers wait, a refresh or a notice queued after them
// goes out with the next batch instead of after the last offer. The messages are returned by
// id.
//
// Every take stamps its messages with a fencing token of its own (LeaseToken, the same for the
// whole batch, drawn from a sequence, so a later take has a greater one): RenewOutbox and what
// records a message's outcome (MarkDelivered, MarkFailed, Park, ReleaseOutbox,
// RecordOfferDelivered) apply only with it. A dispatcher whose lease ended and whose messages
// another took can then record nothing for them (ErrOutboxLeaseLost).
func (d *DB) TakeOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*guichet.OutboxMessage, error) {
	st, err := d.prepared(ctx, takeOutboxQuery)
	if err != nil {
		return nil, err
	}
	var out []*guichet.OutboxMessage
	if err := st.SelectContext(ctx, &out, now, now.Add(lease), limit, string(guichet.OutboxPublishOffer)); err != nil {
		return nil, fmt.Errorf("take outbox: %w", err)
	}
	// RETURNING does not keep the subqueries' order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// takeOutboxQuery is TakeOutbox's statement, prepared: dispatchers run it all the time. Both
// ends of outbox_due_idx are read, limit rows each at most. The token is drawn once per take
// (a CTE calling a volatile function is evaluated once), and only when a row is leased.
const takeOutboxQuery = `
	WITH oldest AS (
		SELECT id FROM outbox
		WHERE delivered_at IS NULL AND parked_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id
		LIMIT $3
		FOR UPDATE SKIP LOCKED
	), newest AS (
		SELECT id, kind FROM outbox
		WHERE delivered_at IS NULL AND parked_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at DESC, id DESC
		LIMIT $3
		FOR UPDATE SKIP LOCKED
	), lease AS (
		SELECT nextval('outbox_lease_seq') AS token
	)
	UPDATE outbox SET next_attempt_at = $2, attempts = attempts + 1, lease_token = (SELECT token FROM lease)
	WHERE id IN (SELECT id FROM oldest UNION SELECT id FROM newest WHERE kind <> $4)
	RETURNING ` + outboxColumns + `, lease_token`

// RenewOutbox extends to until the lease of the messages ids held by the take token (see
// TakeOutbox) and returns those it renewed. The others are no longer the caller's: another
// dispatcher took them after the lease ended, or they were finished. A message whose lease
// ended but that nobody took is renewed: nobody else can have recorded anything for it.
func (d *DB) RenewOutbox(ctx context.Context, ids []int64, token int64, until time.Time) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var held []int64
	if err := d.db.SelectContext(ctx, &held, `UPDATE outbox SET next_attempt_at = $3
		WHERE id = ANY($1) AND lease_token = $2 AND delivered_at IS NULL AND parked_at IS NULL
		RETURNING id`, pqInts(ids), token, until); err != nil {
		return nil, fmt.Errorf("renew outbox: %w", err)
	}
	return held, nil
}

// MarkDelivered records that message id, held by the take token, was delivered, with the post
// it created if any. It returns guichet.ErrOutboxLeaseLost, recording nothing, when the
// message is not held by token (see TakeOutbox).
func (d *DB) MarkDelivered(ctx context.Context, id, token int64, postID string, now time.Time) error {
	st, err := d.prepared(ctx, `UPDATE outbox SET delivered_at = $3, post_id = $4, last_error = '', lease_token = NULL
		WHERE id = $1 AND lease_token = $2`)
	if err != nil {
		return err
	}
	res, err := st.ExecContext(ctx, id, token, now, postID)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	return heldBy(res)
}

// MarkFailed records a failed attempt of message id, held by the take token, and when to try
// again. It returns guichet.ErrOutboxLeaseLost, recording nothing, when the message is not
// held by token.
func (d *DB) MarkFailed(ctx context.Context, id, token int64, cause string, retryAt time.Time) error {
	res, err := d.db.ExecContext(ctx, `UPDATE outbox SET last_error = $3, next_attempt_at = $4, lease_token = NULL
		WHERE id = $1 AND lease_token = $2`, id, token, truncate(cause, 1000), retryAt)
	if err != nil {
		return fmt.Errorf("mark failed: %w", err)
	}
	return heldBy(res)
}

// heldBy turns the result of a statement that records the outcome of one message under its
// token into guichet.ErrOutboxLeaseLost when it changed no row.
func heldBy(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("outbox: rows affected: %w", err)
	}
	if n == 0 {
		return guichet.ErrOutboxLeaseLost
	}
	return nil
}

// EnqueueGathered queues a message of kind with payload p, due at at, unless one with the same
// kind and payload is queued and not yet taken: that one, delivered later than now, stands for
// it. Two callers at once may both queue one (each is delivered; the second finds less to do).
// Used to gather the refreshes a burst of claims asks for into one per lot or board.
func (d *DB) EnqueueGathered(ctx context.Context, kind guichet.OutboxKind, p guichet.OutboxPayload, at time.Time) error {
	js, err := jsonArg(p)
	if err != nil {
		return err
	}
	st, err := d.prepared(ctx, `INSERT INTO outbox (kind, payload, next_attempt_at)
		SELECT $1, $2::jsonb, $3
		WHERE NOT EXISTS (SELECT FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL
			AND attempts = 0 AND kind = $1 AND payload = $2::jsonb)`)
	if err != nil {
		return err
	}
	if _, err := st.ExecContext(ctx, string(kind), js, at); err != nil {
		return fmt.Errorf("enqueue gathered: %w", err)
	}
	return nil
}

// ReleaseOutbox gives back taken messages ids, held by the take token, that were not
// attempted, in one statement: each is due again at retryAt, with cause as its last error;
// those delivered, parked or taken by another dispatcher meanwhile are left as they are. A
// dispatcher releases the rest of its batch this way when it shuts down or Mattermost stops
// answering, often while the database is busiest: one statement for the batch, rather than one
// per message, does not outlast its deadline.
func (d *DB) ReleaseOutbox(ctx context.Context, ids []int64, token int64, cause string, retryAt time.Time) error {
	_, err := d.db.ExecContext(ctx, `UPDATE outbox SET last_error = $3, next_attempt_at = $4, lease_token = NULL
		WHERE id = ANY($1) AND lease_token = $2 AND delivered_at IS NULL AND parked_at IS NULL`,
		pqInts(ids), token, truncate(cause, 1000), retryAt)
	if err != nil {
		return fmt.Errorf("release outbox: %w", err)
	}
	return nil
}

// Park stops retrying message id, held by the take token (a permanent refusal), and keeps it,
// with its cause, for the coordinator to see. It returns guichet.ErrOutboxLeaseLost, recording
// nothing, when the message is not held by token.
func (d *DB) Park(ctx context.Context, id, token int64, cause string, now time.Time) error {
	res, err := d.db.ExecContext(ctx, `UPDATE outbox SET parked_at = $3, last_error = $4, lease_token = NULL
		WHERE id = $1 AND lease_token = $2`, id, token, now, truncate(cause, 1000))
	if err != nil {
		return fmt.Errorf("park: %w", err)
	}
	return heldBy(res)
}

// OutboxCounts returns how many messages wait for delivery and how many are parked.
func (d *DB) OutboxCounts(ctx context.Context) (pending, parked int, err error) {
	var row struct {
		Pending int `db:"pending"`
		Parked  int `db:"parked"`
	}
	err = d.db.GetContext(ctx, &row, `SELECT
		count(*) FILTER (WHERE delivered_at IS NULL AND parked_at IS NULL) AS pending,
		count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked FROM outbox`)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox counts: %w", err)
	}
	return row.Pending, row.Parked, nil
}

// NextOutboxDue returns when the earliest undelivered message falls due, or false when none
// waits.
func (d *DB) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	var at *time.Time
	if err := d.db.GetContext(ctx, &at, `SELECT min(next_attempt_at) FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL`); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return *at, true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
