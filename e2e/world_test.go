package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// world is a test's own event, so that tests sharing the rig run in parallel without seeing
// each other: a coordination channel (the rig's coordinator and an observer are members),
// structures of one category of the test's own, each with one member and a channel, and the
// event bound to that coordination channel. Everything is named after the test's prefix.
type world struct {
	prefix       string
	coord        *mmrig.User // the rig's coordinator
	observer     *mmrig.User // a member of the coordination channel who is not a coordinator
	coordChannel *model.Channel
	category     string
	event        *guichet.Event
	suppliers    []*guichet.Supplier
	members      []*mmrig.User    // members[i] acts for suppliers[i]
	channels     []*model.Channel // channels[i] is suppliers[i]'s
}

// newWorld builds a world named prefix (lowercase letters and digits, at most 8 characters)
// with one structure per name.
func newWorld(t *testing.T, prefix string, supplierNames ...string) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{prefix: prefix, coord: rig.Coordinator(), category: "cat-" + prefix}
	observer, err := rig.NewUser(ctx, prefix+".obs")
	require.NoError(t, err)
	w.observer = observer
	w.coordChannel, err = rig.NewChannel(ctx, prefix+"-coord", w.coord.Username, observer.Username)
	require.NoError(t, err)
	for i, name := range supplierNames {
		u, err := rig.NewUser(ctx, fmt.Sprintf("%s.m%d", prefix, i+1))
		require.NoError(t, err)
		ch, err := rig.NewChannel(ctx, fmt.Sprintf("%s-s%d", prefix, i+1), u.Username)
		require.NoError(t, err)
		w.members = append(w.members, u)
		w.channels = append(w.channels, ch)
		w.suppliers = append(w.suppliers, &guichet.Supplier{
			Name: name, Categories: []string{w.category}, ChannelID: ch.Id, ChannelName: ch.Name,
			Members: []guichet.Member{{UserID: u.ID, Username: u.Username}},
		})
	}
	require.NoError(t, rig.DB().UpsertSuppliers(ctx, w.actor(), w.suppliers))
	w.event = &guichet.Event{
		Slug: "e2e-" + prefix, Name: "Journée " + prefix, Day: time.Date(2031, 4, 15, 0, 0, 0, 0, time.UTC),
		Venue: "Cité des Congrès, Nantes", Client: "Nantes Métropole", CoordChannelID: w.coordChannel.Id,
	}
	require.NoError(t, rig.DB().CreateEvent(ctx, w.actor(), w.event))
	return w
}

// actor is the coordinator as the domain knows them.
func (w *world) actor() guichet.Actor {
	return guichet.Actor{UserID: w.coord.ID, Username: w.coord.Username}
}

// addLot adds a lot of the world's category to its event.
func (w *world) addLot(t *testing.T, l *guichet.Lot) *guichet.Lot {
	t.Helper()
	l.Category = w.category
	require.NoError(t, rig.DB().AddLots(context.Background(), w.actor(), w.event.ID, []*guichet.Lot{l}))
	return l
}

// publish publishes the event's offers as the coordinator and checks how many were queued.
func (w *world) publish(t *testing.T, want int) {
	t.Helper()
	n, err := rig.DB().Publish(context.Background(), w.actor(), w.event.ID)
	require.NoError(t, err)
	require.Equal(t, want, n, "offer posts queued")
}

// offerPost waits for the bot's offer of lot in supplier i's channel, with its buttons.
func (w *world) offerPost(t *testing.T, i int, lot *guichet.Lot, buttons ...string) *model.Post {
	t.Helper()
	return w.members[i].WaitPost(t, w.channels[i].Id, func(p *model.Post) bool {
		if p.UserId != rig.BotUserID() || !strings.Contains(mmrig.PostText(p), lot.Title) {
			return false
		}
		for _, b := range buttons {
			if mmrig.Button(p, b) == nil {
				return false
			}
		}
		return true
	})
}

// claims returns the lot's claims, all statuses, from the bot's database.
func claims(t *testing.T, lotID int64) []*guichet.Claim {
	t.Helper()
	st, err := rig.DB().LotState(context.Background(), lotID)
	require.NoError(t, err)
	return st.Claims
}

// count runs a counting query on the bot's database.
func count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, rig.DB().SQL().GetContext(context.Background(), &n, query, args...))
	return n
}

// freeAddr returns a loopback address with a port free at the time of the call, for a bot the
// test starts itself.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startServe starts `guichet serve` with the rig bot's settings and env on top, on a port of
// its own (and an operators' port of its own, unless env names one), logging to name.log in the rig's folder, and
// waits for its /readyz. It returns the address it listens on for Mattermost; it is stopped
// (SIGTERM) when the test ends.
func startServe(t *testing.T, name string, env map[string]string) (addr string) {
	t.Helper()
	addr = freeAddr(t)
	opsAddr := freeAddr(t)
	all := rig.BotEnv()
	all["GUICHET_LISTEN"] = addr
	all["GUICHET_OPS_LISTEN"] = opsAddr
	for k, v := range env {
		all[k] = v
	}
	opsAddr = all["GUICHET_OPS_LISTEN"]
	cmd := exec.Command(rig.GuichetBinary(), "serve")
	cmd.Dir = rig.Dir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GUICHET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range all {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logFile, err := os.Create(filepath.Join(rig.Dir(), name+".log"))
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	rig.EventuallyWithin(t, time.Minute, name+" ready on "+addr, func(ctx context.Context) error {
		resp, err := http.Get("http://" + opsAddr + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz answered %d", resp.StatusCode)
		}
		return nil
	})
	return addr
}
