package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// Fault tests stop the rig's bot or PostgreSQL: they are not parallel (Go runs them before
// the parallel tests) and leave everything running. GUICHET_LOAD=full runs them at the
// issue's size; the default is a shorter version for every test run.

// fullLoad reports whether the long versions of the load and fault tests were asked for.
func fullLoad() bool { return os.Getenv("GUICHET_LOAD") == "full" }

// sized returns short, or full under GUICHET_LOAD=full, or the value of the environment
// variable name when set.
func sized(t *testing.T, name string, short, full int) int {
	t.Helper()
	if v := os.Getenv(name); v != "" {
		var n int
		_, err := fmt.Sscanf(v, "%d", &n)
		require.NoError(t, err, "%s=%q", name, v)
		require.Positive(t, n, name)
		return n
	}
	if fullLoad() {
		return full
	}
	return short
}

// killBotWhileDelivering kills the bot (SIGKILL) kills times, each time a random moment (at
// most 40 ms) after it was seen delivering one of the messages matching where (an SQL
// condition on the outbox), and starts it again. When nothing is left to deliver before the
// last kill, it calls more to queue more work (at most ten times).
func killBotWhileDelivering(t *testing.T, kills int, more func(), where string, args ...any) {
	t.Helper()
	ctx := context.Background()
	delivered := func() (done, pending int) {
		require.NoError(t, rig.DB().SQL().QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL),
			count(*) FILTER (WHERE delivered_at IS NULL AND parked_at IS NULL AND next_attempt_at <= now())
			FROM outbox WHERE `+where, args...).Scan(&done, &pending))
		return done, pending
	}
	toppedUp := 0
	for range kills {
		before, _ := delivered()
		deadline := time.Now().Add(10 * time.Second)
		for {
			done, pending := delivered()
			if pending == 0 {
				require.Less(t, toppedUp, 10, "the bot delivers faster than it can be killed")
				more()
				toppedUp++
				before, _ = delivered()
				continue
			}
			if done > before || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(40 * time.Millisecond))))
		require.NoError(t, rig.StopBot(syscall.SIGKILL))
		require.NoError(t, rig.StartBot(ctx))
	}
}

// waitOutboxDone waits until none of the messages matching where (an SQL condition on the
// outbox) is left to deliver, and none is parked.
func waitOutboxDone(t *testing.T, within time.Duration, what, where string, args ...any) {
	t.Helper()
	rig.EventuallyWithin(t, within, what, func(ctx context.Context) error {
		var pending, parked int
		if err := rig.DB().SQL().QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE delivered_at IS NULL AND parked_at IS NULL),
			count(*) FILTER (WHERE parked_at IS NOT NULL) FROM outbox WHERE `+where, args...).Scan(&pending, &parked); err != nil {
			return err
		}
		if parked > 0 {
			return fmt.Errorf("%d messages parked", parked)
		}
		if pending > 0 {
			return fmt.Errorf("%d messages still to deliver", pending)
		}
		return nil
	})
}

// ofEvent is the SQL condition on the outbox that picks the messages of event $1: its board,
// notices and reminders, and its lots' offers.
const ofEvent = `((payload->>'event_id')::bigint = $1 OR (payload->>'lot_id')::bigint IN (SELECT id FROM lots WHERE event_id = $1))`

// Faults, one after the other, on two events of their own:
//
//   - the bot killed (SIGKILL) again and again while it publishes the first event's offers and
//     while it sends its reminders, each time a moment after it was seen delivering, and
//     started again each time;
//   - PostgreSQL, which holds the bot's and Mattermost's data, stopped while the bot publishes
//     the second event's offers after structures claimed lots, then started again: /readyz
//     says the bot is not ready while the database is away and ready again once it is back,
//     without the bot being restarted.
//
// What a killed bot had in hand comes back when its lease ends (two minutes), so the checks
// wait once, at the end: every offer is in its structure's channel once (or not at all when
// its lot was taken before its turn came), each member has the reminder once per time it was
// sent, the board is in the coordination channel once, every claim is kept, and nothing is
// left undelivered.
func TestFaultsLoseNothingAndPostOnce(t *testing.T) {
	t.Cleanup(func() {
		// Leave PostgreSQL and the bot running for the other tests, whatever happened.
		_ = rig.Postgres().StartAgain(context.Background())
		if status, _ := readyz(); status != http.StatusOK {
			_ = rig.RestartBot(context.Background(), syscall.SIGKILL)
		}
	})
	kill := newKillScenario(t)
	pg := newPostgresScenario(t)
	for _, phase := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"bot killed while publishing", kill.publish},
		{"bot killed while sending reminders", kill.remind},
		{"PostgreSQL restarted under load", pg.restart},
		{"every offer and reminder delivered once", func(t *testing.T) {
			waitOutboxDone(t, 4*time.Minute, "every message of the events delivered",
				ofEvent+" OR "+strings.ReplaceAll(ofEvent, "$1", "$2"), kill.w.event.ID, pg.w.event.ID)
			kill.check(t)
			pg.check(t)
		}},
	} {
		if !t.Run(phase.name, phase.run) {
			t.FailNow()
		}
	}
}

// killScenario is an event whose offers and reminders are delivered while the bot is killed.
type killScenario struct {
	w                  *world
	lots               []*guichet.Lot
	kills, sends, size int
}

func newKillScenario(t *testing.T) *killScenario {
	structures := sized(t, "GUICHET_LOAD_KILL_STRUCTURES", 20, 24)
	lotsN := sized(t, "GUICHET_LOAD_KILL_LOTS", 25, 50)
	k := &killScenario{
		kills: sized(t, "GUICHET_LOAD_KILLS", 10, 24), // half while publishing, half while sending reminders
		sends: sized(t, "GUICHET_LOAD_KILL_SENDS", 12, 25),
		size:  structures,
	}
	var names []string
	for i := range structures {
		names = append(names, fmt.Sprintf("Structure Coupure %d", i+1))
	}
	k.w = newWorld(t, "tuer", names...)
	for i := range lotsN {
		k.lots = append(k.lots, k.w.addLot(t, &guichet.Lot{Code: fmt.Sprintf("K%02d", i), Title: fmt.Sprintf("Lot coupure %d", i),
			Quantity: int64(structures), Unit: "parts", Budget: 100000, Mode: guichet.Shared, MaxSuppliers: structures}))
	}
	return k
}

// publish publishes every lot to every structure and kills the bot half the kills; should the
// bot be done before, more lots are published.
func (k *killScenario) publish(t *testing.T) {
	k.w.publish(t, k.size*len(k.lots))
	killBotWhileDelivering(t, k.kills/2, func() {
		first := len(k.lots)
		for i := first; i < first+10; i++ {
			k.lots = append(k.lots, k.w.addLot(t, &guichet.Lot{Code: fmt.Sprintf("K%02d", i), Title: fmt.Sprintf("Lot coupure %d", i),
				Quantity: int64(k.size), Unit: "parts", Budget: 100000, Mode: guichet.Shared, MaxSuppliers: k.size}))
		}
		k.w.publish(t, k.size*10)
	}, ofEvent+` AND kind = 'publish_offer'`, k.w.event.ID)
}

// remind has every structure take a share of a lot, sends the J-1 reminder again and again,
// and kills the bot the other half of the kills; should the bot be done before, the reminder
// is sent again.
func (k *killScenario) remind(t *testing.T) {
	for i := range k.w.suppliers {
		k.w.award(t, i, k.lots[i%len(k.lots)], 1)
	}
	send := func() {
		n, err := rig.DB().SendRemindersNow(context.Background(), k.w.actor(), k.w.event.ID, "j1")
		require.NoError(t, err)
		require.Equal(t, k.size+1, n, "one reminder per structure and one for the coordination")
	}
	for range k.sends {
		send()
	}
	killBotWhileDelivering(t, k.kills-k.kills/2, func() { send(); k.sends++ }, ofEvent+` AND kind = 'reminder'`, k.w.event.ID)
}

func (k *killScenario) check(t *testing.T) {
	ctx := context.Background()
	for i, ch := range k.w.channels {
		perLot := offersIn(t, ch.Id, k.lots)
		for _, l := range k.lots {
			require.Equal(t, 1, perLot[l.Code], "structure %d: offer %s posted %d times", i+1, l.Code, perLot[l.Code])
		}
		reminders, err := k.w.reminders(ctx, directChannel(t, k.w.members[i]))
		require.NoError(t, err)
		require.Len(t, reminders, k.sends, "structure %d: the reminder was sent %d times and came %d times", i+1, k.sends, len(reminders))
	}
	posts, err := rig.BotPosts(ctx, k.w.coordChannel.Id)
	require.NoError(t, err)
	boards := 0
	for _, p := range posts {
		if strings.Contains(mmrig.PostText(p), "Tableau de bord") {
			boards++
		}
	}
	require.Equal(t, 1, boards, "the board is in the coordination channel once")
	require.Zero(t, count(t, `SELECT count(*) FROM offer_posts o JOIN lots l ON l.id = o.lot_id WHERE l.event_id = $1 AND o.post_id = ''`, k.w.event.ID),
		"every offer recorded with its post")
	t.Logf("%d kills while delivering; %d offers once each, %d × %d reminders once each", k.kills, k.size*len(k.lots), k.sends, k.size+1)
}

// offersIn counts the bot's posts in a channel offering each of lots, by code.
func offersIn(t *testing.T, channelID string, lots []*guichet.Lot) map[string]int {
	t.Helper()
	posts, err := rig.BotPosts(context.Background(), channelID)
	require.NoError(t, err)
	perLot := map[string]int{}
	for _, p := range posts {
		text := mmrig.PostText(p)
		for _, l := range lots {
			if strings.Contains(text, l.Code+" — "+l.Title) {
				perLot[l.Code]++
			}
		}
	}
	return perLot
}

// postgresScenario is an event being published, with lots claimed, when PostgreSQL stops.
type postgresScenario struct {
	w       *world
	lots    []*guichet.Lot
	claimed []int // structures whose claim (lots[i]) succeeded before the stop
	// after is the lot the first structure claimed once PostgreSQL was back.
	after *guichet.Lot
}

func newPostgresScenario(t *testing.T) *postgresScenario {
	structures := sized(t, "GUICHET_LOAD_PG_STRUCTURES", 12, 20)
	lotsN := sized(t, "GUICHET_LOAD_PG_LOTS", 25, 50)
	p := &postgresScenario{}
	var names []string
	for i := range structures {
		names = append(names, fmt.Sprintf("Structure Base %d", i+1))
	}
	p.w = newWorld(t, "basepg", names...)
	for i := range lotsN {
		p.lots = append(p.lots, p.w.addLot(t, &guichet.Lot{Code: fmt.Sprintf("B%02d", i), Title: fmt.Sprintf("Lot base %d", i),
			Quantity: 1, Unit: "lot", Budget: 10000, Mode: guichet.Exclusive}))
	}
	return p
}

func (p *postgresScenario) restart(t *testing.T) {
	ctx := context.Background()
	pg := rig.Postgres()
	starts := strings.Count(rig.BotLog(1000000), "=== mmrig")
	p.w.publish(t, len(p.w.suppliers)*len(p.lots))
	for i := range p.w.suppliers {
		out := say(t, p.w.members[i], p.w.channels[i].Id, fmt.Sprintf("/guichet claim %s/%s", p.w.event.Slug, p.lots[i].Code))
		if strings.Contains(out, "prend le lot") {
			p.claimed = append(p.claimed, i)
		}
	}
	require.NotEmpty(t, p.claimed)
	status, _ := readyz()
	require.Equal(t, http.StatusOK, status)
	require.Positive(t, count(t, `SELECT count(*) FROM outbox WHERE kind = 'publish_offer' AND delivered_at IS NULL
		AND (payload->>'lot_id')::bigint IN (SELECT id FROM lots WHERE event_id = $1)`, p.w.event.ID), "the publication is still under way")

	require.NoError(t, pg.StopKeep(ctx))
	rig.EventuallyWithin(t, 20*time.Second, "/readyz to say the database is away", func(ctx context.Context) error {
		status, body := readyz()
		if status != http.StatusServiceUnavailable || !strings.Contains(body, `"database":"unreachable"`) {
			return fmt.Errorf("/readyz answered %d %s", status, body)
		}
		return nil
	})
	time.Sleep(3 * time.Second)
	require.NoError(t, pg.StartAgain(ctx))
	rig.EventuallyWithin(t, time.Minute, "/readyz to say the bot is ready again", func(ctx context.Context) error {
		status, body := readyz()
		if status != http.StatusOK {
			return fmt.Errorf("/readyz answered %d %s", status, body)
		}
		return nil
	})
	require.Equal(t, starts, strings.Count(rig.BotLog(1000000), "=== mmrig"), "the bot recovered by itself, it was not restarted")
	// And it serves as before.
	p.after = p.lots[len(p.lots)-1]
	out := say(t, p.w.members[0], p.w.channels[0].Id, fmt.Sprintf("/guichet claim %s/%s", p.w.event.Slug, p.after.Code))
	require.Contains(t, out, "prend le lot")
}

func (p *postgresScenario) check(t *testing.T) {
	// An offer is in a channel once, or not at all when its lot was taken before its turn to
	// be posted came (the bot then forgets it); the lots nobody claimed are offered everywhere.
	taken := map[string]bool{p.after.Code: true}
	require.Len(t, claims(t, p.after.ID), 1)
	for _, i := range p.claimed {
		taken[p.lots[i].Code] = true
		cs := claims(t, p.lots[i].ID)
		require.Len(t, cs, 1, "the claim on %s is kept", p.lots[i].Code)
		require.Equal(t, p.w.suppliers[i].ID, cs[0].SupplierID)
	}
	for i, ch := range p.w.channels {
		perLot := offersIn(t, ch.Id, p.lots)
		for _, l := range p.lots {
			recorded := count(t, `SELECT count(*) FROM offer_posts WHERE lot_id = $1 AND channel_id = $2 AND post_id <> ''`, l.ID, ch.Id)
			require.Equal(t, recorded, perLot[l.Code], "structure %d: offer %s posted %d times, recorded %d times", i+1, l.Code, perLot[l.Code], recorded)
			if !taken[l.Code] {
				require.Equal(t, 1, perLot[l.Code], "structure %d: offer %s of a lot nobody took posted %d times", i+1, l.Code, perLot[l.Code])
			}
		}
	}
}

// readyz asks the bot whether it is ready, on its operators' address.
func readyz() (int, string) {
	resp, err := http.Get(rig.OpsURL() + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}
