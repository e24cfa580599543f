package db

import (
	"context"
	"log/slog"
	"time"

	"github.com/lib/pq"
)

// outboxChannel is the PostgreSQL notification channel that queuing an outbox message
// notifies (pg_notify('guichet_outbox', …) in enqueue, the publication and state changes).
const outboxChannel = "guichet_outbox"

// ListenOutbox listens, on its own connection to the database at url, for the notifications
// sent when outbox messages are queued, and calls onNotify with each one's payload ("" or
// guichet.OutboxWakeGathered) from one goroutine, until ctx ends or stop is called. It returns
// once it has tried to LISTEN: when the database cannot be reached, it logs a warning and goes
// on trying in the background, reconnecting after a lost connection too (within 1 to 30 s);
// notifications sent while it is not connected are lost, so a caller polls as well. logger
// may be nil (slog.Default). stop closes the connection.
func ListenOutbox(ctx context.Context, url string, logger *slog.Logger, onNotify func(payload string)) (stop func()) {
	if logger == nil {
		logger = slog.Default()
	}
	l := pq.NewListener(url, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			logger.Warn("outbox listener", "event", int(ev), "error", err)
		}
	})
	if err := l.Listen(outboxChannel); err != nil {
		logger.Warn("outbox listener: polling only until it connects", "error", err)
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case n, ok := <-l.Notify:
				if !ok {
					return
				}
				extra := ""
				if n != nil {
					extra = n.Extra
				}
				onNotify(extra)
			}
		}
	}()
	return func() { l.Close() }
}
