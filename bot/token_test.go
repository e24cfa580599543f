package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a log destination safe for the client's concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A revoked token makes /readyz unready with what to do, is logged once however many calls
// Mattermost refuses, and readiness comes back by itself once Mattermost accepts the token.
func TestRevokedTokenInReadinessAndLog(t *testing.T) {
	sb := setupServer(t, nil)
	var logs lockedBuffer
	sb.bot.client.logger = slog.New(slog.NewTextHandler(&logs, nil))
	ready := func() (int, map[string]any) {
		resp, err := http.Get(sb.ops.URL + "/readyz")
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		raw, _ := io.ReadAll(resp.Body)
		require.NoError(t, json.Unmarshal(raw, &body), string(raw))
		return resp.StatusCode, body
	}
	status, _ := ready()
	require.Equal(t, http.StatusOK, status)

	sb.mm.set(func(f *fakeMM) { f.revoked = true })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := sb.bot.client.CreatePost(ctx, &model.Post{ChannelId: "ch", Message: "x"}, "")
		require.Equal(t, http.StatusUnauthorized, StatusOf(err))
		require.False(t, Permanent(err), "messages wait for a valid token")
	}
	status, body := ready()
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "token refused", body["mattermost"])
	require.Contains(t, body["reason"], "guichet setup --new-token")
	require.Equal(t, 1, strings.Count(logs.String(), "refuses the bot's token"), logs.String())
	refused, since := sb.bot.client.TokenRefused()
	require.True(t, refused)
	require.False(t, since.IsZero())

	sb.mm.set(func(f *fakeMM) { f.revoked = false })
	status, body = ready()
	require.Equal(t, http.StatusOK, status, body)
	require.Nil(t, body["reason"])
	refused, _ = sb.bot.client.TokenRefused()
	require.False(t, refused)
	require.Equal(t, 1, strings.Count(logs.String(), "accepts the bot's token again"), logs.String())
}
