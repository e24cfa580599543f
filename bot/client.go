package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// Client is the bot's Mattermost API client: model.Client4 with the bot's token, a timeout on
// every call, and HTTP 429 waited out (X-RateLimit-Reset, else Retry-After) and retried a
// bounded number of times. Errors from Mattermost are *APIError. It is safe for concurrent use.
type Client struct {
	api     *model.Client4
	timeout time.Duration
	retries int
	maxWait time.Duration
	logger  *slog.Logger
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error

	mu          sync.Mutex
	botUserID   string
	botUsername string
	usernames   map[string]cachedName
	// refused is set while Mattermost answers 401 to the bot's token (see token.go).
	refused *tokenRefusal
}

// cachedName is a username looked up by id, kept for usernameTTL.
type cachedName struct {
	name string
	at   time.Time
}

const usernameTTL = 10 * time.Minute

// ClientOptions tune a Client; zero values take the defaults.
type ClientOptions struct {
	// Timeout bounds each HTTP call. Default 10s.
	Timeout time.Duration
	// RateLimitRetries is how many times a call answered 429 is retried. Default 5.
	RateLimitRetries int
	// MaxRateLimitWait caps one wait after a 429. Default 60s.
	MaxRateLimitWait time.Duration
	// HTTPClient replaces the default HTTP client (tests).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// NewClient returns a client of the Mattermost server at baseURL acting with the bot's token.
// It does no I/O: the bot's user id is fetched on first need (or by Connect).
func NewClient(baseURL, token string, opts ClientOptions) *Client {
	api := model.NewAPIv4Client(strings.TrimRight(baseURL, "/"))
	api.SetToken(token)
	if opts.HTTPClient != nil {
		api.HTTPClient = opts.HTTPClient
	}
	c := &Client{api: api, timeout: opts.Timeout, retries: opts.RateLimitRetries,
		maxWait: opts.MaxRateLimitWait, logger: opts.Logger, sleep: sleepCtx}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	if c.retries <= 0 {
		c.retries = 5
	}
	if c.maxWait <= 0 {
		c.maxWait = time.Minute
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	return c
}

// APIError is a call Mattermost refused or that did not reach it. Status is the HTTP status,
// 0 when there was no answer (connection refused, timeout).
type APIError struct {
	Op     string
	Status int
	// ID is Mattermost's error id, e.g. "api.context.permissions.app_error".
	ID  string
	Err error
}

func (e *APIError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("mattermost %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("mattermost %s: HTTP %d %s: %v", e.Op, e.Status, e.ID, e.Err)
}

func (e *APIError) Unwrap() error { return e.Err }

// opCreatePost names CreatePost's call in its errors.
const opCreatePost = "create post"

// opPing names Ping's call, the one call Mattermost answers without looking at the token.
const opPing = "ping"

// MayHavePosted reports whether err is a CreatePost whose answer did not come in time (the
// call timed out): the request may have reached Mattermost, which finishes it even when its
// caller has given up, and may create the post later, after the 30 s during which it drops a
// second create of the same post (pending_post_id). A refusal, or a connection that failed
// before an answer was due, reports false.
func MayHavePosted(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Op != opCreatePost || ae.Status != 0 {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// errBadMessage marks an outbox message that cannot be understood (bad payload, unknown lot):
// retrying cannot help.
var errBadMessage = errors.New("undeliverable message")

// Permanent reports whether err is a refusal that retrying cannot cure: Mattermost answered
// 400 (bad request, archived channel), 403 (the bot is not allowed there, e.g. not a member of
// the channel), 404 (the channel, user or post is gone) or 413 (too large); or what was to be
// sent no longer exists or makes no sense (ENOTFOUND/EINVALID domain errors, a bad payload).
// Everything else (no answer, 5xx, 401, 429 after the retries) is worth retrying.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		switch ae.Status {
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			return true
		}
		return false
	}
	if errors.Is(err, errBadMessage) {
		return true
	}
	switch guichet.ErrorCode(err) {
	case guichet.ENOTFOUND, guichet.EINVALID:
		return true
	}
	return false
}

// errIDEditTimeLimit is Mattermost's answer (HTTP 400) to an edit of a post older than
// ServiceSettings.PostEditTimeLimit that changes its message (6.7.2 app/post.go UpdatePost;
// current servers the same, and api4 for patches).
const errIDEditTimeLimit = "api.post.update_post.permissions_time_limit.app_error"

// EditTooLate reports whether err is Mattermost refusing to edit a post because it is older
// than the server's edit time limit. Only a change of the post's message is refused: props
// (attachments, buttons) can still be replaced.
func EditTooLate(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.ID == errIDEditTimeLimit
}

// StatusOf returns the HTTP status of a Mattermost error, 0 if err is not one or got no answer.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call runs fn with a timeout, waiting out and retrying 429 answers.
func (c *Client) call(ctx context.Context, op string, fn func(ctx context.Context) (*model.Response, error)) error {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, c.timeout)
		resp, err := fn(actx)
		cancel()
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		var appErr *model.AppError
		errID := ""
		if errors.As(err, &appErr) {
			errID = appErr.Id
		}
		c.noteAnswer(op, status, errID)
		if err == nil {
			return nil
		}
		if status == http.StatusTooManyRequests && attempt < c.retries {
			wait := rateLimitWait(resp.Header, c.maxWait)
			c.logger.Info("mattermost rate limit, waiting", "op", op, "wait", wait.String(), "attempt", attempt+1)
			if err := c.sleep(ctx, wait); err != nil {
				return &APIError{Op: op, Status: status, Err: err}
			}
			continue
		}
		return &APIError{Op: op, Status: status, ID: errID, Err: err}
	}
}

// rateLimitWait reads how long to wait after a 429: X-RateLimit-Reset (seconds to wait), else
// Retry-After (seconds or an HTTP date), else one second; at least 100 ms, at most max.
func rateLimitWait(h http.Header, max time.Duration) time.Duration {
	wait := time.Second
	if v, err := strconv.ParseFloat(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 64); err == nil && v >= 0 {
		wait = time.Duration(v * float64(time.Second))
	} else if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if secs, err := strconv.Atoi(ra); err == nil {
			wait = time.Duration(secs) * time.Second
		} else if at, err := http.ParseTime(ra); err == nil {
			wait = time.Until(at)
		}
	}
	if wait < 100*time.Millisecond {
		wait = 100 * time.Millisecond
	}
	if wait > max {
		wait = max
	}
	return wait
}

// Connect fetches the bot's user id, which checks the URL and the token.
func (c *Client) Connect(ctx context.Context) error {
	_, err := c.me(ctx)
	return err
}

// BotUserID returns the bot's Mattermost user id, or "" before the first successful call.
func (c *Client) BotUserID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.botUserID
}

func (c *Client) me(ctx context.Context) (string, error) {
	if id := c.BotUserID(); id != "" {
		return id, nil
	}
	var u *model.User
	err := c.call(ctx, "get me", func(ctx context.Context) (r *model.Response, err error) {
		u, r, err = c.api.GetMe(ctx, "")
		return r, err
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.botUserID, c.botUsername = u.Id, u.Username
	c.mu.Unlock()
	return u.Id, nil
}

// BotUsername returns the bot's username, or "" before the first successful call.
func (c *Client) BotUsername() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.botUsername
}

// username returns the username of a user id (dialog submissions carry only the id), cached
// for a few minutes.
func (c *Client) username(ctx context.Context, userID string) (string, error) {
	c.mu.Lock()
	if n, ok := c.usernames[userID]; ok && time.Since(n.at) < usernameTTL {
		c.mu.Unlock()
		return n.name, nil
	}
	c.mu.Unlock()
	var u *model.User
	err := c.call(ctx, "get user", func(ctx context.Context) (r *model.Response, err error) {
		u, r, err = c.api.GetUser(ctx, userID, "")
		return r, err
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.usernames == nil || len(c.usernames) > 10000 {
		c.usernames = map[string]cachedName{}
	}
	c.usernames[userID] = cachedName{name: u.Username, at: time.Now()}
	return u.Username, nil
}

// userMention returns "@username" for a user the bot can see, the id otherwise.
func (c *Client) userMention(ctx context.Context, userID string) string {
	var u *model.User
	err := c.call(ctx, "get user", func(ctx context.Context) (r *model.Response, err error) {
		u, r, err = c.api.GetUser(ctx, userID, "")
		return r, err
	})
	if err != nil || u == nil || u.Username == "" {
		return userID
	}
	return "@" + u.Username
}

// Ping checks that Mattermost answers.
func (c *Client) Ping(ctx context.Context) error {
	return c.call(ctx, opPing, func(ctx context.Context) (r *model.Response, err error) {
		_, r, err = c.api.GetPing(ctx)
		return r, err
	})
}

// PendingPostID returns the pending_post_id the bot gives a post with dedupeKey:
// "<botUserID>:<digits>", the digits being the key itself when it is a number and a 64-bit hash
// of it otherwise. Mattermost drops a second post with the same id within 30 seconds.
func PendingPostID(botUserID, dedupeKey string) string {
	digits := dedupeKey != "" && len(dedupeKey) <= 19
	for _, r := range dedupeKey {
		if r < '0' || r > '9' {
			digits = false
			break
		}
	}
	if digits {
		return botUserID + ":" + dedupeKey
	}
	h := fnv.New64a()
	h.Write([]byte(dedupeKey))
	return botUserID + ":" + strconv.FormatUint(h.Sum64(), 10)
}

// CreatePost posts post as the bot. Its PendingPostId is derived from dedupeKey (see
// PendingPostID), so that a retry of the same delivery within 30 seconds is dropped by
// Mattermost, which returns the post it kept. An empty key sends no pending id. The key is
// also kept in the post's props: when ctx says the delivery was attempted before, the post an
// earlier attempt created with that key, if any, is returned instead of posting again (see
// once.go). Channel-wide mentions in it are defused and its Markdown images and links made
// inert (see harmlessPost).
func (c *Client) CreatePost(ctx context.Context, post *model.Post, dedupeKey string) (*model.Post, error) {
	me, err := c.me(ctx)
	if err != nil {
		return nil, err
	}
	p := post.Clone()
	harmlessPost(p)
	if dedupeKey != "" {
		p.PendingPostId = PendingPostID(me, dedupeKey)
		withProp(p, propDeliveryKey, p.PendingPostId)
		if _, ok := retryingSince(ctx); ok {
			// An earlier attempt may have posted it before the bot died (see once.go).
			earlier, err := c.EarlierPost(ctx, p.ChannelId, dedupeKey)
			switch status := StatusOf(err); {
			case err == nil && earlier != nil:
				return earlier, nil
			case status == http.StatusForbidden || status == http.StatusNotFound:
				// Mattermost refuses to show the channel's posts (seen under load, on a direct
				// channel whose creation had timed out): the post itself is tried, and its
				// answer decides.
				c.logger.Warn("mattermost: earlier posts cannot be read, posting", "channel_id", p.ChannelId, "error", err)
			case err != nil:
				return nil, err
			}
		}
	}
	var out *model.Post
	err = c.call(ctx, opCreatePost, func(ctx context.Context) (r *model.Response, err error) {
		out, r, err = c.api.CreatePost(ctx, p)
		return r, err
	})
	return out, err
}

// EarlierPost returns the post an earlier attempt of the delivery under ctx created in
// channelID with dedupeKey (see CreatePost), or nil if the delivery was not attempted before
// (see retrying) or no such post is there.
func (c *Client) EarlierPost(ctx context.Context, channelID, dedupeKey string) (*model.Post, error) {
	since, ok := retryingSince(ctx)
	if !ok || dedupeKey == "" {
		return nil, nil
	}
	me, err := c.me(ctx)
	if err != nil {
		return nil, err
	}
	return c.deliveredPost(ctx, me, channelID, PendingPostID(me, dedupeKey), since)
}

// UpdatePost replaces the post post.Id (message and props wholesale). Build post from the
// bot's own state: posts read from the API have their button integrations stripped.
// Channel-wide mentions in it are defused and images and links made inert, as CreatePost does.
func (c *Client) UpdatePost(ctx context.Context, post *model.Post) (*model.Post, error) {
	p := post.Clone()
	harmlessPost(p)
	var out *model.Post
	err := c.call(ctx, "update post", func(ctx context.Context) (r *model.Response, err error) {
		out, r, err = c.api.UpdatePost(ctx, p.Id, p)
		return r, err
	})
	return out, err
}

// DeletePost deletes one of the bot's posts.
func (c *Client) DeletePost(ctx context.Context, postID string) error {
	return c.call(ctx, "delete post", func(ctx context.Context) (*model.Response, error) {
		return c.api.DeletePost(ctx, postID)
	})
}

// DirectChannel returns the direct-message channel between the bot and userID, creating it if
// needed.
func (c *Client) DirectChannel(ctx context.Context, userID string) (string, error) {
	me, err := c.me(ctx)
	if err != nil {
		return "", err
	}
	var ch *model.Channel
	err = c.call(ctx, "direct channel", func(ctx context.Context) (r *model.Response, err error) {
		ch, r, err = c.api.CreateDirectChannel(ctx, me, userID)
		return r, err
	})
	if err != nil {
		return "", err
	}
	return ch.Id, nil
}

// UploadFile uploads data as a file named name into channelID (the bot must be a member) and
// returns its id, to put in a post's FileIds in the same channel.
func (c *Client) UploadFile(ctx context.Context, channelID, name string, data []byte) (string, error) {
	var res *model.FileUploadResponse
	err := c.call(ctx, "upload file", func(ctx context.Context) (r *model.Response, err error) {
		res, r, err = c.api.UploadFile(ctx, data, channelID, name)
		return r, err
	})
	if err != nil {
		return "", err
	}
	if res == nil || len(res.FileInfos) == 0 {
		return "", &APIError{Op: "upload file", Err: errors.New("no file in the answer")}
	}
	return res.FileInfos[0].Id, nil
}

// File is a file to attach to a post: its name and its bytes.
type File struct {
	Name string
	Data []byte
}

// CreatePostWithFiles uploads files (those with data, in order) into post's channel and posts
// post with them, as CreatePost does. On a retry of the delivery under ctx, the post an earlier
// attempt created with dedupeKey is returned as it is, before anything is uploaded again; when
// Mattermost refuses to show the channel's posts, the files are uploaded and CreatePost decides.
func (c *Client) CreatePostWithFiles(ctx context.Context, post *model.Post, dedupeKey string, files []File) (*model.Post, error) {
	earlier, err := c.EarlierPost(ctx, post.ChannelId, dedupeKey)
	if status := StatusOf(err); err != nil && status != http.StatusForbidden && status != http.StatusNotFound {
		return nil, err
	}
	if earlier != nil {
		return earlier, nil
	}
	p := post.Clone()
	for _, f := range files {
		if len(f.Data) == 0 {
			continue
		}
		id, err := c.UploadFile(ctx, p.ChannelId, f.Name, f.Data)
		if err != nil {
			return nil, err
		}
		p.FileIds = append(p.FileIds, id)
	}
	return c.CreatePost(ctx, p, dedupeKey)
}

// UserByUsername implements guichet.Chat: ENOTFOUND "ErrUserNotFound" when no such user.
func (c *Client) UserByUsername(ctx context.Context, username string) (string, error) {
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(username), "@"))
	if name == "" {
		return "", guichet.Errorf(guichet.EINVALID, "ErrUsername", "Value", username)
	}
	var u *model.User
	err := c.call(ctx, "user by username", func(ctx context.Context) (r *model.Response, err error) {
		u, r, err = c.api.GetUserByUsername(ctx, name, "")
		return r, err
	})
	if StatusOf(err) == http.StatusNotFound || StatusOf(err) == http.StatusBadRequest {
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrUserNotFound", "Username", name)
	}
	if err != nil {
		return "", err
	}
	return u.Id, nil
}

// ChannelByName implements guichet.Chat: ENOTFOUND "ErrChannelNotFound" when the team has no
// such channel the bot can see.
func (c *Client) ChannelByName(ctx context.Context, teamID, name string) (string, error) {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "~"))
	if n == "" {
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrChannelNotFound", "Channel", name)
	}
	var ch *model.Channel
	err := c.call(ctx, "channel by name", func(ctx context.Context) (r *model.Response, err error) {
		ch, r, err = c.api.GetChannelByName(ctx, n, teamID, "")
		return r, err
	})
	switch StatusOf(err) {
	case http.StatusNotFound, http.StatusForbidden, http.StatusBadRequest:
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrChannelNotFound", "Channel", n)
	}
	if err != nil {
		return "", err
	}
	return ch.Id, nil
}

// JoinChannel implements guichet.Chat: it makes the bot a member of the channel (a member
// already: nothing changes). EFORBIDDEN "ErrCannotJoin" naming the channel when Mattermost
// refuses (a private channel the bot was not invited to, an archived channel).
func (c *Client) JoinChannel(ctx context.Context, channelID string) error {
	me, err := c.me(ctx)
	if err != nil {
		return err
	}
	err = c.call(ctx, "join channel", func(ctx context.Context) (r *model.Response, err error) {
		_, r, err = c.api.AddChannelMember(ctx, channelID, me)
		return r, err
	})
	if Permanent(err) {
		return guichet.Errorf(guichet.EFORBIDDEN, "ErrCannotJoin", "Channel", c.channelName(ctx, channelID))
	}
	return err
}

// channelName returns "~name" for a channel the bot can read, the id otherwise.
func (c *Client) channelName(ctx context.Context, channelID string) string {
	var ch *model.Channel
	err := c.call(ctx, "get channel", func(ctx context.Context) (r *model.Response, err error) {
		ch, r, err = c.api.GetChannel(ctx, channelID)
		return r, err
	})
	if err != nil || ch == nil || ch.Name == "" {
		return channelID
	}
	return "~" + ch.Name
}

// OpenInteractiveDialog opens a dialog (the request's trigger id lives 3 seconds).
func (c *Client) OpenInteractiveDialog(ctx context.Context, req model.OpenDialogRequest) error {
	return c.call(ctx, "open dialog", func(ctx context.Context) (*model.Response, error) {
		return c.api.OpenInteractiveDialog(ctx, req)
	})
}
