package db_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestInvalidDataRefused(t *testing.T) {
	b := setup(t)
	tests := map[string]struct {
		lot  *guichet.Lot
		code string
		msg  string
	}{
		"negative quantity": {&guichet.Lot{Code: "A", Title: "A", Category: "x", Quantity: -3, Budget: 100}, guichet.EINVALID, "ErrQuantity"},
		"bad code":          {&guichet.Lot{Code: "dé j", Title: "A", Category: "x", Quantity: 1}, guichet.EINVALID, "ErrLotCode"},
		"negative budget":   {&guichet.Lot{Code: "B", Title: "B", Category: "x", Quantity: 1, Budget: -1}, guichet.EINVALID, "ErrBudget"},
		"exclusive max 3":   {&guichet.Lot{Code: "C", Title: "C", Category: "x", Quantity: 1, MaxSuppliers: 3}, guichet.EINVALID, "ErrExclusiveMax"},
		"bad mode":          {&guichet.Lot{Code: "D", Title: "D", Category: "x", Quantity: 1, Mode: "both"}, guichet.EINVALID, "ErrLotMode"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := b.db.AddLots(b.ctx, coordinator, b.event.ID, []*guichet.Lot{tc.lot})
			e := guichet.AsError(err)
			require.NotNil(t, e, "got %v", err)
			require.Equal(t, tc.code, e.Code)
			require.Equal(t, tc.msg, e.MessageID)
		})
	}

	_, err := guichet.ParseEuros("12,345")
	require.Equal(t, "ErrAmountCents", guichet.AsError(err).MessageID, "fractions of a cent")

	err = b.db.CreateEvent(b.ctx, coordinator, &guichet.Event{Slug: "x", Name: "X", Day: time.Now(), TimeZone: "Europe/Nantes"})
	require.Equal(t, "ErrTimeZone", guichet.AsError(err).MessageID)
	err = b.db.CreateEvent(b.ctx, coordinator, &guichet.Event{Slug: "assises", Name: "Again", Day: time.Now()})
	require.Equal(t, "ErrEventExists", guichet.AsError(err).MessageID)
}

func TestLotCodeClashIsAllOrNothing(t *testing.T) {
	b := setup(t)
	b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 1, Budget: 100})
	err := b.db.AddLots(b.ctx, coordinator, b.event.ID, []*guichet.Lot{
		{Code: "PAI", Title: "Pain", Category: "boulangerie", Quantity: 1, Budget: 100},
		{Code: "DEJ", Title: "Déjeuner bis", Category: "restauration", Quantity: 1, Budget: 100},
	})
	require.Equal(t, "ErrLotCodeExists", guichet.AsError(err).MessageID)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM lots`), "nothing half-done")

	err = b.db.AddLots(b.ctx, coordinator, b.event.ID, []*guichet.Lot{
		{Code: "X", Title: "X", Category: "a", Quantity: 1}, {Code: "x", Title: "X", Category: "a", Quantity: 1}})
	require.Equal(t, "ErrLotCodeTwice", guichet.AsError(err).MessageID)
}

func TestPublishQueuesOncePerChannel(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "resto", "restauration")
	// Two structures share one channel: one post there.
	sups[2].ChannelID = sups[1].ChannelID
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coordinator, sups[2:]))
	b.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4})
	n, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 0, n, "publishing again posts only what is new")
	b.lot(t, &guichet.Lot{Code: "PCM", Title: "Pause", Category: "restauration", Quantity: 1, Budget: 100})
	n, err = b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	e, err := b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.EventPublished, e.Status)
}

func TestRemindersFollowAwards(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "cafe", "pause-cafe")
	lot := b.lot(t, &guichet.Lot{Code: "PCM", Title: "Pause", Category: "pause-cafe", Quantity: 2, Budget: 100, Mode: guichet.Shared, MaxSuppliers: 2})
	_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders`), "coordinator only: J-7 and J-1")
	for _, s := range sups {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 1}, time.Now())
		require.NoError(t, err)
	}
	require.Equal(t, 6, b.count(t, `SELECT count(*) FROM reminders`))
	var due time.Time
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &due, `SELECT due_at FROM reminders WHERE kind = 'j1' AND supplier_id IS NULL`))
	require.Equal(t, time.Date(2027, 4, 14, 7, 0, 0, 0, time.UTC), due.UTC(), "09:00 in Paris in summer time")
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM reminders`), "no reminder for a structure no longer concerned")
}
