package bot

import (
	"context"
	"sync"
	"time"

	"guichet.dev/guichet"
)

// A dispatcher holds the messages of a batch under the lease of its take (db.DB.TakeOutbox,
// Deps.OutboxLease, two minutes by default) and the take's fencing token. Two rules keep two
// replicas from both delivering a message:
//
//   - A delivery starts only if the message is held for at least as long as a delivery may
//     take from then on (deliveryTimeout, 429 waits included, plus leaseMargin for the clocks
//     of the replicas): every Mattermost call of the delivery is made while the message is
//     the dispatcher's. When the lease of the batch is shorter than that, the dispatcher
//     renews it first, in one statement for every message of the batch not yet finished, up
//     to the lease plus one delivery from then; the messages the renewal does not return were
//     taken by another dispatcher after the lease ended, and are skipped.
//   - What records a message's outcome (delivered, failed, parked, given back) carries the
//     token and applies only if it still matches; otherwise it records nothing and answers
//     guichet.ErrOutboxLeaseLost, and the dispatcher does nothing more for the message (no
//     follow-up, such as telling the coordination about a refusal): its holder does.
//
// The lease is renewed for the rest of the batch, not taken message by message: with the
// default lease, a batch delivered in less than a minute (all of them, unless Mattermost is
// slow) renews nothing, and a slow one renews at most once per lease; the check before each
// delivery compares the time with the lease the dispatcher last set, without a round trip.
// The messages of a batch it is not delivering yet stay hidden from the other dispatchers,
// as they were before.
//
// Holding a message through its delivery is a matter of time: a dispatcher frozen longer than
// a whole delivery's hold between its check and its post (a process stopped, not one merely
// slow: the delivery's own deadline ends its calls) may still post after another took the
// message; the delivery key of the post (once.go) and the pending post id then keep it to one
// post in most cases.

// leaseMargin is added to a delivery's bound to make up the time a message must be held when
// its delivery starts: for clocks that differ between replicas and the time of the statements.
const leaseMargin = 5 * time.Second

// batchLease is a dispatcher's hold on the messages of one batch.
type batchLease struct {
	mu sync.Mutex
	// until is when the lease of the open messages ends, as the dispatcher last set it.
	until time.Time
	// open holds the messages of the batch held and not yet finished, by id, with their token.
	open map[int64]int64
	// broken is set when a renewal failed: the dispatcher no longer knows what it holds, and
	// starts no more deliveries of the batch (they come back when their lease ends).
	broken bool
}

// newBatchLease returns the hold on msgs, taken at takenAt for lease.
func newBatchLease(msgs []*guichet.OutboxMessage, takenAt time.Time, lease time.Duration) *batchLease {
	l := &batchLease{until: takenAt.Add(lease), open: make(map[int64]int64, len(msgs))}
	for _, m := range msgs {
		l.open[m.ID] = m.LeaseToken
	}
	return l
}

// deliveryHold is how long a message must still be held when its delivery starts.
func (b *Bot) deliveryHold() time.Duration { return b.deliveryTimeout + b.leaseMargin }

// hold reports whether the dispatcher holds message m for a whole delivery from now, renewing
// the lease of the batch's open messages first if it ends sooner (see the top of this file).
// A message it does not hold is forgotten by the batch: the caller skips it. A nil lease (a
// delivery outside DeliverDue) holds every message.
func (b *Bot) hold(ctx context.Context, l *batchLease, m *guichet.OutboxMessage) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.open[m.ID]; !ok || l.broken {
		return false
	}
	now := b.outboxNow()
	if !l.until.Before(now.Add(b.deliveryHold())) {
		return true
	}
	until := now.Add(b.outboxLease + b.deliveryHold())
	byToken := map[int64][]int64{}
	for id, token := range l.open {
		byToken[token] = append(byToken[token], id)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	still := make(map[int64]int64, len(l.open))
	for token, ids := range byToken {
		held, err := b.store.RenewOutbox(rctx, ids, token, until)
		if err != nil {
			b.logger.Warn("outbox: renewing the lease failed, the rest of the batch is left to its lease",
				"messages", len(l.open), "error", err)
			l.broken = true
			return false
		}
		for _, id := range held {
			still[id] = token
		}
	}
	if lost := len(l.open) - len(still); lost > 0 {
		b.logger.Info("outbox: messages taken by another dispatcher after their lease ended, skipped", "messages", lost)
	}
	l.open, l.until = still, until
	_, ok := l.open[m.ID]
	return ok
}

// finish notes that the dispatcher is done with message id (delivered, failed, parked, lost):
// renewals leave it alone.
func (l *batchLease) finish(id int64) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.open, id)
}
