package db_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// The day after the event, a structure reports a delivery short of its share: the report is
// recorded with its audit entry and the coordination channel is told of the gap; the
// coordinator adjusts the structure's amount with a reason, the structure is told, and what
// the event owes it (its balance, what payments are checked against) is the adjusted amount.
func TestDeliveryGapAndAdjustment(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "dej", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 380, Unit: "couverts",
		Budget: 456000, Mode: guichet.Shared, MaxSuppliers: 2})
	for i, qty := range []int64{200, 180} {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[i]), LotID: lot.ID, SupplierID: sups[i].ID, Quantity: qty}, time.Now())
		require.NoError(t, err)
	}
	after := time.Date(2027, 4, 16, 10, 0, 0, 0, time.UTC)

	// Before the event's day, nothing can be reported.
	_, _, err := b.db.ReportDelivery(b.ctx, member(sups[0]), lot.ID, sups[0].ID, guichet.DeliveryReport{AsPlanned: true},
		time.Date(2027, 4, 14, 10, 0, 0, 0, time.UTC))
	require.Equal(t, "ErrDeliveredTooEarly", guichet.AsError(err).MessageID)

	m := b.mark(t)
	dl, c, err := b.db.ReportDelivery(b.ctx, member(sups[0]), lot.ID, sups[0].ID,
		guichet.DeliveryReport{Quantity: 180, Comment: "  20 couverts manquants  "}, after)
	require.NoError(t, err)
	require.Equal(t, int64(200), c.Quantity)
	require.Equal(t, int64(180), *dl.Quantity)
	require.Equal(t, "20 couverts manquants", dl.Comment)
	e := b.since(t, m)
	require.Len(t, e.Audit, 1)
	require.Contains(t, e.Audit[0], "delivery.report")
	require.Len(t, e.Outbox, 1)
	require.Contains(t, e.Outbox[0], `"channel_id": "coord-channel"`)
	require.Contains(t, e.Outbox[0], `"message_id": "NoticeDeliveredGap"`)

	// « Oui » from the other structure: the whole share, nobody bothered.
	m = b.mark(t)
	dl, _, err = b.db.ReportDelivery(b.ctx, member(sups[1]), lot.ID, sups[1].ID, guichet.DeliveryReport{AsPlanned: true}, after)
	require.NoError(t, err)
	require.Equal(t, int64(180), *dl.Quantity)
	require.Empty(t, b.since(t, m).Outbox)

	agreed, err := b.db.Balance(b.ctx, b.event.ID, sups[0].ID)
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(240000), agreed.Agreed)

	m = b.mark(t)
	adj, err := b.db.AdjustAmount(b.ctx, coordinator, lot.ID, sups[0].ID, 216000, "20 couverts non livrés", after)
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(240000), adj.Before)
	require.Equal(t, guichet.Cents(216000), *adj.Delivery.Adjusted)
	require.Equal(t, int64(180), *adj.Delivery.Quantity, "the adjustment keeps the reported delivery")
	e = b.since(t, m)
	require.Len(t, e.Audit, 1)
	require.Contains(t, e.Audit[0], "delivery.adjust")
	require.Contains(t, e.Audit[0], `"after_cents": 216000`)
	require.Len(t, e.Outbox, 1)
	require.Contains(t, e.Outbox[0], `"channel_id": "dej-0-channel"`)
	require.Contains(t, e.Outbox[0], `"message_id": "NoticeDeliveredAdjusted"`)

	bal, err := b.db.Balance(b.ctx, b.event.ID, sups[0].ID)
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(216000), bal.Agreed)
	_, err = b.db.RecordPayment(b.ctx, coordinator, b.event.ID, sups[0].ID, 240000, "")
	require.Equal(t, "ErrPaymentTooMuch", guichet.AsError(err).MessageID, "payments are checked against the adjusted amount")

	data, err := b.db.RecapData(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Len(t, data.Deliveries, 2)
}

// Bad input changes nothing: a negative quantity or amount, an adjustment without a reason, a
// structure without an awarded share of the lot.
func TestDeliveryRefusals(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "caf", "restauration")
	lot := b.lot(t, &guichet.Lot{Code: "CAF", Title: "Café", Category: "restauration", Quantity: 100, Unit: "tasses", Budget: 20000})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	after := time.Date(2027, 4, 16, 10, 0, 0, 0, time.UTC)
	m := b.mark(t)
	for name, tc := range map[string]struct {
		run  func() error
		code string
		msg  string
	}{
		"negative quantity": {func() error {
			_, _, err := b.db.ReportDelivery(b.ctx, member(sups[0]), lot.ID, sups[0].ID, guichet.DeliveryReport{Quantity: -1}, after)
			return err
		}, guichet.EINVALID, "ErrDeliveredQuantity"},
		"no share": {func() error {
			_, _, err := b.db.ReportDelivery(b.ctx, member(sups[1]), lot.ID, sups[1].ID, guichet.DeliveryReport{AsPlanned: true}, after)
			return err
		}, guichet.ECONFLICT, "ErrDeliveredNoShare"},
		"negative amount": {func() error {
			_, err := b.db.AdjustAmount(b.ctx, coordinator, lot.ID, sups[0].ID, -5, "x", after)
			return err
		}, guichet.EINVALID, "ErrDeliveredAmount"},
		"no reason": {func() error {
			_, err := b.db.AdjustAmount(b.ctx, coordinator, lot.ID, sups[0].ID, 100, "  ", after)
			return err
		}, guichet.EINVALID, "ErrDeliveredNoReason"},
		"adjust without share": {func() error {
			_, err := b.db.AdjustAmount(b.ctx, coordinator, lot.ID, sups[1].ID, 100, "geste", after)
			return err
		}, guichet.ECONFLICT, "ErrDeliveredNoShare"},
	} {
		err := tc.run()
		require.Equal(t, tc.code, guichet.ErrorCode(err), name)
		require.Equal(t, tc.msg, guichet.AsError(err).MessageID, name)
	}
	require.Equal(t, effects{}, b.since(t, m))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM deliveries`))
}

// The J+1 pass asks each structure holding an awarded share « Livré comme prévu ? », once,
// with the buttons that answer it.
func TestRecapAsksDeliveriesOnce(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 2)
	at := time.Date(2027, 4, 16, 9, 0, 0, 0, time.UTC)
	n, err := b.db.TriggerRecaps(b.ctx, at, recapSpec)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = b.db.TriggerRecaps(b.ctx, at.Add(time.Hour), recapSpec)
	require.NoError(t, err)
	asks := `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeDeliveredAsk'`
	require.Equal(t, 2, b.count(t, asks))
	for i, s := range b.sups {
		require.Equal(t, 1, b.count(t, asks+` AND payload->>'channel_id' = $1 AND (payload->>'delivery_supplier_id')::bigint = $2
			AND (payload->>'lot_id')::bigint = $3`, s.ChannelID, s.ID, b.lots[i].ID))
	}
}
