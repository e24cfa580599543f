package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guichet.dev/guichet"
)

var _ guichet.SheetDropStore = (*DB)(nil)

const sheetDropColumns = `id, post_id, file_id, channel_id, user_id, file_name, data, event_id, status, created_at`

// SaveSheetDrop implements guichet.SheetDropStore.
func (d *DB) SaveSheetDrop(ctx context.Context, drop *guichet.SheetDrop) error {
	// The no-op update makes RETURNING give the row already there.
	err := d.db.GetContext(ctx, drop, `
		INSERT INTO sheet_drops (post_id, file_id, channel_id, user_id, file_name, data, event_id, status)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (post_id, file_id) DO UPDATE SET post_id = sheet_drops.post_id
		RETURNING `+sheetDropColumns,
		drop.PostID, drop.FileID, drop.ChannelID, drop.UserID, drop.FileName, drop.Data, drop.EventID, guichet.SheetDropPending)
	if err != nil {
		return fmt.Errorf("save sheet drop: %w", err)
	}
	return nil
}

// SheetDrop implements guichet.SheetDropStore.
func (d *DB) SheetDrop(ctx context.Context, id int64) (*guichet.SheetDrop, error) {
	var drop guichet.SheetDrop
	if err := d.db.GetContext(ctx, &drop, `SELECT `+sheetDropColumns+` FROM sheet_drops WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "ErrSheetsDropNotFound", "ID", id)
	}
	return &drop, nil
}

// ImportSheetDrop implements guichet.SheetDropStore: the drop's row is locked first, so that
// two clicks at once import once.
func (d *DB) ImportSheetDrop(ctx context.Context, actor guichet.Actor, id int64, suppliers []*guichet.Supplier, eventID int64, lots []*guichet.Lot) error {
	if err := checkSuppliers(suppliers); err != nil {
		return err
	}
	if err := checkLots(lots); err != nil {
		return err
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := takeSheetDrop(ctx, tx, id); err != nil {
			return err
		}
		if len(suppliers) > 0 {
			if err := upsertSuppliers(ctx, tx, actor, suppliers); err != nil {
				return err
			}
		}
		if len(lots) > 0 {
			if err := d.addLots(ctx, tx, actor, eventID, lots); err != nil {
				return err
			}
		}
		return finishSheetDrop(ctx, tx, actor, id, guichet.SheetDropImported)
	})
}

// CancelSheetDrop implements guichet.SheetDropStore.
func (d *DB) CancelSheetDrop(ctx context.Context, actor guichet.Actor, id int64) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := takeSheetDrop(ctx, tx, id); err != nil {
			return err
		}
		return finishSheetDrop(ctx, tx, actor, id, guichet.SheetDropCancelled)
	})
}

// takeSheetDrop locks the pending drop id in tx: ENOTFOUND, or ECONFLICT "ErrSheetsDropDone"
// naming what became of it when it is no longer pending.
func takeSheetDrop(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM sheet_drops WHERE id = $1 FOR UPDATE`, id); err != nil {
		return notFound(err, "ErrSheetsDropNotFound", "ID", id)
	}
	if status != guichet.SheetDropPending {
		return guichet.Errorf(guichet.ECONFLICT, "ErrSheetsDropDone", "Status", status)
	}
	return nil
}

func finishSheetDrop(ctx context.Context, tx *sqlx.Tx, actor guichet.Actor, id int64, status string) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE sheet_drops SET status = $2, done_at = now(), done_by = $3 WHERE id = $1`, id, status, actor.UserID); err != nil {
		return fmt.Errorf("finish sheet drop: %w", err)
	}
	return nil
}
