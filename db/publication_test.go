package db_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// takeAll takes every due outbox message of kind.
func (b *bundle) takeAll(t *testing.T, kind guichet.OutboxKind) []*guichet.OutboxMessage {
	t.Helper()
	msgs, err := b.db.TakeOutbox(b.ctx, time.Now().Add(time.Hour), 1000, time.Minute)
	require.NoError(t, err)
	var out []*guichet.OutboxMessage
	for _, m := range msgs {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// publicationEnded returns the payloads of the end-of-publication messages queued.
func (b *bundle) publicationEnded(t *testing.T) []guichet.OutboxPayload {
	t.Helper()
	var msgs []*guichet.OutboxMessage
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &msgs, `SELECT id, kind, payload FROM outbox
		WHERE kind = 'notice' AND payload->>'message_id' = 'NoticeTodayPublicationEnded' ORDER BY id`))
	var out []guichet.OutboxPayload
	for _, m := range msgs {
		p, err := m.Payload()
		require.NoError(t, err)
		out = append(out, p)
	}
	return out
}

// When the last copy of a publication is delivered or refused, whichever way, the coordinator
// who published gets one direct message with the counts and the refusing channels by name.
func TestPublicationEndTellsThePublisherOnce(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "resto", "restauration")
	_, err := b.db.SQL().ExecContext(b.ctx, `UPDATE suppliers SET channel_name = 'resto-' || id WHERE id = $1`, sups[2].ID)
	require.NoError(t, err)
	for _, code := range []string{"DEJ", "PAU"} {
		b.lot(t, &guichet.Lot{Code: code, Title: code, Category: "restauration", Quantity: 10, Budget: 1000_00})
	}
	n, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 6, n)

	msgs := b.takeAll(t, guichet.OutboxPublishOffer)
	require.Len(t, msgs, 6)
	for i, m := range msgs {
		require.Empty(t, b.publicationEnded(t), "told before the end (%d of 6 ended)", i)
		p, err := m.Payload()
		require.NoError(t, err)
		require.NotZero(t, p.PublicationID)
		switch {
		case p.ChannelID == sups[2].ChannelID:
			// As the dispatcher does: parked, and the copy forgotten.
			require.NoError(t, b.db.Park(b.ctx, m.ID, m.LeaseToken, "HTTP 403", time.Now()))
			require.NoError(t, b.db.ForgetOfferPost(b.ctx, p.LotID, p.ChannelID))
		case i == 0:
			// A lot no longer open: the copy forgotten, delivered without a post.
			require.NoError(t, b.db.ForgetOfferPost(b.ctx, p.LotID, p.ChannelID))
			require.NoError(t, b.db.MarkDelivered(b.ctx, m.ID, m.LeaseToken, "", time.Now()))
		default:
			_, err := b.db.RecordOfferDelivered(b.ctx, m.ID, m.LeaseToken,
				guichet.OfferPost{LotID: p.LotID, ChannelID: p.ChannelID, PostID: fmt.Sprintf("post%d", i)}, time.Now(), "")
			require.NoError(t, err)
		}
	}
	ended := b.publicationEnded(t)
	require.Len(t, ended, 1)
	p := ended[0]
	require.Equal(t, coordinator.UserID, p.UserID, "a direct message to the one who published")
	require.Equal(t, b.event.ID, p.EventID)
	require.Equal(t, "fr", p.Locale)
	text := l10n.New().T(p.Locale, p.MessageID, p.Args)
	require.Contains(t, text, "3 offres publiées dans 2 canaux", text)
	require.Contains(t, text, "1 offre n'est pas partie")
	require.Contains(t, text, fmt.Sprintf("2 offres refusées par 1 canal\u202f: ~resto-%d.", sups[2].ID))
	require.Contains(t, text, "`/guichet publier assises`")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM publications WHERE ended_at IS NOT NULL AND ended = total`))

	// Publishing again queues the copies that did not go: a publication of its own, told when
	// it ends.
	n, err = b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for _, m := range b.takeAll(t, guichet.OutboxPublishOffer) {
		require.NoError(t, b.db.MarkDelivered(b.ctx, m.ID, m.LeaseToken, "post-again", time.Now()))
	}
	ended = b.publicationEnded(t)
	require.Len(t, ended, 2)
	text = l10n.New().T("en", ended[1].MessageID, ended[1].Args)
	require.Contains(t, text, "3 offers published in 2 channels.")
	require.NotContains(t, text, "refused")

	// Nothing to publish: nothing to tell.
	n, err = b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM publications`))
}

// Copies ending at the same moment on several connections end their publication once.
func TestPublicationEndsOnceUnderConcurrency(t *testing.T) {
	b := setup(t)
	b.suppliers(t, 20, "traiteur", "restauration")
	for i := 0; i < 3; i++ {
		b.lot(t, &guichet.Lot{Code: fmt.Sprintf("L%d", i), Title: "Lot", Category: "restauration", Quantity: 10, Budget: 1000_00})
	}
	n, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, 60, n)
	msgs := b.takeAll(t, guichet.OutboxPublishOffer)
	require.Len(t, msgs, 60)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, len(msgs))
	for i, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if i%7 == 0 {
				errs <- b.db.Park(b.ctx, m.ID, m.LeaseToken, "HTTP 403", time.Now())
				return
			}
			errs <- b.db.MarkDelivered(b.ctx, m.ID, m.LeaseToken, fmt.Sprintf("post%d", i), time.Now())
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ended := b.publicationEnded(t)
	require.Len(t, ended, 1, "one message however the last copies ended")
	text := l10n.New().T("en", ended[0].MessageID, ended[0].Args)
	require.True(t, strings.HasPrefix(text, "📣 Publication of **Assises** done: 51 offers published in 20 channels."), text)
	require.Contains(t, text, "9 offers refused by ")
}
