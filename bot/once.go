package bot

import (
	"context"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// A message is posted twice when Mattermost accepted it and the bot died before recording
// that: the dispatcher takes the message again when its lease ends, minutes later, after
// Mattermost has forgotten the pending post id that drops quick retries. To post it once all
// the same, every post the bot creates carries its delivery key in a prop, and a delivery
// that was attempted before looks for a post with that key in the channel before creating
// one. A create that went unanswered in time is the same case, Mattermost finishing it after
// the bot gave up: the look-up can only find that post once it is created, so the next
// attempt waits for it (MayHavePosted, unansweredWait in dispatcher.go).

// propDeliveryKey is the post prop holding the key of the delivery that created the post.
const propDeliveryKey = "guichet_delivery"

// deliveryLookback widens the search for an earlier post, for clocks that differ between the
// database and Mattermost.
const deliveryLookback = 5 * time.Minute

type retryKey struct{}

// retrying marks ctx as the delivery of a message that was attempted before, first queued at
// since: CreatePost then looks for the post an earlier attempt may have created.
func retrying(ctx context.Context, since time.Time) context.Context {
	return context.WithValue(ctx, retryKey{}, since)
}

// retryingSince returns when the message delivered under ctx was queued, if it was attempted
// before.
func retryingSince(ctx context.Context) (time.Time, bool) {
	since, ok := ctx.Value(retryKey{}).(time.Time)
	return since, ok
}

// withProp sets a prop on p without touching the props of the post p was cloned from (a
// clone shares them).
func withProp(p *model.Post, key string, value any) {
	props := make(model.StringInterface, len(p.GetProps())+1)
	for k, v := range p.GetProps() {
		props[k] = v
	}
	props[key] = value
	p.SetProps(props)
}

// deliveredPost returns the bot's post in channelID created since since with delivery key
// key, or nil if there is none.
func (c *Client) deliveredPost(ctx context.Context, me, channelID, key string, since time.Time) (*model.Post, error) {
	var list *model.PostList
	err := c.call(ctx, "find earlier post", func(ctx context.Context) (r *model.Response, err error) {
		list, r, err = c.api.GetPostsSince(ctx, channelID, since.Add(-deliveryLookback).UnixMilli(), false)
		return r, err
	})
	if err != nil {
		return nil, err
	}
	for _, id := range list.Order {
		p := list.Posts[id]
		if p != nil && p.UserId == me && p.DeleteAt == 0 && p.GetProp(propDeliveryKey) == key {
			return p, nil
		}
	}
	return nil, nil
}
