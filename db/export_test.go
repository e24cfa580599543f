package db

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"
)

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

// TakeDocumentNumber takes the next number of a series in a transaction of its own, rolled back
// (giving the number back) when rollback is set.
func (d *DB) TakeDocumentNumber(ctx context.Context, prefix string, year int, rollback bool) (string, error) {
	var n string
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if n, err = nextDocumentNumber(ctx, tx, prefix, year); err != nil {
			return err
		}
		if rollback {
			return errRolledBack
		}
		return nil
	})
	return n, err
}

var errRolledBack = errors.New("rolled back on purpose")
