package bot

import (
	"context"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// This file holds the outbox handlers of the kinds the bot itself delivers. Each renders from
// the database at delivery time, so a late delivery shows the current truth, and each is safe
// to run twice.

// publishOffer posts the offer of p.LotID in p.ChannelID and records the post, rendered from
// the state its pass read (pass.go). A lot that stopped being open before its offer went out
// is not posted (the queued copy is forgotten, unless an earlier attempt posted it: that post
// is recorded and refreshed); a copy already posted is refreshed instead of posted again.
func (b *Bot) publishOffer(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.LotID == 0 || p.ChannelID == "" {
		return "", fmt.Errorf("%w: publish_offer needs lot_id and channel_id", errBadMessage)
	}
	ps := passOf(ctx)
	snap, err := b.passLot(ctx, ps, p.LotID)
	if err != nil {
		return "", err
	}
	if postID := snap.copies[p.ChannelID]; postID != "" {
		post := b.OfferPost(snap.state, snap.event, p.ChannelID)
		post.Id = postID
		if _, err := b.client.UpdatePost(ctx, post); err != nil {
			return "", err
		}
		return postID, nil
	}
	key := dedupeKey(m, p.ChannelID)
	if snap.state.Lot.Status != guichet.LotOpen {
		// An earlier attempt may have posted the copy and lost its record (the database went
		// away): that post is recorded, and refreshed to show the lot as it is now.
		earlier, err := b.client.EarlierPost(ctx, p.ChannelID, key)
		if err != nil && !Permanent(err) {
			return "", err
		}
		if earlier == nil {
			return "", b.store.ForgetOfferPost(ctx, p.LotID, p.ChannelID)
		}
		op := guichet.OfferPost{LotID: p.LotID, ChannelID: p.ChannelID, PostID: earlier.Id}
		// No version: the record queues the refresh.
		if _, err := b.recordOffer(ctx, m, op, ""); err != nil {
			return "", err
		}
		b.logger.Info("offer posted by an earlier attempt, recorded; refresh queued", "lot_id", p.LotID, "channel_id", p.ChannelID)
		ps.posted(m.ID, op, true)
		return earlier.Id, nil
	}
	created, err := b.client.CreatePost(ctx, b.OfferPost(snap.state, snap.event, p.ChannelID), key)
	if err != nil {
		// The slot stays taken until the failure is recorded: a silent Mattermost stops the
		// batch before the next offer goes.
		return "", err
	}
	mattermostDone(ctx)
	op := guichet.OfferPost{LotID: p.LotID, ChannelID: p.ChannelID, PostID: created.Id}
	refreshed, err := b.recordOffer(ctx, m, op, snap.version)
	if err != nil {
		return "", err
	}
	if refreshed {
		b.logger.Info("offer changed while it was posted, refresh queued", "lot_id", p.LotID, "channel_id", p.ChannelID)
	}
	ps.posted(m.ID, op, refreshed)
	return created.Id, nil
}

// refreshOffer re-renders every posted copy of p.LotID's offer from the database (but, for a
// refresh gathering claims, p.Gathered, those already showing the lot as it is). A copy that
// is gone (deleted post, archived channel) is skipped; any other failure fails the whole
// refresh, which is retried (updating a copy twice is harmless).
func (b *Bot) refreshOffer(ctx context.Context, _ *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	return "", b.refreshCopies(ctx, p.LotID, !p.Gathered)
}

// refreshCopies updates the posted copies of lot lotID's offer with its state in the database,
// and records the version each copy now shows. With unchangedToo false, a copy recorded as
// showing the lot's current version is left alone: a claim's refresh queued behind others
// that already showed it costs no edit (every member in the channel would receive one).
// Refreshes queued for other reasons (a deadline passed, a relaunch, a cancelled claim) pass
// true: what they show may depend on more than the lot's rows.
func (b *Bot) refreshCopies(ctx context.Context, lotID int64, unchangedToo bool) error {
	states, versions, err := b.store.LotStates(ctx, []int64{lotID})
	if err != nil {
		return err
	}
	st := states[lotID]
	if st == nil {
		// Gone: LotState says how.
		_, err := b.store.LotState(ctx, lotID)
		return err
	}
	version := versions[lotID]
	ev, err := b.store.Event(ctx, st.Lot.EventID)
	if err != nil {
		return err
	}
	posts, err := b.store.OfferPosts(ctx, lotID)
	if err != nil {
		return err
	}
	var failed error
	var shown []guichet.OfferPost
	for _, op := range posts {
		if !unchangedToo && version != "" && op.ShownVersion == version {
			continue
		}
		post := b.OfferPost(st, ev, op.ChannelID)
		post.Id = op.PostID
		_, err := b.client.UpdatePost(ctx, post)
		switch {
		case err == nil:
			shown = append(shown, op)
		case Permanent(err):
			b.logger.Warn("offer copy cannot be updated, skipped", "lot_id", lotID, "channel_id", op.ChannelID,
				"post_id", op.PostID, "error", err)
		default:
			failed = err
		}
	}
	if len(shown) > 0 {
		b.edits.edited(coalesceKey(guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lotID, Gathered: true}), b.outboxNow())
		// Not recorded, the next claim's refresh updates the copies once more: harmless.
		if err := b.store.RecordOffersShown(ctx, lotID, shown, version); err != nil {
			b.logger.Warn("offer copies updated, version not recorded", "lot_id", lotID, "error", err)
		}
	}
	return failed
}

// claimed delivers what a new claim asks for (guichet.OutboxClaimed): every copy of p.LotID's
// offer refreshed (but those already showing the lot as it is now), p.EventID's board
// refreshed, then, when p.ChannelID is set, the notice p.MessageID posted there. A refresh
// already made in the same batch stands for this one (it rendered the database as it was after
// this claim). An offer or board this process edited less than b.editGap ago is not edited
// now: a gathered refresh is queued for the end of the gap, or one already queued and not yet
// taken stands for it (db.DB.EnqueueGathered); either renders the database after this claim,
// so the last claim of a burst is always shown. A failure of any part fails the whole, which
// is retried: the refreshes are harmless twice, and the notice is posted once (its delivery
// key is the message's).
func (b *Bot) claimed(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.LotID == 0 || p.EventID == 0 {
		return "", fmt.Errorf("%w: claimed needs lot_id and event_id", errBadMessage)
	}
	done := batchOf(ctx)
	refresh := []struct {
		kind guichet.OutboxKind
		p    guichet.OutboxPayload
		h    OutboxHandler
	}{
		{guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: p.LotID, Gathered: true}, b.refreshOffer},
		{guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: p.EventID, Gathered: true}, b.refreshBoard},
	}
	for _, r := range refresh {
		if _, ok := coveredBy(done, r.kind, r.p); ok {
			continue
		}
		key := coalesceKey(r.kind, r.p)
		if at, later := b.edits.wait(key, b.outboxNow(), b.editGap); later {
			if err := b.store.EnqueueGathered(ctx, r.kind, r.p, at); err != nil {
				return "", err
			}
			// The gathered refresh (this one, or one queued earlier and not taken) renders
			// later than this claim: the rest of the batch need not refresh again.
			done.setPost(key, "")
			continue
		}
		postID, err := r.h(ctx, m, r.p)
		if err != nil {
			return "", err
		}
		done.setPost(key, postID)
	}
	if p.ChannelID == "" {
		return "", nil
	}
	// The notice's delivery key is not the board's, should the board be posted anew in the
	// same channel by this message.
	nm := *m
	nm.Kind = guichet.OutboxNotice
	return b.notice(ctx, &nm, guichet.OutboxPayload{ChannelID: p.ChannelID, EventID: p.EventID, MessageID: p.MessageID,
		Args: p.Args, Locale: p.Locale})
}

// notice posts the catalogue message p.MessageID with p.Args, in p.Locale or else the event's
// language, to p.ChannelID or as a direct message to p.UserID.
func (b *Bot) notice(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	loc := p.Locale
	if loc != "" {
		loc = l10n.Locale(loc)
	} else {
		loc = b.locale
		if p.EventID != 0 {
			if ev, err := b.store.Event(ctx, p.EventID); err == nil {
				loc = b.eventLocale(ev)
			}
		}
	}
	if p.MessageID == "" || !b.catalog.Has(loc, p.MessageID) {
		return "", fmt.Errorf("%w: unknown message %q", errBadMessage, p.MessageID)
	}
	channelID := p.ChannelID
	if channelID == "" {
		if p.UserID == "" {
			return "", fmt.Errorf("%w: notice needs channel_id or user_id", errBadMessage)
		}
		var err error
		if channelID, err = b.client.DirectChannel(ctx, p.UserID); err != nil {
			return "", err
		}
	}
	post := &model.Post{ChannelId: channelID, Message: b.catalog.T(loc, p.MessageID, p.Args)}
	b.withReleaseButton(post, p, loc)
	b.withWaitlistButton(post, p, loc)
	b.withDeliveryButtons(post, p, loc)
	created, err := b.client.CreatePost(ctx, post, dedupeKey(m, channelID))
	if err != nil {
		return "", err
	}
	return created.Id, nil
}

// refreshBoard makes the event's purchase orders agree with its shares (SyncOrders), then
// updates the event's status board. A failure to make an order does not keep the board from
// being refreshed; it is returned afterwards, so that the message is tried again.
func (b *Bot) refreshBoard(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	ordersErr := b.SyncOrders(ctx, p.EventID)
	postID, err := b.renderBoard(ctx, m, p)
	if err == nil && ordersErr != nil {
		err = fmt.Errorf("purchase orders: %w", ordersErr)
	}
	return postID, err
}

// renderBoard updates the event's status board in its coordination channel, or posts it the
// first time (or again if its post was deleted). When Mattermost refuses the edit because the
// board is older than its edit time limit (ServiceSettings.PostEditTimeLimit), a fresh board
// is posted, recorded, and the old one deleted (kept if the deletion is refused). When two
// dispatchers post a board at once, the one recorded first stays and the other post is
// deleted.
func (b *Bot) renderBoard(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	board, err := b.store.Board(ctx, p.EventID)
	if err != nil {
		return "", err
	}
	ev := board.Event
	if ev.CoordChannelID == "" {
		return "", nil
	}
	post := b.BoardPost(board)
	confirmations, err := b.ReminderBoardSection(ctx, board)
	if err != nil {
		return "", err
	}
	if confirmations != "" {
		// A structure per line: an event with hundreds of them would pass Mattermost's limit.
		// The problems quoted in it are made harmless before it is measured (see harmlessPost).
		confirmations = harmlessText(confirmations)
		budget := maxPostRunes - utf8.RuneCountInString(post.Message) - 2
		post.Message += "\n\n" + fitLines(confirmations, budget, func(n int) string {
			return b.t(b.eventLocale(ev), "ReminderBoardMore", "More", n)
		})
	}
	current, err := b.store.BoardPostID(ctx, ev.ID)
	if err != nil {
		return "", err
	}
	b.edits.edited(coalesceKey(guichet.OutboxRefreshBoard, p), b.outboxNow())
	// replaced is the board post Mattermost no longer lets the bot edit (its edit time
	// limit), deleted once the fresh board is recorded.
	var replaced string
	if current != "" {
		post.Id = current
		_, err := b.client.UpdatePost(ctx, post)
		switch {
		case err == nil:
			return current, nil
		case StatusOf(err) == http.StatusNotFound:
			b.logger.Info("status board post gone, posting it again", "event_id", ev.ID, "post_id", current)
		case EditTooLate(err):
			b.logger.Info("status board past Mattermost's edit time limit, posting a fresh one", "event_id", ev.ID, "post_id", current)
			replaced = current
		default:
			return "", err
		}
		post.Id = ""
	}
	created, err := b.client.CreatePost(ctx, post, dedupeKey(m, ev.CoordChannelID))
	if err != nil {
		return "", err
	}
	ok, err := b.store.SetBoardPostID(ctx, ev.ID, current, created.Id)
	if err != nil {
		return "", err
	}
	if ok {
		if replaced != "" {
			// Not allowed (a server that forbids deleting) or already gone: the old board
			// stays as it was, the fresh one below it is the one kept up to date.
			if err := b.client.DeletePost(ctx, replaced); err != nil {
				b.logger.Warn("the replaced status board cannot be deleted", "event_id", ev.ID, "post_id", replaced, "error", err)
			}
		}
		return created.Id, nil
	}
	if err := b.client.DeletePost(ctx, created.Id); err != nil {
		b.logger.Warn("deleting a second status board", "event_id", ev.ID, "post_id", created.Id, "error", err)
	}
	winner, err := b.store.BoardPostID(ctx, ev.ID)
	if err != nil {
		return "", err
	}
	post.Id = winner
	if _, err := b.client.UpdatePost(ctx, post); err != nil {
		return "", err
	}
	return winner, nil
}
