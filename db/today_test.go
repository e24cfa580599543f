package db_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// queuedNotices renders, in locale, every notice queued with message id.
func (b *bundle) queuedNotices(t *testing.T, id, locale string) []string {
	t.Helper()
	var msgs []*guichet.OutboxMessage
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &msgs, `SELECT id, kind, payload FROM outbox WHERE kind = 'notice'
		AND payload->>'message_id' = $1 ORDER BY id`, id))
	cat := l10n.New()
	var out []string
	for _, m := range msgs {
		p, err := m.Payload()
		require.NoError(t, err)
		out = append(out, cat.T(locale, p.MessageID, p.Args))
	}
	return out
}

// The amounts in the notices the outbox carries are written the way the reader's language
// writes them, when the notice is rendered: "€1,234.50" in English, "1 234,50 €" in French.
func TestQueuedNoticesWriteAmountsInTheReadersLanguage(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 1, "impr", "impression")
	lot := b.lot(t, &guichet.Lot{Code: "IMP", Title: "Programmes", Category: "impression", Quantity: 1000, Unit: "exemplaires",
		Budget: 1234_50, Mode: guichet.Exclusive, Award: guichet.Review})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 1000}, time.Now())
	require.NoError(t, err)
	_, err = b.db.Award(b.ctx, coordinator, lot.ID, sups[0].ID)
	require.NoError(t, err)

	awarded := b.queuedNotices(t, "NoticeAwarded", "en")
	require.Len(t, awarded, 1)
	require.Contains(t, awarded[0], "€1,234.50")
	require.NotContains(t, awarded[0], "1\u202f234,50")
	require.Contains(t, b.queuedNotices(t, "NoticeAwarded", "fr")[0], "1\u202f234,50\u00a0€")

	_, err = b.db.EditLot(b.ctx, coordinator, lot.ID, &guichet.LotEdit{Budget: ptr(guichet.Cents(2000_00))})
	require.NoError(t, err)
	edited := b.queuedNotices(t, "NoticeLotEdited", "en")
	require.Len(t, edited, 1)
	require.Equal(t, 2, strings.Count(edited[0], "€1,234.50 → €2,000.00"), "the budget and the structure's amount: %s", edited[0])
	require.NotContains(t, edited[0], ",50\u00a0€")
}
