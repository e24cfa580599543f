package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/e2e/mmrig"
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
// condition on the outbox), and starts it again. It returns how many kills landed while
// messages were still to deliver; it stops early when none is left.
func killBotWhileDelivering(t *testing.T, kills int, where string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	delivered := func() (done, pending int) {
		require.NoError(t, rig.DB().SQL().QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL),
			count(*) FILTER (WHERE delivered_at IS NULL AND parked_at IS NULL AND next_attempt_at <= now())
			FROM outbox WHERE `+where, args...).Scan(&done, &pending))
		return done, pending
	}
	landed := 0
	for range kills {
		before, _ := delivered()
		deadline := time.Now().Add(10 * time.Second)
		for {
			done, pending := delivered()
			if pending == 0 {
				return landed
			}
			if done > before || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(40 * time.Millisecond))))
		require.NoError(t, rig.StopBot(syscall.SIGKILL))
		landed++
		require.NoError(t, rig.StartBot(ctx))
	}
	return landed
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

// The bot killed (SIGKILL) again and again while it publishes an event's offers and while it
// sends the event's reminders, each time a moment after it was seen delivering, and started
// again each time: in the end every offer is in its structure's channel once, each member has
// the reminder in their direct messages once per time it was sent, the board is in the
// coordination channel once, and nothing is left undelivered.
func TestFaultBotKilledDuringPublishAndReminders(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() { _ = rig.StartBot(context.Background()) })
	structures := sized(t, "GUICHET_LOAD_KILL_STRUCTURES", 20, 24)
	lotsN := sized(t, "GUICHET_LOAD_KILL_LOTS", 25, 50)
	kills := sized(t, "GUICHET_LOAD_KILLS", 10, 24) // half during publication, half during reminders
	sends := sized(t, "GUICHET_LOAD_KILL_SENDS", 12, 25)
	var names []string
	for i := range structures {
		names = append(names, fmt.Sprintf("Structure Coupure %d", i+1))
	}
	w := newWorld(t, "tuer", names...)
	var lots []*guichet.Lot
	for i := range lotsN {
		lots = append(lots, w.addLot(t, &guichet.Lot{Code: fmt.Sprintf("K%02d", i), Title: fmt.Sprintf("Lot coupure %d", i),
			Quantity: int64(structures), Unit: "parts", Budget: 100000, Mode: guichet.Shared, MaxSuppliers: structures}))
	}
	ofEvent := `((payload->>'event_id')::bigint = $1 OR (payload->>'lot_id')::bigint IN (SELECT id FROM lots WHERE event_id = $1))`

	// Publication: every lot to every structure.
	w.publish(t, structures*lotsN)
	landed := killBotWhileDelivering(t, kills/2, ofEvent+` AND kind = 'publish_offer'`, w.event.ID)
	require.Equal(t, kills/2, landed, "every kill landed while the bot was publishing: make the work bigger")

	// Every structure takes a share of a lot; then the J-1 reminder is sent again and again,
	// while the bot is killed again.
	for i := range w.suppliers {
		w.award(t, i, lots[i%lotsN], 1)
	}
	for range sends {
		n, err := rig.DB().SendRemindersNow(ctx, w.actor(), w.event.ID, "j1")
		require.NoError(t, err)
		require.Equal(t, structures+1, n, "one reminder per structure and one for the coordination")
	}
	landed = killBotWhileDelivering(t, kills-kills/2, ofEvent+` AND kind = 'reminder'`, w.event.ID)
	require.Equal(t, kills-kills/2, landed, "every kill landed while the bot was sending reminders: make the work bigger")

	// What a killed bot had in hand comes back when its lease ends (two minutes).
	waitOutboxDone(t, 4*time.Minute, "every message of the event delivered", ofEvent, w.event.ID)

	for i, ch := range w.channels {
		posts, err := rig.BotPosts(ctx, ch.Id)
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
		for _, l := range lots {
			require.Equal(t, 1, perLot[l.Code], "structure %d: offer %s posted %d times", i+1, l.Code, perLot[l.Code])
		}
		reminders, err := w.reminders(ctx, directChannel(t, w.members[i]))
		require.NoError(t, err)
		require.Len(t, reminders, sends, "structure %d: the reminder was sent %d times and came %d times", i+1, sends, len(reminders))
	}
	var boards int
	posts, err := rig.BotPosts(ctx, w.coordChannel.Id)
	require.NoError(t, err)
	for _, p := range posts {
		if strings.Contains(mmrig.PostText(p), "Tableau de bord") {
			boards++
		}
	}
	require.Equal(t, 1, boards, "the board is in the coordination channel once")
	require.Zero(t, count(t, `SELECT count(*) FROM offer_posts o JOIN lots l ON l.id = o.lot_id WHERE l.event_id = $1 AND o.post_id = ''`, w.event.ID),
		"every offer recorded with its post")
	t.Logf("%d kills while delivering; %d offers once each, %d × %d reminders once each", kills, structures*lotsN, sends, structures+1)
}
