package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db/dbtest"
)

// clickBundle is a dispatch bundle with the bot's endpoints served, an offer published and
// delivered.
type clickBundle struct {
	*dispatchBundle
	srv  *httptest.Server
	sups []*guichet.Supplier
	lot  *guichet.Lot
}

func setupClicks(t *testing.T, lot *guichet.Lot) *clickBundle {
	t.Helper()
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 2, "resto", "restauration")
	lot = bd.lot(t, lot)
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	srv := httptest.NewServer(bd.bot.Handler())
	t.Cleanup(srv.Close)
	return &clickBundle{dispatchBundle: bd, srv: srv, sups: sups, lot: lot}
}

var member = dbtest.Member

// offerIn returns the offer post in a channel and its button for action, as the fake
// Mattermost stored them (the real one keeps the integrations server-side).
func (cb *clickBundle) offerIn(t *testing.T, channelID, action string) (*model.Post, *model.PostAction) {
	t.Helper()
	posts := cb.mm.postsIn(channelID)
	require.NotEmpty(t, posts)
	p := posts[0]
	for _, a := range attachmentOf(t, p).Actions {
		if a.Id == action {
			return p, a
		}
	}
	return p, nil
}

// click does what Mattermost does when actor clicks the button of post in channelID.
func (cb *clickBundle) click(t *testing.T, actor guichet.Actor, channelID string, post *model.Post, button *model.PostAction) *model.PostActionIntegrationResponse {
	t.Helper()
	require.NotNil(t, button, "the offer shows the button")
	js, err := json.Marshal(&model.PostActionIntegrationRequest{UserId: actor.UserID, UserName: actor.Username,
		ChannelId: channelID, TeamId: "team1", PostId: post.Id, TriggerId: "trigger-" + actor.UserID,
		Context: roundTrip(t, button.Integration.Context)})
	require.NoError(t, err)
	require.Equal(t, testPublicURL+"/mattermost/action", button.Integration.URL)
	resp, err := http.Post(cb.srv.URL+"/mattermost/action", "application/json", strings.NewReader(string(js)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out model.PostActionIntegrationResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return &out
}

// submit does what Mattermost does when a dialog opened by the bot is submitted.
func (cb *clickBundle) submit(t *testing.T, actor guichet.Actor, d model.OpenDialogRequest, submission map[string]any) map[string]string {
	t.Helper()
	js, err := json.Marshal(&model.SubmitDialogRequest{CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: actor.UserID, ChannelId: "ch", TeamId: "team1", Submission: submission})
	require.NoError(t, err)
	require.Equal(t, testPublicURL+"/mattermost/dialog", d.URL)
	resp, err := http.Post(cb.srv.URL+"/mattermost/dialog", "application/json", strings.NewReader(string(js)))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var out model.SubmitDialogResponse
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Errors
}

func (cb *clickBundle) lastDialog(t *testing.T) model.OpenDialogRequest {
	t.Helper()
	cb.mm.mu.Lock()
	defer cb.mm.mu.Unlock()
	require.NotEmpty(t, cb.mm.dialogs, "a dialog was opened")
	return cb.mm.dialogs[len(cb.mm.dialogs)-1]
}

// snapshot counts what a refused click must leave alone.
func (cb *clickBundle) snapshot(t *testing.T) [3]int {
	return [3]int{
		cb.count(t, `SELECT count(*) FROM claims`),
		cb.count(t, `SELECT count(*) FROM audit_trail`),
		cb.count(t, `SELECT count(*) FROM outbox`),
	}
}

func TestClaimFromAClick(t *testing.T) {
	cb := setupClicks(t, &guichet.Lot{Code: "SCE", Title: "Scénographie", Category: "restauration", Quantity: 1,
		Unit: "forfait", Budget: 350000})
	a, b := cb.sups[0], cb.sups[1]
	postA, claimA := cb.offerIn(t, a.ChannelID, "claim")
	postB, claimB := cb.offerIn(t, b.ChannelID, "claim")

	refreshes := cb.count(t, `SELECT count(*) FROM outbox WHERE kind = 'claimed'`)
	resp := cb.click(t, member(a), a.ChannelID, postA, claimA)
	require.Equal(t, "✅ C'est noté\u202f: **resto 0** prend le lot **SCE** — Scénographie (1 forfait, 3\u202f500,00\u00a0€). La coordination est prévenue.", resp.EphemeralText)
	require.Nil(t, resp.Update, "the answer only confirms; the outbox refreshes the offer")
	st, err := cb.db.LotState(cb.ctx, cb.lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, st.Lot.Status)
	require.Len(t, st.Awarded(), 1)
	require.Equal(t, a.ID, st.Awarded()[0].SupplierID)
	require.Equal(t, refreshes+1, cb.count(t, `SELECT count(*) FROM outbox WHERE kind = 'claimed' AND (payload->>'lot_id')::bigint = $1`, cb.lot.ID),
		"the claim queued the refresh of every copy, the clicked one included")

	// The second structure clicks on its copy, still showing the button.
	cb.bot.editGap = time.Minute
	before := cb.snapshot(t)
	resp = cb.click(t, member(b), b.ChannelID, postB, claimB)
	require.Equal(t, "Le lot SCE est déjà attribué à resto 0. Rien n'a changé pour vous. Il est complet\u202f: cliquez sur "+
		"«\u202fMe mettre en liste d'attente\u202f» sur l'offre pour être prévenu si une place se libère.", resp.EphemeralText)
	require.Equal(t, before, cb.snapshot(t), "nothing changed in the database")
	require.NotNil(t, resp.Update, "its stale copy is shown as it is")
	require.Equal(t, []string{"waitjoin", "question"}, actionIDs(attachmentOf(t, resp.Update)), "only the waitlist's button is left")
	// Clicked again at once, as hundreds would: Mattermost applied the first re-rendering to
	// the post for everyone; the next refusals only answer.
	resp = cb.click(t, member(b), b.ChannelID, postB, claimB)
	require.Contains(t, resp.EphemeralText, "Le lot SCE est déjà attribué à resto 0. Rien n'a changé pour vous. Il est complet")
	require.Nil(t, resp.Update, "the copy was re-rendered by the first refusal")
	require.Equal(t, before, cb.snapshot(t))

	// A double click changes nothing either.
	resp = cb.click(t, member(a), a.ChannelID, postA, claimA)
	require.Equal(t, "**resto 0** a déjà le lot **SCE** (1 forfait)\u202f: rien n'a changé.", resp.EphemeralText)
	require.Nil(t, resp.Update)
	require.Equal(t, before, cb.snapshot(t))

	// Someone who is in no structure.
	resp = cb.click(t, guichet.Actor{UserID: "stranger-id", Username: "stranger"}, a.ChannelID, postA, claimA)
	require.Contains(t, resp.EphemeralText, "Vous n'êtes membre d'aucune structure")
	require.Equal(t, before, cb.snapshot(t))

	// The dispatcher brings every copy and the coordination up to date.
	cb.drain(t, cb.bot)
	for _, s := range cb.sups {
		p, btn := cb.offerIn(t, s.ChannelID, "claim")
		require.Nil(t, btn)
		require.Equal(t, "resto 0 — 1 forfait, 3\u202f500,00\u00a0€", offerFields(t, p)["Attribué à"])
	}
	var notices []string
	for _, p := range cb.mm.postsIn("coord-channel") {
		if strings.HasPrefix(p.Message, "✅") {
			notices = append(notices, p.Message)
		}
	}
	require.Equal(t, []string{"✅ **resto 0** prend le lot **SCE** — Scénographie (1 forfait)."}, notices)
}

// « Pas pour nous » records the structure's decline once, audited, with the board refreshed;
// the clicker is told privately, and a second click changes nothing.
func TestPassRecordsTheDecline(t *testing.T) {
	cb := setupClicks(t, &guichet.Lot{Code: "SCE", Title: "Scénographie", Category: "restauration", Quantity: 1, Budget: 1000})
	a := cb.sups[0]
	post, pass := cb.offerIn(t, a.ChannelID, "pass")
	before := cb.snapshot(t)
	resp := cb.click(t, member(a), a.ChannelID, post, pass)
	require.Equal(t, "👋 C'est noté\u202f: le lot **SCE** n'est pas pour **"+a.Name+"**. La coordination le voit sur son tableau. "+
		"Si vous changez d'avis, vous pouvez encore le prendre tant qu'il reste ouvert.", resp.EphemeralText)
	require.Nil(t, resp.Update)
	require.Equal(t, [3]int{before[0], before[1] + 1, before[2] + 1}, cb.snapshot(t), "no claim; one audit entry, one board refresh")
	require.Equal(t, 1, cb.count(t, `SELECT count(*) FROM lot_declines WHERE supplier_id = $1`, a.ID))

	again := cb.snapshot(t)
	resp = cb.click(t, member(a), a.ChannelID, post, pass)
	require.Contains(t, resp.EphemeralText, "déjà indiqué")
	require.Equal(t, again, cb.snapshot(t))
}

func TestShareThroughTheDialog(t *testing.T) {
	cb := setupClicks(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450,
		Unit: "couverts", Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4})
	a, b := cb.sups[0], cb.sups[1]
	post, share := cb.offerIn(t, a.ChannelID, "share")
	resp := cb.click(t, member(a), a.ChannelID, post, share)
	require.Empty(t, resp.EphemeralText)
	require.Nil(t, resp.Update)
	d := cb.lastDialog(t)
	require.Equal(t, "trigger-"+member(a).UserID, d.TriggerId)
	require.Equal(t, "Prendre une part", d.Dialog.Title)
	require.Contains(t, d.Dialog.IntroductionText, "il reste 450 couverts sur 450")
	require.Len(t, d.Dialog.Elements, 2, "quantity and note; one structure, no choice")
	require.Equal(t, "quantity", d.Dialog.Elements[0].Name)
	require.Equal(t, "450", d.Dialog.Elements[0].Default)
	require.LessOrEqual(t, len(d.Dialog.Title), 24)
	for _, e := range d.Dialog.Elements {
		require.LessOrEqual(t, len([]rune(e.DisplayName)), 24)
		require.LessOrEqual(t, len([]rune(e.HelpText)), 150)
	}

	before := cb.snapshot(t)
	errs := cb.submit(t, member(a), d, map[string]any{"quantity": "beaucoup", "note": ""})
	require.Equal(t, map[string]string{"quantity": "«\u202fbeaucoup\u202f» ne convient pas\u202f: écrivez un nombre entier de 1 à 450, par exemple 450."}, errs)
	errs = cb.submit(t, member(a), d, map[string]any{"quantity": "500", "note": ""})
	require.Equal(t, map[string]string{"quantity": "Il ne reste que 450 couverts sur le lot DEJ\u202f: demandez au plus 450."}, errs)
	require.Equal(t, before, cb.snapshot(t), "refused submissions change nothing")

	// The state is bound to the user who clicked.
	js, _ := json.Marshal(&model.SubmitDialogRequest{CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		UserId: member(b).UserID, Submission: map[string]any{"quantity": "10"}})
	r, err := http.Post(cb.srv.URL+"/mattermost/dialog", "application/json", strings.NewReader(string(js)))
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusForbidden, r.StatusCode)

	errs = cb.submit(t, member(a), d, map[string]any{"quantity": "120", "note": "Buffet végétarien possible"})
	require.Empty(t, errs)
	st, err := cb.db.LotState(cb.ctx, cb.lot.ID)
	require.NoError(t, err)
	require.Len(t, st.Awarded(), 1)
	require.Equal(t, int64(120), st.Awarded()[0].Quantity)
	require.Equal(t, "Buffet végétarien possible", st.Awarded()[0].Note)

	cb.drain(t, cb.bot)
	dm := cb.mm.postsIn("dm-" + member(a).UserID)
	require.Len(t, dm, 1, "confirmed by direct message")
	require.Equal(t, "✅ C'est noté\u202f: **resto 0** prend le lot **DEJ** — Déjeuner (120 couverts, 1\u202f440,00\u00a0€). La coordination est prévenue.", dm[0].Message)
	p, btn := cb.offerIn(t, b.ChannelID, "share")
	require.NotNil(t, btn, "a shared lot stays open")
	require.Equal(t, "330 couverts sur 450 (encore 3 structures au plus)", offerFields(t, p)["Reste à prendre"])
}

// cancelAfterClaim ends the request's context as soon as a claim is made, as a deadline
// passed while it waited for the database would; and refuses every other write to the outbox,
// as a database whose connections are all taken would.
type cancelAfterClaim struct {
	Store
	cancel context.CancelFunc
	refuse bool
}

func (s cancelAfterClaim) Claim(ctx context.Context, req guichet.ClaimRequest, now time.Time) (*guichet.ClaimResult, error) {
	res, err := s.Store.Claim(ctx, req, now)
	s.cancel()
	return res, err
}

func (s cancelAfterClaim) Enqueue(ctx context.Context, kind guichet.OutboxKind, p guichet.OutboxPayload) error {
	if s.refuse {
		return errors.New("no connection to the database in time")
	}
	return s.Store.Enqueue(ctx, kind, p)
}

// A claim made through the dialog is confirmed by direct message even when nothing more can be
// written after it; a second submission, which changes nothing, is answered all the same
// when the request's time ran out.
func TestClaimConfirmedWhenTheRequestRanOutOfTime(t *testing.T) {
	cb := setupClicks(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450,
		Unit: "couverts", Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4})
	a := cb.sups[0]
	store := cb.bot.store
	submit := func(refuse bool) guichet.DialogReply {
		ctx, cancel := context.WithCancel(cb.ctx)
		defer cancel()
		cb.bot.store = cancelAfterClaim{Store: store, cancel: cancel, refuse: refuse}
		defer func() { cb.bot.store = store }()
		reply := cb.bot.claimSubmitted(ctx, guichet.DialogSubmission{Actor: member(a), CallbackID: "bot.claim",
			ChannelID: a.ChannelID, State: fmt.Sprintf(`{"lot":%d}`, cb.lot.ID), Submission: map[string]any{"quantity": "20"}})
		require.Error(t, ctx.Err())
		return reply
	}

	require.Empty(t, submit(true).Errors, "the claim is made")
	cb.drain(t, cb.bot)
	dm := cb.mm.postsIn("dm-" + member(a).UserID)
	require.Len(t, dm, 1, "confirmed by direct message all the same")
	require.Contains(t, dm[0].Message, "prend le lot **DEJ**")

	require.Empty(t, submit(false).Errors)
	cb.drain(t, cb.bot)
	dm = cb.mm.postsIn("dm-" + member(a).UserID)
	require.Len(t, dm, 2, "the second submission is answered")
	require.Contains(t, dm[1].Message, "a déjà le lot **DEJ**")
	st, err := cb.db.LotState(cb.ctx, cb.lot.ID)
	require.NoError(t, err)
	require.Len(t, st.Awarded(), 1, "one claim")
}

func TestSlowUsernameLookUpLeavesTheSubmissionItsTime(t *testing.T) {
	cb := setupClicks(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450,
		Unit: "couverts", Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4})
	a := cb.sups[0]
	post, share := cb.offerIn(t, a.ChannelID, "share")
	cb.click(t, member(a), a.ChannelID, post, share)
	d := cb.lastDialog(t)

	// Mattermost answers the look-up of the submitter's name after the submission's deadline.
	cb.bot.handlerTimeout, cb.bot.usernameTimeout = 1500*time.Millisecond, 200*time.Millisecond
	cb.mm.set(func(f *fakeMM) { f.delay = 2 * time.Second })
	errs := cb.submit(t, member(a), d, map[string]any{"quantity": "20", "note": ""})
	cb.mm.set(func(f *fakeMM) { f.delay = 0 })
	require.Empty(t, errs, "the claim is made without the name")
	st, err := cb.db.LotState(cb.ctx, cb.lot.ID)
	require.NoError(t, err)
	require.Len(t, st.Awarded(), 1)
	require.Equal(t, int64(20), st.Awarded()[0].Quantity)
}

func TestMemberOfSeveralStructuresChooses(t *testing.T) {
	cb := setupClicks(t, &guichet.Lot{Code: "SCE", Title: "Scénographie", Category: "restauration", Quantity: 1, Budget: 1000})
	a, b := cb.sups[0], cb.sups[1]
	both := member(a)
	// Make a's member a member of b too, and add a structure of another trade.
	b.Members = append(b.Members, guichet.Member{UserID: both.UserID, Username: both.Username})
	other := &guichet.Supplier{Name: "Imprimerie", Categories: []string{"impression"}, Members: []guichet.Member{{UserID: both.UserID, Username: both.Username}}}
	outsider := &guichet.Supplier{Name: "Dehors", Categories: []string{"restauration"}, Members: []guichet.Member{{UserID: "someone", Username: "someone"}}}
	require.NoError(t, cb.db.UpsertSuppliers(cb.ctx, coordActor, []*guichet.Supplier{b, other, outsider}))

	post, claim := cb.offerIn(t, b.ChannelID, "claim")
	resp := cb.click(t, both, b.ChannelID, post, claim)
	require.Empty(t, resp.EphemeralText)
	d := cb.lastDialog(t)
	require.Equal(t, "Prendre le lot", d.Dialog.Title)
	require.Len(t, d.Dialog.Elements, 1)
	sel := d.Dialog.Elements[0]
	require.Equal(t, "supplier", sel.Name)
	var names []string
	for _, o := range sel.Options {
		names = append(names, o.Text)
	}
	require.Equal(t, []string{"resto 0", "resto 1"}, names, "only the structures of the lot's trade")
	require.Equal(t, strconv.FormatInt(b.ID, 10), sel.Default, "the structure of the channel clicked in")

	before := cb.snapshot(t)
	errs := cb.submit(t, both, d, map[string]any{"supplier": strconv.FormatInt(outsider.ID, 10)})
	require.Equal(t, map[string]string{"supplier": "Choisissez une des structures proposées\u202f: vous n'êtes pas membre de celle-ci."}, errs)
	errs = cb.submit(t, both, d, map[string]any{"supplier": "not-a-number"})
	require.Contains(t, errs, "supplier")
	require.Equal(t, before, cb.snapshot(t))

	require.Empty(t, cb.submit(t, both, d, map[string]any{"supplier": strconv.FormatInt(b.ID, 10)}))
	st, err := cb.db.LotState(cb.ctx, cb.lot.ID)
	require.NoError(t, err)
	require.Equal(t, b.ID, st.Awarded()[0].SupplierID)
}

func TestClickOnAClosedOffer(t *testing.T) {
	deadline := time.Date(2011, 3, 1, 9, 0, 0, 0, time.UTC) // an hour before the bot's clock
	cb := setupClicks(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450,
		Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4, Deadline: &deadline})
	a := cb.sups[0]
	// The offer went out before the deadline; render it as it was then.
	cb.bot.now = func() time.Time { return deadline.Add(-time.Hour) }
	st, err := cb.db.LotState(cb.ctx, cb.lot.ID)
	require.NoError(t, err)
	ev, err := cb.db.Event(cb.ctx, cb.event.ID)
	require.NoError(t, err)
	stale := cb.bot.OfferPost(st, ev, a.ChannelID)
	stale.Id = "stale-post"
	var share *model.PostAction
	for _, act := range attachmentOf(t, stale).Actions {
		if act.Id == "share" {
			share = act
		}
	}
	cb.bot.now = func() time.Time { return deadline.Add(time.Hour) }

	before := cb.snapshot(t)
	resp := cb.click(t, member(a), a.ChannelID, stale, share)
	require.Equal(t, "Le lot DEJ est clos\u202f: la date limite est passée.", resp.EphemeralText)
	require.NotNil(t, resp.Update)
	require.Empty(t, attachmentOf(t, resp.Update).Actions)
	require.Equal(t, before, cb.snapshot(t))
	cb.mm.mu.Lock()
	require.Empty(t, cb.mm.dialogs, "no dialog for a closed lot")
	cb.mm.mu.Unlock()
}
