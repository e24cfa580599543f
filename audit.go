package guichet

import (
	"encoding/json"
	"time"
)

// AuditEntry records who did what, when, to which event and lot. Entries are kept forever.
type AuditEntry struct {
	ID         int64           `db:"id"`
	At         time.Time       `db:"at"`
	ActorID    string          `db:"actor_id"`
	ActorName  string          `db:"actor_name"`
	Action     string          `db:"action"`
	EventID    *int64          `db:"event_id"`
	LotID      *int64          `db:"lot_id"`
	SupplierID *int64          `db:"supplier_id"`
	Detail     json.RawMessage `db:"detail"`
}
