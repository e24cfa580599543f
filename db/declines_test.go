package db_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// « Pas pour nous » is recorded once per structure and lot, audited and shown on the board;
// the board says who took, who declined and who has not answered; a relaunch re-posts the
// offer only in the channels of those that have not answered, pointing the older copies to it.
func TestDeclinesAndRelaunch(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 4, "cafe", "pause")
	other := b.suppliers(t, 1, "av", "technique")
	lot := b.lot(t, &guichet.Lot{Code: "CAF", Title: "Pause café", Category: "pause", Quantity: 300, Unit: "tasses",
		Budget: 90000, Mode: guichet.Shared, MaxSuppliers: 4})
	// Copies posted in the four structures' channels, as a publication leaves them.
	for i, s := range sups {
		require.NoError(t, b.db.RecordOfferPost(b.ctx, guichet.OfferPost{LotID: lot.ID, ChannelID: s.ChannelID, PostID: "old-" + string(rune('a'+i))}))
	}

	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 100}, time.Now())
	require.NoError(t, err)

	m := b.mark(t)
	n, err := b.db.DeclineLot(b.ctx, member(sups[1]), lot.ID, []int64{sups[1].ID}, time.Now())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	e := b.since(t, m)
	require.Len(t, e.Audit, 1)
	require.Contains(t, e.Audit[0], "lot.decline")
	require.Equal(t, []string{`refresh_board {"event_id": ` + strconv.FormatInt(b.event.ID, 10) + `}`}, e.Outbox)

	// Again: nothing new. A structure holding a claim is not marked as declining. Someone
	// who is not a member of the structure is refused.
	n, err = b.db.DeclineLot(b.ctx, member(sups[1]), lot.ID, []int64{sups[1].ID}, time.Now())
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = b.db.DeclineLot(b.ctx, member(sups[0]), lot.ID, []int64{sups[0].ID}, time.Now())
	require.NoError(t, err)
	require.Zero(t, n)
	_, err = b.db.DeclineLot(b.ctx, member(other[0]), lot.ID, []int64{sups[2].ID}, time.Now())
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM lot_declines WHERE lot_id = $1`, lot.ID))

	board, err := b.db.Board(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Len(t, board.Lots, 1)
	require.Equal(t, guichet.Answers{Declined: []string{"cafe 1"}, Unanswered: []string{"cafe 2", "cafe 3"}}, board.Lots[0].Answers)

	m = b.mark(t)
	n, err = b.db.RelaunchLot(b.ctx, coordinator, lot.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	e = b.since(t, m)
	require.Equal(t, []string{
		`relaunch_offer {"lot_id": ` + strconv.FormatInt(lot.ID, 10) + `, "channel_id": "cafe-2-channel", "previous_post_id": "old-c"}`,
		`relaunch_offer {"lot_id": ` + strconv.FormatInt(lot.ID, 10) + `, "channel_id": "cafe-3-channel", "previous_post_id": "old-d"}`,
	}, e.Outbox)
	require.Len(t, e.Audit, 1)
	require.Contains(t, e.Audit[0], "lot.relaunch")

	// Once every structure has answered, a relaunch writes nothing.
	for _, s := range sups[2:] {
		_, err := b.db.DeclineLot(b.ctx, member(s), lot.ID, []int64{s.ID}, time.Now())
		require.NoError(t, err)
	}
	m = b.mark(t)
	n, err = b.db.RelaunchLot(b.ctx, coordinator, lot.ID)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, effects{}, b.since(t, m))

	// A cancelled lot is neither declined nor relaunched.
	require.NoError(t, b.db.CancelLot(b.ctx, coordinator, lot.ID, "plus besoin"))
	_, err = b.db.RelaunchLot(b.ctx, coordinator, lot.ID)
	require.Equal(t, guichet.ECONFLICT, guichet.ErrorCode(err))
	_, err = b.db.DeclineLot(b.ctx, member(sups[0]), lot.ID, []int64{sups[0].ID}, time.Now())
	require.Equal(t, guichet.ECONFLICT, guichet.ErrorCode(err))
}
