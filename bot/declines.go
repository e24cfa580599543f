package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// propRelaunchedTo, on an offer's older copy, holds the id of the post that replaced it when
// the lot was offered again (relaunchOffer).
const propRelaunchedTo = "guichet_relaunched_to"

// passClicked handles « Pas pour nous »: the clicker's structure declines the lot, which the
// board and `status` then show. A member of several structures declines for those whose
// channel the offer was clicked in (or, if none, for every one serving the lot's category). A
// structure holding a claim on the lot is not marked as declining it; the clicker is told how
// to give the claim back instead. The answer is private.
func (b *Bot) passClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	click, reply, err := b.readOfferClick(ctx, req)
	if reply != nil || err != nil {
		return *reply, err
	}
	lotID, st, ev, loc, cands := click.lotID, click.st, click.ev, click.loc, click.cands
	if here := inChannel(cands, req.ChannelID); len(here) > 0 {
		cands = here
	}
	ids := make([]int64, len(cands))
	names := make([]string, len(cands))
	for i, s := range cands {
		ids[i], names[i] = s.ID, s.Name
	}
	n, err := b.store.DeclineLot(ctx, req.Actor, lotID, ids, b.now())
	if err != nil {
		return b.refusal(st, ev, req.ChannelID, loc, err), nil
	}
	b.logger.Info("offer declined", "lot_id", lotID, "user_id", req.Actor.UserID, "recorded", n)
	if n == 0 {
		for _, c := range st.Claims {
			for _, id := range ids {
				if c.SupplierID == id && (c.Status == guichet.ClaimAwarded || c.Status == guichet.ClaimPending) {
					return ActionReply{Ephemeral: b.t(loc, "MsgDeclinesHoldsClaim", "Code", st.Lot.Code, "Supplier", c.SupplierName)}, nil
				}
			}
		}
		return ActionReply{Ephemeral: b.t(loc, "MsgDeclinesAlready", "Code", st.Lot.Code)}, nil
	}
	return ActionReply{Ephemeral: b.t(loc, "MsgDeclinesRecorded", "Code", st.Lot.Code,
		"Supplier", strings.Join(names, ", "))}, nil
}

// relaunchOffer posts p.LotID's offer anew in p.ChannelID, records the new post as the
// channel's copy (later refreshes edit it), then edits the older copy p.PreviousPostID into a
// line saying the offer was posted again below, without buttons. Run twice, it posts once: a
// channel whose recorded copy is no longer p.PreviousPostID already has its new post. A lot
// that stopped being open meanwhile is not posted again (its copies show it as it is). An
// older copy that is gone (deleted) is left alone.
func (b *Bot) relaunchOffer(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.LotID == 0 || p.ChannelID == "" || p.PreviousPostID == "" {
		return "", fmt.Errorf("%w: relaunch_offer needs lot_id, channel_id and previous_post_id", errBadMessage)
	}
	st, ev, loc, err := b.lotView(ctx, p.LotID)
	if err != nil {
		return "", err
	}
	posts, err := b.store.OfferPosts(ctx, p.LotID)
	if err != nil {
		return "", err
	}
	current := ""
	for _, op := range posts {
		if op.ChannelID == p.ChannelID {
			current = op.PostID
		}
	}
	newID := current
	if current == "" || current == p.PreviousPostID {
		if !b.claimable(st, ev) {
			return "", nil
		}
		created, err := b.client.CreatePost(ctx, b.OfferPost(st, ev, p.ChannelID), dedupeKey(m, p.ChannelID))
		if err != nil {
			return "", err
		}
		mattermostDone(ctx)
		if err := b.store.RecordOfferPost(ctx, guichet.OfferPost{LotID: p.LotID, ChannelID: p.ChannelID, PostID: created.Id}); err != nil {
			return "", err
		}
		newID = created.Id
	}
	older := &model.Post{Id: p.PreviousPostID, ChannelId: p.ChannelID,
		Message: b.t(loc, "OfferDeclinesMoved", "Code", st.Lot.Code, "Title", st.Lot.Title)}
	older.AddProp(propRelaunchedTo, newID)
	if _, err := b.client.UpdatePost(ctx, older); err != nil && !Permanent(err) {
		return "", err
	}
	return newID, nil
}

// answersCell is the board's cell saying who declined lot st and who has not answered it; ""
// when both are empty.
func (b *Bot) answersCell(st *guichet.LotState, loc string) string {
	var parts []string
	if d := st.Answers.Declined; len(d) > 0 {
		parts = append(parts, b.t(loc, "BoardDeclinesDeclined", "Count", len(d), "Names", shortList(d)))
	}
	if u := st.Answers.Unanswered; len(u) > 0 && st.Lot.Status == guichet.LotOpen {
		parts = append(parts, b.t(loc, "BoardDeclinesUnanswered", "Count", len(u), "Names", shortList(u)))
	}
	return strings.Join(parts, " · ")
}

// maxAnswerNames bounds the structures named in one of the board's answer lists: the board
// must stay within Mattermost's post size however many structures serve a category.
const maxAnswerNames = 8

// shortList joins names, the first maxAnswerNames of them and "…" for the rest.
func shortList(names []string) string {
	if len(names) > maxAnswerNames {
		return strings.Join(names[:maxAnswerNames], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}
