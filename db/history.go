package db

import (
	"context"
	"fmt"

	"guichet.dev/guichet"
)

// LotHistory returns the lot's audit entries, oldest first: who did what to it, and when.
func (d *DB) LotHistory(ctx context.Context, lotID int64) ([]*guichet.AuditEntry, error) {
	var out []*guichet.AuditEntry
	if err := d.db.SelectContext(ctx, &out, `
		SELECT id, at, actor_id, actor_name, action, event_id, lot_id, supplier_id, detail
		FROM audit_trail WHERE lot_id = $1 ORDER BY id LIMIT 1000`, lotID); err != nil {
		return nil, fmt.Errorf("lot history: %w", err)
	}
	return out, nil
}
