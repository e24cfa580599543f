package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// recordSleeps replaces the client's waits with a recorder, so that 429 tests run fast.
func recordSleeps(c *Client) *[]time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return ctx.Err()
	}
	return &waits
}

func TestClientCreatePostSetsPendingPostID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeMM(t)
	c := f.client(ClientOptions{})
	require.Empty(t, c.BotUserID())
	p1, err := c.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "bonjour"}, "outbox:1:notice:ch")
	require.NoError(t, err)
	require.Equal(t, f.botID, c.BotUserID())
	require.Regexp(t, `^`+f.botID+`:[0-9]+$`, p1.PendingPostId)

	// The same key again (a retry): Mattermost keeps one post and returns it.
	p2, err := c.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "bonjour"}, "outbox:1:notice:ch")
	require.NoError(t, err)
	require.Equal(t, p1.Id, p2.Id)
	require.Len(t, f.postsIn("ch"), 1)

	p3, err := c.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "bonjour"}, "outbox:2:notice:ch")
	require.NoError(t, err)
	require.NotEqual(t, p1.Id, p3.Id)
	require.Len(t, f.postsIn("ch"), 2)

	require.Equal(t, "u:42", PendingPostID("u", "42"))
	require.Equal(t, PendingPostID("u", "a"), PendingPostID("u", "a"))
	require.NotEqual(t, PendingPostID("u", "a"), PendingPostID("u", "b"))
	require.Regexp(t, `^u:[0-9]+$`, PendingPostID("u", "outbox:7:notice:x"))
}

func TestClientWaitsOutRateLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeMM(t)
	c := f.client(ClientOptions{RateLimitRetries: 3})
	waits := recordSleeps(c)
	require.NoError(t, c.Connect(ctx))

	f.set(func(f *fakeMM) { f.limited = 2 })
	p, err := c.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "x"}, "k1")
	require.NoError(t, err)
	require.NotEmpty(t, p.Id)
	require.Equal(t, []time.Duration{time.Second, time.Second}, *waits, "X-RateLimit-Reset: 1 → wait one second")

	f.set(func(f *fakeMM) { f.limited = 10 })
	_, err = c.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "y"}, "k2")
	require.Error(t, err)
	require.Equal(t, http.StatusTooManyRequests, StatusOf(err))
	require.False(t, Permanent(err), "a rate limit is not a refusal")
	require.Len(t, *waits, 5, "bounded retries")
}

func TestClientCallsTimeOut(t *testing.T) {
	t.Parallel()
	f := newFakeMM(t)
	c := f.client(ClientOptions{Timeout: 100 * time.Millisecond})
	f.set(func(f *fakeMM) { f.delay = 500 * time.Millisecond })
	start := time.Now()
	err := c.Ping(context.Background())
	require.Error(t, err)
	require.Less(t, time.Since(start), time.Second)
	require.Equal(t, 0, StatusOf(err))
	require.False(t, Permanent(err))
}

// Only a create left without an answer in time may have posted: not a refusal, not a
// connection closed without an answer, not another call that timed out.
func TestMayHavePosted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeMM(t)
	c := f.client(ClientOptions{Timeout: 100 * time.Millisecond})
	post := func() error {
		_, err := c.CreatePost(ctx, &model.Post{ChannelId: "ch-x", Message: "m"}, "k")
		return err
	}

	f.set(func(f *fakeMM) { f.createDelay = 500 * time.Millisecond })
	err := post()
	require.Error(t, err)
	require.True(t, MayHavePosted(err), "timed out: %v", err)
	_, err = c.UpdatePost(ctx, &model.Post{Id: "post0000000000000000000001", ChannelId: "ch-x"})
	require.False(t, MayHavePosted(err), "not a create")

	f.set(func(f *fakeMM) { f.createDelay, f.refuse["ch-x"] = 0, http.StatusForbidden })
	err = post()
	require.Error(t, err)
	require.False(t, MayHavePosted(err), "refused: %v", err)

	f.set(func(f *fakeMM) { f.down = true })
	err = post()
	require.Error(t, err)
	require.False(t, MayHavePosted(err), "closed without an answer: %v", err)
	require.False(t, MayHavePosted(nil))
}

func TestClientLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeMM(t)
	c := f.client(ClientOptions{})
	f.addChannel("ch-tak", "tak-apres", "team1")
	f.addChannel("ch-private", "secret", "team1")
	f.set(func(f *fakeMM) {
		f.users["marie"] = &model.User{Id: "marie-id", Username: "marie"}
		f.refuse["ch-private"] = http.StatusForbidden
	})

	id, err := c.UserByUsername(ctx, "@Marie")
	require.NoError(t, err)
	require.Equal(t, "marie-id", id)
	_, err = c.UserByUsername(ctx, "@nobody")
	require.Equal(t, "ErrUserNotFound", guichet.AsError(err).MessageID)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))

	id, err = c.ChannelByName(ctx, "team1", "~tak-apres")
	require.NoError(t, err)
	require.Equal(t, "ch-tak", id)
	_, err = c.ChannelByName(ctx, "team2", "tak-apres")
	require.Equal(t, "ErrChannelNotFound", guichet.AsError(err).MessageID)

	require.NoError(t, c.JoinChannel(ctx, "ch-tak"))
	err = c.JoinChannel(ctx, "ch-private")
	e := guichet.AsError(err)
	require.NotNil(t, e)
	require.Equal(t, guichet.EFORBIDDEN, e.Code)
	require.Equal(t, "ErrCannotJoin", e.MessageID)
	require.Equal(t, "~secret", e.Args["Channel"])

	dm, err := c.DirectChannel(ctx, "marie-id")
	require.NoError(t, err)
	require.Equal(t, "dm-marie-id", dm)

	fileID, err := c.UploadFile(ctx, "ch-tak", "recap.png", []byte("png"))
	require.NoError(t, err)
	require.Equal(t, "file-recap.png", fileID)
}

func TestClientUpdateAndDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFakeMM(t)
	c := f.client(ClientOptions{})
	p, err := c.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "v1"}, "k")
	require.NoError(t, err)
	_, err = c.UpdatePost(ctx, &model.Post{Id: p.Id, ChannelId: "ch", Message: "v2"})
	require.NoError(t, err)
	require.Equal(t, "v2", f.post(p.Id).Message)
	require.NoError(t, c.DeletePost(ctx, p.Id))
	_, err = c.UpdatePost(ctx, &model.Post{Id: p.Id, ChannelId: "ch", Message: "v3"})
	require.Equal(t, http.StatusNotFound, StatusOf(err))
	require.True(t, Permanent(err))
}

func TestClientBadToken(t *testing.T) {
	t.Parallel()
	f := newFakeMM(t)
	c := NewClient(f.srv.URL, "wrong-token", ClientOptions{Logger: quietLogger()})
	err := c.Connect(context.Background())
	require.Equal(t, http.StatusUnauthorized, StatusOf(err))
	require.False(t, Permanent(err), "a bad token is the operator's to fix; messages wait")
	require.NotContains(t, err.Error(), "wrong-token")
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		err  error
		want bool
	}{
		"nil":              {nil, false},
		"400":              {&APIError{Status: 400}, true},
		"403":              {&APIError{Status: 403}, true},
		"404":              {&APIError{Status: 404}, true},
		"413":              {&APIError{Status: 413}, true},
		"401":              {&APIError{Status: 401}, false},
		"429":              {&APIError{Status: 429}, false},
		"500":              {&APIError{Status: 500}, false},
		"503":              {&APIError{Status: 503}, false},
		"no answer":        {&APIError{Err: errors.New("connection refused")}, false},
		"wrapped 403":      {errors.Join(errors.New("x"), &APIError{Status: 403}), true},
		"lot gone":         {guichet.Errorf(guichet.ENOTFOUND, "ErrLotNotFound"), true},
		"invalid":          {guichet.Errorf(guichet.EINVALID, "ErrQuantity"), true},
		"bad message":      {errBadMessage, true},
		"database trouble": {errors.New("connection reset"), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Permanent(tc.err))
		})
	}
}

func TestRateLimitWait(t *testing.T) {
	t.Parallel()
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	require.Equal(t, 3*time.Second, rateLimitWait(h("X-RateLimit-Reset", "3", "Retry-After", "9"), time.Minute))
	require.Equal(t, 9*time.Second, rateLimitWait(h("Retry-After", "9"), time.Minute))
	require.Equal(t, time.Second, rateLimitWait(h(), time.Minute))
	require.Equal(t, 100*time.Millisecond, rateLimitWait(h("X-RateLimit-Reset", "0"), time.Minute))
	require.Equal(t, time.Minute, rateLimitWait(h("X-RateLimit-Reset", "3600"), time.Minute))
	at := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	w := rateLimitWait(h("Retry-After", at), time.Minute)
	require.True(t, w > 15*time.Second && w <= 20*time.Second, w)
	require.False(t, strings.Contains(at, "x"))
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	require.Equal(t, 2*time.Second, backoff(1, 0))
	require.Equal(t, 4*time.Second, backoff(2, 0))
	require.Equal(t, 8*time.Second, backoff(3, 0))
	require.Equal(t, time.Second, backoff(1, 1), "jitter takes off up to half")
	require.Equal(t, 10*time.Minute, backoff(20, 0), "capped")
	require.Equal(t, 10*time.Minute, backoff(1000, 0), "no overflow")
	require.Equal(t, 5*time.Minute, backoff(1000, 1))
}
