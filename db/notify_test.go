package db_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

// TestListenOutboxHearsQueuedMessages: queuing an outbox message reaches the listener, and
// after stop nothing more does.
func TestListenOutboxHearsQueuedMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	d, err := db.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })

	heard := make(chan string, 16)
	stop := db.ListenOutbox(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)), func(p string) { heard <- p })
	require.NoError(t, d.Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: "c", MessageID: "MsgHello"}))
	select {
	case p := <-heard:
		require.Equal(t, "", p)
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not hear the queued message")
	}

	stop()
	require.NoError(t, d.Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: "c", MessageID: "MsgHello"}))
	select {
	case p := <-heard:
		t.Fatalf("heard %q after stop", p)
	case <-time.After(300 * time.Millisecond):
	}
}
