package db

import (
	"context"
	"time"

	"guichet.dev/guichet"
)

// ClaimLocked is Claim without its first attempt: it locks the lot before it reads.
func (d *DB) ClaimLocked(ctx context.Context, req guichet.ClaimRequest, now time.Time) (*guichet.ClaimResult, error) {
	if err := checkClaimRequest(&req); err != nil {
		return nil, err
	}
	st, err := d.claimStatements(ctx)
	if err != nil {
		return nil, err
	}
	var told *structureContacts
	if req.OnBehalf {
		if told, err = d.structureContacts(ctx, req.SupplierID); err != nil {
			return nil, err
		}
	}
	return d.claimUnderLock(ctx, st, req, told, now)
}
