package bot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// docFakeStore holds one stored document.
type docFakeStore struct {
	nilStore
	doc *guichet.StoredDocument
}

func (s *docFakeStore) Document(ctx context.Context, id int64) (*guichet.StoredDocument, error) {
	if id != s.doc.ID {
		return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrQuoteNotFound", "ID", id)
	}
	return s.doc, nil
}

// The quote is posted with its stored PDF and CSV uploaded into the channel of the post, from
// a payload as it comes back from the outbox's JSON.
func TestDocumentPostedWithItsFiles(t *testing.T) {
	t.Parallel()
	mm, client := newFakeMattermost(t)
	store := &docFakeStore{doc: &guichet.StoredDocument{ID: 3, Kind: "quote", Number: "DEV-2027-0001", Revision: 2,
		PDF: []byte("%PDF-1.4 stored"), CSV: []byte("csv")}}
	b := unitBot(t, store, client, renderNow)
	js, err := json.Marshal(guichet.OutboxPayload{DocumentID: 3, ChannelID: "coord-channel", MessageID: "CmdQuotePosted", Locale: "fr",
		Args: map[string]any{"Number": "DEV-2027-0001", "Revision": 2, "Revised": true, "Event": "Assises", "Net": "1,00 €", "VAT": "0,20 €", "Gross": "1,20 €"}})
	require.NoError(t, err)
	msg := &guichet.OutboxMessage{ID: 9, Kind: guichet.OutboxDocument, PayloadJSON: js}
	p, err := msg.Payload()
	require.NoError(t, err)
	h := b.outbox[guichet.OutboxDocument]
	require.NotNil(t, h, "document handler registered")
	postID, err := h(context.Background(), msg, p)
	require.NoError(t, err)
	posts := mm.postsIn("coord-channel")
	require.Len(t, posts, 1)
	require.Equal(t, postID, posts[0].Id)
	require.Equal(t, "📄 Devis DEV-2027-0001, révision 2 — Assises\u202f: 1,00 € HT, TVA 0,20 €, **1,20 € TTC**. PDF et tableur joints.", posts[0].Message)
	var names []string
	for _, id := range posts[0].FileIds {
		require.Equal(t, "coord-channel", mm.uploads[id])
		names = append(names, mm.names[id])
	}
	require.Equal(t, []string{"DEV-2027-0001-r2.pdf", "DEV-2027-0001-r2.csv"}, names)
}
