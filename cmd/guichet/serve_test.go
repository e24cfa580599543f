package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/db/dbtest"
)

// miniMattermost answers what `guichet serve` asks at start and for readiness, and accepts
// posts; the end-to-end tests use a real server.
func miniMattermost(t *testing.T) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/v4/users/me":
			io.WriteString(w, `{"id":"botid","username":"guichet"}`)
		case r.URL.Path == "/api/v4/system/ping":
			io.WriteString(w, `{"status":"OK"}`)
		case r.URL.Path == "/api/v4/posts" && r.Method == http.MethodPost:
			mu.Lock()
			n++
			id := fmt.Sprintf("post%022d", n)
			mu.Unlock()
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"id":%q}`, id)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"id":"not_found","status_code":404}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// serveConfig writes a configuration file for `guichet serve`, its secrets in files beside it:
// Mattermost's endpoints on listen, health and metrics on opsListen.
func serveConfig(t *testing.T, dbURL, mmURL, listen, opsListen string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	conf := fmt.Sprintf(`database_url = %q
mattermost_url = %q
listen = %q
ops_listen = %q
public_url = "http://%s"
administrators = ["coordination"]
log_format = "text"
scheduler_tick = "1s"
bot_token_file = %q
signing_key_file = %q
command_tokens_file = %q
`, dbURL, mmURL, listen, opsListen, listen, write("bot_token", "bot-token\n"),
		write("signing_key", strings.Repeat("k", 40)), write("command_tokens", "cmd-token-1\ncmd-token-2\n"))
	return write("config.toml", conf)
}

func TestServeAnswersAndStopsGracefully(t *testing.T) {
	mm := miniMattermost(t)
	listen, opsListen := freeAddr(t), freeAddr(t)
	path := serveConfig(t, dbtest.URL(t), mm.URL, listen, opsListen)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	var logMu sync.Mutex
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", path}, io.Discard, writerFunc(func(p []byte) (int, error) {
			logMu.Lock()
			defer logMu.Unlock()
			return logs.Write(p)
		}))
	}()
	base, ops := "http://"+listen, "http://"+opsListen
	require.Eventually(t, func() bool {
		resp, err := http.Get(ops + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "serve becomes ready")

	command := func(token string) (int, string) {
		form := url.Values{"token": {token}, "user_id": {"u1"}, "user_name": {"someone"}, "channel_id": {"c1"},
			"team_id": {"t1"}, "command": {"/guichet"}, "text": {"aide"}}
		resp, err := http.PostForm(base+"/mattermost/command", form)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	status, _ := command("wrong")
	require.Equal(t, http.StatusUnauthorized, status)
	status, body := command("cmd-token-2")
	require.Equal(t, http.StatusOK, status)
	var reply struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &reply))
	require.Equal(t, "ephemeral", reply.ResponseType)
	require.NotEmpty(t, reply.Text)

	resp, err := http.Post(base+"/mattermost/action", "application/json", strings.NewReader(`{"user_id":"u1","context":{"action":"claim","sig":"forged"}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Health and metrics on the operators' address only.
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{"/metrics", "/readyz", "/healthz"} {
		status, _ := get(base + path)
		require.Equal(t, http.StatusNotFound, status, "GET %s where Mattermost calls", path)
	}
	status, body = get(ops + "/readyz")
	require.Equal(t, http.StatusOK, status)
	// The configured administrator matches no user of this Mattermost: said, not unready.
	// The listener runs, and this fake Mattermost has no WebSocket: it is not connected.
	var ready map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &ready))
	require.Equal(t, false, ready["listener"].(map[string]any)["connected"], body)
	delete(ready, "listener")
	rest, err := json.Marshal(ready)
	require.NoError(t, err)
	require.JSONEq(t, `{"database":"ok","mattermost":"ok","warnings":["administrator @coordination matches no Mattermost user: fix the configuration (administrators) and restart"]}`, string(rest))
	status, body = get(ops + "/metrics")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `guichet_requests_total{endpoint="command",outcome="refused"} 1`)
	status, _ = get(ops + "/healthz")
	require.Equal(t, http.StatusOK, status)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop")
	}
	logMu.Lock()
	defer logMu.Unlock()
	out := logs.String()
	require.Contains(t, out, "guichet is serving")
	require.Contains(t, out, "stopped")
	for _, secret := range []string{"bot-token", "cmd-token-1", "cmd-token-2", strings.Repeat("k", 40)} {
		require.NotContains(t, out, secret, "no secret in the logs")
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestServeRefusesABadConfiguration(t *testing.T) {
	mm := miniMattermost(t)
	path := serveConfig(t, "postgres://nobody@127.0.0.1:1/none?sslmode=disable", mm.URL, freeAddr(t), freeAddr(t))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	bad := strings.Replace(string(data), "public_url", "# public_url", 1)
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
	err = run(context.Background(), []string{"serve", "--config", path}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "public_url")
	require.ErrorContains(t, err, "GUICHET_PUBLIC_URL")
}

func TestClockOffset(t *testing.T) {
	t.Parallel()
	d, err := clockOffset("")
	require.NoError(t, err)
	require.Zero(t, d)
	d, err = clockOffset("-2h30m")
	require.NoError(t, err)
	require.Equal(t, -150*time.Minute, d)
	_, err = clockOffset("demain")
	require.ErrorContains(t, err, "GUICHET_CLOCK_OFFSET")
}
