package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// unfinishedWindow is how far back a post taken and never finished holds its channel's
// cursor (ListenCursors): long enough for the listener to come back and take it again, short
// enough that a post that can no longer be read (deleted meanwhile) does not hold it for ever.
const unfinishedWindow = time.Hour

// TakePost decides whether this replica handles post postID (of channel channelID, created at
// createAt, Mattermost milliseconds): true for the first to ask, and again for whoever asks
// after a take that never finished has lasted lease (its replica died while handling it);
// false while another take holds it and once it is done. See bot/listen.go.
func (d *DB) TakePost(ctx context.Context, postID, channelID string, createAt int64, lease time.Duration) (bool, error) {
	var id string
	err := d.db.GetContext(ctx, &id, `
		INSERT INTO listen_posts (post_id, channel_id, create_at, taken_until)
		VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
		ON CONFLICT (post_id) DO UPDATE SET taken_until = EXCLUDED.taken_until
		WHERE listen_posts.done_at IS NULL AND listen_posts.taken_until < now()
		RETURNING post_id`, postID, channelID, createAt, lease.Milliseconds())
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take post: %w", err)
	}
	return true, nil
}

// FinishPost records that post postID, taken with TakePost, was handled, and moves the cursors
// of its channel and of all channels (ListenCursors) up to its createAt, in one transaction.
func (d *DB) FinishPost(ctx context.Context, postID, channelID string, createAt int64) error {
	_, err := d.db.ExecContext(ctx, `
		WITH done AS (
			UPDATE listen_posts SET done_at = now() WHERE post_id = $1
		)
		INSERT INTO listen_cursors (channel_id, last_create_at) VALUES ($2, $3), ('', $3)
		ON CONFLICT (channel_id) DO UPDATE
		SET last_create_at = GREATEST(listen_cursors.last_create_at, EXCLUDED.last_create_at)`,
		postID, channelID, createAt)
	if err != nil {
		return fmt.Errorf("finish post: %w", err)
	}
	return nil
}

// SeenPost moves the cursors of channelID and of all channels up to createAt without taking
// the post (one the listener skips: the bot's own, a system message).
func (d *DB) SeenPost(ctx context.Context, channelID string, createAt int64) error {
	_, err := d.db.ExecContext(ctx, `
		INSERT INTO listen_cursors (channel_id, last_create_at) VALUES ($1, $2), ('', $2)
		ON CONFLICT (channel_id) DO UPDATE
		SET last_create_at = GREATEST(listen_cursors.last_create_at, EXCLUDED.last_create_at)`,
		channelID, createAt)
	if err != nil {
		return fmt.Errorf("seen post: %w", err)
	}
	return nil
}

// ListenCursors returns, by channel id, where to catch up from: the create_at of the newest
// post handled or seen there, or of the oldest post taken there and never finished (its
// replica died) in the last unfinishedWindow, whichever is older; the key "" holds the same
// for all channels. Empty before the listener's first start.
func (d *DB) ListenCursors(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		ChannelID string `db:"channel_id"`
		Last      int64  `db:"last_create_at"`
	}
	if err := d.db.SelectContext(ctx, &rows, `
		WITH unfinished AS (
			SELECT channel_id, min(create_at) AS at FROM listen_posts
			WHERE done_at IS NULL AND create_at > $1
			GROUP BY channel_id
		)
		SELECT c.channel_id, LEAST(c.last_create_at,
			CASE WHEN c.channel_id = '' THEN (SELECT min(at) FROM unfinished) ELSE u.at END) AS last_create_at
		FROM listen_cursors c LEFT JOIN unfinished u ON u.channel_id = c.channel_id`,
		d.now().Add(-unfinishedWindow).UnixMilli()); err != nil {
		return nil, fmt.Errorf("listen cursors: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.ChannelID] = r.Last
	}
	return out, nil
}

// StartListenCursor sets the cursor of all channels to at if it has none yet: the first start
// of the listener catches up from then on, not from the beginning of every channel.
func (d *DB) StartListenCursor(ctx context.Context, at int64) error {
	if _, err := d.db.ExecContext(ctx, `
		INSERT INTO listen_cursors (channel_id, last_create_at) VALUES ('', $1)
		ON CONFLICT (channel_id) DO NOTHING`, at); err != nil {
		return fmt.Errorf("start listen cursor: %w", err)
	}
	return nil
}

// PruneListenPosts forgets the posts created before before (ms), handled or not, and returns
// how many: a catch-up never reads back so far (see ListenCursors), so they cannot come again.
func (d *DB) PruneListenPosts(ctx context.Context, before int64) (int64, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM listen_posts WHERE create_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune listen posts: %w", err)
	}
	return res.RowsAffected()
}
