package db

import (
	"context"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// BindPendingMembers records, for the supplier's memberships still pending (listed by username
// without a user id, as imported from a file without Mattermost), the user id each username
// was resolved to now (ids maps username → user id). A membership bound already keeps its id.
// It returns how many memberships it bound, with one audit entry when some were.
func (d *DB) BindPendingMembers(ctx context.Context, actor guichet.Actor, supplierID int64, ids map[string]string) (int, error) {
	names := make([]string, 0, len(ids))
	for name := range ids {
		names = append(names, name)
	}
	sort.Strings(names)
	bound := map[string]string{}
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, name := range names {
			if ids[name] == "" {
				continue
			}
			res, err := tx.ExecContext(ctx, `UPDATE supplier_members SET user_id = $3
				WHERE supplier_id = $1 AND username = $2 AND user_id = ''`, supplierID, name, ids[name])
			if err != nil {
				return fmt.Errorf("bind member: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				bound[name] = ids[name]
			}
		}
		if len(bound) == 0 {
			return nil
		}
		return audit(ctx, tx, actor, "supplier.bind", 0, 0, supplierID, map[string]any{"members": bound})
	})
	if err != nil {
		return 0, err
	}
	return len(bound), nil
}
