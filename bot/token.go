package bot

import (
	"context"
	"net/http"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// TokenRefusedReason is what /readyz says while Mattermost refuses the bot's token (HTTP 401:
// the token was revoked, has expired, or is not the one Mattermost made).
const TokenRefusedReason = "bot token refused by Mattermost (revoked, expired or mistyped): run `guichet setup --new-token` and give the bot the token it prints (GUICHET_BOT_TOKEN), then restart the bot"

// tokenRefusal is what the client knows about Mattermost refusing its token.
type tokenRefusal struct {
	since time.Time
	op    string
	id    string
}

// noteAnswer records what an answer says about the bot's token: a 401 marks it refused (logged
// once, when it starts being refused, not on every call), any other answer to a call made with
// the token marks it accepted again (logged once too). Calls that need no token (ping) say
// nothing about it.
func (c *Client) noteAnswer(op string, status int, errID string) {
	if op == opPing || status == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if status == http.StatusUnauthorized {
		if c.refused == nil {
			c.refused = &tokenRefusal{since: time.Now(), op: op, id: errID}
			c.logger.Error("mattermost refuses the bot's token; nothing reaches Mattermost until a valid token is configured",
				"op", op, "mattermost_error", errID, "fix", "guichet setup --new-token, then GUICHET_BOT_TOKEN and a restart")
		}
		return
	}
	if c.refused != nil {
		c.logger.Info("mattermost accepts the bot's token again", "refused_since", c.refused.since.UTC().Format(time.RFC3339))
		c.refused = nil
	}
}

// TokenRefused reports whether the last call made with the bot's token was refused with HTTP
// 401, and since when.
func (c *Client) TokenRefused() (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refused == nil {
		return false, time.Time{}
	}
	return true, c.refused.since
}

// CheckToken asks Mattermost who the bot is, with its token, without the cache that me uses:
// nil when the token is accepted; an *APIError with Status 401 when it is refused (see
// TokenRefused, which this call updates).
func (c *Client) CheckToken(ctx context.Context) error {
	return c.call(ctx, "check token", func(ctx context.Context) (r *model.Response, err error) {
		_, r, err = c.api.GetMe(ctx, "")
		return r, err
	})
}
