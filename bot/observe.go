package bot

import (
	"context"
	"fmt"

	"github.com/mattermost/mattermost/server/public/model"
)

// A PostObserver is told of a post someone other than the bot wrote in a channel the bot
// belongs to (a direct message to the bot included). The listener (listen.go) calls every
// observer for each such post, once across replicas, including posts caught up after a
// disconnection, in the order they were created within a channel. An observer ignores the
// posts that are none of its business and returns nil for them; an error is logged and counted,
// and the post is not offered again.
type PostObserver func(ctx context.Context, p *model.Post) error

// Observe adds o to the observers told of new posts. Call it before Serve starts the listener.
func (b *Bot) Observe(o PostObserver) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.observers = append(b.observers, o)
}

// observePost tells every observer of p, in the order they were added, and returns the first
// error (every observer is told even when one fails).
func (b *Bot) observePost(ctx context.Context, p *model.Post) error {
	if p == nil || p.UserId == b.client.BotUserID() {
		return nil
	}
	b.mu.RLock()
	obs := append([]PostObserver(nil), b.observers...)
	b.mu.RUnlock()
	var first error
	for _, o := range obs {
		if err := o(ctx, p); err != nil && first == nil {
			first = fmt.Errorf("post %s: %w", p.Id, err)
		}
	}
	return first
}
