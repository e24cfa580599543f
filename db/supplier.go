package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guichet.dev/guichet"
)

type supplierRow struct {
	guichet.Supplier
	Categories pq.StringArray `db:"categories"`
}

const supplierColumns = `id, slug, name, categories, channel_id, channel_name,
	siret, legal_form, kind, vat_regime, vat_rate_bp, address, billing_email`

// UpsertSuppliers implements guichet.SupplierStore: profile fields left empty keep the stored
// ones, so a re-import of a file without the profile columns keeps every profile.
func (d *DB) UpsertSuppliers(ctx context.Context, actor guichet.Actor, suppliers []*guichet.Supplier) error {
	if err := checkSuppliers(suppliers); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		return upsertSuppliers(ctx, tx, actor, suppliers)
	})
}

// checkSuppliers validates suppliers to be saved together: each valid, no two the same.
func checkSuppliers(suppliers []*guichet.Supplier) error {
	seen := map[string]bool{}
	for _, s := range suppliers {
		if err := s.Validate(); err != nil {
			return err
		}
		if seen[s.Slug] {
			return guichet.Errorf(guichet.EINVALID, "ErrSupplierTwice", "Name", s.Name)
		}
		seen[s.Slug] = true
	}
	return nil
}

// upsertSuppliers saves suppliers checked by checkSuppliers in tx, with their audit entries. A
// profile field left empty keeps the stored one; the VAT rate goes with its regime.
func upsertSuppliers(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, suppliers []*guichet.Supplier) error {
	for _, s := range suppliers {
		if err := tx.GetContext(ctx, &s.ID, `
			INSERT INTO suppliers (slug, name, categories, channel_id, channel_name,
				siret, legal_form, kind, vat_regime, vat_rate_bp, address, billing_email)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, categories = EXCLUDED.categories,
				channel_id = EXCLUDED.channel_id, channel_name = EXCLUDED.channel_name,
				siret = coalesce(nullif(EXCLUDED.siret, ''), suppliers.siret),
				legal_form = coalesce(nullif(EXCLUDED.legal_form, ''), suppliers.legal_form),
				kind = coalesce(nullif(EXCLUDED.kind, ''), suppliers.kind),
				vat_regime = coalesce(nullif(EXCLUDED.vat_regime, ''), suppliers.vat_regime),
				vat_rate_bp = CASE WHEN EXCLUDED.vat_regime = '' THEN suppliers.vat_rate_bp ELSE EXCLUDED.vat_rate_bp END,
				address = coalesce(nullif(EXCLUDED.address, ''), suppliers.address),
				billing_email = coalesce(nullif(EXCLUDED.billing_email, ''), suppliers.billing_email)
			RETURNING id`,
			s.Slug, s.Name, pq.StringArray(s.Categories), s.ChannelID, s.ChannelName,
			s.SIRET, s.LegalForm, string(s.Kind), string(s.VATRegime), s.VATRateBP, s.Address, s.BillingEmail); err != nil {
			return fmt.Errorf("upsert supplier %s: %w", s.Slug, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM supplier_members WHERE supplier_id = $1`, s.ID); err != nil {
			return fmt.Errorf("replace members: %w", err)
		}
		for _, m := range s.Members {
			m.Username = strings.TrimPrefix(strings.TrimSpace(m.Username), "@")
			if m.Username == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO supplier_members (supplier_id, user_id, username) VALUES ($1, $2, $3)
				ON CONFLICT (supplier_id, username) DO UPDATE SET user_id = EXCLUDED.user_id`,
				s.ID, m.UserID, m.Username); err != nil {
				return fmt.Errorf("insert member: %w", err)
			}
		}
		if err := audit(ctx, tx, actor, "supplier.upsert", 0, 0, s.ID, map[string]any{
			"name": s.Name, "categories": s.Categories, "channel": s.ChannelName, "members": len(s.Members),
			"profile": s.LegalProfile}); err != nil {
			return err
		}
	}
	return nil
}

// loadSuppliers returns the suppliers that where (a constant clause of this file: its
// statement is prepared once per connection and kept) selects, with their members.
func (d *DB) loadSuppliers(ctx context.Context, where string, args ...any) ([]*guichet.Supplier, error) {
	// One query: each supplier with its members' ids and names, in the same (username) order.
	var rows []struct {
		supplierRow
		MemberIDs   pq.StringArray `db:"member_ids"`
		MemberNames pq.StringArray `db:"member_names"`
	}
	// where is one of a few constant clauses: the statement is prepared once per connection.
	st, err := d.prepared(ctx, `SELECT `+supplierColumns+`,
		ARRAY(SELECT m.user_id FROM supplier_members m WHERE m.supplier_id = suppliers.id ORDER BY m.username) AS member_ids,
		ARRAY(SELECT m.username FROM supplier_members m WHERE m.supplier_id = suppliers.id ORDER BY m.username) AS member_names
		FROM suppliers `+where)
	if err != nil {
		return nil, err
	}
	if err := st.SelectContext(ctx, &rows, args...); err != nil {
		return nil, fmt.Errorf("select suppliers: %w", err)
	}
	out := make([]*guichet.Supplier, len(rows))
	for i := range rows {
		s := rows[i].Supplier
		s.Categories = []string(rows[i].Categories)
		for j, id := range rows[i].MemberIDs {
			s.Members = append(s.Members, guichet.Member{UserID: id, Username: rows[i].MemberNames[j]})
		}
		out[i] = &s
	}
	return out, nil
}

// Supplier implements guichet.SupplierStore.
func (d *DB) Supplier(ctx context.Context, id int64) (*guichet.Supplier, error) {
	out, err := d.loadSuppliers(ctx, `WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrSupplierNotFound", "Name", id)
	}
	return out[0], nil
}

// SupplierByRef implements guichet.SupplierStore.
func (d *DB) SupplierByRef(ctx context.Context, ref string) (*guichet.Supplier, error) {
	ref = strings.TrimSpace(ref)
	out, err := d.loadSuppliers(ctx, `WHERE slug = $1 OR slug = $2 OR lower(name) = lower($3) ORDER BY id LIMIT 1`,
		ref, guichet.Slugify(ref), ref)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrSupplierNotFound", "Name", ref)
	}
	return out[0], nil
}

// Suppliers implements guichet.SupplierStore.
func (d *DB) Suppliers(ctx context.Context) ([]*guichet.Supplier, error) {
	return d.loadSuppliers(ctx, `ORDER BY lower(name)`)
}

// SuppliersOfUser implements guichet.SupplierStore.
func (d *DB) SuppliersOfUser(ctx context.Context, userID string) ([]*guichet.Supplier, error) {
	if userID == "" {
		return nil, nil
	}
	return d.loadSuppliers(ctx, `WHERE id IN (SELECT supplier_id FROM supplier_members WHERE user_id = $1) ORDER BY lower(name)`, userID)
}

// SuppliersServing lists the suppliers serving a category.
func (d *DB) SuppliersServing(ctx context.Context, category string) ([]*guichet.Supplier, error) {
	return d.loadSuppliers(ctx, `WHERE $1 = ANY(categories) ORDER BY lower(name)`, category)
}

// IsMember reports whether the Mattermost user is a member of the supplier.
func isMember(ctx context.Context, tx *sqlx.Tx, supplierID int64, userID string) (bool, error) {
	var ok bool
	err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM supplier_members WHERE supplier_id = $1 AND user_id = $2 AND user_id <> '')`, supplierID, userID)
	return ok, err
}
