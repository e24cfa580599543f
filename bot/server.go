package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

const (
	// maxRequestBody bounds what Mattermost may send to an endpoint.
	maxRequestBody = 1 << 20
	// handlerTimeout bounds a command, click or submission (Mattermost waits 30 s at most).
	handlerTimeout = 20 * time.Second
	// usernameTimeout bounds looking up the name of who submits a dialog: it is only recorded
	// with the change, and a slow Mattermost must not use up the submission's time.
	usernameTimeout = 3 * time.Second
	// readyTimeout bounds each readiness check.
	readyTimeout = 3 * time.Second
)

// Handler returns the endpoints Mattermost calls, and nothing else:
//
//	POST /mattermost/command  the slash command (form; token checked in constant time)
//	POST /mattermost/action   button clicks (JSON; signed context checked)
//	POST /mattermost/dialog   dialog submissions (JSON; signed state checked)
//
// and the client pages, GET /client/<token>/… (clientpage.go), each behind its signed link.
// Refused requests get 401, 403 or 410 and change nothing; any other path is 404 (health and
// metrics are on OpsHandler, served on another address).
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST "+CommandPath, closing(b.endpoint("command", b.serveCommand)))
	mux.Handle("POST /mattermost/action", closing(b.endpoint("action", b.serveAction)))
	mux.Handle("POST /mattermost/dialog", closing(b.endpoint("dialog", b.serveDialog)))
	b.clientRoutes(mux)
	return mux
}

// OpsHandler returns the operators' endpoints, for the ops_listen address:
//
//	GET /healthz  200 while the process runs
//	GET /readyz   200 when the database and Mattermost answer, 503 otherwise; the body
//	              names each dependency and whether it answered
//	GET /metrics  Prometheus metrics
//
// They authenticate nobody: serve them where only operators and their tools reach.
func (b *Bot) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /readyz", b.endpoint("readyz", b.serveReady))
	mux.Handle("GET /metrics", b.metrics.Handler())
	return mux
}

// closing closes each connection after its answer. Mattermost (6.7.2, read) sends every
// command, click and dialog to an integration with an HTTP client of its own, which it never
// uses again: kept open, each connection would hold a file on both sides until one of them
// gives up on it (90 s in Mattermost), and hundreds of clicks a second would exhaust both
// processes' files.
func closing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		h.ServeHTTP(w, r)
	})
}

// endpoint wraps a handler returning its outcome: it bounds the body, turns a panic into a 500
// and counts the request by endpoint and outcome.
func (b *Bot) endpoint(name string, h func(w http.ResponseWriter, r *http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		outcome := "error"
		defer func() {
			if p := recover(); p != nil {
				b.logger.Error("panic in handler", "endpoint", name, "panic", p)
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
				outcome = "panic"
			}
			b.metrics.request(name, outcome)
		}()
		outcome = h(w, r)
	})
}

func writeJSONResponse(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
	}
}

func badRequest(w http.ResponseWriter) string {
	http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
	return "bad_request"
}

// personError is the one place where an error becomes a message for a person: a
// *guichet.Error renders its catalogue message; anything else is logged with its cause and the
// person reads the generic "ErrInternal".
func (b *Bot) personError(locale string, err error) string {
	if guichet.AsError(err) == nil {
		b.logger.Error("request failed", "error", err)
	}
	return b.catalog.Error(locale, err)
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request) string {
	if err := r.ParseForm(); err != nil {
		return badRequest(w)
	}
	userID := r.PostFormValue("user_id")
	if err := CheckCommandToken(commandToken(r), b.tokens); err != nil {
		return b.refuse(w, r, "command", userID, err)
	}
	req := guichet.CommandRequest{
		Actor:     guichet.Actor{UserID: userID, Username: r.PostFormValue("user_name")},
		ChannelID: r.PostFormValue("channel_id"),
		TeamID:    r.PostFormValue("team_id"),
		Text:      strings.TrimSpace(r.PostFormValue("text")),
		TriggerID: r.PostFormValue("trigger_id"),
	}
	var reply guichet.CommandReply
	if h := b.commandHandler(); h == nil {
		b.logger.Error("slash command received before the command handler was set")
		reply.Text = b.catalog.T(b.locale, "ErrInternal", nil)
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), b.handlerTimeout)
		defer cancel()
		reply = h.HandleCommand(ctx, req)
	}
	// The answer may quote what others typed (a note in the status, a reason in a lot's
	// history): the one who asked must not fetch an image hidden in it either.
	resp := &model.CommandResponse{ResponseType: model.CommandResponseTypeEphemeral, Text: harmlessText(reply.Text)}
	if reply.InChannel {
		resp.ResponseType = model.CommandResponseTypeInChannel
	}
	resp.Attachments = b.releaseButtons(reply.Releases, userID)
	writeJSONResponse(w, resp)
	return "ok"
}

func (b *Bot) serveAction(w http.ResponseWriter, r *http.Request) string {
	var req model.PostActionIntegrationRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return badRequest(w)
	}
	action, fields, err := b.signer.VerifyButton(req.Context, req.UserId, b.now())
	if err != nil {
		return b.refuse(w, r, "action", req.UserId, err)
	}
	b.mu.RLock()
	h := b.actions[action]
	b.mu.RUnlock()
	if h == nil {
		// Signed by this bot, for an action it no longer has.
		b.logger.Warn("click on an action without handler", "action", action, "user_id", req.UserId)
		writeJSONResponse(w, &model.PostActionIntegrationResponse{EphemeralText: b.catalog.T(b.locale, "MsgButtonGone", nil)})
		return "unknown"
	}
	ctx, cancel := context.WithTimeout(r.Context(), b.handlerTimeout)
	defer cancel()
	reply, err := h(ctx, ActionRequest{
		Actor:     guichet.Actor{UserID: req.UserId, Username: req.UserName},
		ChannelID: req.ChannelId, TeamID: req.TeamId, PostID: req.PostId, TriggerID: req.TriggerId,
		Fields: fields,
	})
	outcome := "ok"
	if err != nil {
		reply.Ephemeral = b.personError(b.locale, err)
		outcome = "failed"
	}
	if reply.Update != nil {
		// Mattermost replaces the clicked post with it: as harmless as any post the bot makes.
		update := reply.Update.Clone()
		harmlessPost(update)
		reply.Update = update
	}
	writeJSONResponse(w, &model.PostActionIntegrationResponse{Update: reply.Update, EphemeralText: harmlessText(reply.Ephemeral)})
	return outcome
}

func (b *Bot) serveDialog(w http.ResponseWriter, r *http.Request) string {
	req, err := decodeDialogRequest(r.Body)
	if err != nil {
		return badRequest(w)
	}
	state, err := b.signer.VerifyDialog(req.State, req.CallbackId, req.UserId, b.now())
	if err != nil {
		return b.refuse(w, r, "dialog", req.UserId, err)
	}
	h := b.dialogHandler(req.CallbackId)
	if h == nil {
		b.logger.Warn("dialog without handler", "callback_id", req.CallbackId, "user_id", req.UserId)
		writeJSONResponse(w, &model.SubmitDialogResponse{Error: b.catalog.T(b.locale, "MsgDialogGone", nil)})
		return "unknown"
	}
	ctx, cancel := context.WithTimeout(r.Context(), b.handlerTimeout)
	defer cancel()
	nctx, ncancel := context.WithTimeout(ctx, b.usernameTimeout)
	username, err := b.client.username(nctx, req.UserId)
	ncancel()
	if err != nil {
		b.logger.Warn("dialog: no username for the user", "user_id", req.UserId, "error", err)
	}
	reply := h(ctx, guichet.DialogSubmission{
		Actor:      guichet.Actor{UserID: req.UserId, Username: username},
		CallbackID: req.CallbackId, ChannelID: req.ChannelId, TeamID: req.TeamId,
		State: state, Submission: req.Submission, Cancelled: req.Cancelled,
	})
	if len(reply.Errors) > 0 {
		writeJSONResponse(w, &model.SubmitDialogResponse{Errors: reply.Errors})
		return "invalid"
	}
	writeJSONResponse(w, struct{}{})
	return "ok"
}

// SetReadyWarnings replaces the warnings of source (e.g. "administrators") that /readyz
// shows in its detail under "warnings"; they do not make it unready. None removes them.
func (b *Bot) SetReadyWarnings(source string, warnings []string) {
	b.readyMu.Lock()
	defer b.readyMu.Unlock()
	if b.readyWarnings == nil {
		b.readyWarnings = map[string][]string{}
	}
	if len(warnings) == 0 {
		delete(b.readyWarnings, source)
		return
	}
	b.readyWarnings[source] = append([]string(nil), warnings...)
}

// readyWarningList returns the warnings of every source, sorted by source.
func (b *Bot) readyWarningList() []string {
	b.readyMu.Lock()
	defer b.readyMu.Unlock()
	sources := make([]string, 0, len(b.readyWarnings))
	for s := range b.readyWarnings {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	var out []string
	for _, s := range sources {
		out = append(out, b.readyWarnings[s]...)
	}
	return out
}

// serveReady answers 200 when the database and Mattermost both answer and Mattermost accepts
// the bot's token, 503 otherwise, with what failed (causes are logged, not shown; a refused
// token is named, with what to do, under "reason"), and the warnings set by SetReadyWarnings (an
// administrator's name that matches no user…), which do not make it unready.
func (b *Bot) serveReady(w http.ResponseWriter, r *http.Request) string {
	status := map[string]any{"database": "ok", "mattermost": "ok"}
	check := func(name string, ping func(ctx context.Context) error) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := ping(ctx); err != nil {
			b.logger.Warn("not ready", "dependency", name, "error", err)
			status[name] = "unreachable"
		}
	}
	check("database", b.store.Ping)
	check("mattermost", b.client.Ping)
	if status["mattermost"] == "ok" {
		// Ping needs no token: ask who the bot is, so that a revoked or expired token shows
		// here even while the bot has nothing to send.
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := b.client.CheckToken(ctx)
		cancel()
		if refused, _ := b.client.TokenRefused(); refused && StatusOf(err) == http.StatusUnauthorized {
			status["mattermost"] = "token refused"
			status["reason"] = TokenRefusedReason
		} else if err != nil {
			b.logger.Warn("not ready", "dependency", "mattermost", "error", err)
			status["mattermost"] = "unreachable"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	outcome := "ok"
	if status["database"] != "ok" || status["mattermost"] != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
		outcome = "unready"
	}
	warnings := b.readyWarningList()
	if ls, started := b.ListenerStatus(); started {
		status["listener"] = ls
		if !ls.Connected && time.Since(ls.Since) > listenDisconnectedWarn {
			warnings = append(warnings, fmt.Sprintf("listener: not connected to Mattermost's WebSocket since %s", ls.Since.Format(time.RFC3339)))
		}
	}
	if len(warnings) > 0 {
		status["warnings"] = warnings
	}
	_ = json.NewEncoder(w).Encode(status)
	return outcome
}

var errNoLot = errors.New("no lot in the button's fields")
