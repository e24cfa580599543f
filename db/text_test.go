package db_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A reason longer than guichet.MaxNoteLength is refused by the store itself, whoever calls
// it: the claim stays awarded, the lot stays open, nothing is queued or audited.
func TestOverlongReasonsChangeNothing(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "txt", "accueil")
	lot := b.lot(t, &guichet.Lot{Code: "ACC", Title: "Accueil", Category: "accueil", Quantity: 2, Budget: 20000,
		Mode: guichet.Shared, MaxSuppliers: 2})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 1}, time.Now())
	require.NoError(t, err)
	outbox, audit := b.count(t, `SELECT count(*) FROM outbox`), b.count(t, `SELECT count(*) FROM audit_trail`)
	reason := strings.Repeat("é", 20000)

	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, reason)
	e := guichet.AsError(err)
	require.NotNil(t, e, "a 20,000-character release reason was accepted")
	require.Equal(t, string(guichet.ReleaseReason), e.MessageID)
	require.Equal(t, map[string]any{"Length": 20000, "Max": guichet.MaxNoteLength}, e.Args)

	err = b.db.CancelLot(b.ctx, coordinator, lot.ID, reason)
	e = guichet.AsError(err)
	require.NotNil(t, e, "a 20,000-character cancel reason was accepted")
	require.Equal(t, string(guichet.CancelReason), e.MessageID)

	st, err := b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotOpen, st.Lot.Status)
	require.Len(t, st.Awarded(), 1, "the claim was released")
	require.Equal(t, outbox, b.count(t, `SELECT count(*) FROM outbox`))
	require.Equal(t, audit, b.count(t, `SELECT count(*) FROM audit_trail`))

	// At the limit, in characters (not bytes), the reason goes through.
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, strings.Repeat("é", guichet.MaxNoteLength))
	require.NoError(t, err)
}
