package db

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"guichet.dev/guichet"
)

// SupplierLots returns the lots on which any of the suppliers holds an active claim (pending or
// awarded), each with only those suppliers' active claims, ordered by event day then lot. Lots
// of recapped events are left out: they are history (see the report); so are those of draft
// events, which members do not see.
func (d *DB) SupplierLots(ctx context.Context, supplierIDs []int64) ([]*guichet.LotState, error) {
	if len(supplierIDs) == 0 {
		return nil, nil
	}
	var claims []*guichet.Claim
	if err := d.db.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id
		JOIN lots l ON l.id = c.lot_id JOIN events e ON e.id = l.event_id
		WHERE c.supplier_id = ANY($1) AND c.status IN ('pending', 'awarded') AND e.status NOT IN ('draft', 'recapped')
		ORDER BY e.day, e.id, l.id, c.id
		LIMIT 500`, pq.Int64Array(supplierIDs)); err != nil {
		return nil, fmt.Errorf("supplier lots: %w", err)
	}
	var out []*guichet.LotState
	byLot := map[int64]*guichet.LotState{}
	for _, c := range claims {
		st := byLot[c.LotID]
		if st == nil {
			l, err := d.Lot(ctx, c.LotID)
			if err != nil {
				return nil, err
			}
			st = &guichet.LotState{Lot: l}
			byLot[c.LotID] = st
			out = append(out, st)
		}
		st.Claims = append(st.Claims, c)
	}
	return out, nil
}
