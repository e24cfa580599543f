package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

// fakeSetupServer answers the calls Setup makes, for a server whose client configuration is
// config; it keeps the bot's tokens so that a test can see what was made and revoked.
type fakeSetupServer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	tokens []*model.UserAccessToken
	bot    bool
}

func newFakeSetupServer(t *testing.T, config map[string]string, botExists bool) *fakeSetupServer {
	t.Helper()
	f := &fakeSetupServer{bot: botExists}
	const botID = "botuserid0000000000000000a"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/users/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, &model.User{Id: "adminid000000000000000000a", Username: "admin", Roles: "system_user system_admin"})
	})
	mux.HandleFunc("GET /api/v4/users/username/guichet", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		exists := f.bot
		f.mu.Unlock()
		if !exists {
			appError(w, http.StatusNotFound, "app.user.get_by_username.app_error")
			return
		}
		writeJSON(w, http.StatusOK, &model.User{Id: botID, Username: "guichet", IsBot: true})
	})
	mux.HandleFunc("GET /api/v4/bots/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, &model.Bot{UserId: botID, Username: "guichet"})
	})
	mux.HandleFunc("POST /api/v4/bots", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.bot = true
		f.mu.Unlock()
		writeJSON(w, http.StatusCreated, &model.Bot{UserId: botID, Username: "guichet"})
	})
	mux.HandleFunc("GET /api/v4/config/client", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") != "old" {
			appError(w, http.StatusNotImplemented, "api.config.client.old_format.app_error")
			return
		}
		writeJSON(w, http.StatusOK, config)
	})
	mux.HandleFunc("GET /api/v4/users/{id}/tokens", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, http.StatusOK, f.tokens)
	})
	mux.HandleFunc("POST /api/v4/users/{id}/tokens", func(w http.ResponseWriter, r *http.Request) {
		var req model.UserAccessToken
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		defer f.mu.Unlock()
		tok := &model.UserAccessToken{Id: model.NewId(), Token: model.NewId(), UserId: r.PathValue("id"),
			Description: req.Description, IsActive: true, ExpiresAt: req.ExpiresAt}
		f.tokens = append(f.tokens, tok)
		writeJSON(w, http.StatusOK, tok)
	})
	mux.HandleFunc("POST /api/v4/users/tokens/revoke", func(w http.ResponseWriter, r *http.Request) {
		var req map[string]string
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, tok := range f.tokens {
			if tok.Id == req["token_id"] {
				f.tokens = append(f.tokens[:i], f.tokens[i+1:]...)
				break
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
	})
	mux.HandleFunc("GET /api/v4/teams/name/{name}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, &model.Team{Id: "teamid00000000000000000000", Name: r.PathValue("name")})
	})
	mux.HandleFunc("POST /api/v4/teams/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, &model.TeamMember{})
	})
	mux.HandleFunc("GET /api/v4/commands", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []*model.Command{})
	})
	mux.HandleFunc("POST /api/v4/commands", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, &model.Command{Id: "cmd", Token: "cmdtoken", Trigger: CommandTrigger})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSetupServer) setup(t *testing.T, newToken bool) *SetupResult {
	t.Helper()
	res, err := Setup(context.Background(), SetupOptions{MattermostURL: f.srv.URL, AdminToken: "admin",
		Teams: []string{"assises"}, BotURL: "http://bot:8080", NewToken: newToken})
	require.NoError(t, err)
	return res
}

// A server that keeps tokens at most 30 days gets a token that expires within them, and setup
// says when; a server without the setting (Mattermost 6) gets a token that does not expire.
func TestSetupRespectsTheTokenLifetimePolicy(t *testing.T) {
	t.Parallel()
	before := time.Now()
	f := newFakeSetupServer(t, map[string]string{"MaximumPersonalAccessTokenLifetimeDays": "30"}, false)
	res := f.setup(t, false)
	require.Equal(t, 30, res.TokenLifetimeDays)
	require.Len(t, f.tokens, 1)
	expires := time.UnixMilli(f.tokens[0].ExpiresAt)
	require.True(t, expires.After(before.Add(29*24*time.Hour)), "expires at %s", expires)
	require.False(t, expires.After(time.Now().Add(30*24*time.Hour)), "expires at %s, past the server's limit", expires)
	require.Equal(t, expires, res.TokenExpiresAt)
	require.Contains(t, res.EnvText(), "# the bot's token expires on "+expires.UTC().Format("2006-01-02"))
	require.Contains(t, res.TokenExpiry(), "guichet setup --new-token")

	// Kept, the existing token's expiry is still told.
	again := f.setup(t, false)
	require.Empty(t, again.BotToken)
	require.Equal(t, expires, again.TokenExpiresAt)

	for name, cfg := range map[string]map[string]string{
		"no such setting": {"Version": "6.7.2"},
		"no limit":        {"MaximumPersonalAccessTokenLifetimeDays": "0"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeSetupServer(t, cfg, false)
			res := f.setup(t, false)
			require.Zero(t, res.TokenLifetimeDays)
			require.Zero(t, f.tokens[0].ExpiresAt, "no expiry is set where the server asks none")
			require.True(t, res.TokenExpiresAt.IsZero())
			require.Empty(t, res.TokenExpiry())
		})
	}
}

// --new-token makes a token and revokes the bot's others; an expired token counts as none.
func TestSetupNewTokenRevokesTheOldOnes(t *testing.T) {
	t.Parallel()
	f := newFakeSetupServer(t, map[string]string{}, true)
	f.tokens = []*model.UserAccessToken{
		{Id: "old1", UserId: "b", IsActive: true},
		{Id: "expired", UserId: "b", IsActive: true, ExpiresAt: time.Now().Add(-time.Hour).UnixMilli()},
	}
	res := f.setup(t, true)
	require.NotEmpty(t, res.BotToken)
	require.Equal(t, 1, res.RevokedTokens)
	ids := []string{}
	for _, tok := range f.tokens {
		ids = append(ids, tok.Id)
	}
	require.Len(t, ids, 2)
	require.Equal(t, "expired", ids[0], "only tokens Mattermost still accepts are revoked")

	// An existing bot whose only token has expired gets a new one without --new-token.
	f = newFakeSetupServer(t, map[string]string{}, true)
	f.tokens = []*model.UserAccessToken{{Id: "expired", UserId: "b", IsActive: true, ExpiresAt: time.Now().Add(-time.Hour).UnixMilli()}}
	res = f.setup(t, false)
	require.NotEmpty(t, res.BotToken)
}
