package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// Labels of the offer buttons, as people read them.
const (
	btnClaim = "Je prends"
	btnPass  = "Pas pour nous"
)

func TestCoordinatorHelpIsPrivateAndInFrench(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "aide")
	cat := l10n.New()
	fr, en := cat.T("fr", "HelpDescHelp", nil), cat.T("en", "HelpDescHelp", nil)
	require.NotEqual(t, fr, en, "the catalogues should describe the help command in both languages")

	watch := w.coord.Watch(t)
	resp, err := w.coord.Command(ctx, w.coordChannel.Id, "/guichet aide")
	require.NoError(t, err)
	require.NotEqual(t, model.CommandResponseTypeInChannel, resp.ResponseType, "the help must be private")
	require.Contains(t, resp.Text, fr, "the help should be in French")
	require.NotContains(t, resp.Text, en)
	require.Contains(t, resp.Text, "/guichet")

	// The coordinator sees it as a private reply; the other member of the channel sees nothing.
	eph := watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, fr) })
	require.Equal(t, w.coordChannel.Id, eph.ChannelId)
	posts, err := w.observer.Posts(ctx, w.coordChannel.Id)
	require.NoError(t, err)
	for _, p := range posts {
		require.NotContains(t, p.Message, fr, "the help was posted in the channel")
	}
}

func TestOfferClaimedFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "offre", "Atelier Pochette", "Fil Rouge")
	lot := w.addLot(t, &guichet.Lot{Code: "POC", Title: "Pochettes congressistes", Quantity: 450, Unit: "pochettes",
		Budget: 135000, Mode: guichet.Exclusive, Description: "Pochettes remises à l'accueil"})
	w.publish(t, 2)

	// The offer appears in each structure's channel, with its buttons, posted by the bot.
	postA := w.offerPost(t, 0, lot, btnClaim, btnPass)
	postB := w.offerPost(t, 1, lot, btnClaim, btnPass)
	require.Contains(t, mmrig.PostText(postA), "1\u202f350,00\u00a0€", "the offer shows the budget")
	// A copy of the offer as it was before anyone took it, which no refresh will reach: what a
	// second structure may still click while the first claim is being delivered.
	stale := postStaleOffer(t, lot.ID, w.channels[1].Id)

	watchA, watchB := w.members[0].Watch(t), w.members[1].Watch(t)
	require.NoError(t, w.members[0].Click(t, postA.Id, btnClaim))

	// The clicked post now names the structure and has no "Je prends" any more; the clicker
	// is told privately; the coordination channel is told; every other copy shows the same.
	taken := func(p *model.Post) bool {
		return strings.Contains(mmrig.PostText(p), "Atelier Pochette") && mmrig.Button(p, btnClaim) == nil
	}
	rig.WaitPostByID(t, postA.Id, taken)
	watchA.Ephemeral(t, func(p *model.Post) bool { return p.ChannelId == w.channels[0].Id })
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		text := mmrig.PostText(p)
		return p.UserId == rig.BotUserID() && strings.Contains(text, "Atelier Pochette") && strings.Contains(text, lot.Code)
	})
	rig.WaitPostByID(t, postB.Id, taken)

	// A member of the other structure clicks after, on a copy still showing the button: told
	// privately who has it, and nothing changes.
	before := claims(t, lot.ID)
	require.Len(t, before, 1)
	require.NoError(t, w.members[1].Click(t, stale.Id, btnClaim))
	eph := watchB.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "déjà attribué") })
	require.Contains(t, eph.Message, "Atelier Pochette")
	require.Equal(t, w.channels[1].Id, eph.ChannelId)

	after := claims(t, lot.ID)
	require.Len(t, after, 1, "the second click made a claim")
	require.Equal(t, w.suppliers[0].ID, after[0].SupplierID)
	require.Equal(t, guichet.ClaimAwarded, after[0].Status)
	require.Equal(t, w.members[0].ID, after[0].ClickedBy)
	require.Equal(t, before[0].UpdatedAt, after[0].UpdatedAt)
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit_trail WHERE lot_id = $1 AND action LIKE 'claim.%'`, lot.ID))
	l, err := rig.DB().Lot(ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, l.Status)
}

// postStaleOffer posts, as the bot, the offer of the lot as it is now, rendered by the bot's
// own code with the rig's signing key, without recording it: a copy the bot will not refresh.
// It checks that the copy shows the button labelled button ("Je prends" when not given).
func postStaleOffer(t *testing.T, lotID int64, channelID string, button ...string) *model.Post {
	t.Helper()
	ctx := context.Background()
	signer, err := bot.NewSigner([]byte(rig.SigningKey()))
	require.NoError(t, err)
	client := bot.NewClient(rig.MattermostURL(), rig.Setup().BotToken, bot.ClientOptions{})
	renderer, err := bot.New(bot.Deps{
		Store: rig.DB(), Access: &guichet.Access{Store: rig.DB()}, Catalog: l10n.New(), Client: client,
		Signer: signer, CommandTokens: []string{rig.CommandToken()}, PublicURL: rig.BotURL(),
	})
	require.NoError(t, err)
	st, err := rig.DB().LotState(ctx, lotID)
	require.NoError(t, err)
	ev, err := rig.DB().Event(ctx, st.Lot.EventID)
	require.NoError(t, err)
	post, err := client.CreatePost(ctx, renderer.OfferPost(st, ev, channelID), fmt.Sprintf("e2e-stale-%d", lotID))
	require.NoError(t, err)
	label := btnClaim
	if len(button) > 0 {
		label = button[0]
	}
	require.NotNil(t, mmrig.Button(post, label), "the stale copy should show %q", label)
	return post
}

func TestForgedActionsAreRefusedAndChangeNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "sceau", "Atelier Sceau")
	lotX := w.addLot(t, &guichet.Lot{Code: "AFF", Title: "Affiches de la journée", Quantity: 1, Unit: "lot", Budget: 40000, Mode: guichet.Exclusive})
	lotY := w.addLot(t, &guichet.Lot{Code: "BAN", Title: "Banderoles de la journée", Quantity: 1, Unit: "lot", Budget: 60000, Mode: guichet.Exclusive})
	w.publish(t, 2)
	postX := w.offerPost(t, 0, lotX, btnClaim)
	w.offerPost(t, 0, lotY, btnClaim)
	action := mmrig.Button(postX, btnClaim).Id
	member := w.members[0]

	good, err := bot.NewSigner([]byte(rig.SigningKey()))
	require.NoError(t, err)
	other, err := bot.NewSigner([]byte(strings.Repeat("not the bot's key ", 3)))
	require.NoError(t, err)
	later := time.Now().Add(time.Hour)
	lotFields := func(l *guichet.Lot) map[string]string { return map[string]string{"lot": strconv.FormatInt(l.ID, 10)} }

	cases := map[string]struct {
		context map[string]any
		status  []int
	}{
		"no context": {context: nil, status: []int{http.StatusUnauthorized}},
		"no signature": {context: func() map[string]any {
			c := good.ButtonContext(action, lotFields(lotX), "", later)
			delete(c, "sig")
			return c
		}(), status: []int{http.StatusUnauthorized}},
		"forged signature": {context: other.ButtonContext(action, lotFields(lotX), "", later), status: []int{http.StatusForbidden}},
		"tampered lot": {context: func() map[string]any {
			c := good.ButtonContext(action, lotFields(lotX), "", later)
			c["fields"] = map[string]any{"lot": strconv.FormatInt(lotY.ID, 10)}
			return c
		}(), status: []int{http.StatusForbidden}},
		"expired":               {context: good.ButtonContext(action, lotFields(lotX), "", time.Now().Add(-time.Minute)), status: []int{http.StatusForbidden}},
		"bound to another user": {context: good.ButtonContext(action, lotFields(lotX), rig.User("intrus").ID, later), status: []int{http.StatusForbidden}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, body := postAction(t, member, w.channels[0].Id, postX.Id, tc.context)
			require.Contains(t, tc.status, status, "answer: %s", body)
		})
	}
	require.Empty(t, claims(t, lotX.ID), "a refused click made a claim")
	require.Empty(t, claims(t, lotY.ID), "a refused click made a claim")
	require.Zero(t, count(t, `SELECT count(*) FROM audit_trail WHERE lot_id = ANY($1) AND action LIKE 'claim.%'`, fmt.Sprintf("{%d,%d}", lotX.ID, lotY.ID)))

	// The same request signed with the bot's key is accepted: the refusals above are the
	// signatures' doing.
	status, body := postAction(t, member, w.channels[0].Id, postX.Id, good.ButtonContext(action, lotFields(lotX), "", later))
	require.Equal(t, http.StatusOK, status, "answer: %s", body)
	require.Len(t, claims(t, lotX.ID), 1)
	require.Empty(t, claims(t, lotY.ID))
}

// postAction posts a click straight to the bot, as anyone who can reach its port could.
func postAction(t *testing.T, u *mmrig.User, channelID, postID string, context map[string]any) (int, string) {
	t.Helper()
	body, err := json.Marshal(model.PostActionIntegrationRequest{
		UserId: u.ID, UserName: u.Username, ChannelId: channelID, TeamId: rig.Team().Id,
		PostId: postID, Context: context,
	})
	require.NoError(t, err)
	status, answer, err := rig.BotHTTP(t.Context(), "/mattermost/action", "application/json", string(body))
	require.NoError(t, err)
	return status, answer
}

func TestCommandWithWrongTokenIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	target, err := rig.NewUser(ctx, "jeton.cible")
	require.NoError(t, err)
	w := newWorld(t, "jeton")
	coord := w.coord
	command := func(token string) (int, string) {
		form := url.Values{
			"team_id": {rig.Team().Id}, "team_domain": {rig.Team().Name},
			"channel_id": {w.coordChannel.Id}, "channel_name": {w.coordChannel.Name},
			"user_id": {coord.ID}, "user_name": {coord.Username},
			"command": {"/guichet"}, "text": {"coordinator add @" + target.Username},
		}
		if token != "" {
			form.Set("token", token)
		}
		status, body, err := rig.BotHTTP(ctx, bot.CommandPath, "application/x-www-form-urlencoded", form.Encode())
		require.NoError(t, err)
		return status, body
	}
	for name, token := range map[string]string{
		"no token":            "",
		"wrong token":         "wrongtokenwrongtokenwrongt",
		"token with a suffix": rig.CommandToken() + "x",
		"token cut short":     rig.CommandToken()[:20],
	} {
		t.Run(name, func(t *testing.T) {
			status, body := command(token)
			require.Equal(t, http.StatusUnauthorized, status, "answer: %s", body)
		})
	}
	is, err := rig.DB().IsEventCoordinator(ctx, w.event.ID, target.ID)
	require.NoError(t, err)
	require.False(t, is, "a refused command changed the coordinators")
	require.Zero(t, count(t, `SELECT count(*) FROM audit_trail WHERE detail::text LIKE '%' || $1 || '%'`, target.Username))

	// With the command's token the same request does its work.
	status, body := command(rig.CommandToken())
	require.Equal(t, http.StatusOK, status, "answer: %s", body)
	is, err = rig.DB().IsEventCoordinator(ctx, w.event.ID, target.ID)
	require.NoError(t, err)
	require.True(t, is, "the command with the right token did not add the coordinator: %s", body)
}

// Not parallel: it stops Mattermost, which every other test needs (Go runs the parallel tests
// once the sequential ones are done).
func TestMessagesQueuedWhileMattermostIsDownAreAllDelivered(t *testing.T) {
	ctx := context.Background()
	member, err := rig.NewUser(ctx, "panne.lea")
	require.NoError(t, err)
	ch, err := rig.NewChannel(ctx, "panne", member.Username)
	require.NoError(t, err)
	t.Cleanup(func() {
		// Leave Mattermost running for the other tests, whatever happened.
		_ = rig.StartMattermost(context.Background())
	})

	require.NoError(t, rig.StopMattermost())
	const n = 6
	for i := 1; i <= n; i++ {
		require.NoError(t, rig.DB().Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{
			ChannelID: ch.Id, MessageID: "NoticeClaimed",
			Args: map[string]any{"Supplier": fmt.Sprintf("Structure en attente %d", i), "Code": "PAN", "Title": "Panne", "Quantity": i, "Unit": "caisses"},
		}))
	}
	// The bot tries them, fails, and keeps them for later: nothing parked, nothing lost.
	rig.EventuallyWithin(t, time.Minute, "the bot to try every message while Mattermost is down", func(ctx context.Context) error {
		var rows []struct {
			Attempts  int        `db:"attempts"`
			LastError string     `db:"last_error"`
			Delivered *time.Time `db:"delivered_at"`
			Parked    *time.Time `db:"parked_at"`
		}
		if err := rig.DB().SQL().SelectContext(ctx, &rows, `SELECT attempts, last_error, delivered_at, parked_at FROM outbox WHERE payload->>'channel_id' = $1`, ch.Id); err != nil {
			return err
		}
		if len(rows) != n {
			return fmt.Errorf("%d rows, want %d", len(rows), n)
		}
		for _, r := range rows {
			switch {
			case r.Delivered != nil || r.Parked != nil:
				return fmt.Errorf("a message was delivered or parked while Mattermost was down: %+v", r)
			case r.Attempts == 0 || r.LastError == "":
				return fmt.Errorf("not tried yet: %+v", r)
			}
		}
		return nil
	})
	time.Sleep(2 * time.Second) // down a little longer: retries keep failing
	require.NoError(t, rig.StartMattermost(ctx))

	// Every message is posted, once.
	rig.EventuallyWithin(t, 2*time.Minute, fmt.Sprintf("%d posts by the bot in ~panne", n), func(ctx context.Context) error {
		posts, err := rig.BotPosts(ctx, ch.Id)
		if err != nil {
			return err
		}
		if len(posts) < n {
			return fmt.Errorf("%d posts so far", len(posts))
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	posts, err := rig.BotPosts(ctx, ch.Id)
	require.NoError(t, err)
	require.Len(t, posts, n, "each message posted exactly once")
	seen := map[string]bool{}
	for _, p := range posts {
		seen[p.Message] = true
	}
	for i := 1; i <= n; i++ {
		found := false
		for msg := range seen {
			if strings.Contains(msg, fmt.Sprintf("Structure en attente %d", i)) {
				found = true
			}
		}
		require.True(t, found, "message %d missing", i)
	}
	require.Zero(t, count(t, `SELECT count(*) FROM outbox WHERE payload->>'channel_id' = $1 AND (delivered_at IS NULL OR post_id = '')`, ch.Id),
		"every row recorded as delivered with its post")

	// The member reads them in the channel.
	member.WaitPost(t, ch.Id, func(p *model.Post) bool {
		return strings.Contains(p.Message, fmt.Sprintf("Structure en attente %d", n))
	})
}

// Not parallel: it kills the bot.
func TestBotKilledAndRestartedServesAgain(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() { _ = rig.StartBot(context.Background()) })
	require.NoError(t, rig.RestartBot(ctx, syscall.SIGKILL))
	resp, err := rig.Coordinator().Command(ctx, rig.CoordChannel().Id, "/guichet aide")
	require.NoError(t, err)
	require.NotEmpty(t, resp.Text)
}
