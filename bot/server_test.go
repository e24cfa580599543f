package bot

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/buildinfo"
)

// fakeCommands records what reaches the command handler.
type fakeCommands struct {
	mu       sync.Mutex
	commands []guichet.CommandRequest
	dialogs  []guichet.DialogSubmission
}

func (f *fakeCommands) HandleCommand(_ context.Context, req guichet.CommandRequest) guichet.CommandReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.commands = append(f.commands, req)
	if req.Text == "mes-lots" {
		return guichet.CommandReply{Text: "Vos lots", Releases: []guichet.ReleaseButton{
			{LotID: 7, SupplierID: 3, Text: "`DEJ` — Déjeuner : 100 couverts", Label: "Libérer"},
			{LotID: 9, SupplierID: 3, Text: "`CAF` — Café : 150 tasses", Label: "Libérer"}}}
	}
	return guichet.CommandReply{Text: "aide\u202f: " + req.Text, InChannel: req.Text == "public"}
}

func (f *fakeCommands) HandleDialog(_ context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dialogs = append(f.dialogs, sub)
	if sub.Submission["name"] == "" {
		return guichet.DialogReply{Errors: map[string]string{"name": "nom manquant"}}
	}
	return guichet.DialogReply{}
}

// pingStore is a Store that only answers Ping.
type pingStore struct {
	nilStore
	err error
}

func (s pingStore) Ping(context.Context) error { return s.err }

type serverBundle struct {
	bot *Bot
	// srv serves what Mattermost calls (Handler), ops what operators read (OpsHandler).
	srv, ops *httptest.Server
	mm       *fakeMM
	commands *fakeCommands
	clicks   *[]ActionRequest
	now      time.Time
}

func setupServer(t *testing.T, storeErr error) *serverBundle {
	t.Helper()
	t.Parallel()
	mm := newFakeMM(t)
	mm.set(func(f *fakeMM) { f.users["marie"] = &model.User{Id: "marie-id", Username: "marie"} })
	now := time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC)
	b := unitBot(t, pingStore{err: storeErr}, mm.client(ClientOptions{Timeout: time.Second}), now)
	cmds := &fakeCommands{}
	b.SetCommands(cmds)
	var mu sync.Mutex
	var clicks []ActionRequest
	b.HandleAction("test", func(_ context.Context, req ActionRequest) (ActionReply, error) {
		mu.Lock()
		defer mu.Unlock()
		clicks = append(clicks, req)
		if req.Fields["fail"] == "domain" {
			return ActionReply{}, guichet.Errorf(guichet.ECONFLICT, "ErrLotFull", "Code", "DEJ")
		}
		if req.Fields["fail"] == "internal" {
			return ActionReply{}, errors.New("database on fire")
		}
		if req.Fields["fail"] == "panic" {
			panic("boom")
		}
		return ActionReply{Ephemeral: "vu " + req.Fields["lot"], Update: &model.Post{Message: "mis à jour"}}, nil
	})
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	ops := httptest.NewServer(b.OpsHandler())
	t.Cleanup(ops.Close)
	return &serverBundle{bot: b, srv: srv, ops: ops, mm: mm, commands: cmds, clicks: &clicks, now: now}
}

func (sb *serverBundle) postForm(t *testing.T, form url.Values, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, sb.srv.URL+"/mattermost/command", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (sb *serverBundle) postJSON(t *testing.T, path string, v any) (int, []byte) {
	t.Helper()
	js, err := json.Marshal(v)
	require.NoError(t, err)
	resp, err := http.Post(sb.srv.URL+path, "application/json", strings.NewReader(string(js)))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func commandForm(token, text string) url.Values {
	return url.Values{"token": {token}, "team_id": {"team1"}, "channel_id": {"ch"}, "user_id": {"marie-id"},
		"user_name": {"marie"}, "command": {"/guichet"}, "text": {text}, "trigger_id": {"trig"}}
}

func TestCommandEndpoint(t *testing.T) {
	sb := setupServer(t, nil)
	status, body := sb.postForm(t, commandForm(testCommandToken, " aide "), nil)
	require.Equal(t, http.StatusOK, status)
	var resp model.CommandResponse
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.Equal(t, model.CommandResponseTypeEphemeral, resp.ResponseType)
	require.Equal(t, "aide\u202f: aide", resp.Text)
	require.Equal(t, []guichet.CommandRequest{{Actor: guichet.Actor{UserID: "marie-id", Username: "marie"},
		ChannelID: "ch", TeamID: "team1", Text: "aide", TriggerID: "trig"}}, sb.commands.commands)

	status, body = sb.postForm(t, commandForm(testCommandToken, "public"), nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.Equal(t, model.CommandResponseTypeInChannel, resp.ResponseType)

	form := commandForm("", "aide")
	form.Del("token")
	status, _ = sb.postForm(t, form, http.Header{"Authorization": {"Token " + testCommandToken}})
	require.Equal(t, http.StatusOK, status, "the token in the Authorization header")
	require.Len(t, sb.commands.commands, 3)
}

func TestCommandEndpointRefusals(t *testing.T) {
	sb := setupServer(t, nil)
	cases := map[string]struct {
		form   url.Values
		header http.Header
		want   int
	}{
		"wrong token":         {form: commandForm("not-the-token", "aide"), want: http.StatusUnauthorized},
		"empty token":         {form: commandForm("", "aide"), want: http.StatusUnauthorized},
		"token prefix":        {form: commandForm(testCommandToken[:8], "aide"), want: http.StatusUnauthorized},
		"wrong header token":  {form: commandForm("", "aide"), header: http.Header{"Authorization": {"Token nope"}}, want: http.StatusUnauthorized},
		"bearer is not token": {form: commandForm("", "aide"), header: http.Header{"Authorization": {"Bearer " + testCommandToken}}, want: http.StatusUnauthorized},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, body := sb.postForm(t, tc.form, tc.header)
			require.Equal(t, tc.want, status)
			require.NotContains(t, body, testCommandToken)
		})
	}
	require.Empty(t, sb.commands.commands, "nothing reached the command handler")

	resp, err := http.Get(sb.srv.URL + "/mattermost/command")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func (sb *serverBundle) click(t *testing.T, userID string, ctx map[string]any) (int, *model.PostActionIntegrationResponse) {
	t.Helper()
	status, body := sb.postJSON(t, "/mattermost/action", &model.PostActionIntegrationRequest{
		UserId: userID, UserName: "marie", ChannelId: "ch", TeamId: "team1", PostId: "post1", TriggerId: "trig",
		Context: ctx})
	var resp model.PostActionIntegrationResponse
	if status == http.StatusOK {
		require.NoError(t, json.Unmarshal(body, &resp))
	}
	return status, &resp
}

func TestActionEndpoint(t *testing.T) {
	sb := setupServer(t, nil)
	button := sb.bot.ActionButton("Voir", "test", "primary", map[string]string{"lot": "7"}, "")
	require.Equal(t, "test", button.Id)
	ctx := roundTrip(t, button.Integration.Context)

	status, resp := sb.click(t, "marie-id", ctx)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "vu 7", resp.EphemeralText)
	require.Equal(t, "mis à jour", resp.Update.Message)
	require.Len(t, *sb.clicks, 1)
	got := (*sb.clicks)[0]
	require.Equal(t, ActionRequest{Actor: guichet.Actor{UserID: "marie-id", Username: "marie"}, ChannelID: "ch",
		TeamID: "team1", PostID: "post1", TriggerID: "trig", Fields: map[string]string{"lot": "7"}}, got)

	status, resp = sb.click(t, "marie-id", roundTrip(t, sb.bot.ActionButton("x", "test", "", map[string]string{"fail": "domain"}, "").Integration.Context))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Le lot DEJ est complet. Rien n'a changé pour vous.", resp.EphemeralText)
	status, resp = sb.click(t, "marie-id", roundTrip(t, sb.bot.ActionButton("x", "test", "", map[string]string{"fail": "internal"}, "").Integration.Context))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, resp.EphemeralText, "Rien n'a été modifié")
	require.NotContains(t, resp.EphemeralText, "fire", "internal causes are not shown")

	status, _ = sb.click(t, "marie-id", roundTrip(t, sb.bot.ActionButton("x", "test", "", map[string]string{"fail": "panic"}, "").Integration.Context))
	require.Equal(t, http.StatusInternalServerError, status)

	// Signed by the bot for an action it no longer handles.
	status, resp = sb.click(t, "marie-id", roundTrip(t, sb.bot.signer.ButtonContext("gone", nil, "", sb.now.Add(time.Hour))))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, resp.EphemeralText, "Ce bouton ne fait plus rien")

	require.Panics(t, func() { sb.bot.ActionButton("x", "claim-lot", "", nil, "") }, "Mattermost ignores ids with dashes")
	require.Panics(t, func() { sb.bot.HandleAction("claim_lot", nil) })
}

func TestActionEndpointRefusals(t *testing.T) {
	sb := setupServer(t, nil)
	other, err := NewSigner([]byte("another-key-another-key-another-key!"))
	require.NoError(t, err)
	valid := func() map[string]any {
		return roundTrip(t, sb.bot.ActionButton("x", "test", "", map[string]string{"lot": "7"}, "marie-id").Integration.Context)
	}
	cases := map[string]struct {
		user string
		ctx  func() map[string]any
		want int
	}{
		"no context": {user: "marie-id", ctx: func() map[string]any { return nil }, want: http.StatusUnauthorized},
		"no signature": {user: "marie-id", ctx: func() map[string]any {
			c := valid()
			delete(c, "sig")
			return c
		}, want: http.StatusUnauthorized},
		"forged": {user: "marie-id", ctx: func() map[string]any {
			return roundTrip(t, other.ButtonContext("test", map[string]string{"lot": "7"}, "marie-id", sb.now.Add(time.Hour)))
		}, want: http.StatusForbidden},
		"tampered field": {user: "marie-id", ctx: func() map[string]any {
			c := valid()
			c["fields"].(map[string]any)["lot"] = "8"
			return c
		}, want: http.StatusForbidden},
		"other user": {user: "paul-id", ctx: valid, want: http.StatusForbidden},
		"expired": {user: "marie-id", ctx: func() map[string]any {
			return roundTrip(t, sb.bot.signer.ButtonContext("test", map[string]string{"lot": "7"}, "", sb.now.Add(-time.Second)))
		}, want: http.StatusForbidden},
		"replayed to another action": {user: "marie-id", ctx: func() map[string]any {
			c := roundTrip(t, sb.bot.ActionButton("x", "pass", "", map[string]string{"lot": "7"}, "").Integration.Context)
			c["action"] = "test"
			return c
		}, want: http.StatusForbidden},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, _ := sb.click(t, tc.user, tc.ctx())
			require.Equal(t, tc.want, status)
		})
	}
	require.Empty(t, *sb.clicks, "no refused click reached a handler")

	resp, err := http.Post(sb.srv.URL+"/mattermost/action", "application/json", strings.NewReader("{not json"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, err = http.Post(sb.srv.URL+"/mattermost/action", "application/json", strings.NewReader(`{"context":{"sig":"`+strings.Repeat("a", 2<<20)+`"}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "bodies are bounded")
}

func TestDialogEndpoint(t *testing.T) {
	sb := setupServer(t, nil)
	var got []guichet.DialogSubmission
	sb.bot.HandleDialog("test.", func(_ context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
		got = append(got, sub)
		return guichet.DialogReply{}
	})
	submit := func(callback, state, user string, submission map[string]any) (int, []byte) {
		return sb.postJSON(t, "/mattermost/dialog", &model.SubmitDialogRequest{CallbackId: callback, State: state,
			UserId: user, ChannelId: "ch", TeamId: "team1", Submission: submission})
	}
	state := sb.bot.signer.DialogState("test.one", "marie-id", "lot=7", sb.now.Add(time.Hour))
	status, body := submit("test.one", state, "marie-id", map[string]any{"x": "1"})
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{}`, string(body))
	require.Equal(t, []guichet.DialogSubmission{{Actor: guichet.Actor{UserID: "marie-id", Username: "marie"},
		CallbackID: "test.one", ChannelID: "ch", TeamID: "team1", State: "lot=7", Submission: map[string]any{"x": "1"}}}, got)

	cmdState := sb.bot.signer.DialogState("cmd.event", "marie-id", "", sb.now.Add(time.Hour))
	status, body = submit("cmd.event", cmdState, "marie-id", map[string]any{"name": ""})
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"errors":{"name":"nom manquant"}}`, string(body))
	require.Len(t, sb.commands.dialogs, 1, "cmd. dialogs go to the command handler")

	refusals := map[string]struct {
		callback, state, user string
		want                  int
	}{
		"no state":          {"test.one", "", "marie-id", http.StatusUnauthorized},
		"unsigned state":    {"test.one", "lot=7", "marie-id", http.StatusForbidden},
		"other user":        {"test.one", state, "paul-id", http.StatusForbidden},
		"other callback":    {"test.two", state, "marie-id", http.StatusForbidden},
		"to the commands":   {"cmd.event", state, "marie-id", http.StatusForbidden},
		"expired":           {"test.one", sb.bot.signer.DialogState("test.one", "marie-id", "lot=7", sb.now), "marie-id", http.StatusForbidden},
		"bound to the void": {"test.one", sb.bot.signer.DialogState("test.one", "", "lot=7", sb.now.Add(time.Hour)), "paul-id", http.StatusOK},
	}
	for name, tc := range refusals {
		t.Run(name, func(t *testing.T) {
			status, _ := submit(tc.callback, tc.state, tc.user, map[string]any{"name": "x"})
			require.Equal(t, tc.want, status)
		})
	}
	require.Len(t, got, 2, "only the valid submissions reached the handler")
	require.Len(t, sb.commands.dialogs, 1)
}

func TestOpenDialogSignsItsState(t *testing.T) {
	sb := setupServer(t, nil)
	err := sb.bot.OpenDialog(context.Background(), "trig", "marie-id", guichet.Dialog{
		CallbackID: "cmd.lot", Title: "Ajouter un lot", State: "event=3", SubmitLabel: "Ajouter",
		Elements: []guichet.DialogElement{{Name: "mode", DisplayName: "Mode", Type: "select",
			Options: []guichet.DialogOption{{Text: "Exclusif", Value: "exclusive"}}}},
	})
	require.NoError(t, err)
	require.Len(t, sb.mm.dialogs, 1)
	d := sb.mm.dialogs[0]
	require.Equal(t, "trig", d.TriggerId)
	require.Equal(t, testPublicURL+"/mattermost/dialog", d.URL)
	require.Equal(t, "cmd.lot", d.Dialog.CallbackId)
	require.Equal(t, "exclusive", d.Dialog.Elements[0].Options[0].Value)
	require.NotEqual(t, "event=3", d.Dialog.State)
	state, err := sb.bot.signer.VerifyDialog(d.Dialog.State, "cmd.lot", "marie-id", sb.now.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, "event=3", state)
	_, err = sb.bot.signer.VerifyDialog(d.Dialog.State, "cmd.lot", "marie-id", sb.now.Add(3*time.Hour))
	require.ErrorIs(t, err, ErrExpired, "dialogs expire after two hours")
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	sb := setupServer(t, nil)
	get := func(path string) (int, string) {
		resp, err := http.Get(sb.ops.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	status, _ := get("/healthz")
	require.Equal(t, http.StatusOK, status)
	status, body := get("/readyz")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"database":"ok","mattermost":"ok"}`, body)

	sb.mm.set(func(f *fakeMM) { f.down = true })
	status, body = get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.JSONEq(t, `{"database":"ok","mattermost":"unreachable"}`, body)

	sb.click(t, "marie-id", nil)
	status, body = get("/metrics")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `guichet_requests_total{endpoint="action",outcome="refused"} 1`)
	require.Contains(t, body, `guichet_requests_total{endpoint="readyz",outcome="unready"} 1`)
	require.Contains(t, body, "guichet_outbox_pending")
	require.Contains(t, body, "go_goroutines")
	build := buildinfo.Read()
	require.Contains(t, body, fmt.Sprintf(`guichet_build_info{commit=%q,goversion=%q,version=%q} 1`,
		build.Commit, runtime.Version(), build.Version), "the running binary named on the operators' address")
}

// The address Mattermost calls serves the three endpoints Mattermost needs and nothing else:
// no metrics, no readiness detail, no health check there; the operators' address serves
// those and none of Mattermost's.
func TestMattermostAddressServesOnlyItsEndpoints(t *testing.T) {
	sb := setupServer(t, nil)
	status := func(method, url string) int {
		req, err := http.NewRequest(method, url, strings.NewReader(`{}`))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/metrics", "/readyz", "/healthz", "/", "/debug/pprof/"} {
		require.Equal(t, http.StatusNotFound, status(http.MethodGet, sb.srv.URL+path), "GET %s where Mattermost calls", path)
	}
	for _, path := range []string{"/metrics", "/readyz", "/healthz"} {
		require.Equal(t, http.StatusOK, status(http.MethodGet, sb.ops.URL+path), "GET %s on the operators' address", path)
	}
	for _, path := range []string{"/mattermost/command", "/mattermost/action", "/mattermost/dialog"} {
		require.NotEqual(t, http.StatusNotFound, status(http.MethodPost, sb.srv.URL+path), "POST %s where Mattermost calls", path)
		require.Equal(t, http.StatusNotFound, status(http.MethodPost, sb.ops.URL+path), "POST %s on the operators' address", path)
	}
}

func TestReadinessWithoutTheDatabase(t *testing.T) {
	sb := setupServer(t, errors.New("connection refused"))
	resp, err := http.Get(sb.ops.URL + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.JSONEq(t, `{"database":"unreachable","mattermost":"ok"}`, string(body))
}

func TestDeliveredRemindersAreCounted(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	m.delivery(string(guichet.OutboxReminder), "delivered", time.Second)
	m.delivery(string(guichet.OutboxReminder), "retry", 0)
	m.delivery(string(guichet.OutboxNotice), "delivered", time.Second)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	require.Contains(t, body, "guichet_reminders_sent_total 1")
	require.Contains(t, body, `guichet_outbox_deliveries_total{kind="reminder",outcome="retry"} 1`)
	require.Contains(t, body, "guichet_outbox_delivery_seconds_count 2")
}

// Mattermost never reuses the connection it sends a command, click or dialog on: the bot
// closes each after its answer (refusals included); the operators' address (health checks)
// keeps its connections open.
func TestMattermostEndpointsCloseTheirConnections(t *testing.T) {
	sb := setupServer(t, nil)
	for _, path := range []string{"/mattermost/command", "/mattermost/action", "/mattermost/dialog"} {
		resp, err := sb.srv.Client().Post(sb.srv.URL+path, "application/json", strings.NewReader(`{}`))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.True(t, resp.Close, "%s answered without Connection: close", path)
	}
	resp, err := sb.ops.Client().Get(sb.ops.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.False(t, resp.Close, "/healthz closes its connection")

	// The server does close it: after the answer, the connection reads end of file.
	conn, err := net.Dial("tcp", sb.srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /mattermost/action HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	r := bufio.NewReader(conn)
	answer, err := http.ReadResponse(r, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, answer.Body)
	answer.Body.Close()
	_, err = r.ReadByte()
	require.ErrorIs(t, err, io.EOF)
}
