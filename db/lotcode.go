package db

import (
	"context"
	"fmt"
	"strings"

	"guichet.dev/guichet"
)

// LotsByCode returns the lots with that code in events still in progress (draft or
// published), the event with the latest day first: a lot written without its event is found
// this way outside the event's channel.
func (d *DB) LotsByCode(ctx context.Context, code string) ([]*guichet.Lot, error) {
	var out []*guichet.Lot
	if err := d.db.SelectContext(ctx, &out, `SELECT `+prefixed("l.", lotColumns)+`
		FROM lots l JOIN events e ON e.id = l.event_id
		WHERE l.code = upper($1) AND e.status IN ('draft', 'published')
		ORDER BY e.day DESC, e.id DESC LIMIT 20`, code); err != nil {
		return nil, fmt.Errorf("lots by code: %w", err)
	}
	return out, nil
}

// prefixed qualifies every column of a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}
