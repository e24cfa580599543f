package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"guichet.dev/guichet"
)

// Dispatcher settings.
const (
	// outboxBatch is how many of the oldest due messages one pass takes (TakeOutbox adds the
	// urgent ones among the newest).
	outboxBatch = 50
	// unansweredWait is how long a message waits for its next attempt after a post created
	// for it went unanswered (MayHavePosted): Mattermost finishes such a request even though
	// the bot gave up, and under overload that has taken more than the 30 s during which it
	// drops a second create of the same post; waiting lets the next attempt find that post
	// rather than post a second copy.
	unansweredWait = 2 * time.Minute
	// outboxLease is the default of Deps.OutboxLease: how long taken messages are hidden from
	// other dispatchers; a dispatcher that dies loses nothing, its messages come back when the
	// lease ends. A batch delivered for longer renews it (lease.go).
	outboxLease = 2 * time.Minute
	// deliveryTimeout bounds one delivery (several Mattermost calls for a refresh, 429 waits
	// included): a message is held at least this long, and leaseMargin, when it starts.
	deliveryTimeout = time.Minute
	// countsEvery is how often the pending/parked gauges are refreshed.
	countsEvery = 15 * time.Second
	// outboxGather is how long a dispatcher woken by a claim (guichet.OutboxWakeGathered) waits
	// before taking the messages: the offer refreshes, notices and board of a burst of claims
	// then go out together, after the clicks were answered. A clicked offer shows its holder
	// this much later (measured in docs/benchmarks.md); the clicker is answered at once.
	outboxGather = 300 * time.Millisecond
)

// RunDispatcher delivers outbox messages until ctx ends: it takes due messages (FOR UPDATE
// SKIP LOCKED, so any number of dispatchers on one database deliver each message once; a
// dispatcher records an outcome only for the messages it still holds, see lease.go), hands
// each to the handler of its kind, records the post it created, retries failures with
// exponential backoff and jitter, and parks permanent refusals, telling the event's
// coordination what could not be delivered. It wakes on the database's notifications that
// messages were queued (when Deps.ListenOutbox is set), on Wake (the claims of this process), when the next retry
// falls due, and every PollInterval.
//
// When ctx ends it finishes the message in hand, gives the rest of its batch back and returns
// nil. The outbox follows the database's clock (real time), not Deps.Now.
func (b *Bot) RunDispatcher(ctx context.Context) error {
	if b.listenOutbox != nil {
		stop := b.listenOutbox(ctx, b.Wake)
		defer stop()
	}
	var countedAt time.Time
	for {
		n, err := b.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			b.logger.Error("outbox", "error", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(countedAt) >= countsEvery {
			countedAt = time.Now()
			if pending, parked, err := b.store.OutboxCounts(ctx); err == nil {
				b.metrics.outbox(pending, parked)
			}
		}
		if n >= outboxBatch && err == nil {
			continue // more may be due
		}
		wait := b.pollInterval
		if next, ok, err := b.store.NextOutboxDue(ctx); err == nil && ok {
			if d := next.Sub(b.outboxNow()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-b.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// Wake wakes the dispatcher (RunDispatcher) without blocking: at once, or, for
// guichet.OutboxWakeGathered (a claim; wire it to db.DB.Claimed), outboxGather after the first
// of a burst of such wake-ups. It may be called before the dispatcher runs or while it works:
// the wake-up waits for it.
func (b *Bot) Wake(payload string) {
	if payload != guichet.OutboxWakeGathered {
		b.wakeNow()
		return
	}
	if b.gathering.CompareAndSwap(false, true) {
		time.AfterFunc(outboxGather, func() {
			b.gathering.Store(false)
			b.wakeNow()
		})
	}
}

func (b *Bot) wakeNow() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// DeliverDue takes the messages due now (one batch) and delivers them; it returns how many it
// took. RunDispatcher calls it in a loop; tests and tools may call it directly.
func (b *Bot) DeliverDue(ctx context.Context) (int, error) {
	now := b.outboxNow()
	msgs, err := b.store.TakeOutbox(ctx, now, outboxBatch, b.outboxLease)
	if err != nil {
		return 0, err
	}
	b.deliverAll(withPass(ctx, b.newPass(ctx, msgs)), msgs, newBatchLease(msgs, now, b.outboxLease))
	return len(msgs), nil
}

// deliverAll delivers a batch in order. Offers (publish_offer) are posted up to b.inFlight at
// once, never two to one channel, and never before the earlier posts to their channel are
// made, so each channel gets its messages in order; an offer's slot is free as soon as
// Mattermost has the post, and recording it overlaps the next post. Any other message waits
// for everything before it, recordings included, and runs alone (a lot's refresh comes after
// its copies are recorded, a board or a notice after the offers before it). When ctx ends or
// Mattermost stops answering, it starts nothing more, waits for the deliveries in hand, and
// gives the rest back. Each delivery first makes sure the batch still holds its message under
// lease (lease.go), and skips it otherwise.
func (b *Bot) deliverAll(ctx context.Context, msgs []*guichet.OutboxMessage, lease *batchLease) {
	done := &batchDone{posts: map[string]string{}, lease: lease}
	var (
		mu   sync.Mutex
		cond = sync.NewCond(&mu)
		// posting counts the offers waiting for Mattermost, pending the deliveries after
		// theirs (recording) and those of other kinds.
		posting, pending int
		alone            bool
		busy             = map[string]bool{}
	)
	stop := func() bool { return ctx.Err() != nil || done.unreachable() }
	mu.Lock()
	defer mu.Unlock()
	for i, m := range msgs {
		channel, parallel := "", false
		if m.Kind == guichet.OutboxPublishOffer {
			if p, err := decodePayload(m.PayloadJSON); err == nil && p.ChannelID != "" {
				channel, parallel = p.ChannelID, true
			}
		}
		for !stop() && (alone || (parallel && (posting >= b.inFlight || busy[channel])) || (!parallel && posting+pending > 0)) {
			cond.Wait()
		}
		if stop() {
			for posting+pending > 0 {
				cond.Wait()
			}
			b.release(msgs[i:], ctx.Err() == nil)
			return
		}
		alone = !parallel
		if parallel {
			posting++
			busy[channel] = true
		} else {
			pending++
		}
		// posted frees the offer's slot: Mattermost has answered.
		freed := !parallel
		posted := func() {
			mu.Lock()
			defer mu.Unlock()
			if !freed {
				freed = true
				posting--
				pending++
				delete(busy, channel)
				cond.Broadcast()
			}
		}
		go func() {
			b.deliver(withPosted(ctx, posted), m, done)
			posted()
			mu.Lock()
			pending--
			if !parallel {
				alone = false
			}
			cond.Broadcast()
			mu.Unlock()
		}()
	}
	for posting+pending > 0 {
		cond.Wait()
	}
}

type postedKey struct{}

type batchKey struct{}

// withBatch gives a delivery what its batch shares.
func withBatch(ctx context.Context, done *batchDone) context.Context {
	return context.WithValue(ctx, batchKey{}, done)
}

// batchOf returns what the batch of the delivery under ctx shares (a batch of its own outside
// a dispatcher's pass).
func batchOf(ctx context.Context) *batchDone {
	if done, ok := ctx.Value(batchKey{}).(*batchDone); ok {
		return done
	}
	return &batchDone{posts: map[string]string{}}
}

// withPosted gives a delivery the function that tells its batch Mattermost has answered.
func withPosted(ctx context.Context, posted func()) context.Context {
	return context.WithValue(ctx, postedKey{}, posted)
}

// mattermostDone tells the batch of the delivery under ctx that it is done with Mattermost:
// the next post may go while this delivery records its own.
func mattermostDone(ctx context.Context) {
	if posted, ok := ctx.Value(postedKey{}).(func()); ok {
		posted()
	}
}

// batchDone is what the deliveries of one batch share: the posts of the refreshes already
// made (one delivery stands for every refresh of one lot or board in the batch, since a
// refresh renders the database state when it runs), whether Mattermost stopped answering, and
// the batch's lease (nil outside a dispatcher's pass).
type batchDone struct {
	mu     sync.Mutex
	posts  map[string]string
	silent bool
	lease  *batchLease
}

func (d *batchDone) post(key string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.posts[key]
	return id, ok
}

func (d *batchDone) setPost(key, postID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.posts[key] = postID
}

func (d *batchDone) setUnreachable() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.silent = true
}

func (d *batchDone) unreachable() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.silent
}

// release gives taken messages back: due at once after a shutdown, after the first retry
// delay when Mattermost does not answer. Those another dispatcher took meanwhile stay its own.
func (b *Bot) release(msgs []*guichet.OutboxMessage, unreachable bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	at, cause := b.outboxNow(), "not attempted: shutting down"
	if unreachable {
		at, cause = at.Add(backoff(1, b.jitter())), "not attempted: Mattermost did not answer"
	}
	// One take, one token: one statement.
	byToken := map[int64][]int64{}
	for _, m := range msgs {
		byToken[m.LeaseToken] = append(byToken[m.LeaseToken], m.ID)
	}
	for token, ids := range byToken {
		// Not released, they come back when their lease ends: later, nothing lost.
		if err := b.store.ReleaseOutbox(ctx, ids, token, cause, at); err != nil {
			b.logger.Warn("outbox release", "messages", len(ids), "error", err)
		}
	}
}

// coalesceKey names what a refresh does, so that one made earlier in a batch stands for the
// next of the same name (see batchDone), or "" for a message that is not a refresh. A refresh
// of an offer gathering claims (p.Gathered) is named apart: it may leave copies alone, so it
// does not stand for a full refresh, though a full one stands for it (coveredBy).
func coalesceKey(kind guichet.OutboxKind, p guichet.OutboxPayload) string {
	switch kind {
	case guichet.OutboxRefreshOffer:
		if p.Gathered {
			return "offer-claims:" + strconv.FormatInt(p.LotID, 10)
		}
		return "offer:" + strconv.FormatInt(p.LotID, 10)
	case guichet.OutboxRefreshBoard:
		return "board:" + strconv.FormatInt(p.EventID, 10)
	}
	return ""
}

// coveredBy returns the post of the refresh made earlier in the batch that stands for the
// refresh (kind, p), if any (see coalesceKey).
func coveredBy(done *batchDone, kind guichet.OutboxKind, p guichet.OutboxPayload) (string, bool) {
	key := coalesceKey(kind, p)
	if key == "" {
		return "", false
	}
	if postID, ok := done.post(key); ok {
		return postID, true
	}
	if p.Gathered {
		full := p
		full.Gathered = false
		return done.post(coalesceKey(kind, full))
	}
	return "", false
}

// deliver delivers one message and records the outcome; it never returns an error: whatever
// happens is recorded on the row (delivered, failed with a retry time, or parked), unless the
// batch no longer holds the message (lease.go): then it is skipped, or, if that is learnt
// when recording, nothing more is done for it.
func (b *Bot) deliver(ctx context.Context, m *guichet.OutboxMessage, done *batchDone) {
	defer done.lease.finish(m.ID)
	log := b.logger.With("outbox_id", m.ID, "kind", string(m.Kind), "attempt", m.Attempts)
	if !b.hold(ctx, done.lease, m) {
		log.Info("outbox: the message is no longer held (another dispatcher took it, or the lease could not be renewed), skipped")
		return
	}
	// The delivery itself is not cut short by a shutdown: the message in hand is finished.
	// Its deadline falls within the hold just checked.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.deliveryTimeout)
	defer cancel()
	if m.Attempts > 1 {
		dctx = retrying(dctx, m.CreatedAt)
	}

	p, err := decodePayload(m.PayloadJSON)
	if err != nil {
		b.park(dctx, m, p, fmt.Errorf("%w: payload: %v", errBadMessage, err))
		return
	}
	if postID, ok := coveredBy(done, m.Kind, p); ok {
		b.markDelivered(dctx, m, postID)
		return
	}
	key := coalesceKey(m.Kind, p)
	b.mu.RLock()
	h := b.outbox[m.Kind]
	b.mu.RUnlock()
	if h == nil {
		// A newer replica may know this kind: retry later rather than park.
		log.Warn("outbox: no handler for this kind")
		b.retry(dctx, m, errors.New("no handler for kind "+string(m.Kind)))
		return
	}
	postID, err := h(withBatch(dctx, done), m, p)
	switch {
	case errors.Is(err, guichet.ErrOutboxLeaseLost):
		log.Warn("outbox: delivered, but another dispatcher took the message meanwhile: it records it")
	case err == nil:
		if !passOf(ctx).wasRecorded(m.ID) {
			b.markDelivered(dctx, m, postID)
		}
		if key != "" {
			done.setPost(key, postID)
		}
	case Permanent(err):
		log.Warn("outbox: permanent refusal, parked", "error", err)
		b.park(dctx, m, p, err)
	default:
		log.Warn("outbox: delivery failed, will retry", "error", err)
		if StatusOf(err) == 0 && errors.As(err, new(*APIError)) {
			done.setUnreachable()
		}
		b.retry(dctx, m, err)
	}
}

func (b *Bot) markDelivered(ctx context.Context, m *guichet.OutboxMessage, postID string) {
	now := b.outboxNow()
	// Mattermost has the message: try hard to record it, or it will be sent again.
	var err error
	for i := 0; i < 3; i++ {
		if err = b.store.MarkDelivered(ctx, m.ID, m.LeaseToken, postID, now); err == nil || errors.Is(err, guichet.ErrOutboxLeaseLost) {
			break
		}
		if sleepCtx(ctx, time.Duration(i+1)*500*time.Millisecond) != nil {
			break
		}
	}
	if errors.Is(err, guichet.ErrOutboxLeaseLost) {
		b.logger.Warn("outbox: delivered, but another dispatcher took the message meanwhile: it records it",
			"outbox_id", m.ID, "post_id", postID)
		return
	}
	if err != nil {
		b.logger.Error("outbox: delivered but not recorded", "outbox_id", m.ID, "post_id", postID, "error", err)
		return
	}
	b.metrics.delivery(string(m.Kind), "delivered", now.Sub(m.CreatedAt))
}

func (b *Bot) retry(ctx context.Context, m *guichet.OutboxMessage, cause error) {
	at := b.outboxNow().Add(backoff(m.Attempts, b.jitter()))
	if MayHavePosted(cause) {
		// Mattermost may still create the post it did not answer for, after the 30 s in which
		// it would drop a second one: the next attempt, which first looks for it, waits until
		// it would have been created.
		if later := b.outboxNow().Add(b.unansweredWait); later.After(at) {
			at = later
		}
	}
	if err := b.store.MarkFailed(ctx, m.ID, m.LeaseToken, cause.Error(), at); err != nil {
		if errors.Is(err, guichet.ErrOutboxLeaseLost) {
			b.logger.Info("outbox: failed, but another dispatcher took the message meanwhile", "outbox_id", m.ID)
			return
		}
		b.logger.Error("outbox: recording a failure", "outbox_id", m.ID, "error", err)
	}
	b.metrics.delivery(string(m.Kind), "retry", 0)
}

func (b *Bot) park(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload, cause error) {
	if err := b.store.Park(ctx, m.ID, m.LeaseToken, cause.Error(), b.outboxNow()); err != nil {
		if errors.Is(err, guichet.ErrOutboxLeaseLost) {
			// Its holder decides what to tell, if anything.
			b.logger.Info("outbox: refused, but another dispatcher took the message meanwhile", "outbox_id", m.ID)
			return
		}
		b.logger.Error("outbox: parking", "outbox_id", m.ID, "error", err)
		return
	}
	b.metrics.delivery(string(m.Kind), "parked", 0)
	if m.Kind == guichet.OutboxPublishOffer && p.LotID != 0 && p.ChannelID != "" {
		// Publishing the event again will queue this copy anew.
		if err := b.store.ForgetOfferPost(ctx, p.LotID, p.ChannelID); err != nil {
			b.logger.Warn("outbox: forgetting the unposted offer", "outbox_id", m.ID, "error", err)
		}
	}
	b.reportUndelivered(ctx, m, p, cause)
}

// reportUndelivered tells the event's coordination channel that a message was refused or, when
// that channel (or the board in it) is what refused it, the event's coordinators by direct
// message (tellCoordinatorsDirectly). Messages that cannot be tied to an event are only logged.
func (b *Bot) reportUndelivered(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload, cause error) {
	status := StatusOf(cause)
	if status == 0 {
		return // not a refusal by Mattermost: the thing to send is gone, nothing to tell
	}
	eventID := p.EventID
	var lot *guichet.Lot
	if p.LotID != 0 {
		if l, err := b.store.Lot(ctx, p.LotID); err == nil {
			lot, eventID = l, l.EventID
		}
	}
	if eventID == 0 {
		return
	}
	ev, err := b.store.Event(ctx, eventID)
	if err != nil || ev.CoordChannelID == "" {
		return
	}
	loc := b.eventLocale(ev)
	if p.ChannelID == ev.CoordChannelID || m.Kind == guichet.OutboxRefreshBoard {
		// The board lives in the coordination channel too.
		b.tellCoordinatorsDirectly(ctx, m, p, ev, loc, status)
		return
	}
	what := b.t(loc, "MsgWhatMessage")
	switch {
	case lot != nil && (m.Kind == guichet.OutboxPublishOffer || m.Kind == guichet.OutboxRefreshOffer):
		what = b.t(loc, "MsgWhatOffer", "Code", lot.Code)
	case m.Kind == guichet.OutboxReminder:
		what = b.t(loc, "MsgWhatReminder")
	case m.Kind == guichet.OutboxRecap || m.Kind == guichet.OutboxRecapDraft:
		what = b.t(loc, "MsgWhatRecap")
	}
	where := p.ChannelID
	if where != "" {
		where = b.client.channelName(ctx, where)
	} else if p.UserID != "" {
		where = b.client.userMention(ctx, p.UserID)
	}
	msgID := "MsgUndeliveredOther"
	switch status {
	case http.StatusForbidden:
		msgID = "MsgUndeliveredForbidden"
	case http.StatusNotFound, http.StatusBadRequest:
		msgID = "MsgUndeliveredGone"
	}
	bot := b.botUsername()
	err = b.store.Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{
		ChannelID: ev.CoordChannelID, EventID: ev.ID, Locale: loc, MessageID: msgID,
		Args: map[string]any{"What": what, "Channel": where, "Status": status, "Bot": bot},
	})
	if err != nil {
		b.logger.Error("outbox: telling the coordination", "outbox_id", m.ID, "error", err)
	}
}

// coordFallbackText bounds the copy of a refused message that tellCoordinatorsDirectly quotes,
// in characters, well under Mattermost's post size.
const coordFallbackText = 4000

// tellCoordinatorsDirectly is what happens when the coordination channel itself refuses a
// message for good (the bot was removed from it, the channel was archived, the text was
// refused): each of the event's coordinators gets a direct message saying so, with the text of
// the refused notice when it has one, so that no claim, release or problem goes unseen. The
// direct messages are queued in the outbox like any other; one that is refused in turn is only
// logged (it is not addressed to the coordination channel).
func (b *Bot) tellCoordinatorsDirectly(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload, ev *guichet.Event, loc string, status int) {
	ids, err := b.store.EventCoordinatorIDs(ctx, ev.ID)
	if err != nil {
		b.logger.Error("outbox: the coordination channel refused a message; listing its coordinators", "outbox_id", m.ID, "error", err)
		return
	}
	text := ""
	if p.MessageID != "" && b.catalog.Has(loc, p.MessageID) { // a notice, or a claim's (guichet.OutboxClaimed)
		text = clipRunes(b.catalog.T(loc, p.MessageID, p.Args), coordFallbackText) // made harmless when posted (Client.CreatePost)
	}
	channel := b.client.channelName(ctx, ev.CoordChannelID)
	bot := b.botUsername()
	for _, id := range ids {
		err := b.store.Enqueue(ctx, guichet.OutboxNotice, guichet.OutboxPayload{
			UserID: id, EventID: ev.ID, Locale: loc, MessageID: "MsgUndeliveredCoordination",
			Args: map[string]any{"Event": ev.Name, "Channel": channel, "Status": status, "Text": text, "Bot": bot},
		})
		if err != nil {
			b.logger.Error("outbox: telling a coordinator directly", "outbox_id", m.ID, "user_id", id, "error", err)
		}
	}
	if len(ids) == 0 {
		b.logger.Warn("outbox: the coordination channel refused a message and the event has no coordinator to tell", "outbox_id", m.ID, "event_id", ev.ID)
	}
}

// botUsername is the bot's username for the messages that tell people to invite it: the one
// Mattermost gave, or DefaultBotUsername before the first call to Mattermost answered.
func (b *Bot) botUsername() string {
	if name := b.client.BotUsername(); name != "" {
		return name
	}
	return DefaultBotUsername
}

// clipRunes cuts s to at most n characters, ending with "…" when it cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// decodePayload reads a payload keeping numbers as written (json.Number), so that a quantity
// renders "1000000", not "1e+06".
func decodePayload(raw []byte) (guichet.OutboxPayload, error) {
	var p guichet.OutboxPayload
	if len(raw) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	err := dec.Decode(&p)
	return p, err
}

// dedupeKey is the key of the post a delivery creates: the same message delivered again (a
// retry after a crash) gets the same pending_post_id, which Mattermost drops within 30 s.
func dedupeKey(m *guichet.OutboxMessage, channelID string) string {
	return "outbox:" + strconv.FormatInt(m.ID, 10) + ":" + string(m.Kind) + ":" + channelID
}
