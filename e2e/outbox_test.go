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
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// slowPosts is a proxy in front of Mattermost that holds every create-post request for delay
// before passing it on, and tells when the last of them ended.
type slowPosts struct {
	delay time.Duration
	srv   *http.Server
	url   string

	mu       sync.Mutex
	inFlight int
	creates  int
	lastEnd  time.Time
}

func startSlowPosts(t *testing.T, delay time.Duration) *slowPosts {
	t.Helper()
	target, err := url.Parse(rig.MattermostURL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	s := &slowPosts{delay: delay}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v4/posts" {
			proxy.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		s.inFlight++
		s.creates++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.lastEnd = time.Now()
			s.mu.Unlock()
		}()
		time.Sleep(s.delay)
		proxy.ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.url = "http://" + ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// idleFor reports whether no create went through the proxy in the last d, and whether any did.
func (s *slowPosts) idleFor(d time.Duration) (idle bool, creates int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight == 0 && time.Since(s.lastEnd) >= d, s.creates
}

// Two `guichet serve` on one database, each message's lease (1 s) shorter than one delivery:
// the first replica takes a batch of twenty notices and posts them through a Mattermost that
// takes 3 s to create each post; the second starts while the first is at its first post, and
// posts without delay. Whatever each of them does, every notice is in its channel once,
// counted in Mattermost. (Without the fence the second took the batch once the first one's
// lease ended and posted it at once, and the first went on posting it: the copies it posted
// more than 30 s after the second's, when Mattermost no longer drops a create of the same
// pending post id, were there twice.)
func TestOutboxLeaseShorterThanADeliveryPostsEachMessageOnce(t *testing.T) {
	ctx := context.Background()
	const notices = 20
	require.NoError(t, rig.StopBot(syscall.SIGTERM))
	t.Cleanup(func() { require.NoError(t, rig.StartBot(context.Background())) })
	ch, err := rig.NewChannel(ctx, "fence")
	require.NoError(t, err)

	slow := startSlowPosts(t, 3*time.Second)
	startServe(t, "replica-slow", map[string]string{"GUICHET_MATTERMOST_URL": slow.url, "GUICHET_OUTBOX_LEASE": "1s"})
	// One batch: queued in one statement, one notification.
	_, err = rig.DB().SQL().ExecContext(ctx, `
		WITH queued AS (
			INSERT INTO outbox (kind, payload)
			SELECT 'notice', jsonb_build_object('channel_id', $1::text, 'message_id', 'MsgPassed', 'locale', 'fr',
				'args', jsonb_build_object('Code', 'FENCE-' || i))
			FROM generate_series(1, $2::int) AS i
			RETURNING id
		)
		SELECT pg_notify('guichet_outbox', '') FROM (SELECT count(*) FROM queued) AS n`, ch.Id, notices)
	require.NoError(t, err)
	where := `payload->>'channel_id' = $1`
	rig.EventuallyWithin(t, 30*time.Second, "the slow replica posting its batch", func(ctx context.Context) error {
		if _, creates := slow.idleFor(0); creates == 0 {
			return fmt.Errorf("no post yet through the slow Mattermost")
		}
		var taken int
		if err := rig.DB().SQL().GetContext(ctx, &taken, `SELECT count(*) FROM outbox WHERE attempts > 0 AND `+where, ch.Id); err != nil {
			return err
		}
		if taken != notices {
			return fmt.Errorf("%d of %d notices taken", taken, notices)
		}
		return nil
	})
	startServe(t, "replica-fast", map[string]string{"GUICHET_OUTBOX_LEASE": "1s"})

	waitOutboxDone(t, 3*time.Minute, "every notice delivered", where, ch.Id)
	rig.EventuallyWithin(t, 3*time.Minute, "the slow replica done posting", func(ctx context.Context) error {
		if idle, _ := slow.idleFor(5 * time.Second); !idle {
			return fmt.Errorf("still posting through the slow Mattermost")
		}
		return nil
	})

	_, slowCreates := slow.idleFor(0)
	t.Logf("posts created through the slow Mattermost: %d", slowCreates)
	posts, err := rig.BotPosts(ctx, ch.Id)
	require.NoError(t, err)
	count := map[string]int{}
	for _, p := range posts {
		count[p.Message]++
	}
	var twice []string
	for i := 1; i <= notices; i++ {
		code := fmt.Sprintf("FENCE-%d", i)
		n := 0
		for msg, c := range count {
			if strings.Contains(msg, "**"+code+"**") {
				n += c
			}
		}
		if n != 1 {
			twice = append(twice, fmt.Sprintf("%s ×%d", code, n))
		}
	}
	require.Empty(t, twice, "each notice once in its channel (%d posts for %d notices)", len(posts), notices)
	require.Len(t, posts, notices)
}
