package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/report"
)

// deliverRecap posts the recap of p.EventID, rendered from the database now, in the event's
// coordination channel and then in its recap channel if set, each post with the bar chart
// (PNG) and the awarded claims (CSV) attached. Files are uploaded for each channel, because
// Mattermost drops a file attached to a post in another channel than its own.
//
// It is idempotent: every post is recorded with (message id, channel) in the same step that
// marks the event recapped, and a replay skips the channels already posted to; the post's
// pending id, derived from the same pair, covers a crash between posting and recording. When
// the recap channel refuses the bot (not a member, archived), the coordination channel is told
// so and the message is delivered anyway. It returns the coordination channel's post id.
func (b *Bot) deliverRecap(ctx context.Context, msg *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.EventID == 0 {
		return "", fmt.Errorf("%w: recap without an event", errBadMessage)
	}
	r, err := report.Build(ctx, b.store, p.EventID)
	if err != nil {
		return "", err
	}
	e := r.Event
	locale := b.eventLocale(e)
	if e.CoordChannelID == "" && e.RecapChannelID == "" {
		return "", fmt.Errorf("%w: event %s has no channel to post its recap in", errBadMessage, e.Slug)
	}
	text := report.Markdown(b.catalog, r, locale)
	name := report.FileName(b.catalog, r, locale)
	var files []File
	chart, err := report.Chart(b.catalog, r, locale)
	switch {
	case errors.Is(err, report.ErrNothingToChart):
	case err != nil:
		return "", err
	default:
		files = append(files, File{Name: name + ".png", Data: chart})
	}
	var csv bytes.Buffer
	if err := report.ClaimsCSV(&csv, b.catalog, r, locale); err != nil {
		return "", err
	}
	files = append(files, File{Name: name + ".csv", Data: csv.Bytes()})

	coordPost := ""
	if e.CoordChannelID != "" {
		coordPost, err = b.postRecap(ctx, msg.ID, e.ID, e.CoordChannelID, text, files)
		if err != nil {
			return "", err
		}
	}
	if e.RecapChannelID != "" && e.RecapChannelID != e.CoordChannelID {
		_, err := b.postRecap(ctx, msg.ID, e.ID, e.RecapChannelID, text, files)
		if err != nil && (!Permanent(err) || e.CoordChannelID == "") {
			return "", err
		}
		if err != nil {
			b.logger.Warn("recap not posted in the recap channel", slog.String("event", e.Slug),
				slog.String("channel_id", e.RecapChannelID), slog.Any("error", err))
			notice := &model.Post{ChannelId: e.CoordChannelID,
				Message: b.catalog.T(locale, "RecapClientChannelFailed", map[string]any{"Slug": e.Slug})}
			if _, err := b.client.CreatePost(ctx, notice, fmt.Sprintf("recap-refused:%d", msg.ID)); err != nil {
				return "", err
			}
		}
	}
	return coordPost, nil
}

// postRecap posts the recap in one channel unless this message already did, and records it.
func (b *Bot) postRecap(ctx context.Context, outboxID, eventID int64, channelID, text string, files []File) (string, error) {
	if postID, err := b.store.RecapPostOf(ctx, outboxID, channelID); err != nil || postID != "" {
		return postID, err
	}
	post, err := b.client.CreatePostWithFiles(ctx, &model.Post{ChannelId: channelID, Message: text},
		fmt.Sprintf("recap:%d:%s", outboxID, channelID), files)
	if err != nil {
		return "", err
	}
	if err := b.store.RecordRecapPost(ctx, guichet.RecapPost{OutboxID: outboxID, EventID: eventID,
		ChannelID: channelID, PostID: post.Id, FileIDs: post.FileIds}); err != nil {
		return "", err
	}
	return post.Id, nil
}
