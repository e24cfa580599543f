package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var coordActor = dbtest.Coordinator

// dispatchBundle is a real database with an event, a fake Mattermost and a Bot on both.
type dispatchBundle struct {
	ctx   context.Context
	url   string
	db    *db.DB
	mm    *fakeMM
	bot   *Bot
	event *guichet.Event
}

func setupDispatch(t *testing.T) *dispatchBundle {
	t.Helper()
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	d, err := db.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	mm := newFakeMM(t)
	mm.addChannel("coord-channel", "coordination", "team1")
	e := &guichet.Event{Slug: "assises-2011", Name: "Assises métropolitaines", Day: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC),
		CoordChannelID: "coord-channel"}
	require.NoError(t, d.CreateEvent(ctx, coordActor, e))
	// As every change to the event does: the board goes out first.
	require.NoError(t, d.Enqueue(ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: e.ID}))
	bd := &dispatchBundle{ctx: ctx, url: url, db: d, mm: mm, event: e}
	bd.bot = bd.newBot(t, time.Minute)
	return bd
}

// newBot returns another Bot (a replica) on the bundle's database and fake Mattermost. Claims
// are shown at once (no EditGap), so that draining shows them.
func (bd *dispatchBundle) newBot(t *testing.T, poll time.Duration) *Bot {
	t.Helper()
	return bd.newBotGap(t, poll, -1)
}

// newBotGap is newBot with Deps.EditGap gap.
func (bd *dispatchBundle) newBotGap(t *testing.T, poll, gap time.Duration) *Bot {
	t.Helper()
	b, err := New(Deps{
		Store: bd.db, Access: &guichet.Access{Store: bd.db}, Catalog: catalog,
		Client: bd.mm.client(ClientOptions{Timeout: 2 * time.Second}), Signer: testSigner(t),
		CommandTokens: []string{testCommandToken}, PublicURL: testPublicURL,
		Now: func() time.Time { return time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC) }, Logger: quietLogger(),
		ListenOutbox: func(ctx context.Context, onNotify func(string)) func() {
			return db.ListenOutbox(ctx, bd.url, quietLogger(), onNotify)
		},
		PollInterval: poll, EditGap: gap,
	})
	require.NoError(t, err)
	b.jitter = func() float64 { return 0 }
	return b
}

// suppliers creates n suppliers serving category, each with a channel "<prefix>-<i>" known to
// the fake Mattermost and one member "<prefix><i>-user".
func (bd *dispatchBundle) suppliers(t *testing.T, n int, prefix, category string) []*guichet.Supplier {
	t.Helper()
	var out []*guichet.Supplier
	for i := 0; i < n; i++ {
		ch := fmt.Sprintf("%s-%d", prefix, i)
		bd.mm.addChannel(ch+"-channel", ch, "team1")
		out = append(out, &guichet.Supplier{Name: fmt.Sprintf("%s %d", prefix, i), Categories: []string{category},
			ChannelID: ch + "-channel", ChannelName: ch,
			Members: []guichet.Member{{UserID: fmt.Sprintf("%s%d-user", prefix, i), Username: fmt.Sprintf("%s%d", prefix, i)}}})
	}
	require.NoError(t, bd.db.UpsertSuppliers(bd.ctx, coordActor, out))
	return out
}

func (bd *dispatchBundle) lot(t *testing.T, l *guichet.Lot) *guichet.Lot {
	t.Helper()
	require.NoError(t, bd.db.AddLots(bd.ctx, coordActor, bd.event.ID, []*guichet.Lot{l}))
	return l
}

// drain delivers until nothing is due.
func (bd *dispatchBundle) drain(t *testing.T, b *Bot) {
	t.Helper()
	for i := 0; i < 50; i++ {
		n, err := b.DeliverDue(bd.ctx)
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("the outbox does not drain")
}

func (bd *dispatchBundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, bd.db.SQL().GetContext(bd.ctx, &n, query, args...))
	return n
}

func offerFields(t *testing.T, p *model.Post) map[string]string {
	t.Helper()
	require.NotNil(t, p)
	return fieldsOf(attachmentOf(t, p))
}

func TestDispatcherPublishesAndRefreshes(t *testing.T) {
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 2, "resto", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Unit: "couverts",
		Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 4, SlotStart: "12:00", SlotEnd: "14:00"})
	n, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	bd.drain(t, bd.bot)

	posts, err := bd.db.OfferPosts(bd.ctx, lot.ID)
	require.NoError(t, err)
	require.Len(t, posts, 2)
	for i, s := range sups {
		in := bd.mm.postsIn(s.ChannelID)
		require.Len(t, in, 1, "one offer in %s", s.ChannelID)
		require.Equal(t, in[0].Id, posts[i].PostID)
		a := attachmentOf(t, in[0])
		require.Equal(t, "DEJ — Déjeuner", a.Title)
		require.Equal(t, []string{"share", "pass", "question"}, actionIDs(a))
	}
	boards := bd.mm.postsIn("coord-channel")
	require.Len(t, boards, 1, "one status board")
	require.Contains(t, boards[0].Message, "Tableau de bord — Assises métropolitaines")
	boardID, err := bd.db.BoardPostID(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.Equal(t, boards[0].Id, boardID)
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
	require.Equal(t, 2, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'publish_offer' AND post_id <> ''`))

	_, err = bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: guichet.Actor{UserID: "resto0-user", Username: "resto0"},
		LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 100}, renderNow)
	require.NoError(t, err)
	bd.drain(t, bd.bot)

	for _, p := range posts {
		f := offerFields(t, bd.mm.post(p.PostID))
		require.Equal(t, "resto 0 — 100 couverts, 1\u202f200,00\u00a0€", f["Attribué à"], "every copy shows the holder")
		require.Equal(t, "350 couverts sur 450 (encore 3 structures au plus)", f["Reste à prendre"])
	}
	coord := bd.mm.postsIn("coord-channel")
	require.Len(t, coord, 2, "the board, updated in place, and the notice")
	require.Equal(t, boardID, coord[0].Id)
	require.Contains(t, coord[0].Message, "resto 0 (100)")
	require.Equal(t, "✅ **resto 0** prend le lot **DEJ** — Déjeuner (100 couverts).", coord[1].Message)
}

func TestDispatcherParksRefusalsAndTellsTheCoordinator(t *testing.T) {
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 2, "resto", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000})
	bd.mm.set(func(f *fakeMM) { f.refuse[sups[1].ChannelID] = http.StatusForbidden })
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)

	require.Len(t, bd.mm.postsIn(sups[0].ChannelID), 1)
	require.Empty(t, bd.mm.postsIn(sups[1].ChannelID))
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND kind = 'publish_offer'
		AND payload->>'channel_id' = $1 AND last_error LIKE '%403%'`, sups[1].ChannelID))
	var told []string
	for _, p := range bd.mm.postsIn("coord-channel") {
		if strings.HasPrefix(p.Message, "⚠️") {
			told = append(told, p.Message)
		}
	}
	require.Equal(t, []string{"⚠️ Je n'ai pas pu publier l'offre du lot **DEJ** dans ~resto-1\u202f: je ne suis pas membre de ce canal. " +
		"Invitez-moi dans ce canal (`/invite @guichet`), puis publiez de nouveau. Le message est mis de côté."}, told)
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM offer_posts WHERE lot_id = $1`, lot.ID), "the refused copy is forgotten")

	// Once the bot is invited, publishing again reaches the channel.
	bd.mm.set(func(f *fakeMM) { delete(f.refuse, sups[1].ChannelID) })
	n, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	bd.drain(t, bd.bot)
	require.Len(t, bd.mm.postsIn(sups[1].ChannelID), 1)
	require.Len(t, bd.mm.postsIn(sups[0].ChannelID), 1, "the first channel gets no second copy")
}

func TestDispatcherTellsTheCoordinatorsDirectlyWhatTheCoordinationChannelRefused(t *testing.T) {
	bd := setupDispatch(t)
	_, err := bd.db.AddEventCoordinator(bd.ctx, coordActor, bd.event.ID, "second-coord-id")
	require.NoError(t, err)
	bd.mm.set(func(f *fakeMM) { f.refuse["coord-channel"] = http.StatusForbidden })
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
		ChannelID: "coord-channel", EventID: bd.event.ID, MessageID: "NoticeWithdrawn",
		Args: map[string]any{"Supplier": "Kenja", "Code": "DEJ", "Title": "Déjeuner", "Quantity": 80, "Unit": "couverts", "Reason": "malade"}}))
	bd.drain(t, bd.bot)
	require.Equal(t, 2, bd.count(t, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL`), "the board and the notice")
	// Each coordinator of the event gets one direct message, quoting the refused notice.
	for _, id := range []string{coordActor.UserID, "second-coord-id"} {
		posts := bd.mm.postsIn("dm-" + id)
		require.Len(t, posts, 2, "%s: the board's refusal and the notice's", id)
		var quoted int
		for _, p := range posts {
			require.Contains(t, p.Message, "Mattermost a refusé un message de **Assises métropolitaines** pour le canal ~coordination (erreur 403)")
			if strings.Contains(p.Message, "Kenja") && strings.Contains(p.Message, "malade") {
				quoted++
			}
		}
		require.Equal(t, 1, quoted, "%s: the notice's text is quoted once", id)
	}
	require.Equal(t, 6, bd.count(t, `SELECT count(*) FROM outbox`), "two refused, four direct messages, no loop")
	require.Equal(t, 0, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND parked_at IS NULL`))
}

func TestDispatcherRetriesWhileMattermostIsDown(t *testing.T) {
	bd := setupDispatch(t)
	bd.drain(t, bd.bot) // the board of the new event
	for i := 0; i < 3; i++ {
		require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: fmt.Sprintf("ch-%d", i), MessageID: "MsgPassed", Args: map[string]any{"Code": fmt.Sprint("L", i)}}))
	}
	bd.mm.set(func(f *fakeMM) { f.down = true })
	posted := bd.mm.countCalls("POST /api/v4/posts")
	failedAt := time.Now()
	n, err := bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, 1, bd.mm.countCalls("POST /api/v4/posts")-posted, "after the first silence the rest of the batch is given back untried")
	require.Equal(t, 3, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND delivered_at IS NULL AND parked_at IS NULL
		AND attempts = 1 AND last_error <> '' AND next_attempt_at > now()`))
	var next time.Time
	require.NoError(t, bd.db.SQL().GetContext(bd.ctx, &next, `SELECT min(next_attempt_at) FROM outbox WHERE kind = 'notice'`))
	require.WithinDuration(t, failedAt.Add(2*time.Second), next, time.Second, "first retry after 2 s")
	n, err = bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing is due before its retry time")

	// Still down at the next try: the delay doubles.
	bd.bot.outboxNow = func() time.Time { return time.Now().Add(time.Minute) }
	_, err = bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.NoError(t, bd.db.SQL().GetContext(bd.ctx, &next, `SELECT next_attempt_at FROM outbox WHERE kind = 'notice' AND attempts = 2`))
	require.WithinDuration(t, time.Now().Add(time.Minute+4*time.Second), next, time.Second)

	bd.mm.set(func(f *fakeMM) { f.down = false })
	bd.bot.outboxNow = func() time.Time { return time.Now().Add(time.Hour) }
	bd.drain(t, bd.bot)
	for i := 0; i < 3; i++ {
		in := bd.mm.postsIn(fmt.Sprintf("ch-%d", i))
		require.Len(t, in, 1, "delivered once back")
		require.Contains(t, in[0].Message, fmt.Sprint("L", i))
	}
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
}

func TestDispatcherWaitsOutRateLimits(t *testing.T) {
	bd := setupDispatch(t)
	waits := recordSleeps(bd.bot.client)
	bd.mm.set(func(f *fakeMM) { f.limited = 3 })
	bd.drain(t, bd.bot)
	require.Len(t, bd.mm.postsIn("coord-channel"), 1)
	require.Len(t, *waits, 3)
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL OR attempts <> 1`), "429 is not a failure")
}

func TestDispatcherParksWhatCannotBeDelivered(t *testing.T) {
	bd := setupDispatch(t)
	bd.drain(t, bd.bot)
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: "x", MessageID: "MsgNoSuchMessage"}))
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{MessageID: "MsgPassed"}))
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxPublishOffer, guichet.OutboxPayload{LotID: 987654, ChannelID: "x"}))
	_, err := bd.db.SQL().ExecContext(bd.ctx, `INSERT INTO outbox (kind, payload) VALUES ('notice', '"not an object"'), ('mystery', '{}')`)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	require.Equal(t, 4, bd.count(t, `SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND kind <> 'mystery'`))
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'mystery' AND parked_at IS NULL
		AND delivered_at IS NULL AND next_attempt_at > now()`), "a kind no handler knows waits for one")
	require.Len(t, bd.mm.postsIn("coord-channel"), 1, "only the board: nothing to tell about these")
}

func TestDispatcherCoalescesRefreshes(t *testing.T) {
	bd := setupDispatch(t)
	bd.suppliers(t, 3, "resto", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Budget: 540000})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	updates := bd.mm.countCalls("PUT /api/v4/posts/")
	for i := 0; i < 5; i++ {
		require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID}))
		require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: bd.event.ID}))
	}
	bd.drain(t, bd.bot)
	require.Equal(t, 3+1, bd.mm.countCalls("PUT /api/v4/posts/")-updates, "each copy and the board updated once")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
}

// sharedLotPublished publishes a lot three structures may share, one copy in each one's
// channel, and delivers it.
func (bd *dispatchBundle) sharedLotPublished(t *testing.T) ([]*guichet.Supplier, *guichet.Lot) {
	t.Helper()
	sups := bd.suppliers(t, 3, "resto", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 450, Unit: "repas",
		Budget: 540000, Mode: guichet.Shared, MaxSuppliers: 3})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	return sups, lot
}

// A claim's one message refreshes every copy of the offer and the board (posting it again if
// it was deleted), and tells the coordination; in a batch, the claims of one lot and event
// share one refresh of each, and each claim still gets its own notice.
func TestDispatcherDeliversClaims(t *testing.T) {
	bd := setupDispatch(t)
	sups, lot := bd.sharedLotPublished(t)
	var err error
	// The board was deleted: the first claim's message posts it again, and its notice too.
	board, err := bd.db.BoardPostID(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.NoError(t, bd.bot.client.DeletePost(bd.ctx, board))
	updates := bd.mm.countCalls("PUT /api/v4/posts/")
	notices := len(bd.mm.postsIn("coord-channel"))
	for i, s := range sups {
		_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: int64(100 + i)}, bd.bot.now())
		require.NoError(t, err)
	}
	require.Equal(t, 3, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'claimed' AND delivered_at IS NULL`))
	bd.drain(t, bd.bot)
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
	require.Equal(t, 3+1, bd.mm.countCalls("PUT /api/v4/posts/")-updates, "each copy updated once, the deleted board tried once")
	posts := bd.mm.postsIn("coord-channel")
	require.Len(t, posts, notices+1+3, "the board posted again, one notice per claim")
	require.Contains(t, posts[len(posts)-1].Message, "resto 2")
	for _, s := range sups {
		copy := bd.mm.postsIn(s.ChannelID)
		require.Len(t, copy, 1)
		require.Contains(t, copy[0].Attachments()[0].Text, "Ce lot est attribué", "the copy shows the lot filled by the third claim")
	}

	// Delivered again (a lease that ran out), a claim's message posts no second notice.
	_, err = bd.db.SQL().ExecContext(bd.ctx, `UPDATE outbox SET delivered_at = NULL, next_attempt_at = now() WHERE id =
		(SELECT max(id) FROM outbox WHERE kind = 'claimed')`)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	require.Len(t, bd.mm.postsIn("coord-channel"), notices+1+3)
}

// A claim's refresh leaves alone the copies of an offer that already show the lot as it is (its
// message queued behind others that refreshed them): under a burst of claims, each member in a
// channel receives one edit per change, not one per claim. A refresh queued for another reason
// updates them all the same.
func TestDispatcherLeavesAloneCopiesThatAlreadyShowTheClaim(t *testing.T) {
	bd := setupDispatch(t)
	sups, lot := bd.sharedLotPublished(t)
	var err error
	edits := bd.offerEdits(t, sups)
	claim := func(s *guichet.Supplier, q int64) {
		t.Helper()
		_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: q}, bd.bot.now())
		require.NoError(t, err)
	}
	again := func() {
		t.Helper()
		_, err := bd.db.SQL().ExecContext(bd.ctx, `UPDATE outbox SET delivered_at = NULL, next_attempt_at = now() WHERE id =
			(SELECT max(id) FROM outbox WHERE kind = 'claimed')`)
		require.NoError(t, err)
	}

	claim(sups[0], 100)
	bd.drain(t, bd.bot)
	require.Equal(t, 3, edits(), "a claim updates every copy")
	for _, s := range sups {
		require.Contains(t, offerText(t, bd.mm.postsIn(s.ChannelID)[0]), "resto 0")
	}

	// The same claim's message delivered again, as one queued behind a refresh that showed it.
	again()
	bd.drain(t, bd.bot)
	require.Equal(t, 3, edits(), "copies already showing the claim are not edited")

	// One copy was posted anew (its version unknown): that one only is updated.
	_, err = bd.db.SQL().ExecContext(bd.ctx, `UPDATE offer_posts SET shown_version = '' WHERE lot_id = $1 AND channel_id = $2`,
		lot.ID, sups[1].ChannelID)
	require.NoError(t, err)
	again()
	bd.drain(t, bd.bot)
	require.Equal(t, 4, edits())

	// A refresh for another reason updates every copy.
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID}))
	bd.drain(t, bd.bot)
	require.Equal(t, 7, edits())

	// A new claim changes the lot: every copy is updated and shows it.
	claim(sups[1], 50)
	bd.drain(t, bd.bot)
	require.Equal(t, 10, edits())
	for _, s := range sups {
		require.Contains(t, offerText(t, bd.mm.postsIn(s.ChannelID)[0]), "resto 1")
	}
}

// Under a burst of claims, each in its own batch, an offer is edited at once for the first,
// then once at the end of the gap for all the others: the last claim is shown, and a refresh
// queued for another reason right after still edits at once.
func TestDispatcherGathersTheEditsOfABurstOfClaims(t *testing.T) {
	bd := setupDispatch(t)
	// A gap no test run lasts, ended by moving the outbox's clock.
	const gap = time.Hour
	bd.bot = bd.newBotGap(t, time.Minute, gap)
	var ahead atomic.Int64
	bd.bot.outboxNow = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	sups, lot := bd.sharedLotPublished(t)
	edits := bd.offerEdits(t, sups)
	gathered := func() int {
		return bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'refresh_offer' AND delivered_at IS NULL
			AND payload = jsonb_build_object('lot_id', $1::bigint, 'gathered', true)`, lot.ID)
	}
	claim := func(s *guichet.Supplier, q int64) {
		t.Helper()
		_, err := bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: q}, bd.bot.now())
		require.NoError(t, err)
		bd.drain(t, bd.bot)
	}

	claim(sups[0], 100)
	require.Equal(t, 3, edits(), "the first claim is shown at once")
	claim(sups[1], 50)
	claim(sups[2], 20)
	require.Equal(t, 3, edits(), "claims within the gap wait for it")
	require.Equal(t, 1, gathered(), "one refresh gathers them")
	for _, s := range sups {
		require.NotContains(t, offerText(t, bd.mm.postsIn(s.ChannelID)[0]), "resto 2")
	}

	// At the end of the gap, the gathered refresh shows the last claim, each copy edited once.
	ahead.Store(int64(gap))
	bd.drain(t, bd.bot)
	require.Zero(t, gathered())
	require.Equal(t, 6, edits())
	_, versions, err := bd.db.LotStates(bd.ctx, []int64{lot.ID})
	require.NoError(t, err)
	posts, err := bd.db.OfferPosts(bd.ctx, lot.ID)
	require.NoError(t, err)
	for _, op := range posts {
		require.Equal(t, versions[lot.ID], op.ShownVersion, "every copy shows the lot as it is")
	}
	for _, s := range sups {
		require.Contains(t, offerText(t, bd.mm.postsIn(s.ChannelID)[0]), "resto 2")
	}

	// A refresh queued for another reason right after is not held back.
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID}))
	bd.drain(t, bd.bot)
	require.Equal(t, 9, edits())
}

// offerEdits returns a count of the edits made so far to the offers posted in the channels of
// sups (one copy each).
func (bd *dispatchBundle) offerEdits(t *testing.T, sups []*guichet.Supplier) func() int {
	t.Helper()
	copies := map[string]bool{}
	for _, s := range sups {
		for _, p := range bd.mm.postsIn(s.ChannelID) {
			copies[p.Id] = true
		}
	}
	require.Len(t, copies, len(sups))
	return func() int {
		n := 0
		bd.mm.set(func(f *fakeMM) {
			for _, u := range f.updates {
				if copies[u.Id] {
					n++
				}
			}
		})
		return n
	}
}

// offerText is everything an offer's post shows, as JSON.
func offerText(t *testing.T, p *model.Post) string {
	t.Helper()
	out, err := json.Marshal(p.Attachments())
	require.NoError(t, err)
	return string(out)
}

func TestDispatcherPostsTheBoardAgainWhenItWasDeleted(t *testing.T) {
	bd := setupDispatch(t)
	bd.drain(t, bd.bot)
	first, err := bd.db.BoardPostID(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.NoError(t, bd.bot.client.DeletePost(bd.ctx, first))
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: bd.event.ID}))
	bd.drain(t, bd.bot)
	second, err := bd.db.BoardPostID(bd.ctx, bd.event.ID)
	require.NoError(t, err)
	require.NotEqual(t, first, second)
	require.Len(t, bd.mm.postsIn("coord-channel"), 1)
}

func TestDispatchersShareTheWork(t *testing.T) {
	bd := setupDispatch(t)
	const messages = 120
	for i := 0; i < messages; i++ {
		require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: fmt.Sprintf("ch-%d", i%7), MessageID: "MsgPassed", Args: map[string]any{"Code": fmt.Sprint("L", i)}}))
	}
	ctx, cancel := context.WithCancel(bd.ctx)
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		replica := bd.newBot(t, 20*time.Millisecond)
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, replica.RunDispatcher(ctx))
		}()
	}
	require.Eventually(t, func() bool {
		return bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`) == 0
	}, 30*time.Second, 50*time.Millisecond)
	cancel()
	wg.Wait()

	bd.mm.mu.Lock()
	defer bd.mm.mu.Unlock()
	require.Len(t, bd.mm.created, messages+1, "every message and the board, once")
	for id, calls := range bd.mm.creates {
		require.Equal(t, 1, calls, "pending post %s sent %d times", id, calls)
	}
}

// runDispatcher runs b's dispatcher until the returned stop is called; stop fails the test
// unless the dispatcher returns nil within 5 seconds.
func runDispatcher(t *testing.T, ctx context.Context, b *Bot) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.RunDispatcher(ctx) }()
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("the dispatcher did not stop")
		}
	}
}

func TestDispatcherWakesOnNotify(t *testing.T) {
	bd := setupDispatch(t)
	stop := runDispatcher(t, bd.ctx, bd.newBot(t, time.Hour))
	require.Eventually(t, func() bool { return len(bd.mm.postsIn("coord-channel")) == 1 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // idle now, until a notification or in an hour
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
		ChannelID: "coord-channel", MessageID: "MsgPassed", Args: map[string]any{"Code": "DEJ"}}))
	require.Eventually(t, func() bool { return len(bd.mm.postsIn("coord-channel")) == 2 }, 5*time.Second, 20*time.Millisecond)
	stop()
}

func TestDispatcherFinishesTheMessageInHandOnShutdown(t *testing.T) {
	bd := setupDispatch(t)
	bd.drain(t, bd.bot)
	for i := 0; i < 3; i++ {
		require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: "coord-channel", MessageID: "MsgPassed", Args: map[string]any{"Code": fmt.Sprint("L", i)}}))
	}
	bd.mm.set(func(f *fakeMM) { f.delay = 400 * time.Millisecond })
	posts := bd.mm.countCalls("POST /api/v4/posts")
	stop := runDispatcher(t, bd.ctx, bd.bot)
	require.Eventually(t, func() bool { return bd.mm.countCalls("POST /api/v4/posts") > posts }, 5*time.Second, 5*time.Millisecond)
	stop()
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND delivered_at IS NOT NULL`),
		"the message in hand was delivered")
	require.Equal(t, 2, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND delivered_at IS NULL
		AND next_attempt_at <= now()`), "the rest was given back, due at once")
}

func TestDispatcherDeliversARefreshQueuedBehindManyOffersWithTheNextBatch(t *testing.T) {
	bd := setupDispatch(t)
	bd.suppliers(t, 4, "resto", "restauration")
	first := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 1, Budget: 100})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	bd.drain(t, bd.bot)
	for i := 0; i < 13; i++ {
		bd.lot(t, &guichet.Lot{Code: fmt.Sprint("L", i), Title: "Lot", Category: "restauration", Quantity: 1, Budget: 100})
	}
	bd.drain(t, bd.bot) // the boards
	n, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	require.Equal(t, 52, n, "more offers than a batch")
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: first.ID}))

	taken, err := bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Equal(t, outboxBatch+2, taken, "the oldest offers, the board and the refresh")
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE kind <> 'publish_offer' AND delivered_at IS NULL`),
		"the refresh and the board went with the first batch")
	require.Equal(t, 52-outboxBatch, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
	bd.drain(t, bd.bot)
	require.Zero(t, bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
}

// A claim wakes the dispatcher of its own process (db.DB.Claimed wired to Bot.Wake; it does not
// notify through PostgreSQL), once the gathering window is over.
func TestDispatcherGathersTheWakeUpOfAClaim(t *testing.T) {
	bd := setupDispatch(t)
	sups := bd.suppliers(t, 1, "resto", "restauration")
	lot := bd.lot(t, &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 1, Budget: 100})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	b := bd.newBot(t, time.Hour)
	bd.db.Claimed = b.Wake
	stop := runDispatcher(t, bd.ctx, b)
	pending := func() int { return bd.count(t, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`) }
	require.Eventually(t, func() bool { return pending() == 0 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // idle now, until a notification or in an hour

	claimed := time.Now()
	_, err = bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, bd.bot.now())
	require.NoError(t, err)
	require.Eventually(t, func() bool { return pending() == 0 }, 10*time.Second, 5*time.Millisecond)
	var last time.Time
	require.NoError(t, bd.db.SQL().GetContext(bd.ctx, &last, `SELECT max(delivered_at) FROM outbox WHERE kind = 'claimed'`))
	require.GreaterOrEqual(t, last.Sub(claimed), outboxGather-20*time.Millisecond,
		"a claim's messages wait for the gathering window")
	stop()
}

// A post whose create went unanswered in time may still be created by Mattermost, after the
// time during which it drops a second create of the same post: the message is not attempted
// again before then, and the next attempt finds that post instead of posting it twice.
func TestAnUnansweredPostIsNotPostedTwice(t *testing.T) {
	bd := setupDispatch(t)
	bd.drain(t, bd.bot) // the board of the new event
	require.NoError(t, bd.db.Enqueue(bd.ctx, guichet.OutboxNotice, guichet.OutboxPayload{
		ChannelID: "ch-slow", MessageID: "MsgPassed", Args: map[string]any{"Code": "DEJ"}}))
	// Mattermost (scaled down): a create takes 600 ms, the bot waits 100 ms for its answer, a
	// pending post id is remembered for 300 ms.
	bd.bot.client.timeout = 100 * time.Millisecond
	bd.mm.set(func(f *fakeMM) { f.createDelay, f.pendingTTL = 600*time.Millisecond, 300*time.Millisecond })
	n, err := bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, bd.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND delivered_at IS NULL
		AND last_error LIKE '%deadline exceeded%'`), "the create went unanswered")

	// Past the pending id's memory, the first create still under way: the ordinary delay
	// before a retry (2 s) has passed, but the message is not due.
	time.Sleep(350 * time.Millisecond)
	bd.bot.outboxNow = func() time.Time { return time.Now().Add(10 * time.Second) }
	n, err = bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Zero(t, n, "not attempted while Mattermost may still create the first post")
	require.Eventually(t, func() bool { return len(bd.mm.postsIn("ch-slow")) == 1 }, 5*time.Second, 20*time.Millisecond,
		"Mattermost created the post it did not answer for")

	bd.bot.outboxNow = func() time.Time { return time.Now().Add(unansweredWait + time.Second) }
	bd.drain(t, bd.bot)
	posts := bd.mm.postsIn("ch-slow")
	require.Len(t, posts, 1, "posted once")
	var postID string
	require.NoError(t, bd.db.SQL().GetContext(bd.ctx, &postID, `SELECT post_id FROM outbox WHERE kind = 'notice'`))
	require.Equal(t, posts[0].Id, postID, "the post found is the one recorded")
}
