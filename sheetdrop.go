package guichet

import (
	"context"
	"time"
)

// Statuses of a SheetDrop.
const (
	SheetDropPending   = "pending"
	SheetDropImported  = "imported"
	SheetDropCancelled = "cancelled"
)

// A SheetDrop is a spreadsheet (CSV or .xlsx) a coordinator dropped in chat, kept from its
// preview until « Importer » or « Annuler » is clicked.
type SheetDrop struct {
	ID int64 `db:"id"`
	// PostID is the post the file came with; the preview answers in its thread.
	PostID string `db:"post_id"`
	// FileID is Mattermost's id of the file.
	FileID    string `db:"file_id"`
	ChannelID string `db:"channel_id"`
	// UserID is who dropped it.
	UserID   string `db:"user_id"`
	FileName string `db:"file_name"`
	// Data is the file as received.
	Data []byte `db:"data"`
	// EventID is the event the file's lots go to; nil for a file of structures only.
	EventID   *int64    `db:"event_id"`
	Status    string    `db:"status"`
	CreatedAt time.Time `db:"created_at"`
}

// SheetDropStore keeps the dropped spreadsheets between preview and import.
type SheetDropStore interface {
	// SaveSheetDrop stores d as pending and sets its ID, Status and CreatedAt; for a file
	// already kept (the same post and file id: a post heard again), it sets d to that drop,
	// whatever its status, and changes nothing.
	SaveSheetDrop(ctx context.Context, d *SheetDrop) error
	// SheetDrop returns the drop with that id; ENOTFOUND "ErrSheetsDropNotFound".
	SheetDrop(ctx context.Context, id int64) (*SheetDrop, error)
	// ImportSheetDrop saves the suppliers in the directory (as UpsertSuppliers does) and adds
	// the lots to the event eventID (as AddLots does), and marks the drop imported, all in one
	// transaction. ECONFLICT "ErrSheetsDropDone" when the drop is no longer pending (imported
	// or cancelled already): nothing is imported twice. The errors of UpsertSuppliers and
	// AddLots otherwise, and then nothing is saved.
	ImportSheetDrop(ctx context.Context, actor Actor, id int64, suppliers []*Supplier, eventID int64, lots []*Lot) error
	// CancelSheetDrop marks a pending drop cancelled; ECONFLICT "ErrSheetsDropDone" when it is
	// no longer pending.
	CancelSheetDrop(ctx context.Context, actor Actor, id int64) error
}

// A SheetFile is a spreadsheet a person dropped in chat, as the bot received it.
type SheetFile struct {
	// PostID, ChannelID: the post the file came with and its channel; FileID Mattermost's id
	// of the file.
	PostID, ChannelID, FileID string
	// Direct says the channel is a direct message to the bot.
	Direct bool
	// Message is the text of that post (it may name the event).
	Message  string
	FileName string
	// Size is the file's size as Mattermost tells it, checked before the file is fetched.
	Size int64
	// Fetch downloads the file; when nil, Data is the file.
	Fetch func(ctx context.Context) ([]byte, error)
	Data  []byte
}

// SheetPreview is the answer to a dropped spreadsheet, to post in the file's thread.
type SheetPreview struct {
	// Text is the preview: counts, the first rows as they will be stored, every error.
	Text string
	// Locale is the language Text is in; the buttons' labels take it.
	Locale string
	// DropID is the kept drop « Importer » and « Annuler » act on; 0 when the file cannot be
	// imported (it has errors): then there are no buttons.
	DropID int64
}

// SheetImporter reads dropped spreadsheets and imports them; package commands implements it
// and package bot calls it for the files coordinators drop in chat.
type SheetImporter interface {
	// PreviewSheet reads the file and, when it can be imported, keeps it as a pending drop.
	// It returns nil and no error for a file that is none of its business: not a spreadsheet
	// (by its name), or dropped elsewhere than in an event's coordination channel or a direct
	// message to the bot; EFORBIDDEN when the actor is no coordinator. The bot says nothing
	// then.
	PreviewSheet(ctx context.Context, actor Actor, f SheetFile) (*SheetPreview, error)
	// ImportSheet imports the pending drop id, all or nothing, for a coordinator of its event
	// (any coordinator for structures only), and returns the message saying what was done.
	ImportSheet(ctx context.Context, actor Actor, id int64) (string, error)
	// CancelSheet drops the pending drop id, for the same people, and returns the message
	// saying so.
	CancelSheet(ctx context.Context, actor Actor, id int64) (string, error)
}
