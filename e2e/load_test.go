package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// Many structures' members take many lots at once through Mattermost, round after round: the
// exclusive lots by clicking « Je prends » on the offer, the shared ones by submitting the
// claim dialog with a quantity of 1 to 3 (the dialog the bot opens on « Je prends une part »,
// its state signed as the bot signs it). Nobody holds a lot twice, no lot is over-allocated,
// and everybody is told the truth: the private answer of each click and the answer of each
// dialog agree with what the database holds afterwards.
//
// Sizes: GUICHET_LOAD_USERS × GUICHET_LOAD_LOTS per round × GUICHET_LOAD_ROUNDS; 40 × 4 × 2 by
// default, 100 × 10 × 5 under GUICHET_LOAD=full (the 500 × 20 × 50 is
// GUICHET_LOAD_USERS=500 GUICHET_LOAD_LOTS=20 GUICHET_LOAD_ROUNDS=50), with at most
// GUICHET_LOAD_INFLIGHT (2000) actions in flight. Half the lots of a round
// are exclusive, half shared (U/2 units, U/4 structures at most, and never more than 100).
// Every member of the load is a structure of their own; all of them read the offers in one
// channel.
func TestLoadManyMembersTakeManyLotsAtOnce(t *testing.T) {
	ctx := context.Background()
	users := sized(t, "GUICHET_LOAD_USERS", 40, 100)
	lotsPerRound := sized(t, "GUICHET_LOAD_LOTS", 4, 10)
	rounds := sized(t, "GUICHET_LOAD_ROUNDS", 2, 5)
	// At most this many actions are in flight: each holds two connections in Mattermost (from
	// the member, to the bot), whose process may open 20,000 files here.
	inflight := sized(t, "GUICHET_LOAD_INFLIGHT", 2000, 2000)

	// The people, created a few at a time (passwords are hashed), each watching their
	// private answers.
	members := make([]*mmrig.User, users)
	eachMember(t, users, 4, func(i int) (err error) {
		members[i], err = rig.NewUser(ctx, fmt.Sprintf("charge.m%03d", i))
		return err
	})
	names := make([]string, users)
	for i, u := range members {
		names[i] = u.Username
	}
	offers, err := rig.NewChannel(ctx, "charge-offres", names...)
	require.NoError(t, err)
	coordChannel, err := rig.NewChannel(ctx, "charge-coord", rig.Coordinator().Username)
	require.NoError(t, err)
	coord := guichet.Actor{UserID: rig.Coordinator().ID, Username: rig.Coordinator().Username}
	sups := make([]*guichet.Supplier, users)
	structureOf := map[int64]int{}
	for i, u := range members {
		sups[i] = &guichet.Supplier{Name: fmt.Sprintf("Structure Charge %03d", i), Categories: []string{"cat-charge"},
			ChannelID: offers.Id, ChannelName: offers.Name, Members: []guichet.Member{{UserID: u.ID, Username: u.Username}}}
	}
	require.NoError(t, rig.DB().UpsertSuppliers(ctx, coord, sups))
	for i, s := range sups {
		structureOf[s.ID] = i
	}
	event := &guichet.Event{Slug: "e2e-charge", Name: "Journée de charge", Day: time.Now().AddDate(0, 3, 0), CoordChannelID: coordChannel.Id}
	require.NoError(t, rig.DB().CreateEvent(ctx, coord, event))
	watches := make([]*mmrig.Watch, users)
	for i, u := range members {
		watches[i] = u.Watch(t, model.WebsocketEventEphemeralMessage)
	}
	signer, err := bot.NewSigner([]byte(rig.SigningKey()))
	require.NoError(t, err)
	// Each member's direct channel with the bot, where a claim made through the dialog is
	// confirmed.
	dms := make([]string, users)
	eachMember(t, users, 8, func(i int) error {
		ch, _, err := members[i].Client.CreateDirectChannel(ctx, members[i].ID, rig.BotUserID())
		if err == nil {
			dms[i] = ch.Id
		}
		return err
	})

	for round := range rounds {
		// The round's lots, published to the one channel.
		var lots []*guichet.Lot
		for j := range lotsPerRound {
			l := &guichet.Lot{Code: fmt.Sprintf("R%dL%02d", round, j), Title: fmt.Sprintf("Lot %d du tour %d", j, round),
				Category: "cat-charge", Unit: "unités", Budget: guichet.Cents(1000 * users)}
			if j%2 == 0 {
				l.Mode, l.Quantity = guichet.Exclusive, 1
			} else {
				l.Mode, l.Quantity, l.MaxSuppliers = guichet.Shared, int64(max(users/2, 1)), min(max(users/4, 1), 100)
			}
			lots = append(lots, l)
		}
		require.NoError(t, rig.DB().AddLots(ctx, coord, event.ID, lots))
		n, err := rig.DB().Publish(ctx, coord, event.ID)
		require.NoError(t, err)
		require.Equal(t, lotsPerRound, n)
		postOf := map[int64]string{}
		rig.EventuallyWithin(t, time.Minute, "the round's offers posted", func(ctx context.Context) error {
			for _, l := range lots {
				var id string
				if err := rig.DB().SQL().GetContext(ctx, &id, `SELECT post_id FROM offer_posts WHERE lot_id = $1`, l.ID); err != nil || id == "" {
					return fmt.Errorf("offer %s not posted yet (%v)", l.Code, err)
				}
				postOf[l.ID] = id
			}
			return nil
		})

		// Everyone takes every lot at once.
		type outcome struct {
			user, asked int
			lot         *guichet.Lot
			mmErr       error
			errors      map[string]string // the dialog's answer
		}
		outcomes := make(chan outcome, users*lotsPerRound)
		slots := make(chan struct{}, inflight)
		seenBefore := make([]int, users)
		for i := range members {
			seenBefore[i] = len(watches[i].Ephemerals())
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		began := time.Now()
		for i, u := range members {
			for _, l := range lots {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					slots <- struct{}{}
					defer func() { <-slots }()
					// As patient as the member's browser: the error of a click is then Mattermost's.
					cctx, cancel := context.WithTimeout(ctx, 6*time.Minute)
					defer cancel()
					o := outcome{user: i, lot: l}
					if l.Mode == guichet.Exclusive {
						_, o.mmErr = u.Client.DoPostAction(cctx, postOf[l.ID], "claim")
					} else {
						o.asked = 1 + rand.IntN(3)
						state := signer.DialogState("bot.claim", u.ID, fmt.Sprintf(`{"lot":%d}`, l.ID), time.Now().Add(time.Hour))
						var resp *model.SubmitDialogResponse
						resp, _, o.mmErr = u.Client.SubmitInteractiveDialog(cctx, model.SubmitDialogRequest{
							URL: rig.BotURL() + "/mattermost/dialog", CallbackId: "bot.claim", State: state, UserId: u.ID,
							ChannelId: offers.Id, TeamId: rig.Team().Id, Submission: map[string]any{"quantity": strconv.Itoa(o.asked)}})
						if resp != nil {
							o.errors = resp.Errors
						}
					}
					outcomes <- o
				}()
			}
		}
		close(start)
		wg.Wait()
		took := time.Since(began)
		close(outcomes)

		// What the round queued for Mattermost (offer refreshes, notices, the board) goes out
		// before the next round.
		drainBegan := time.Now()
		waitOutboxDone(t, 15*time.Minute, "the round's messages delivered", ofEvent, event.ID)
		drained := time.Since(drainBegan)

		// What the database holds now.
		holder := map[int64]map[int]*guichet.Claim{} // lot → structure index → active claim
		for _, l := range lots {
			holder[l.ID] = map[int]*guichet.Claim{}
			var awardedQty int64
			awarded := 0
			for _, c := range claims(t, l.ID) {
				i := structureOf[c.SupplierID]
				require.Nil(t, holder[l.ID][i], "%s holds lot %s twice", sups[i].Name, l.Code)
				require.Equal(t, guichet.ClaimAwarded, c.Status)
				holder[l.ID][i] = c
				awardedQty += c.Quantity
				awarded++
			}
			require.LessOrEqual(t, awardedQty, l.Quantity, "lot %s over-allocated", l.Code)
			require.Positive(t, awarded, "lot %s: nobody got it", l.Code)
			if l.Mode == guichet.Exclusive {
				require.Equal(t, 1, awarded, "exclusive lot %s has %d holders", l.Code, awarded)
			} else {
				require.LessOrEqual(t, awarded, l.MaxSuppliers, "lot %s has too many holders", l.Code)
			}
		}

		// Everybody was told the truth. An answer that something went wrong on the bot's side
		// (overload: a request that waited past its deadline), or Mattermost's own error when it
		// gave up waiting, says nothing changed, which must be so; the bot's names no lot, so a
		// click's answer is the one naming its lot, or else one of those.
		told, overloaded := 0, 0
		clicked := make([][]*guichet.Lot, users)   // exclusive lots whose click Mattermost passed on
		submitted := make([][]*guichet.Lot, users) // shared lots whose dialog closed: taken
		for o := range outcomes {
			held := holder[o.lot.ID][o.user]
			who := members[o.user].Username
			if o.lot.Mode == guichet.Exclusive {
				if o.mmErr != nil {
					// Mattermost refused the click: the offer it showed had no « Je prends » any more.
					require.Nil(t, held, "%s's click on %s was refused by Mattermost (%v) but they hold it", who, o.lot.Code, o.mmErr)
				} else {
					clicked[o.user] = append(clicked[o.user], o.lot)
				}
				continue
			}
			switch {
			case o.mmErr != nil:
				// Mattermost could not get the bot's answer in time and showed an error: the
				// member must hold nothing.
				require.Nil(t, held, "%s's submission for %s failed in Mattermost (%v) but they hold a share", who, o.lot.Code, o.mmErr)
				overloaded++
			case len(o.errors) == 0:
				require.NotNil(t, held, "%s was told their share of %s was taken, but holds none", who, o.lot.Code)
				require.EqualValues(t, o.asked, held.Quantity, "%s asked %d of %s", who, o.asked, o.lot.Code)
				submitted[o.user] = append(submitted[o.user], o.lot)
			case o.errors["quantity"] == internalError:
				require.Nil(t, held, "%s was told nothing changed for %s but holds a share", who, o.lot.Code)
				overloaded++
			default:
				require.Nil(t, held, "%s was refused %s (%v) but holds a share", who, o.lot.Code, o.errors)
				requireTrueRefusal(t, o.lot, holder[o.lot.ID], o.asked, o.errors["quantity"])
			}
			told++
		}
		for i, lots := range clicked {
			who := members[i].Username
			var answers []*model.Post
			rig.Eventually(t, fmt.Sprintf("%s's %d private answers", who, len(lots)), func(context.Context) error {
				answers = watches[i].Ephemerals()[seenBefore[i]:]
				if len(answers) < len(lots) {
					return fmt.Errorf("%d so far", len(answers))
				}
				return nil
			})
			used := make([]bool, len(answers))
			for _, l := range lots {
				held := holder[l.ID][i]
				k := slices.IndexFunc(answers, func(p *model.Post) bool {
					return strings.Contains(p.Message, "**"+l.Code+"**") || strings.Contains(p.Message, " "+l.Code+" ")
				})
				if k < 0 {
					for j, p := range answers {
						if !used[j] && p.Message == internalError {
							k = j
							break
						}
					}
					require.GreaterOrEqual(t, k, 0, "%s got no answer for %s among %v", who, l.Code, messages(answers))
					require.Nil(t, held, "%s was told nothing changed for %s but holds it", who, l.Code)
					used[k] = true
					overloaded++
					told++
					continue
				}
				used[k] = true
				msg := answers[k].Message
				if held != nil {
					require.Contains(t, msg, "prend le lot", "%s holds %s but was told: %s", who, l.Code, msg)
				} else {
					var winner *guichet.Claim
					for _, c := range holder[l.ID] {
						winner = c
					}
					require.Contains(t, msg, "déjà attribué à "+winner.SupplierName, "%s was told: %s", who, msg)
				}
				told++
			}
		}
		// A share taken through the dialog is confirmed by one direct message naming its lot,
		// there once the round's messages are delivered.
		var confirmed atomic.Int64
		eachMember(t, users, 8, func(i int) error {
			list, _, err := members[i].Client.GetPostsSince(ctx, dms[i], began.UnixMilli(), false)
			if err != nil {
				return err
			}
			var got []string
			for _, p := range list.Posts {
				if p.CreateAt >= began.UnixMilli() && p.UserId == rig.BotUserID() {
					got = append(got, p.Message)
				}
			}
			if len(got) != len(submitted[i]) {
				return fmt.Errorf("%s took %d shares through the dialog and has %d direct messages from the bot: %q",
					members[i].Username, len(submitted[i]), len(got), got)
			}
			for _, l := range submitted[i] {
				if !slices.ContainsFunc(got, func(m string) bool { return strings.Contains(m, "prend le lot **"+l.Code+"**") }) {
					return fmt.Errorf("%s took a share of %s but no direct message says so: %q", members[i].Username, l.Code, got)
				}
			}
			confirmed.Add(int64(len(got)))
			return nil
		})
		t.Logf("round %d: %d members × %d lots at once in %s (%.0f actions/s), %d answers checked against the database, %d of them \"something went wrong, nothing changed\", %d shares confirmed by direct message; the messages it queued delivered %s later",
			round+1, users, lotsPerRound, took.Round(time.Millisecond), float64(users*lotsPerRound)/took.Seconds(), told, overloaded, confirmed.Load(), drained.Round(time.Second))
	}
}

// eachMember runs f for members 0 to n-1, width at a time, and fails the test with the
// errors f returned.
func eachMember(t *testing.T, n, width int, f func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, width)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

func messages(posts []*model.Post) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.Message
	}
	return out
}

// internalError is what a person reads when something went wrong on the bot's side.
var internalError = l10n.New().T("fr", "ErrInternal", nil)

var remainingRe = regexp.MustCompile(`Il ne reste que (\d+)`)

// requireTrueRefusal checks the reason a share was refused against the lot's holders at the
// end of the round (claims only grow during a round): "complet" needs the lot full, "il ne
// reste que R" needs R below what was asked and no more than R left at the end.
func requireTrueRefusal(t *testing.T, lot *guichet.Lot, holders map[int]*guichet.Claim, asked int, reason string) {
	t.Helper()
	var qty int64
	for _, c := range holders {
		qty += c.Quantity
	}
	switch {
	case strings.Contains(reason, "complet"):
		require.True(t, qty == lot.Quantity || len(holders) >= lot.MaxSuppliers,
			"told %s was full, but it holds %d of %d with %d structures", lot.Code, qty, lot.Quantity, len(holders))
	case remainingRe.MatchString(reason):
		r, _ := strconv.ParseInt(remainingRe.FindStringSubmatch(reason)[1], 10, 64)
		require.Less(t, r, int64(asked), "told only %d remained while asking %d: %s", r, asked, reason)
		require.LessOrEqual(t, lot.Quantity-qty, r, "told %d remained, %d remain at the end", r, lot.Quantity-qty)
	default:
		require.Fail(t, "unexpected refusal", "lot %s: %q", lot.Code, reason)
	}
}
