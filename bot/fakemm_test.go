package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// fakeMM is a small stand-in for the Mattermost API, for fast tests of the client and the
// dispatcher: posts (with pending_post_id deduplication), updates, deletes, direct channels,
// channel lookups and membership, files, dialogs and ping. Failures are injected per channel or
// for the whole server. The end-to-end tests use a real server.
type fakeMM struct {
	srv   *httptest.Server
	botID string

	mu      sync.Mutex
	nextID  int
	posts   map[string]*model.Post
	created []*model.Post // every post created, in order
	updates []*model.Post // every update accepted, in order
	// pending maps a pending post id to its post, "" while its create is under way, as
	// Mattermost's cache does; with pendingTTL, an entry lasts that long after it was set
	// (Mattermost: 30 s), else for ever.
	pending    map[string]string
	pendingAt  map[string]time.Time
	pendingTTL time.Duration
	// createDelay holds a create this long after its pending id is noted; the post is created
	// even if the caller gave up meanwhile, as Mattermost does.
	createDelay time.Duration
	creates     map[string]int // pending post id → CreatePost calls
	channels    map[string]*model.Channel
	users       map[string]*model.User
	refuse      map[string]int // channel id → status answered to posts there
	// refuseReads: channel id → status answered to reads of its posts.
	refuseReads map[string]int
	// editLimit, when set, refuses a change of a post's message once the post is older than
	// that, as ServiceSettings.PostEditTimeLimit does.
	editLimit time.Duration
	// down makes every request fail without an answer (connection closed).
	down bool
	// revoked makes Mattermost refuse the bot's token (401) on every call but ping, as it
	// does once the token is revoked or has expired.
	revoked bool
	// limited is how many next requests get 429.
	limited int
	// delay holds every request this long.
	delay   time.Duration
	calls   []string
	dialogs []model.OpenDialogRequest
}

func newFakeMM(t *testing.T) *fakeMM {
	t.Helper()
	f := &fakeMM{botID: "botuserid0000000000000000a", posts: map[string]*model.Post{}, pending: map[string]string{},
		pendingAt: map[string]time.Time{}, creates: map[string]int{}, channels: map[string]*model.Channel{}, users: map[string]*model.User{},
		refuse: map[string]int{}}
	f.users["guichet"] = &model.User{Id: f.botID, Username: "guichet"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/users/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, &model.User{Id: f.botID, Username: "guichet"})
	})
	mux.HandleFunc("GET /api/v4/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, u := range f.users {
			if u.Id == r.PathValue("id") {
				writeJSON(w, http.StatusOK, u)
				return
			}
		}
		appError(w, http.StatusNotFound, "app.user.missing_account.const")
	})
	mux.HandleFunc("GET /api/v4/users/username/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		u := f.users[r.PathValue("name")]
		f.mu.Unlock()
		if u == nil {
			appError(w, http.StatusNotFound, "app.user.get_by_username.app_error")
			return
		}
		writeJSON(w, http.StatusOK, u)
	})
	mux.HandleFunc("GET /api/v4/system/ping", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "OK"})
	})
	mux.HandleFunc("POST /api/v4/posts", func(w http.ResponseWriter, r *http.Request) {
		var p model.Post
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if st := f.refuse[p.ChannelId]; st != 0 {
			appError(w, st, "api.context.permissions.app_error")
			return
		}
		if p.PendingPostId != "" {
			f.creates[p.PendingPostId]++
			id, ok := f.pending[p.PendingPostId]
			if ok && f.pendingTTL > 0 && time.Since(f.pendingAt[p.PendingPostId]) >= f.pendingTTL {
				ok = false
			}
			switch {
			case ok && id == "":
				appError(w, http.StatusInternalServerError, "api.post.deduplicate_create_post.pending")
				return
			case ok:
				writeJSON(w, http.StatusCreated, f.posts[id])
				return
			}
			f.pending[p.PendingPostId], f.pendingAt[p.PendingPostId] = "", time.Now()
		}
		if f.createDelay > 0 {
			d := f.createDelay
			f.mu.Unlock()
			time.Sleep(d)
			f.mu.Lock()
		}
		f.nextID++
		p.Id = fmt.Sprintf("post%022d", f.nextID)
		p.UserId = f.botID
		p.CreateAt = model.GetMillis()
		f.posts[p.Id] = &p
		f.created = append(f.created, p.Clone())
		if p.PendingPostId != "" {
			f.pending[p.PendingPostId], f.pendingAt[p.PendingPostId] = p.Id, time.Now()
		}
		writeJSON(w, http.StatusCreated, &p)
	})
	mux.HandleFunc("GET /api/v4/channels/{id}/posts", func(w http.ResponseWriter, r *http.Request) {
		var since int64
		fmt.Sscanf(r.URL.Query().Get("since"), "%d", &since)
		f.mu.Lock()
		defer f.mu.Unlock()
		if status := f.refuseReads[r.PathValue("id")]; status != 0 {
			appError(w, status, "api.context.permissions.app_error")
			return
		}
		list := model.NewPostList()
		for _, p := range f.posts {
			if p.ChannelId == r.PathValue("id") && max(p.CreateAt, p.UpdateAt) >= since {
				list.AddPost(p)
				list.AddOrder(p.Id)
			}
		}
		writeJSON(w, http.StatusOK, list)
	})
	mux.HandleFunc("PUT /api/v4/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		var p model.Post
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Id != r.PathValue("id") {
			appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		old := f.posts[p.Id]
		if old == nil {
			appError(w, http.StatusNotFound, "app.post.get.app_error")
			return
		}
		if st := f.refuse[old.ChannelId]; st != 0 {
			appError(w, st, "api.context.permissions.app_error")
			return
		}
		if f.editLimit > 0 && p.Message != old.Message && time.Since(time.UnixMilli(old.CreateAt)) > f.editLimit {
			appError(w, http.StatusBadRequest, "api.post.update_post.permissions_time_limit.app_error")
			return
		}
		upd := old.Clone()
		upd.Message = p.Message
		upd.SetProps(p.GetProps())
		upd.EditAt = model.GetMillis()
		f.posts[p.Id] = upd
		f.updates = append(f.updates, upd.Clone())
		writeJSON(w, http.StatusOK, upd)
	})
	mux.HandleFunc("DELETE /api/v4/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.posts[r.PathValue("id")] == nil {
			appError(w, http.StatusNotFound, "app.post.get.app_error")
			return
		}
		delete(f.posts, r.PathValue("id"))
		writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
	})
	mux.HandleFunc("POST /api/v4/channels/direct", func(w http.ResponseWriter, r *http.Request) {
		var ids []string
		_ = json.NewDecoder(r.Body).Decode(&ids)
		if len(ids) != 2 {
			appError(w, http.StatusBadRequest, "api.context.invalid_body_param.app_error")
			return
		}
		writeJSON(w, http.StatusCreated, &model.Channel{Id: "dm-" + ids[1], Type: model.ChannelTypeDirect})
	})
	mux.HandleFunc("GET /api/v4/channels/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ch := f.channels[r.PathValue("id")]
		f.mu.Unlock()
		if ch == nil {
			appError(w, http.StatusNotFound, "app.channel.get.existing.app_error")
			return
		}
		writeJSON(w, http.StatusOK, ch)
	})
	mux.HandleFunc("POST /api/v4/channels/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		st := f.refuse[r.PathValue("id")]
		f.mu.Unlock()
		if st != 0 {
			appError(w, st, "api.context.permissions.app_error")
			return
		}
		writeJSON(w, http.StatusCreated, &model.ChannelMember{ChannelId: r.PathValue("id"), UserId: f.botID})
	})
	mux.HandleFunc("GET /api/v4/teams/{team}/channels/name/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, ch := range f.channels {
			if ch.Name == r.PathValue("name") && ch.TeamId == r.PathValue("team") {
				writeJSON(w, http.StatusOK, ch)
				return
			}
		}
		appError(w, http.StatusNotFound, "app.channel.get_by_name.missing.app_error")
	})
	mux.HandleFunc("POST /api/v4/files", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			appError(w, http.StatusBadRequest, "api.file.upload_file.app_error")
			return
		}
		fh := r.MultipartForm.File["files"]
		if len(fh) != 1 {
			appError(w, http.StatusBadRequest, "api.file.upload_file.app_error")
			return
		}
		writeJSON(w, http.StatusCreated, &model.FileUploadResponse{FileInfos: []*model.FileInfo{
			{Id: "file-" + fh[0].Filename, Name: fh[0].Filename, Size: fh[0].Size}}})
	})
	mux.HandleFunc("POST /api/v4/actions/dialogs/open", func(w http.ResponseWriter, r *http.Request) {
		var req model.OpenDialogRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.dialogs = append(f.dialogs, req)
		f.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"status": "OK"})
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls = append(f.calls, r.Method+" "+r.URL.Path)
		down, delay, revoked := f.down, f.delay, f.revoked
		limited := f.limited > 0
		if limited {
			f.limited--
		}
		f.mu.Unlock()
		if revoked && r.URL.Path != "/api/v4/system/ping" || !strings.EqualFold(r.Header.Get("Authorization"), "Bearer bot-token") {
			appError(w, http.StatusUnauthorized, "api.context.session_expired.app_error")
			return
		}
		if delay > 0 {
			time.Sleep(delay)
		}
		if down {
			hj, _ := w.(http.Hijacker)
			conn, _, err := hj.Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		if limited {
			w.Header().Set("X-RateLimit-Limit", "10")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, "limit exceeded\n")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func appError(w http.ResponseWriter, status int, id string) {
	writeJSON(w, status, &model.AppError{Id: id, Message: id, StatusCode: status})
}

func (f *fakeMM) client(opts ClientOptions) *Client {
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	return NewClient(f.srv.URL, "bot-token", opts)
}

func (f *fakeMM) addChannel(id, name, team string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[id] = &model.Channel{Id: id, Name: name, DisplayName: name, TeamId: team, Type: model.ChannelTypeOpen}
}

func (f *fakeMM) set(fn func(f *fakeMM)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// postsIn returns the live posts of a channel, oldest first.
func (f *fakeMM) postsIn(channelID string) []*model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*model.Post
	for _, p := range f.created {
		if live := f.posts[p.Id]; live != nil && live.ChannelId == channelID {
			out = append(out, live.Clone())
		}
	}
	return out
}

func (f *fakeMM) post(id string) *model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.posts[id]; p != nil {
		return p.Clone()
	}
	return nil
}

func (f *fakeMM) countCalls(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}
