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
	var fileIDs []string
	for _, f := range []struct {
		name string
		data []byte
	}{{doc.FileName("pdf"), doc.PDF}, {doc.FileName("csv"), doc.CSV}} {
		if len(f.data) == 0 {
			continue
		}
		id, err := b.client.UploadFile(ctx, p.ChannelID, f.name, f.data)
		if err != nil {
			return "", err
		}
		fileIDs = append(fileIDs, id)
	}
	post := &model.Post{ChannelId: p.ChannelID, Message: b.catalog.T(loc, p.MessageID, p.Args), FileIds: fileIDs}
	created, err := b.client.CreatePost(ctx, post, dedupeKey(m, p.ChannelID))
	if err != nil {
		return "", err
	}
	return created.Id, nil
}
