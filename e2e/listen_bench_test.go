package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/internal/mmrig"
)

// BenchmarkListenerPosts has GUICHET_BENCH_MEMBERS members (default 20) write
// GUICHET_BENCH_POSTS_EACH posts each (default 25), at once, in a channel of the bot,
// and waits until the listener has handed every post on; it reports the posts handled per
// second from the first post to the last handled, the posts Mattermost took per second (side
// by side: what bounds the first), how long after the last post was written the listener was
// done, and the bot's resident memory afterwards (process_resident_memory_bytes). Run it alone:
//
//	go test ./e2e -run '^$' -bench BenchmarkListenerPosts -benchtime 1x
//	GUICHET_BENCH_MEMBERS=500 GUICHET_BENCH_POSTS_EACH=2 go test ./e2e -run '^$' -bench BenchmarkListenerPosts -benchtime 1x
func BenchmarkListenerPosts(b *testing.B) {
	members, each := benchEnvInt(b, "GUICHET_BENCH_MEMBERS", 20), benchEnvInt(b, "GUICHET_BENCH_POSTS_EACH", 25)
	ctx := context.Background()
	users := make([]*mmrig.User, members)
	names := make([]string, members)
	for i := range users {
		u, err := rig.NewUser(ctx, fmt.Sprintf("lsnbench.u%d", i+1))
		require.NoError(b, err)
		users[i], names[i] = u, u.Username
	}
	ch, err := rig.NewChannel(ctx, "lsnbench-ch", names...)
	require.NoError(b, err)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		start := time.Now()
		var wg sync.WaitGroup
		ids := make(chan string, members*each)
		for _, u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range each {
					p, _, err := u.Client.CreatePost(ctx, &model.Post{ChannelId: ch.Id, Message: fmt.Sprintf("message %d de %s", j, u.Username)})
					if err == nil {
						ids <- p.Id
					}
				}
			}()
		}
		wg.Wait()
		posted := time.Since(start)
		close(ids)
		var all []string
		for id := range ids {
			all = append(all, id)
		}
		require.Len(b, all, members*each)
		rig.EventuallyWithin(b, 5*time.Minute, "every post handled", func(ctx context.Context) error {
			var done int
			if err := rig.DB().SQL().GetContext(ctx, &done, `SELECT count(*) FROM listen_posts WHERE post_id = ANY($1) AND done_at IS NOT NULL`, pq.Array(all)); err != nil {
				return err
			}
			if done != len(all) {
				return fmt.Errorf("%d of %d handled", done, len(all))
			}
			return nil
		})
		elapsed := time.Since(start)
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "posts/s")
		// Posting through Mattermost bounds the rate: the lag is what the listener adds.
		b.ReportMetric(float64(len(all))/posted.Seconds(), "posted/s")
		b.ReportMetric(float64((elapsed - posted).Milliseconds()), "ms_lag_after_last_post")
	}
	b.StopTimer()
	b.ReportMetric(metric(b, rig.OpsURL(), "process_resident_memory_bytes")/(1<<20), "MB_resident")
}

// benchEnvInt reads a positive whole number from the environment variable name, def when unset.
func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: a positive whole number, please", name, v)
	}
	return n
}
