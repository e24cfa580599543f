package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// questionColumns reads a lot_questions row q with its lot l, event e, structure s and the
// offer's post in the structure's channel.
const questionColumns = `q.id, q.lot_id, q.supplier_id, q.offer_channel_id, q.asked_by, q.body, q.coord_post_id,
	q.created_at, l.event_id, e.coord_channel_id, s.name AS supplier_name, l.code AS lot_code, l.title AS lot_title,
	COALESCE((SELECT op.post_id FROM offer_posts op WHERE op.lot_id = q.lot_id AND op.channel_id = q.offer_channel_id), '') AS offer_post_id
	FROM lot_questions q JOIN lots l ON l.id = q.lot_id JOIN events e ON e.id = l.event_id
	JOIN suppliers s ON s.id = q.supplier_id`

// AskQuestion records a question actor, a member of structure supplierID, asks about lot lotID
// from the offer in channelID, and queues its post in the coordination channel and its echo
// under the offer in channelID, in one transaction. EINVALID for an empty or too long body (guichet.QuestionText); EFORBIDDEN
// "ErrListenNotMember" when actor is not a member of the structure; ENOTFOUND for an unknown
// lot.
func (d *DB) AskQuestion(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, channelID, body string, now time.Time) (*guichet.LotQuestion, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, guichet.Errorf(guichet.EINVALID, "ErrListenQuestionEmpty")
	}
	if err := guichet.QuestionText.Check(body); err != nil {
		return nil, err
	}
	var id int64
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var lot struct {
			EventID int64  `db:"event_id"`
			Code    string `db:"code"`
		}
		if err := tx.GetContext(ctx, &lot, `SELECT event_id, code FROM lots WHERE id = $1`, lotID); err != nil {
			return notFound(err, "ErrLotNotFound", "Code", lotID)
		}
		var member bool
		if err := tx.GetContext(ctx, &member, `SELECT EXISTS (SELECT 1 FROM supplier_members
			WHERE supplier_id = $1 AND user_id = $2 AND user_id <> '')`, supplierID, actor.UserID); err != nil {
			return fmt.Errorf("question member: %w", err)
		}
		if !member {
			return guichet.Errorf(guichet.EFORBIDDEN, "ErrListenNotMember", "Code", lot.Code)
		}
		if err := tx.GetContext(ctx, &id, `INSERT INTO lot_questions (lot_id, supplier_id, offer_channel_id, asked_by, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, lotID, supplierID, channelID, actor.UserID, body, now); err != nil {
			return fmt.Errorf("record question: %w", err)
		}
		if err := audit(ctx, tx, actor, "question_asked", lot.EventID, lotID, supplierID, map[string]any{"question_id": id}); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, guichet.OutboxQuestion, guichet.OutboxPayload{
			EventID: lot.EventID, LotID: lotID, Args: map[string]any{"question_id": id},
		}); err != nil {
			return err
		}
		// The question is also shown under the offer, where the answers will come.
		echo := fmt.Sprintf("question:%d", id)
		if _, err := tx.ExecContext(ctx, `INSERT INTO question_relays (source_post_id, question_id, to_structure)
			VALUES ($1, $2, true)`, echo, id); err != nil {
			return fmt.Errorf("record question echo: %w", err)
		}
		return enqueue(ctx, tx, guichet.OutboxQuestionRelay, guichet.OutboxPayload{EventID: lot.EventID, Args: map[string]any{
			"question_id": id, "source_post_id": echo, "to_structure": true, "echo": true,
			"author_id": actor.UserID, "text": body,
		}})
	})
	if err != nil {
		return nil, err
	}
	return d.Question(ctx, id)
}

// Question returns the question with that id; ENOTFOUND "ErrListenQuestionNotFound" otherwise.
func (d *DB) Question(ctx context.Context, id int64) (*guichet.LotQuestion, error) {
	var q guichet.LotQuestion
	if err := d.db.GetContext(ctx, &q, `SELECT `+questionColumns+` WHERE q.id = $1`, id); err != nil {
		return nil, notFound(err, "ErrListenQuestionNotFound")
	}
	return &q, nil
}

// RecordQuestionPost records postID as question id's thread root in the coordination
// channel, unless one is recorded already (then the first stays).
func (d *DB) RecordQuestionPost(ctx context.Context, id int64, postID string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE lot_questions SET coord_post_id = $2 WHERE id = $1 AND coord_post_id = ''`,
		id, postID); err != nil {
		return fmt.Errorf("record question post: %w", err)
	}
	return nil
}

// QuestionOfThread returns the question whose threads include the thread rooted at rootID in
// channelID, and whether that thread is the coordination side (a reply there goes to the
// structure): the question's root in its event's coordination channel; or an offer's post in
// a structure's channel, whose newest question from that channel is returned. ENOTFOUND
// "ErrListenQuestionNotFound" when the thread is no question's.
func (d *DB) QuestionOfThread(ctx context.Context, channelID, rootID string) (*guichet.LotQuestion, bool, error) {
	var q guichet.LotQuestion
	err := d.db.GetContext(ctx, &q, `SELECT `+questionColumns+`
		WHERE q.coord_post_id = $1 AND q.coord_post_id <> '' AND e.coord_channel_id = $2`, rootID, channelID)
	if err == nil {
		return &q, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("question of thread: %w", err)
	}
	err = d.db.GetContext(ctx, &q, `SELECT `+questionColumns+`
		WHERE q.offer_channel_id = $2 AND q.lot_id = (SELECT op.lot_id FROM offer_posts op
			WHERE op.post_id = $1 AND op.post_id <> '' AND op.channel_id = $2)
		ORDER BY q.id DESC LIMIT 1`, rootID, channelID)
	if err != nil {
		return nil, false, notFound(err, "ErrListenQuestionNotFound")
	}
	return &q, false, nil
}

// QueueRelay queues the relay r of a reply to the other side of its question's threads and
// reports whether it did: a reply (r.SourcePostID) already relayed queues nothing. The relay's
// record and its outbox message are written in one transaction.
func (d *DB) QueueRelay(ctx context.Context, r guichet.QuestionRelay) (bool, error) {
	queued := false
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO question_relays (source_post_id, question_id, to_structure)
			VALUES ($1, $2, $3) ON CONFLICT (source_post_id) DO NOTHING`, r.SourcePostID, r.QuestionID, r.ToStructure)
		if err != nil {
			return fmt.Errorf("record relay: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		queued = true
		var eventID int64
		if err := tx.GetContext(ctx, &eventID, `SELECT l.event_id FROM lot_questions q JOIN lots l ON l.id = q.lot_id
			WHERE q.id = $1`, r.QuestionID); err != nil {
			return notFound(err, "ErrListenQuestionNotFound")
		}
		return enqueue(ctx, tx, guichet.OutboxQuestionRelay, guichet.OutboxPayload{EventID: eventID, Args: map[string]any{
			"question_id": r.QuestionID, "source_post_id": r.SourcePostID, "to_structure": r.ToStructure,
			"author_id": r.AuthorID, "text": r.Text,
		}})
	})
	return queued, err
}
