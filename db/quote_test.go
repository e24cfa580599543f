package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A fictitious SIRET, generated to pass the Luhn check.
const siretA = "99900001100018"

// The import writes the legal profile; importing again a file without the profile's columns
// (empty fields) keeps it, and the regime keeps its rate.
func TestUpsertSuppliersKeepsProfileNotGiven(t *testing.T) {
	b := setup(t)
	s := &guichet.Supplier{Name: "Kenja", Categories: []string{"tenues"}, LegalProfile: guichet.LegalProfile{
		SIRET: siretA, LegalForm: "SCOP SARL", Kind: "scop", VATRegime: guichet.VATLiable, VATRateBP: 1000,
		Address: "1 rue A", BillingEmail: "compta@kenja.coop"}}
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coordinator, []*guichet.Supplier{s}))
	got, err := b.db.Supplier(b.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, s.LegalProfile, got.LegalProfile)

	again := &guichet.Supplier{Name: "Kenja", Categories: []string{"tenues", "pochettes"}}
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coordinator, []*guichet.Supplier{again}))
	got, err = b.db.Supplier(b.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"tenues", "pochettes"}, got.Categories)
	require.Equal(t, s.LegalProfile, got.LegalProfile, "a file without the profile's columns keeps the profile")

	changed := &guichet.Supplier{Name: "Kenja", Categories: []string{"tenues"}, LegalProfile: guichet.LegalProfile{
		VATRegime: guichet.VATFranchise, Address: "2 rue B"}}
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coordinator, []*guichet.Supplier{changed}))
	got, err = b.db.Supplier(b.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LegalProfile{SIRET: siretA, LegalForm: "SCOP SARL", Kind: "scop", VATRegime: guichet.VATFranchise,
		Address: "2 rue B", BillingEmail: "compta@kenja.coop"}, got.LegalProfile)
}

func TestEditSupplierProfileIsAuditedOrNothing(t *testing.T) {
	b := setup(t)
	s := b.suppliers(t, 1, "prof", "tenues")[0]
	got, err := b.db.EditSupplierProfile(b.ctx, coordinator, s.ID, func(p *guichet.LegalProfile) error {
		p.SIRET, p.Address = siretA, "1 rue A"
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, siretA, got.SIRET)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'supplier.profile' AND supplier_id = $1`, s.ID))

	refused := errors.New("refused")
	_, err = b.db.EditSupplierProfile(b.ctx, coordinator, s.ID, func(p *guichet.LegalProfile) error {
		p.Address = "changed"
		return refused
	})
	require.ErrorIs(t, err, refused)
	got, err = b.db.Supplier(b.ctx, s.ID)
	require.NoError(t, err)
	require.Equal(t, "1 rue A", got.Address)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'supplier.profile'`))
}

// quoteDraft returns a draft whose content is content and whose rendering records the numbers
// it was given.
func quoteDraft(eventID int64, content string, numbers *[]guichet.DocumentNumber) guichet.QuoteDraft {
	return guichet.QuoteDraft{EventID: eventID, Year: 2027, Content: content, ChannelID: "coord-channel",
		MessageID: "CmdQuotePosted", Locale: "fr",
		Render: func(n guichet.DocumentNumber) (*guichet.RenderedDocument, error) {
			*numbers = append(*numbers, n)
			return &guichet.RenderedDocument{PDF: []byte("%PDF " + n.Stem()), CSV: []byte("csv"), Net: 1000, VAT: 200, Gross: 1200}, nil
		}}
}

// The same content posts the current revision again; a change makes a new revision under the
// same number, the earlier one kept and marked replaced; one current quote per event.
func TestQuoteRevisions(t *testing.T) {
	b := setup(t)
	var rendered []guichet.DocumentNumber
	first, err := b.db.RecordQuote(b.ctx, coordinator, quoteDraft(b.event.ID, "a", &rendered))
	require.NoError(t, err)
	require.True(t, first.Made)
	require.Equal(t, "DEV-2027-0001", first.Number)
	require.Equal(t, 1, first.Revision)

	same, err := b.db.RecordQuote(b.ctx, coordinator, quoteDraft(b.event.ID, "a", &rendered))
	require.NoError(t, err)
	require.False(t, same.Made)
	require.Equal(t, first.ID, same.ID)
	require.Len(t, rendered, 1, "nothing changed: nothing rendered")

	second, err := b.db.RecordQuote(b.ctx, coordinator, quoteDraft(b.event.ID, "b", &rendered))
	require.NoError(t, err)
	require.True(t, second.Made)
	require.Equal(t, guichet.DocumentNumber{Number: "DEV-2027-0001", Revision: 2, Replaces: "DEV-2027-0001"}, rendered[1])
	require.Equal(t, &guichet.DocumentNumber{Number: "DEV-2027-0001", Revision: 1}, second.Replaced)

	third, err := b.db.RecordQuote(b.ctx, coordinator, quoteDraft(b.event.ID, "c", &rendered))
	require.NoError(t, err)
	require.Equal(t, "DEV-2027-0001-r2", rendered[2].Replaces)
	require.Equal(t, 3, third.Revision)

	all, err := b.db.Quotes(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Len(t, all, 3)
	require.Equal(t, second.ID, *all[0].ReplacedBy)
	require.Equal(t, third.ID, *all[1].ReplacedBy)
	require.Nil(t, all[2].ReplacedBy)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM documents WHERE event_id = $1 AND replaced_by IS NULL`, b.event.ID))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM documents WHERE event_id = $1 AND replaced_at IS NOT NULL`, b.event.ID))
	// Four posts: each call posts the current revision, files attached.
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'document' AND payload->>'channel_id' = 'coord-channel'`))
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM audit WHERE action = 'quote.make'`))

	doc, err := b.db.Document(b.ctx, first.ID)
	require.NoError(t, err)
	require.Equal(t, "%PDF DEV-2027-0001", string(doc.PDF), "a replaced revision is kept as it was")

	// Another event takes the next number of the series.
	other := &guichet.Event{Slug: "other", Name: "Other", Day: b.event.Day, CoordChannelID: "c2"}
	require.NoError(t, b.db.CreateEvent(b.ctx, coordinator, other))
	q, err := b.db.RecordQuote(b.ctx, coordinator, quoteDraft(other.ID, "a", &rendered))
	require.NoError(t, err)
	require.Equal(t, "DEV-2027-0002", q.Number)
}

// Coordinators asking at once for a quote of a changed event make one revision between them.
func TestQuoteConcurrentRequestsMakeOneRevision(t *testing.T) {
	b := setup(t)
	var mu sync.Mutex
	var rendered []guichet.DocumentNumber
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var mine []guichet.DocumentNumber
			_, err := b.db.RecordQuote(context.Background(), coordinator, quoteDraft(b.event.ID, "same", &mine))
			require.NoError(t, err)
			mu.Lock()
			rendered = append(rendered, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Len(t, rendered, 1)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM documents`))
}
