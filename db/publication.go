package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// startPublication opens a publication of event eventID by actor in tx and returns its id, or
// 0 when no one is to be told when it ends (an actor without a Mattermost user id: the demo,
// a command line). Its messages carry the id (payload "publication_id"); when the last of them
// is delivered or refused for good, a trigger (migration 00023) queues, in that message's
// transaction, one direct message to actor: "NoticeTodayPublicationEnded" with the counts
// (Posted, Channels, Skipped, Failed, FailedChannels) and the refusing channels' names
// (FailedNames, the first 30, FailedMore for the rest).
func startPublication(ctx context.Context, tx *sqlx.Tx, eventID int64, actor guichet.Actor) (int64, error) {
	if actor.UserID == "" {
		return 0, nil
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO publications (event_id, published_by, total) VALUES ($1, $2, 1)
		RETURNING id`, eventID, actor.UserID); err != nil {
		return 0, fmt.Errorf("start publication: %w", err)
	}
	return id, nil
}

// settlePublication records how many messages publication id queued; a publication that
// queued none is removed (nothing will end it, and there is nothing to tell).
func settlePublication(ctx context.Context, tx *sqlx.Tx, id int64, queued int) error {
	if id == 0 {
		return nil
	}
	query := `UPDATE publications SET total = $2 WHERE id = $1`
	if queued == 0 {
		query = `DELETE FROM publications WHERE id = $1 AND $2 = 0`
	}
	if _, err := tx.ExecContext(ctx, query, id, queued); err != nil {
		return fmt.Errorf("settle publication: %w", err)
	}
	return nil
}
