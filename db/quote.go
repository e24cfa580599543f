package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

var _ guichet.QuoteStore = (*DB)(nil)

// EditSupplierProfile implements guichet.QuoteStore.
func (d *DB) EditSupplierProfile(ctx context.Context, actor guichet.Actor, supplierID int64, edit func(*guichet.LegalProfile) error) (*guichet.Supplier, error) {
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var before guichet.LegalProfile
		if err := tx.GetContext(ctx, &before, `SELECT siret, legal_form, kind, vat_regime, vat_rate_bp, address,
			billing_email FROM suppliers WHERE id = $1 FOR UPDATE`, supplierID); err != nil {
			return notFound(err, "ErrSupplierNotFound", "Name", supplierID)
		}
		after := before
		if err := edit(&after); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE suppliers SET siret = $2, legal_form = $3, kind = $4,
			vat_regime = $5, vat_rate_bp = $6, address = $7, billing_email = $8 WHERE id = $1`,
			supplierID, after.SIRET, after.LegalForm, string(after.Kind), string(after.VATRegime), after.VATRateBP,
			after.Address, after.BillingEmail); err != nil {
			return fmt.Errorf("edit supplier profile: %w", err)
		}
		return audit(ctx, tx, actor, "supplier.profile", 0, 0, supplierID, map[string]any{"before": before, "after": after})
	})
	if err != nil {
		return nil, err
	}
	return d.Supplier(ctx, supplierID)
}

const documentColumns = `id, kind, number, revision, event_id, supplier_id, content, net_cents, vat_cents,
	gross_cents, created_by, created_at, replaced_by`

// RecordQuote implements guichet.QuoteStore. The event's quotes are serialised by a
// transaction-scoped advisory lock, so that two coordinators asking for the quote at once make
// one revision, not two, without holding the event's row against claims while the files are
// rendered; the event's row is only kept from being deleted (FOR KEY SHARE).
func (d *DB) RecordQuote(ctx context.Context, actor guichet.Actor, draft guichet.QuoteDraft) (*guichet.StoredDocument, error) {
	var out *guichet.StoredDocument
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('guichet.quote:' || $1::text, 0))`, draft.EventID); err != nil {
			return fmt.Errorf("lock the event's quotes: %w", err)
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `SELECT id FROM events WHERE id = $1 FOR KEY SHARE`, draft.EventID); err != nil {
			return notFound(err, "ErrEventNotFound", "Slug", draft.EventID)
		}
		var current []*guichet.StoredDocument
		if err := tx.SelectContext(ctx, &current, `SELECT `+documentColumns+`, pdf, csv FROM documents
			WHERE kind = 'quote' AND event_id = $1 AND replaced_by IS NULL`, draft.EventID); err != nil {
			return fmt.Errorf("current quote: %w", err)
		}
		if len(current) == 1 && current[0].Content == draft.Content {
			out = current[0]
			return d.queueDocument(ctx, tx, out, draft)
		}
		n := guichet.DocumentNumber{Revision: 1}
		if len(current) == 1 {
			prev := guichet.DocumentNumber{Number: current[0].Number, Revision: current[0].Revision}
			n = guichet.DocumentNumber{Number: prev.Number, Revision: prev.Revision + 1, Replaces: prev.Stem()}
			// The current revision stops being current before its successor is written (one
			// current quote per event, documents_current_idx); it points to itself until then.
			if _, err := tx.ExecContext(ctx, `UPDATE documents SET replaced_by = id, replaced_at = now() WHERE id = $1`,
				current[0].ID); err != nil {
				return fmt.Errorf("replace quote: %w", err)
			}
		} else {
			var err error
			if n.Number, err = nextDocumentNumber(ctx, tx, guichet.QuotePrefix, draft.Year); err != nil {
				return err
			}
		}
		r, err := draft.Render(n)
		if err != nil {
			return err
		}
		out = &guichet.StoredDocument{Kind: "quote", Number: n.Number, Revision: n.Revision, EventID: draft.EventID,
			Content: draft.Content, Net: r.Net, VAT: r.VAT, Gross: r.Gross, PDF: r.PDF, CSV: r.CSV, Made: true}
		if err := tx.GetContext(ctx, out, `INSERT INTO documents (kind, number, revision, event_id, content,
			net_cents, vat_cents, gross_cents, pdf, csv, created_by)
			VALUES ('quote', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING `+documentColumns+`, pdf, csv`,
			n.Number, n.Revision, draft.EventID, draft.Content, r.Net, r.VAT, r.Gross, r.PDF, r.CSV, actor.UserID); err != nil {
			return fmt.Errorf("insert quote: %w", err)
		}
		out.Made = true
		if len(current) == 1 {
			if _, err := tx.ExecContext(ctx, `UPDATE documents SET replaced_by = $2 WHERE id = $1`, current[0].ID, out.ID); err != nil {
				return fmt.Errorf("replace quote: %w", err)
			}
			out.Replaced = &guichet.DocumentNumber{Number: current[0].Number, Revision: current[0].Revision}
		}
		if err := audit(ctx, tx, actor, "quote.make", draft.EventID, 0, 0, map[string]any{
			"number": n.Number, "revision": n.Revision, "net": r.Net, "vat": r.VAT, "gross": r.Gross}); err != nil {
			return err
		}
		return d.queueDocument(ctx, tx, out, draft)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queueDocument queues the post of doc in the draft's channel.
func (d *DB) queueDocument(ctx context.Context, tx *sqlx.Tx, doc *guichet.StoredDocument, draft guichet.QuoteDraft) error {
	if draft.ChannelID == "" {
		return nil
	}
	// Revised spares the message a comparison of numbers, which come back from JSON as floats.
	args := map[string]any{"Number": doc.Number, "Revision": doc.Revision, "Revised": doc.Revision > 1}
	for k, v := range draft.Args {
		args[k] = v
	}
	return enqueue(ctx, tx, guichet.OutboxDocument, guichet.OutboxPayload{DocumentID: doc.ID, EventID: draft.EventID,
		ChannelID: draft.ChannelID, MessageID: draft.MessageID, Args: args, Locale: draft.Locale})
}

// Document implements guichet.QuoteStore.
func (d *DB) Document(ctx context.Context, id int64) (*guichet.StoredDocument, error) {
	var doc guichet.StoredDocument
	if err := d.db.GetContext(ctx, &doc, `SELECT `+documentColumns+`, pdf, csv FROM documents WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "ErrQuoteNotFound", "ID", id)
	}
	return &doc, nil
}

// Quotes implements guichet.QuoteStore.
func (d *DB) Quotes(ctx context.Context, eventID int64) ([]*guichet.StoredDocument, error) {
	var out []*guichet.StoredDocument
	if err := d.db.SelectContext(ctx, &out, `SELECT `+documentColumns+` FROM documents
		WHERE kind = 'quote' AND event_id = $1 ORDER BY revision`, eventID); err != nil {
		return nil, fmt.Errorf("quotes: %w", err)
	}
	return out, nil
}
