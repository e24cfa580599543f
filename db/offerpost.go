package db

import (
	"context"
	"fmt"
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
