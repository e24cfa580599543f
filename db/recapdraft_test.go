package db_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A delivery report or an adjustment arriving once the recap's draft is out queues the
// draft's re-rendering; once the recap is published, each later change is told to the
// coordination channel instead, and the published recap is left alone.
func TestRecapDraftKeptCurrentUntilPublished(t *testing.T) {
	b := schedSetup(t, "2027-04-15", 1)
	lot, sup := b.lots[0], b.sups[0]
	at := time.Date(2027, 4, 16, 9, 0, 0, 0, time.UTC)
	refreshes := func() int {
		return b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_recap_draft' AND (payload->>'event_id')::bigint = $1`, b.event.ID)
	}

	// On the event's day, before the draft: nothing to re-render.
	_, _, err := b.db.ReportDelivery(b.ctx, member(sup), lot.ID, sup.ID, guichet.DeliveryReport{AsPlanned: true},
		time.Date(2027, 4, 15, 20, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Zero(t, refreshes())

	_, err = b.db.TriggerRecaps(b.ctx, at, recapSpec)
	require.NoError(t, err)
	postID, publishedBy, err := b.db.RecapDraftPost(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "", postID)
	require.Equal(t, "", publishedBy)
	require.NoError(t, b.db.RecordRecapDraftPost(b.ctx, b.event.ID, "draft-post"))
	postID, _, err = b.db.RecapDraftPost(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, "draft-post", postID)

	_, _, err = b.db.ReportDelivery(b.ctx, member(sup), lot.ID, sup.ID, guichet.DeliveryReport{Quantity: 0, Comment: "annulé"}, at)
	require.NoError(t, err)
	require.Equal(t, 1, refreshes(), "a delivery report re-renders the draft")
	_, err = b.db.AdjustAmount(b.ctx, coordinator, lot.ID, sup.ID, 50000, "moitié", at)
	require.NoError(t, err)
	require.Equal(t, 2, refreshes(), "an adjustment too")

	require.NoError(t, b.db.QueueRecap(b.ctx, coordinator, b.event.ID))
	_, publishedBy, err = b.db.RecapDraftPost(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, coordinator.UserID, publishedBy)
	m := b.mark(t)
	_, _, err = b.db.ReportDelivery(b.ctx, member(sup), lot.ID, sup.ID, guichet.DeliveryReport{AsPlanned: true}, at)
	require.NoError(t, err)
	_, err = b.db.AdjustAmount(b.ctx, coordinator, lot.ID, sup.ID, 100000, "tout livré finalement", at)
	require.NoError(t, err)
	require.Equal(t, 2, refreshes(), "nothing re-rendered after publication")
	e := b.since(t, m)
	var notes []string
	for _, o := range e.Outbox {
		for _, id := range []string{"NoticeRecapPublishedDelivery", "NoticeRecapPublishedAdjustment"} {
			if containsAll(o, `"message_id": "`+id+`"`, `"channel_id": "coord-channel"`) {
				notes = append(notes, id)
			}
		}
	}
	require.Equal(t, []string{"NoticeRecapPublishedDelivery", "NoticeRecapPublishedAdjustment"}, notes)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'recap'`), "the published recap is not queued again")
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
