package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

var (
	_ guichet.CoordinatorStore       = (*DB)(nil)
	_ guichet.AdministratorStore     = (*DB)(nil)
	_ guichet.LegacyCoordinatorStore = (*DB)(nil)
)

// IsEventCoordinator implements guichet.CoordinatorStore.
func (d *DB) IsEventCoordinator(ctx context.Context, eventID int64, userID string) (bool, error) {
	var ok bool
	err := d.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM event_coordinators
		WHERE event_id = $1 AND user_id = $2)`, eventID, userID)
	if err != nil {
		return false, fmt.Errorf("event coordinator: %w", err)
	}
	return ok, nil
}

// IsAnyEventCoordinator implements guichet.CoordinatorStore.
func (d *DB) IsAnyEventCoordinator(ctx context.Context, userID string) (bool, error) {
	var ok bool
	err := d.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM event_coordinators WHERE user_id = $1)`, userID)
	if err != nil {
		return false, fmt.Errorf("any event coordinator: %w", err)
	}
	return ok, nil
}

// EventCoordinatorIDs implements guichet.CoordinatorStore: the user ids of the event's
// coordinators, the earliest added first; none for an unknown event.
func (d *DB) EventCoordinatorIDs(ctx context.Context, eventID int64) ([]string, error) {
	out := []string{}
	err := d.db.SelectContext(ctx, &out, `SELECT user_id FROM event_coordinators
		WHERE event_id = $1 ORDER BY created_at, user_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("event coordinators: %w", err)
	}
	return out, nil
}

// AddEventCoordinator implements guichet.CoordinatorStore.
func (d *DB) AddEventCoordinator(ctx context.Context, actor guichet.Actor, eventID int64, userID string) (bool, error) {
	if userID == "" {
		return false, guichet.Errorf(guichet.EINVALID, "ErrUsername", "Value", userID)
	}
	var added bool
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		added, err = addEventCoordinator(ctx, tx, actor, eventID, userID)
		return err
	})
	return added, err
}

// addEventCoordinator adds the coordinator in tx, audited, and reports whether it was new.
func addEventCoordinator(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, eventID int64, userID string) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO event_coordinators (event_id, user_id, added_by)
		VALUES ($1, $2, $3) ON CONFLICT (event_id, user_id) DO NOTHING`, eventID, userID, actor.UserID)
	if err != nil {
		return false, fmt.Errorf("add event coordinator: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, audit(ctx, tx, actor, "coordinator.add", eventID, 0, 0, map[string]any{"user_id": userID})
}

// RemoveEventCoordinator implements guichet.CoordinatorStore. The event's row is locked so
// that two removals at once cannot leave it without coordinators.
func (d *DB) RemoveEventCoordinator(ctx context.Context, actor guichet.Actor, eventID int64, userID string, keepLast bool) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var slug string
		if err := tx.GetContext(ctx, &slug, `SELECT slug FROM events WHERE id = $1 FOR UPDATE`, eventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		var ids []string
		if err := tx.SelectContext(ctx, &ids, `SELECT user_id FROM event_coordinators WHERE event_id = $1`, eventID); err != nil {
			return fmt.Errorf("event coordinators: %w", err)
		}
		found := false
		for _, id := range ids {
			found = found || id == userID
		}
		if !found {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrAccessNoSuchCoordinator", "Slug", slug)
		}
		if keepLast && len(ids) == 1 {
			return guichet.Errorf(guichet.ECONFLICT, "ErrAccessLastCoordinator", "Slug", slug)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_coordinators WHERE event_id = $1 AND user_id = $2`, eventID, userID); err != nil {
			return fmt.Errorf("remove event coordinator: %w", err)
		}
		return audit(ctx, tx, actor, "coordinator.remove", eventID, 0, 0, map[string]any{"user_id": userID})
	})
}

// AdministratorNames implements guichet.AdministratorStore.
func (d *DB) AdministratorNames(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Name   string `db:"name"`
		UserID string `db:"user_id"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT name, user_id FROM administrator_names`); err != nil {
		return nil, fmt.Errorf("administrator names: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Name] = r.UserID
	}
	return out, nil
}

// BindAdministratorName implements guichet.AdministratorStore; of two replicas binding a name
// at once, the first stored wins and both get its id.
func (d *DB) BindAdministratorName(ctx context.Context, name, userID string) (string, error) {
	var id string
	err := d.db.GetContext(ctx, &id, `
		WITH ins AS (
			INSERT INTO administrator_names (name, user_id) VALUES ($1, $2)
			ON CONFLICT (name) DO NOTHING RETURNING user_id)
		SELECT user_id FROM ins UNION ALL SELECT user_id FROM administrator_names WHERE name = $1
		LIMIT 1`, name, userID)
	if err != nil {
		return "", fmt.Errorf("bind administrator name: %w", err)
	}
	return id, nil
}

// ForgetAdministratorNames implements guichet.AdministratorStore.
func (d *DB) ForgetAdministratorNames(ctx context.Context, keep []string) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM administrator_names WHERE NOT (name = ANY($1))`, pqStrings(keep)); err != nil {
		return fmt.Errorf("forget administrator names: %w", err)
	}
	return nil
}

// LegacyCoordinators implements guichet.LegacyCoordinatorStore.
func (d *DB) LegacyCoordinators(ctx context.Context) ([]string, error) {
	var out []string
	if err := d.db.SelectContext(ctx, &out, `SELECT username FROM legacy_coordinators ORDER BY username`); err != nil {
		return nil, fmt.Errorf("legacy coordinators: %w", err)
	}
	return out, nil
}

// legacyActor is who converts the legacy coordinators, in the audit trail.
var legacyActor = guichet.Actor{UserID: guichet.System.UserID, Username: "migration"}

// ConvertLegacyCoordinator implements guichet.LegacyCoordinatorStore. A username already
// converted (by another replica) converts nothing.
func (d *DB) ConvertLegacyCoordinator(ctx context.Context, username, userID string) (int, error) {
	var n int
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var toEventID int64
		err := tx.GetContext(ctx, &toEventID, `DELETE FROM legacy_coordinators WHERE username = $1 RETURNING to_event_id`, username)
		if err != nil {
			if guichet.ErrorCode(notFound(err, "ErrUsername")) == guichet.ENOTFOUND {
				return nil
			}
			return fmt.Errorf("take legacy coordinator: %w", err)
		}
		var events []int64
		if err := tx.SelectContext(ctx, &events, `SELECT id FROM events WHERE id <= $1 ORDER BY id`, toEventID); err != nil {
			return fmt.Errorf("legacy coordinator's events: %w", err)
		}
		for _, eventID := range events {
			added, err := addEventCoordinator(ctx, tx, legacyActor, eventID, userID)
			if err != nil {
				return err
			}
			if added {
				n++
			}
		}
		return audit(ctx, tx, legacyActor, "coordinator.legacy.convert", 0, 0, 0, map[string]any{
			"username": username, "user_id": userID, "events": len(events)})
	})
	return n, err
}

// DropLegacyCoordinator implements guichet.LegacyCoordinatorStore.
func (d *DB) DropLegacyCoordinator(ctx context.Context, username string) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM legacy_coordinators WHERE username = $1`, username)
		if err != nil {
			return fmt.Errorf("drop legacy coordinator: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit(ctx, tx, legacyActor, "coordinator.legacy.drop", 0, 0, 0, map[string]any{"username": username})
	})
}
