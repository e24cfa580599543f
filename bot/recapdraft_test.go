package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
)

// The recap's draft is re-rendered in place when a delivery report or an adjustment arrives
// after it was shown, with its button; once the recap is published, a later change leaves the
// draft (now saying who published it) and the published recap alone, and the coordination
// channel is told the published recap does not show it.
func TestRecapDraftReRenderedUntilPublished(t *testing.T) {
	bd := setupDispatch(t)
	bd.bot.access = guichet.NewAccess(bd.db)
	sups := bd.suppliers(t, 2, "trait", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 200, Unit: "couverts",
		Budget: 240000, Mode: guichet.Shared, MaxSuppliers: 2})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	for _, s := range sups {
		_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: s.Members[0].UserID}, LotID: lot.ID,
			SupplierID: s.ID, Quantity: 100}, time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC))
		require.NoError(t, err)
	}
	dayAfter := time.Date(2011, 4, 16, 10, 0, 0, 0, time.UTC)
	_, err = bd.db.TriggerRecaps(bd.ctx, dayAfter, guichet.ReminderSpec{DaysBefore: -1, Hour: 9})
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	draftID, _, err := bd.db.RecapDraftPost(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.NotEmpty(t, draftID, "the draft's post is recorded")
	draft := bd.mm.post(draftID)
	require.Contains(t, draft.Message, "livraisons déclarées\u202f: 0 part sur 2")
	require.Len(t, actionNames(attachmentOf(t, draft)), 1)

	_, _, err = bd.db.ReportDelivery(bd.ctx, guichet.Actor{UserID: sups[0].Members[0].UserID, Username: "trait0"}, lot.ID, sups[0].ID,
		guichet.DeliveryReport{Quantity: 80, Comment: "20 couverts de moins"}, dayAfter)
	require.NoError(t, err)
	_, err = bd.db.AdjustAmount(bd.ctx, coordActor, lot.ID, sups[0].ID, 96000, "20 couverts non servis", dayAfter)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	draft = bd.mm.post(draftID)
	require.Contains(t, draft.Message, "livraisons déclarées\u202f: 1 part sur 2\u202f; 1 montant ajusté")
	require.Contains(t, draft.Message, "dû après ajustements\u202f: **2\u202f160,00\u00a0€**")
	require.Equal(t, []string{actionPublishRecap}, actionNames(attachmentOf(t, draft)), "the button stays")

	reply, err := bd.bot.publishRecapClicked(bd.ctx, ActionRequest{Actor: coordActor, ChannelID: "coord-channel", PostID: draftID,
		Fields: map[string]string{"event": "1"}})
	require.NoError(t, err)
	require.NotNil(t, reply.Update)
	bd.mm.set(func(f *fakeMM) { f.posts[draftID].Message = reply.Update.Message })
	bd.drain(t, bd.bot)
	published := bd.mm.post(draftID).Message
	before := len(bd.mm.postsIn("coord-channel"))

	_, _, err = bd.db.ReportDelivery(bd.ctx, guichet.Actor{UserID: sups[1].Members[0].UserID, Username: "trait1"}, lot.ID, sups[1].ID,
		guichet.DeliveryReport{AsPlanned: true}, dayAfter)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	require.Equal(t, published, bd.mm.post(draftID).Message, "the published draft is not edited")
	posts := bd.mm.postsIn("coord-channel")
	require.Len(t, posts, before+1)
	require.True(t, strings.HasPrefix(posts[len(posts)-1].Message, "ℹ️ Après la publication du bilan"), posts[len(posts)-1].Message)
}

// publishingStore publishes the recap (once, as coordActor) right after the first read of the
// draft's post, as a coordinator's click landing while the draft is re-rendered would.
type publishingStore struct {
	*db.DB
	once sync.Once
}

func (s *publishingStore) RecapDraftPost(ctx context.Context, eventID int64) (string, string, error) {
	postID, by, err := s.DB.RecapDraftPost(ctx, eventID)
	s.once.Do(func() {
		if qerr := s.DB.QueueRecap(ctx, coordActor, eventID); qerr != nil {
			panic(qerr)
		}
	})
	return postID, by, err
}

// A publication landing while the draft is re-rendered does not bring its button back: the
// draft ends saying who published it.
func TestRecapDraftRefreshRacingThePublication(t *testing.T) {
	bd := setupDispatch(t)
	bd.mm.set(func(f *fakeMM) { f.users["coord"] = &model.User{Id: coordActor.UserID, Username: "coord"} })
	sups := bd.suppliers(t, 1, "race", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 100, Unit: "couverts",
		Budget: 120000})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	_, err = bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: sups[0].Members[0].UserID}, LotID: lot.ID,
		SupplierID: sups[0].ID}, time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	dayAfter := time.Date(2011, 4, 16, 10, 0, 0, 0, time.UTC)
	_, err = bd.db.TriggerRecaps(bd.ctx, dayAfter, guichet.ReminderSpec{DaysBefore: -1, Hour: 9})
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	draftID, _, err := bd.db.RecapDraftPost(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.NotEmpty(t, draftID)

	_, _, err = bd.db.ReportDelivery(bd.ctx, guichet.Actor{UserID: sups[0].Members[0].UserID, Username: "race0"}, lot.ID, sups[0].ID,
		guichet.DeliveryReport{Quantity: 90, Comment: "10 de moins"}, dayAfter)
	require.NoError(t, err)
	bd.bot.store = &publishingStore{DB: bd.db}
	bd.drain(t, bd.bot)
	draft := bd.mm.post(draftID)
	require.Contains(t, draft.Message, "publié** par @coord")
	require.Empty(t, draft.Attachments(), "the button does not come back")
}
