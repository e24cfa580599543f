package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// replicas runs n `guichet serve` processes with the rig bot's settings, each on a port of its
// own, behind a round-robin proxy listening where the rig's bot listened (the URL the slash
// command, the buttons and the dialogs point to). The rig's bot is stopped while they run and
// started again when the test ends.
type replicas struct {
	proxy *http.Server
	// served counts the requests each replica was given.
	served []atomic.Int64
}

func startReplicas(t *testing.T, n int) *replicas {
	t.Helper()
	require.NoError(t, rig.StopBot(syscall.SIGTERM))
	rs := &replicas{served: make([]atomic.Int64, n)}
	t.Cleanup(func() {
		rs.stop()
		require.NoError(t, rig.StartBot(context.Background()))
	})
	public, err := url.Parse(rig.BotURL())
	require.NoError(t, err)
	var targets []*httputil.ReverseProxy
	for i := range n {
		addr := startServe(t, fmt.Sprintf("replica-%d", i+1), nil)
		target := &url.URL{Scheme: "http", Host: addr}
		targets = append(targets, httputil.NewSingleHostReverseProxy(target))
	}
	var next atomic.Int64
	rs.proxy = &http.Server{Addr: public.Host, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(next.Add(1)-1) % n
		rs.served[i].Add(1)
		targets[i].ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", public.Host)
	require.NoError(t, err)
	go func() { _ = rs.proxy.Serve(ln) }()
	return rs
}

func (rs *replicas) stop() {
	if rs.proxy != nil {
		_ = rs.proxy.Close()
		rs.proxy = nil
	}
}

// Three `guichet serve` replicas behind the one slash command (a round-robin proxy at the
// bot's URL): the coordinator publishes from chat, every structure's member clicks "Je prends"
// on the same exclusive lot and claims a share of a shared lot twice, the J-1 reminder is
// sent: every offer is posted once, the exclusive lot has one holder, each structure one share,
// each member one reminder, and each claim one notice in the coordination channel.
func TestReplicasBehindOneCommandDoEverythingOnce(t *testing.T) {
	ctx := context.Background()
	const n = 8
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("Structure Réplique %d", i+1))
	}
	w := newWorld(t, "repl", names...)
	exclusive := w.addLot(t, &guichet.Lot{Code: "SCE", Title: "Scène principale", Quantity: 1, Unit: "scène", Budget: 300000, Mode: guichet.Exclusive})
	shared := w.addLot(t, &guichet.Lot{Code: "CHA", Title: "Chaises pliantes", Quantity: 100, Unit: "chaises", Budget: 50000,
		Mode: guichet.Shared, MaxSuppliers: n})
	rs := startReplicas(t, 3)

	out := say(t, w.coord, w.coordChannel.Id, "/guichet publish")
	require.Contains(t, out, w.event.Name)
	posts := make([]*model.Post, n)
	for i := range n {
		posts[i] = w.offerPost(t, i, exclusive, btnClaim)
		w.offerPost(t, i, shared, btnShare)
	}

	// Every member clicks the exclusive lot at once, twice; and claims part of the shared lot
	// from chat, twice. A click may find the button gone (the lot was taken meanwhile):
	// Mattermost refuses it, which is what the member would see.
	claimID := mmrig.Button(posts[0], btnClaim).Id
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		for range 2 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				_, _ = w.members[i].Client.DoPostAction(cctx, posts[i].Id, claimID)
				errs <- nil
			}()
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				_, err := w.members[i].Command(cctx, w.channels[i].Id, fmt.Sprintf("/guichet claim %s/CHA 5", w.event.Slug))
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	cs := claims(t, exclusive.ID)
	require.Len(t, cs, 1, "the exclusive lot has one holder")
	require.Equal(t, guichet.ClaimAwarded, cs[0].Status)
	cs = claims(t, shared.ID)
	require.Len(t, cs, n, "one share per structure")
	perSupplier := map[int64]int{}
	for _, c := range cs {
		perSupplier[c.SupplierID]++
		require.EqualValues(t, 5, c.Quantity)
	}
	require.Len(t, perSupplier, n)

	sent, err := rig.DB().SendRemindersNow(ctx, w.actor(), w.event.ID, "j1")
	require.NoError(t, err)
	require.Equal(t, n+1, sent)
	waitOutboxDone(t, 2*time.Minute, "every message of the event delivered",
		`((payload->>'event_id')::bigint = $1 OR (payload->>'lot_id')::bigint IN (SELECT id FROM lots WHERE event_id = $1))`, w.event.ID)
	time.Sleep(2 * time.Second)

	for i, ch := range w.channels {
		bp, err := rig.BotPosts(ctx, ch.Id)
		require.NoError(t, err)
		offers := map[string]int{}
		for _, p := range bp {
			for _, l := range []*guichet.Lot{exclusive, shared} {
				if strings.Contains(mmrig.PostText(p), l.Code+" — "+l.Title) {
					offers[l.Code]++
				}
			}
		}
		require.Equal(t, map[string]int{"SCE": 1, "CHA": 1}, offers, "structure %d's offers", i+1)
		rem, err := w.reminders(ctx, directChannel(t, w.members[i]))
		require.NoError(t, err)
		require.Len(t, rem, 1, "structure %d's reminder", i+1)
	}
	coordPosts, err := rig.BotPosts(ctx, w.coordChannel.Id)
	require.NoError(t, err)
	notices := 0
	for _, p := range coordPosts {
		if strings.Contains(p.Message, "prend le lot") {
			notices++
		}
	}
	require.Equal(t, n+1, notices, "one notice per claim: %d shares and the exclusive lot", n)
	for i := range rs.served {
		require.Positive(t, rs.served[i].Load(), "replica %d served no request", i+1)
	}
	t.Logf("requests served by the replicas: %d, %d, %d", rs.served[0].Load(), rs.served[1].Load(), rs.served[2].Load())
}
