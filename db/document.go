package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// nextDocumentNumber takes, in tx, the next number of the series prefix and year and returns
// it written as people read it: "BC-2027-0001". Numbers have no gap and no duplicate: the
// series' counter row stays locked until tx ends, so concurrent transactions take their numbers
// one after the other, and a transaction rolled back gives its number back. Record the
// document that carries the number in the same tx.
func nextDocumentNumber(ctx context.Context, tx *sqlx.Tx, prefix string, year int) (string, error) {
	var n int
	err := tx.GetContext(ctx, &n, `
		INSERT INTO document_counters (prefix, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (prefix, year) DO UPDATE SET last = document_counters.last + 1
		RETURNING last`, prefix, year)
	if err != nil {
		return "", fmt.Errorf("next %s number: %w", prefix, err)
	}
	return fmt.Sprintf("%s-%d-%04d", prefix, year, n), nil
}
