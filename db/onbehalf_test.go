package db_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A coordinator's claim for a structure they are not a member of goes through the claim's
// one rule; its audit entry names the coordinator and the structure; the coordination channel
// is told who did it for whom, and the structure's channel is told with a « Libérer » button.
func TestClaimOnBehalfRecordsWhoForWhom(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "dej", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Unit: "couverts",
		Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4})

	// Without OnBehalf, someone who is not a member is refused, as before.
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: coordinator, LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 100}, time.Now())
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))

	m := b.mark(t)
	res, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: coordinator, LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 100,
		Note: "par téléphone", OnBehalf: true}, time.Now())
	require.NoError(t, err)
	require.False(t, res.Existing)
	require.Equal(t, guichet.ClaimAwarded, res.Claim.Status)
	require.Equal(t, guichet.Cents(120000), res.Claim.Amount)
	require.Equal(t, coordinator.UserID, res.Claim.ClickedBy)

	e := b.since(t, m)
	require.Equal(t, []string{b.jsonbAudit(t, "claim.behalf", lot, sups[0], map[string]any{"quantity": 100, "note": "par téléphone"})}, e.Audit)
	require.Len(t, e.Outbox, 2)
	require.Contains(t, e.Outbox[0], `"message_id": "NoticeOnbehalfClaimed"`)
	require.Contains(t, e.Outbox[0], `"Actor": "`+coordinator.Username+`"`)
	require.Contains(t, e.Outbox[1], `"channel_id": "dej-0-channel"`)
	require.Contains(t, e.Outbox[1], `"message_id": "NoticeOnbehalfToStructure"`)
	require.Contains(t, e.Outbox[1], `"release_supplier_id": `)

	// A second time changes nothing.
	m = b.mark(t)
	again, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: coordinator, LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 100, OnBehalf: true}, time.Now())
	require.NoError(t, err)
	require.True(t, again.Existing)
	require.Equal(t, effects{}, b.since(t, m))

	// The one rule holds: more than what remains is refused, nothing written.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: coordinator, LotID: lot.ID, SupplierID: sups[1].ID, Quantity: 400, OnBehalf: true}, time.Now())
	require.Equal(t, guichet.ECONFLICT, guichet.ErrorCode(err))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims WHERE lot_id = $1`, lot.ID))
}

// A structure without a channel is told through each of its members' direct messages.
func TestClaimOnBehalfTellsMembersWithoutChannel(t *testing.T) {
	b := setup(t)
	s := &guichet.Supplier{Name: "Sans canal", Categories: []string{"photo"}, Members: []guichet.Member{
		{UserID: "a-user", Username: "a"}, {UserID: "b-user", Username: "b"}, {Username: "pending"}}}
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coordinator, []*guichet.Supplier{s}))
	lot := b.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos", Category: "photo", Quantity: 1, Budget: 60000})
	m := b.mark(t)
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: coordinator, LotID: lot.ID, SupplierID: s.ID, OnBehalf: true}, time.Now())
	require.NoError(t, err)
	e := b.since(t, m)
	require.Len(t, e.Outbox, 3)
	require.Contains(t, e.Outbox[1], `"user_id": "a-user"`)
	require.Contains(t, e.Outbox[2], `"user_id": "b-user"`)
}

// A share given back from the day before the event on is flagged to each coordinator at once,
// by direct message; earlier, only the coordination channel is told.
func TestLateReleaseFlaggedToCoordinators(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "caf", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "CAF", Title: "Pause café", Category: "restauration", Quantity: 200, Unit: "tasses",
		Budget: 40000, Mode: guichet.Shared, MaxSuppliers: 2})
	for i := range sups {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[i]), LotID: lot.ID, SupplierID: sups[i].ID, Quantity: 100}, time.Now())
		require.NoError(t, err)
	}
	late := `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeOnbehalfLateRelease'`

	// J-2, 23:59 in Paris: not late.
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	b.db.Now = func() time.Time { return time.Date(2027, 4, 13, 23, 59, 0, 0, paris) }
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	require.Equal(t, 0, b.count(t, late))

	// J-1, 00:00: late; each coordinator is told by direct message.
	b.db.Now = func() time.Time { return time.Date(2027, 4, 14, 0, 0, 0, 0, paris) }
	_, err = b.db.Withdraw(b.ctx, member(sups[1]), lot.ID, sups[1].ID, "camion en panne")
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, late+` AND payload->>'user_id' = $1 AND payload->'args'->>'Supplier' = 'caf 1'
		AND payload->'args'->>'Reason' = 'camion en panne'`, coordinator.UserID))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'claim.withdraw' AND (detail->>'late')::bool`))
}

// jsonbAudit is an audit entry of the lot and supplier as since prints it.
func (b *bundle) jsonbAudit(t *testing.T, action string, lot *guichet.Lot, s *guichet.Supplier, detail map[string]any) string {
	t.Helper()
	return coordinator.UserID + " " + coordinator.Username + " " + action + " " + fmt.Sprint(b.event.ID) + " " + fmt.Sprint(lot.ID) + " " +
		fmt.Sprint(s.ID) + " " + b.jsonb(t, detail)
}
