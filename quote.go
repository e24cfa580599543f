package guichet

import (
	"context"
	"strconv"
	"time"
)

// OutboxDocument posts a stored document (DocumentID: its PDF and CSV attached) in ChannelID,
// with MessageID and Args, in Locale, as the post's text.
const OutboxDocument OutboxKind = "document"

// QuotePrefix is the series of the client's quotes: "DEV-2027-0001".
const QuotePrefix = "DEV"

// DocumentNumber is what a document is called: its number, its revision (from 1) and the
// revision it replaces ("" for the first; else the replaced file's name without extension,
// "DEV-2027-0001" or "DEV-2027-0001-r2").
type DocumentNumber struct {
	Number   string
	Revision int
	Replaces string
}

// RenderedDocument is a document made: its files and its totals, in cents, Gross = Net + VAT.
type RenderedDocument struct {
	PDF, CSV        []byte
	Net, VAT, Gross Cents
}

// QuoteDraft is a quote about to be recorded (QuoteStore.RecordQuote).
type QuoteDraft struct {
	EventID int64
	// Year is the series' year: the event's day's.
	Year int
	// Content is a digest of what the quote says (its parties and lines, not its number nor
	// its date): a new revision is made only when it differs from the current one's.
	Content string
	// Render makes the files once the number is known; it is called inside the transaction
	// that records them, at most once.
	Render func(DocumentNumber) (*RenderedDocument, error)
	// ChannelID is where the document is posted (the event's coordination channel);
	// MessageID, Args and Locale the post's text, to which Number, Revision and Revised
	// (revision above 1) are added.
	ChannelID string
	MessageID string
	Args      map[string]any
	Locale    string
}

// StoredDocument is one revision of a document as recorded.
type StoredDocument struct {
	ID         int64     `db:"id"`
	Kind       string    `db:"kind"`
	Number     string    `db:"number"`
	Revision   int       `db:"revision"`
	EventID    int64     `db:"event_id"`
	SupplierID *int64    `db:"supplier_id"`
	Content    string    `db:"content"`
	Net        Cents     `db:"net_cents"`
	VAT        Cents     `db:"vat_cents"`
	Gross      Cents     `db:"gross_cents"`
	PDF        []byte    `db:"pdf"`
	CSV        []byte    `db:"csv"`
	CreatedBy  string    `db:"created_by"`
	CreatedAt  time.Time `db:"created_at"`
	ReplacedBy *int64    `db:"replaced_by"`
	// Made is true when the call that returned it recorded it (false: the current revision,
	// unchanged, posted again).
	Made bool `db:"-"`
	// Replaced is the revision this one replaced, when Made replaced one.
	Replaced *DocumentNumber `db:"-"`
}

// FileName is the document's file name for ext: its number, "-rN" from revision 2.
func (d *StoredDocument) FileName(ext string) string {
	return DocumentNumber{Number: d.Number, Revision: d.Revision}.Stem() + "." + ext
}

// Stem is the revision's file name without extension: "DEV-2027-0001", "DEV-2027-0001-r2".
func (n DocumentNumber) Stem() string {
	if n.Revision > 1 {
		return n.Number + "-r" + strconv.Itoa(n.Revision)
	}
	return n.Number
}

// Fee is an event's coordination fee: a share of the structures' net total in basis points
// (500 = 5 %), or a fixed amount in cents; at most one is set, both 0 for none.
type Fee struct {
	BP    int
	Cents Cents
}

// String writes the fee for logs and errors: "500bp", "30000c".
func (f Fee) String() string {
	if f.BP != 0 {
		return strconv.Itoa(f.BP) + "bp"
	}
	return strconv.FormatInt(int64(f.Cents), 10) + "c"
}

// QuoteStore records the client's quotes and the structures' legal profiles they need.
type QuoteStore interface {
	// EditSupplierProfile applies edit to the structure's legal profile in one transaction
	// holding its row, writes the result and a "supplier.profile" audit entry (before and
	// after), and returns the structure. An error from edit changes nothing and is returned.
	// ENOTFOUND for an unknown structure.
	EditSupplierProfile(ctx context.Context, actor Actor, supplierID int64, edit func(*LegalProfile) error) (*Supplier, error)
	// RecordQuote records the event's quote, one call at a time per event: when the current
	// revision says the same (draft.Content), it is kept and posted again (Made false); else a
	// new revision is rendered and stored — revision 1 under a new number of the series
	// QuotePrefix and draft.Year, taken without gap, or the next revision of the current
	// number, which is marked replaced — with a "quote.make" audit entry. Either way an
	// OutboxDocument message posts it in draft.ChannelID, in the same transaction.
	RecordQuote(ctx context.Context, actor Actor, draft QuoteDraft) (*StoredDocument, error)
	// Document returns a stored document with its files; ENOTFOUND "ErrQuoteNotFound".
	Document(ctx context.Context, id int64) (*StoredDocument, error)
	// Quotes lists the event's quotes, every revision, oldest first, without their files.
	Quotes(ctx context.Context, eventID int64) ([]*StoredDocument, error)
}
