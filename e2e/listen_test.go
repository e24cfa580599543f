package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

// listenChannel makes a channel of its own with one new member (and the bot) for a listener
// test named prefix.
func listenChannel(t *testing.T, prefix string) (*model.Channel, *model.Client4) {
	t.Helper()
	ctx := context.Background()
	u, err := rig.NewUser(ctx, prefix+".u1")
	require.NoError(t, err)
	ch, err := rig.NewChannel(ctx, prefix+"-ch", u.Username)
	require.NoError(t, err)
	return ch, u.Client
}

// handledPost waits until the bot's listener has handed post postID on to its observers.
func handledPost(t *testing.T, postID string) {
	t.Helper()
	rig.Eventually(t, "the listener handles post "+postID, func(ctx context.Context) error {
		if n := count(t, `SELECT count(*) FROM listen_posts WHERE post_id = $1 AND done_at IS NOT NULL`, postID); n != 1 {
			return fmt.Errorf("post %s handled %d times", postID, n)
		}
		return nil
	})
}

// The bot hears, through its WebSocket, what people write in a channel it belongs to.
func TestListenerHearsAPost(t *testing.T) {
	t.Parallel()
	ch, member := listenChannel(t, "lsnhear")
	p, _, err := member.CreatePost(context.Background(), &model.Post{ChannelId: ch.Id, Message: "Bonjour le guichet"})
	require.NoError(t, err)
	handledPost(t, p.Id)
}

// dumpBotLog logs the bot's log (the scheduler's ticks left out) when the test fails.
func dumpBotLog(t *testing.T) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, l := range strings.Split(rig.BotLog(5000), "\n") {
			if !strings.Contains(l, "cron:") {
				t.Log(l)
			}
		}
	})
}
