package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"guichet.dev/guichet"
)

// A pass is one batch of outbox messages (DeliverDue). Publishing an event queues its offers
// lot by lot, so a batch holds several copies of each lot's offer: the pass reads the states
// of their lots, their events and their posted copies once for all of them, and each copy is
// recorded, with its message marked delivered, in one statement.
//
// A state read at the start of the pass may have changed by the time a copy rendered from it
// is posted (a claim in between), and the change's own refresh may have run before the copy
// was recorded, so it would miss the copy. The record statement therefore compares the lot's
// version with the one the copy was rendered from and, if it changed, queues a refresh of the
// lot's offers in the same statement; the pass then reads the lot again for its next copies.
// A copy never shows a state older than the last change made before it was recorded, for
// longer than it takes to deliver that refresh.
type pass struct {
	mu   sync.Mutex
	lots map[int64]*lotSnapshot
	// recorded holds the messages whose handler recorded the delivery itself.
	recorded map[int64]bool
}

// lotSnapshot is what an offer's copy is rendered from.
type lotSnapshot struct {
	state *guichet.LotState
	// version is the lot's version when state was read (db.LotStates).
	version string
	event   *guichet.Event
	// copies are the posted copies: channel id → post id.
	copies map[string]string
}

type passKey struct{}

func withPass(ctx context.Context, ps *pass) context.Context {
	return context.WithValue(ctx, passKey{}, ps)
}

// passOf returns the pass ctx belongs to, or a pass of its own for a delivery made outside
// DeliverDue.
func passOf(ctx context.Context) *pass {
	if ps, ok := ctx.Value(passKey{}).(*pass); ok {
		return ps
	}
	return &pass{}
}

// newPass reads, for the publications among msgs, the states of their lots, their events and
// their posted copies. A read that fails is only logged: each delivery then reads its own lot.
func (b *Bot) newPass(ctx context.Context, msgs []*guichet.OutboxMessage) *pass {
	ps := &pass{lots: map[int64]*lotSnapshot{}, recorded: map[int64]bool{}}
	var ids []int64
	seen := map[int64]bool{}
	for _, m := range msgs {
		if m.Kind != guichet.OutboxPublishOffer {
			continue
		}
		if p, err := decodePayload(m.PayloadJSON); err == nil && p.LotID != 0 && !seen[p.LotID] {
			seen[p.LotID] = true
			ids = append(ids, p.LotID)
		}
	}
	if len(ids) == 0 {
		return ps
	}
	lots, err := b.readLots(ctx, ids)
	if err != nil {
		b.logger.Warn("outbox: reading the batch's lots", "error", err)
		return ps
	}
	ps.lots = lots
	return ps
}

// readLots reads the snapshots of lots ids: four statements, whatever their number (one more
// per event beyond the first). Lots that do not exist are left out.
func (b *Bot) readLots(ctx context.Context, ids []int64) (map[int64]*lotSnapshot, error) {
	states, versions, err := b.store.LotStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	posts, err := b.store.OfferPostsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	events := map[int64]*guichet.Event{}
	out := make(map[int64]*lotSnapshot, len(states))
	for id, st := range states {
		ev, ok := events[st.Lot.EventID]
		if !ok {
			if ev, err = b.store.Event(ctx, st.Lot.EventID); err != nil {
				return nil, err
			}
			events[st.Lot.EventID] = ev
		}
		out[id] = &lotSnapshot{state: st, version: versions[id], event: ev, copies: map[string]string{}}
	}
	for _, op := range posts {
		if s := out[op.LotID]; s != nil {
			s.copies[op.ChannelID] = op.PostID
		}
	}
	return out, nil
}

// passLot returns the snapshot of lotID, read now if the pass does not hold it. The snapshot
// returned is the caller's to read; the pass keeps its own.
func (b *Bot) passLot(ctx context.Context, ps *pass, lotID int64) (*lotSnapshot, error) {
	ps.mu.Lock()
	s := ps.lots[lotID]
	ps.mu.Unlock()
	if s == nil {
		lots, err := b.readLots(ctx, []int64{lotID})
		if err != nil {
			return nil, err
		}
		if s = lots[lotID]; s == nil {
			return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrLotNotFound", "Code", lotID)
		}
		ps.mu.Lock()
		if ps.lots == nil {
			ps.lots = map[int64]*lotSnapshot{}
		}
		ps.lots[lotID] = s
		ps.mu.Unlock()
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	copies := make(map[string]string, len(s.copies))
	for ch, id := range s.copies {
		copies[ch] = id
	}
	return &lotSnapshot{state: s.state, version: s.version, event: s.event, copies: copies}, nil
}

// posted notes a copy recorded by msgID. When the record found the lot changed (refreshed),
// the pass forgets the lot so that its next copies are rendered from a fresh read.
func (ps *pass) posted(msgID int64, op guichet.OfferPost, refreshed bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.recorded == nil {
		ps.recorded = map[int64]bool{}
	}
	ps.recorded[msgID] = true
	if refreshed {
		delete(ps.lots, op.LotID)
		return
	}
	if s := ps.lots[op.LotID]; s != nil {
		s.copies[op.ChannelID] = op.PostID
	}
}

// wasRecorded reports whether the handler of msgID recorded its delivery itself.
func (ps *pass) wasRecorded(msgID int64) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.recorded[msgID]
}

// recordOffer records the copy op posted by m, with m delivered, trying hard: Mattermost has
// the post, and a copy not recorded is looked for again at the next attempt (once.go). It
// returns guichet.ErrOutboxLeaseLost at once when m is no longer the dispatcher's: its holder
// records the copy.
func (b *Bot) recordOffer(ctx context.Context, m *guichet.OutboxMessage, op guichet.OfferPost, version string) (refreshed bool, err error) {
	now := b.outboxNow()
	for i := 0; i < 3; i++ {
		if refreshed, err = b.store.RecordOfferDelivered(ctx, m.ID, m.LeaseToken, op, now, version); err == nil {
			b.metrics.delivery(string(m.Kind), "delivered", now.Sub(m.CreatedAt))
			return refreshed, nil
		}
		if errors.Is(err, guichet.ErrOutboxLeaseLost) {
			return false, err
		}
		if sleepCtx(ctx, time.Duration(i+1)*500*time.Millisecond) != nil {
			break
		}
	}
	return false, err
}
