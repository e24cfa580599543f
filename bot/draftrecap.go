package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

// actionPublishRecap is « Publier le bilan », on the recap's draft in the coordination channel.
const actionPublishRecap = "recappublish"

// deliverRecapDraft shows the event's recap as a draft in p.ChannelID (the coordination
// channel): a head line saying it is a draft, with its figures (agreed, deliveries reported,
// amounts adjusted, due), the recap as it would be published, and the « Publier le bilan »
// button. Nothing is posted to the client's channel: only the publication does that.
func (b *Bot) deliverRecapDraft(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.EventID == 0 || p.ChannelID == "" {
		return "", fmt.Errorf("%w: recap draft without an event or a channel", errBadMessage)
	}
	r, err := report.Build(ctx, b.store, p.EventID)
	if err != nil {
		return "", err
	}
	post := b.recapDraftPost(r)
	post.ChannelId = p.ChannelID
	created, err := b.client.CreatePost(ctx, post, dedupeKey(m, p.ChannelID))
	if err != nil {
		return "", err
	}
	mattermostDone(ctx)
	// Later delivery reports and adjustments re-render this post (refreshRecapDraft).
	if err := b.store.RecordRecapDraftPost(ctx, p.EventID, created.Id); err != nil {
		return "", err
	}
	return created.Id, nil
}

// recapDraftPost renders the draft of r with its « Publier le bilan » button.
func (b *Bot) recapDraftPost(r *report.Recap) *model.Post {
	loc := b.eventLocale(r.Event)
	post := &model.Post{Message: b.recapDraftText(r, loc, "")}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{Actions: []*model.PostAction{
		b.ActionButton(b.t(loc, "BtnDraftrecapPublish"), actionPublishRecap, "primary",
			map[string]string{"event": strconv.FormatInt(r.Event.ID, 10)}, ""),
	}}})
	return post
}

// refreshRecapDraft re-renders p.EventID's recap draft in place, from the database, with its
// button, so that the coordinators see the figures as they are after a delivery report or an
// adjustment. Once the recap is published it does nothing: the draft then says who published
// it, and the published recap is never edited (the store tells the coordination channel of a
// later change instead). Should the recap be published while it re-renders, it renders the
// draft once more as published, so that its button does not come back. Before the draft is
// posted it does nothing: the draft is rendered from the database when it is. A draft
// deleted meanwhile is left alone.
func (b *Bot) refreshRecapDraft(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.EventID == 0 {
		return "", fmt.Errorf("%w: recap draft refresh without an event", errBadMessage)
	}
	postID, publishedBy, err := b.store.RecapDraftPost(ctx, p.EventID)
	if err != nil || postID == "" || publishedBy != "" {
		return "", err
	}
	r, err := report.Build(ctx, b.store, p.EventID)
	if err != nil {
		return "", err
	}
	post := b.recapDraftPost(r)
	post.Id, post.ChannelId = postID, r.Event.CoordChannelID
	if _, err := b.client.UpdatePost(ctx, post); err != nil {
		if Permanent(err) {
			return "", nil
		}
		return "", err
	}
	if _, publishedBy, err = b.store.RecapDraftPost(ctx, p.EventID); err != nil || publishedBy == "" {
		return postID, err
	}
	// Published meanwhile: the click's own redraw may have been overwritten.
	loc := b.eventLocale(r.Event)
	published := &model.Post{Id: postID, ChannelId: r.Event.CoordChannelID,
		Message: b.recapDraftText(r, loc, strings.TrimPrefix(b.client.userMention(ctx, publishedBy), "@"))}
	published.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	if _, err := b.client.UpdatePost(ctx, published); err != nil && !Permanent(err) {
		return "", err
	}
	return postID, nil
}

// recapDraftText writes the draft: its head line, then the recap's Markdown. publishedBy,
// when set, is the username of the coordinator who published it, and the head says so.
func (b *Bot) recapDraftText(r *report.Recap, loc, publishedBy string) string {
	shares := len(r.Claims())
	args := map[string]any{"Event": r.Event.Name, "Slug": r.Event.Slug, "Shares": shares,
		"Reported": r.Deliveries, "Adjusted": r.Adjustments,
		"Agreed": l10n.Money(r.Agreed, loc), "Due": l10n.Money(r.Due, loc),
		"ClientChannel": r.Event.RecapChannelID != "" && r.Event.RecapChannelID != r.Event.CoordChannelID,
		"Actor":         publishedBy}
	head := "MsgDraftrecapDraftHead"
	if publishedBy != "" {
		head = "MsgDraftrecapPublishedHead"
	}
	text := b.catalog.T(loc, head, args) + "\n\n" + report.Markdown(b.catalog, r, loc)
	if len([]rune(text)) > model.PostMessageMaxRunesV2 {
		text = string([]rune(text)[:model.PostMessageMaxRunesV2])
	}
	return text
}

// publishRecapClicked handles « Publier le bilan »: a coordinator of the event (or an
// administrator) publishes the recap (Store.QueueRecap, once: a second click, or a click after
// `bilan`, is told it was published already). The draft then says who published it and loses
// its button.
func (b *Bot) publishRecapClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	eventID, err := strconv.ParseInt(req.Fields["event"], 10, 64)
	if err != nil || eventID <= 0 {
		return ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	ev, err := b.store.Event(ctx, eventID)
	if err != nil {
		return ActionReply{}, err
	}
	loc := b.eventLocale(ev)
	if err := b.access.RequireEventCoordinator(ctx, req.Actor, ev); err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	if err := b.store.QueueRecap(ctx, req.Actor, ev.ID); err != nil {
		return ActionReply{Ephemeral: b.personError(loc, err)}, nil
	}
	reply := ActionReply{Ephemeral: b.t(loc, "MsgDraftrecapPublished", "Event", ev.Name,
		"ClientChannel", ev.RecapChannelID != "" && ev.RecapChannelID != ev.CoordChannelID)}
	r, err := report.Build(ctx, b.store, ev.ID)
	if err != nil {
		// Published; only the redraw of the draft failed.
		b.logger.Warn("redrawing a recap draft", "event", ev.Slug, "error", err)
		return reply, nil
	}
	update := &model.Post{Id: req.PostID, ChannelId: req.ChannelID, Message: b.recapDraftText(r, loc, req.Actor.Username)}
	// Props left nil would keep the post's old ones, the button with them.
	update.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	reply.Update = update
	return reply, nil
}
