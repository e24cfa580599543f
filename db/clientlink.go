package db

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

var (
	_ guichet.ClientLinkStore = (*DB)(nil)
	_ guichet.ClientPageStore = (*DB)(nil)
)

// newClientLinkID returns 128 random bits as 22 characters of base64url.
func newClientLinkID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("client link id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// CreateClientLink implements guichet.ClientLinkStore. The expiry is kept to the second (the
// signature covers it in seconds).
func (d *DB) CreateClientLink(ctx context.Context, actor guichet.Actor, eventID int64, expires time.Time) (*guichet.ClientLink, error) {
	id, err := newClientLinkID()
	if err != nil {
		return nil, err
	}
	var l guichet.ClientLink
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &l, `
			INSERT INTO client_links (id, event_id, expires_at, created_by)
			SELECT $1, id, $3, $4 FROM events WHERE id = $2
			RETURNING id, event_id, expires_at, revoked_at, created_by, created_at`,
			id, eventID, expires.Truncate(time.Second), actor.UserID)
		if err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", eventID)
		}
		return audit(ctx, tx, actor, "client_link.create", eventID, 0, 0,
			map[string]any{"link": id, "expires_at": l.ExpiresAt.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// RevokeClientLinks implements guichet.ClientLinkStore.
func (d *DB) RevokeClientLinks(ctx context.Context, actor guichet.Actor, eventID int64, now time.Time) (int, error) {
	var ids []string
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.SelectContext(ctx, &ids, `
			UPDATE client_links SET revoked_at = $2
			WHERE event_id = $1 AND revoked_at IS NULL
			RETURNING id`, eventID, now)
		if err != nil {
			return fmt.Errorf("revoke client links: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		return audit(ctx, tx, actor, "client_link.revoke", eventID, 0, 0, map[string]any{"links": ids})
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

// ClientLink implements guichet.ClientPageStore.
func (d *DB) ClientLink(ctx context.Context, id string) (*guichet.ClientLink, error) {
	var l guichet.ClientLink
	err := d.db.GetContext(ctx, &l, `
		SELECT id, event_id, expires_at, revoked_at, created_by, created_at
		FROM client_links WHERE id = $1`, id)
	if err != nil {
		return nil, notFound(err, "ErrClientLinkNotFound")
	}
	return &l, nil
}

// StructureKinds implements guichet.ClientPageStore.
func (d *DB) StructureKinds(ctx context.Context, eventID int64) (map[int64]guichet.StructureKind, error) {
	var rows []struct {
		ID   int64                 `db:"id"`
		Kind guichet.StructureKind `db:"kind"`
	}
	err := d.db.SelectContext(ctx, &rows, `
		SELECT DISTINCT s.id, s.kind
		FROM suppliers s JOIN claims c ON c.supplier_id = s.id JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("structure kinds: %w", err)
	}
	out := make(map[int64]guichet.StructureKind, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Kind
	}
	return out, nil
}

// CurrentQuote implements guichet.ClientPageStore.
func (d *DB) CurrentQuote(ctx context.Context, eventID int64) (*guichet.ClientQuote, []byte, error) {
	var row struct {
		guichet.ClientQuote
		PDF []byte `db:"pdf"`
	}
	err := d.db.GetContext(ctx, &row, `
		SELECT id, number, revision, net_cents, vat_cents, gross_cents, created_at, pdf
		FROM documents
		WHERE kind = 'quote' AND event_id = $1 AND replaced_by IS NULL`, eventID)
	if err != nil {
		return nil, nil, notFound(err, "ErrClientNoQuote")
	}
	q := row.ClientQuote
	return &q, row.PDF, nil
}
