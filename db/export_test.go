package db

import "context"

// The scheduler's hot-path queries, for the plan tests.
var (
	TakeDueSQL          = takeDueSQL
	ExpiredLotEventsSQL = expiredLotEventsSQL
	OnceCandidatesSQL   = onceCandidatesSQL
)

// MigrateDownTo undoes the migrations after version.
func (d *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := migrations(d.db.DB)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}
