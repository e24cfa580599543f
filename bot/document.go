package bot

import (
	"context"
	"fmt"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// postDocument posts the stored document p.DocumentID in p.ChannelID with its PDF and CSV
// attached (uploaded to that channel: Mattermost drops a file attached to a post elsewhere)
// and the text p.MessageID with p.Args in p.Locale. The files are the stored bytes, never
// rendered again: what is posted is what was recorded. The post's pending id, derived from
// the outbox row, makes a retry within Mattermost's window post it once.
func (b *Bot) postDocument(ctx context.Context, m *guichet.OutboxMessage, p guichet.OutboxPayload) (string, error) {
	if p.DocumentID == 0 || p.ChannelID == "" {
		return "", fmt.Errorf("%w: document message without document or channel", errBadMessage)
	}
	loc := l10n.Locale(p.Locale)
	if p.MessageID == "" || !b.catalog.Has(loc, p.MessageID) {
		return "", fmt.Errorf("%w: unknown message %q", errBadMessage, p.MessageID)
	}
	doc, err := b.store.Document(ctx, p.DocumentID)
	if err != nil {
		return "", err
	}
	post := &model.Post{ChannelId: p.ChannelID, Message: b.catalog.T(loc, p.MessageID, p.Args)}
	created, err := b.client.CreatePostWithFiles(ctx, post, dedupeKey(m, p.ChannelID),
		[]File{{Name: doc.FileName("pdf"), Data: doc.PDF}, {Name: doc.FileName("csv"), Data: doc.CSV}})
	if err != nil {
		return "", err
	}
	return created.Id, nil
}
