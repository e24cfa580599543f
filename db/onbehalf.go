package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

// structureContacts are where a structure's members are told of what is done for it: its
// channel when it has one, else each bound member's direct messages.
type structureContacts struct {
	channelID string
	memberIDs []string
}

// structureContacts reads the supplier's contacts; ENOTFOUND "ErrSupplierNotFound" when there
// is no such supplier.
func (d *DB) structureContacts(ctx context.Context, supplierID int64) (*structureContacts, error) {
	var row struct {
		ChannelID string `db:"channel_id"`
	}
	if err := d.db.GetContext(ctx, &row, `SELECT channel_id FROM suppliers WHERE id = $1`, supplierID); err != nil {
		return nil, notFound(err, "ErrSupplierNotFound", "Name", supplierID)
	}
	out := &structureContacts{channelID: row.ChannelID}
	if out.channelID != "" {
		return out, nil
	}
	if err := d.db.SelectContext(ctx, &out.memberIDs, `SELECT user_id FROM supplier_members
		WHERE supplier_id = $1 AND user_id <> '' ORDER BY username`, supplierID); err != nil {
		return nil, fmt.Errorf("structure members: %w", err)
	}
	return out, nil
}

// notices returns the outbox notices that tell the structure that actor took the claim c on
// lot for it: one in its channel, or one per member by direct message, each with a « Libérer »
// button for the claim.
func (t *structureContacts) notices(lot *guichet.Lot, c *guichet.Claim, actor guichet.Actor, locale string) []outboxRow {
	if t == nil {
		return nil
	}
	payload := func() guichet.OutboxPayload {
		return guichet.OutboxPayload{LotID: lot.ID, EventID: lot.EventID, Locale: locale, MessageID: "NoticeOnbehalfToStructure",
			ReleaseSupplierID: c.SupplierID, Args: map[string]any{
				"Actor": actor.Username, "Supplier": c.SupplierName, "Code": lot.Code, "Title": lot.Title,
				"Quantity": c.Quantity, "Unit": lot.Unit, "Amount": c.Amount,
				"Pending": c.Status == guichet.ClaimPending}}
	}
	if t.channelID != "" {
		p := payload()
		p.ChannelID = t.channelID
		return []outboxRow{{Kind: guichet.OutboxNotice, Payload: p}}
	}
	out := make([]outboxRow, 0, len(t.memberIDs))
	for _, id := range t.memberIDs {
		p := payload()
		p.UserID = id
		out = append(out, outboxRow{Kind: guichet.OutboxNotice, Payload: p})
	}
	return out
}

// flagLateRelease tells each coordinator of the lot's event, by direct message and in tx, of
// the release of claim c at now when it comes late (guichet.Event.LateRelease), and reports
// whether it did. The caller holds the lot's and the event's locks (Withdraw).
func flagLateRelease(ctx context.Context, tx *sqlx.Tx, lot *guichet.Lot, c *guichet.Claim, now time.Time) (bool, error) {
	var ev guichet.Event
	if err := tx.GetContext(ctx, &ev, `SELECT `+eventColumns+` FROM events WHERE id = $1`, lot.EventID); err != nil {
		return false, fmt.Errorf("event of a release: %w", err)
	}
	if !ev.LateRelease(now) {
		return false, nil
	}
	var coordinators []string
	if err := tx.SelectContext(ctx, &coordinators, `SELECT user_id FROM event_coordinators
		WHERE event_id = $1 ORDER BY created_at, user_id`, lot.EventID); err != nil {
		return false, fmt.Errorf("event coordinators: %w", err)
	}
	for _, id := range coordinators {
		if err := enqueue(ctx, tx, guichet.OutboxNotice, guichet.OutboxPayload{
			UserID: id, EventID: lot.EventID, Locale: ev.Locale, MessageID: "NoticeOnbehalfLateRelease",
			Args: map[string]any{"Event": ev.Name, "Code": lot.Code, "Title": lot.Title, "Supplier": c.SupplierName,
				"Quantity": c.Quantity, "Unit": lot.Unit, "Reason": c.Reason},
		}); err != nil {
			return false, err
		}
	}
	return true, nil
}
