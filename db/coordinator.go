package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

var _ guichet.CoordinatorStore = (*DB)(nil)

// IsCoordinator implements guichet.CoordinatorStore.
func (d *DB) IsCoordinator(ctx context.Context, username string) (bool, error) {
	var ok bool
	err := d.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM coordinators WHERE username = $1)`,
		strings.ToLower(strings.TrimPrefix(username, "@")))
	if err != nil {
		return false, fmt.Errorf("coordinator: %w", err)
	}
	return ok, nil
}

// AddCoordinator implements guichet.CoordinatorStore.
func (d *DB) AddCoordinator(ctx context.Context, actor guichet.Actor, username string) error {
	username = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(username), "@"))
	if username == "" {
		return guichet.Errorf(guichet.EINVALID, "ErrUsername", "Value", username)
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO coordinators (username, added_by) VALUES ($1, $2)
			ON CONFLICT (username) DO NOTHING`, username, actor.Username); err != nil {
			return fmt.Errorf("add coordinator: %w", err)
		}
		return audit(ctx, tx, actor, "coordinator.add", 0, 0, 0, map[string]any{"username": username})
	})
}
