package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

// listenChannel makes a channel of its own with one new member (and the bot) for a listener
// test named prefix.
func listenChannel(t *testing.T, prefix string) (*model.Channel, *model.Client4) {
	t.Helper()
	ctx := context.Background()
	u, err := rig.NewUser(ctx, prefix+".u1")
	require.NoError(t, err)
	ch, err := rig.NewChannel(ctx, prefix+"-ch", u.Username)
	require.NoError(t, err)
	return ch, u.Client
}

// handledPost waits until the bot's listener has handed post postID on to its observers.
func handledPost(t *testing.T, postID string) {
	t.Helper()
	rig.Eventually(t, "the listener handles post "+postID, func(ctx context.Context) error {
		if n := count(t, `SELECT count(*) FROM listen_posts WHERE post_id = $1 AND done_at IS NOT NULL`, postID); n != 1 {
			return fmt.Errorf("post %s handled %d times", postID, n)
		}
		return nil
	})
}

// The bot hears, through its WebSocket, what people write in a channel it belongs to.
func TestListenerHearsAPost(t *testing.T) {
	t.Parallel()
	ch, member := listenChannel(t, "lsnhear")
	p, _, err := member.CreatePost(context.Background(), &model.Post{ChannelId: ch.Id, Message: "Bonjour le guichet"})
	require.NoError(t, err)
	handledPost(t, p.Id)
}

// dumpBotLog logs the bot's log (the scheduler's ticks left out) when the test fails.
func dumpBotLog(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, l := range strings.Split(rig.BotLog(5000), "\n") {
			if !strings.Contains(l, "cron:") {
				t.Log(l)
			}
		}
	})
}

// metric reads the value of a sample (its name with labels, as /metrics writes it) from the
// bot's metrics at opsURL; 0 when absent.
func metric(t testing.TB, opsURL, sample string) float64 {
	t.Helper()
	resp, err := http.Get(opsURL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err)
			return f
		}
	}
	return 0
}

// listenerReady reads the listener's part of /readyz at opsURL.
func listenerReady(t *testing.T, opsURL string) map[string]any {
	t.Helper()
	resp, err := http.Get(opsURL + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	var ready map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ready))
	l, _ := ready["listener"].(map[string]any)
	require.NotNil(t, l, "/readyz names the listener: %v", ready)
	return l
}

// Not parallel: it stops Mattermost, which every other test needs.
//
// Mattermost stops and starts again: the bot connects again by itself and reads what was
// written before it was back, once.
func TestListenerReconnectsAfterMattermostRestarts(t *testing.T) {
	dumpBotLog(t)
	ch, member := listenChannel(t, "lsnmm")
	before, _, err := member.CreatePost(context.Background(), &model.Post{ChannelId: ch.Id, Message: "Avant la coupure"})
	require.NoError(t, err)
	handledPost(t, before.Id)
	reconnects := metric(t, rig.OpsURL(), "guichet_listener_reconnects_total")
	require.Equal(t, true, listenerReady(t, rig.OpsURL())["connected"])

	require.NoError(t, rig.StopMattermost())
	rig.Eventually(t, "the listener says it is disconnected", func(ctx context.Context) error {
		if metric(t, rig.OpsURL(), "guichet_listener_connected") != 0 {
			return errors.New("still connected")
		}
		return nil
	})
	require.NoError(t, rig.StartMattermost(context.Background()))
	// Written at once, most likely before the bot's next attempt to connect.
	after, _, err := member.CreatePost(context.Background(), &model.Post{ChannelId: ch.Id, Message: "Après la coupure"})
	require.NoError(t, err)
	rig.EventuallyWithin(t, 2*time.Minute, "the listener handles the post written after the restart", func(ctx context.Context) error {
		if n := count(t, `SELECT count(*) FROM listen_posts WHERE post_id = $1 AND done_at IS NOT NULL`, after.Id); n != 1 {
			return fmt.Errorf("handled %d times", n)
		}
		return nil
	})
	rig.Eventually(t, "the listener is connected again", func(ctx context.Context) error {
		if listenerReady(t, rig.OpsURL())["connected"] != true {
			return errors.New("not connected")
		}
		return nil
	})
	require.Greater(t, metric(t, rig.OpsURL(), "guichet_listener_reconnects_total"), reconnects)
}

// Not parallel: it stops the rig's bot and runs two replicas in its place.
//
// Two replicas both hear a post; one of them hands it on, the other leaves it.
func TestListenerTwoReplicasHandleAPostOnce(t *testing.T) {
	ch, member := listenChannel(t, "lsnrep")
	require.NoError(t, rig.StopBot(syscall.SIGTERM))
	t.Cleanup(func() { require.NoError(t, rig.StartBot(context.Background())) })
	ops := []string{freeAddr(t), freeAddr(t)}
	for i, addr := range ops {
		startServe(t, fmt.Sprintf("listen-replica-%d", i+1), map[string]string{"GUICHET_OPS_LISTEN": addr})
		ops[i] = "http://" + addr
	}
	for _, u := range ops {
		rig.Eventually(t, "replica "+u+" connected", func(ctx context.Context) error {
			if listenerReady(t, u)["connected"] != true {
				return errors.New("not connected")
			}
			return nil
		})
	}
	outcomes := func(outcome string) (sum float64) {
		for _, u := range ops {
			sum += metric(t, u, `guichet_listener_posts_total{outcome="`+outcome+`"}`)
		}
		return sum
	}
	handled0, other0 := outcomes("handled"), outcomes("other_replica")

	p, _, err := member.CreatePost(context.Background(), &model.Post{ChannelId: ch.Id, Message: "Une seule fois, s'il vous plaît"})
	require.NoError(t, err)
	handledPost(t, p.Id)
	rig.Eventually(t, "both replicas heard the post", func(ctx context.Context) error {
		if got := outcomes("handled") - handled0 + outcomes("other_replica") - other0; got != 2 {
			return fmt.Errorf("heard %v times", got)
		}
		return nil
	})
	require.Equal(t, float64(1), outcomes("handled")-handled0, "one replica handles it")
	require.Equal(t, float64(1), outcomes("other_replica")-other0, "the other leaves it")
}
