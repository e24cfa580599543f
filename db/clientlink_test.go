package db_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A client link is stored with its expiry (to the second) and creator, audited; revoking
// revokes every link of the event and only those, once; a deleted event takes its links.
func TestClientLinksCreateRevokeAndFollowTheirEvent(t *testing.T) {
	b := setup(t)
	other := &guichet.Event{Slug: "autre", Name: "Autre", Day: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC), CoordChannelID: "coord-2"}
	require.NoError(t, b.db.CreateEvent(b.ctx, coordinator, other))

	expires := time.Date(2027, 7, 14, 10, 30, 15, 987654321, time.UTC)
	m := b.mark(t)
	l1, err := b.db.CreateClientLink(b.ctx, coordinator, b.event.ID, expires)
	require.NoError(t, err)
	require.Len(t, l1.ID, 22)
	require.Equal(t, b.event.ID, l1.EventID)
	require.True(t, l1.ExpiresAt.Equal(expires.Truncate(time.Second)), "kept to the second: %s", l1.ExpiresAt)
	require.Equal(t, coordinator.UserID, l1.CreatedBy)
	require.Nil(t, l1.RevokedAt)
	e := b.since(t, m)
	require.Len(t, e.Audit, 1)
	require.Contains(t, e.Audit[0], "client_link.create")
	require.Empty(t, e.Outbox)

	l2, err := b.db.CreateClientLink(b.ctx, coordinator, b.event.ID, expires)
	require.NoError(t, err)
	require.NotEqual(t, l1.ID, l2.ID)
	lo, err := b.db.CreateClientLink(b.ctx, coordinator, other.ID, expires)
	require.NoError(t, err)

	_, err = b.db.CreateClientLink(b.ctx, coordinator, 999999, expires)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))

	got, err := b.db.ClientLink(b.ctx, l1.ID)
	require.NoError(t, err)
	require.Equal(t, l1.ID, got.ID)
	require.True(t, got.Usable(expires.Add(-time.Hour)))
	require.False(t, got.Usable(expires), "expired from its expiry on")
	_, err = b.db.ClientLink(b.ctx, "nothing-of-the-kind")
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))

	now := time.Date(2027, 5, 2, 9, 0, 0, 0, time.UTC)
	m = b.mark(t)
	n, err := b.db.RevokeClientLinks(b.ctx, coordinator, b.event.ID, now)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Len(t, b.since(t, m).Audit, 1)
	for _, id := range []string{l1.ID, l2.ID} {
		got, err := b.db.ClientLink(b.ctx, id)
		require.NoError(t, err)
		require.NotNil(t, got.RevokedAt)
		require.False(t, got.Usable(now.Add(-time.Hour)))
	}
	got, err = b.db.ClientLink(b.ctx, lo.ID)
	require.NoError(t, err)
	require.Nil(t, got.RevokedAt, "another event's link is left alone")

	// Again: nothing to revoke, nothing written.
	m = b.mark(t)
	n, err = b.db.RevokeClientLinks(b.ctx, coordinator, b.event.ID, now)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, b.since(t, m).Audit)

	_, err = b.db.SQL().ExecContext(b.ctx, `DELETE FROM events WHERE id = $1`, other.ID)
	require.NoError(t, err)
	_, err = b.db.ClientLink(b.ctx, lo.ID)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err), "a deleted event's link is gone")
}

// The client page reads the current quote, when there is one, and the kinds of the
// structures that claimed the event's lots.
func TestClientPageReadsTheCurrentQuoteAndTheStructuresKinds(t *testing.T) {
	b := setup(t)
	_, _, err := b.db.CurrentQuote(b.ctx, b.event.ID)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err), "no quote yet")

	// The second revision, current, and the first it replaced.
	_, err = b.db.SQL().ExecContext(b.ctx, `
		INSERT INTO documents (id, kind, number, revision, event_id, content, net_cents, vat_cents, gross_cents, pdf)
		VALUES (1002, 'quote', 'DEV-2027-0001', 2, $1, 'b', 2000, 100, 2100, '%PDF-2')`, b.event.ID)
	require.NoError(t, err)
	_, err = b.db.SQL().ExecContext(b.ctx, `
		INSERT INTO documents (kind, number, revision, event_id, content, net_cents, vat_cents, gross_cents, pdf, replaced_by, replaced_at)
		VALUES ('quote', 'DEV-2027-0001', 1, $1, 'a', 1000, 200, 1200, '\x01', 1002, now())`, b.event.ID)
	require.NoError(t, err)
	q, pdf, err := b.db.CurrentQuote(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "DEV-2027-0001", q.Number)
	require.Equal(t, 2, q.Revision)
	require.Equal(t, guichet.Cents(2100), q.Gross)
	require.Equal(t, []byte("%PDF-2"), pdf)

	sups := b.suppliers(t, 3, "ess", "repas")
	_, err = b.db.SQL().ExecContext(b.ctx, `UPDATE suppliers SET kind = 'scop' WHERE id = $1`, sups[0].ID)
	require.NoError(t, err)
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "repas", Quantity: 100, Unit: "repas",
		Budget: 100000, Mode: guichet.Shared, MaxSuppliers: 3})
	for _, s := range sups[:2] {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 50}, time.Now())
		require.NoError(t, err)
	}
	kinds, err := b.db.StructureKinds(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, map[int64]guichet.StructureKind{sups[0].ID: guichet.StructureKind("scop"), sups[1].ID: ""}, kinds)
}
