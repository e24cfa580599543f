package db

import (
	"context"
	"time"

	"guichet.dev/guichet"
)

// ClaimLocked is Claim without its first attempt: it locks the lot before it reads.
func (d *DB) ClaimLocked(ctx context.Context, req guichet.ClaimRequest, now time.Time) (*guichet.ClaimResult, error) {
	st, err := d.claimStatements(ctx, &req)
	if err != nil {
		return nil, err
	}
	return d.claimLocked(ctx, st, req, now)
}
