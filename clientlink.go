package guichet

import (
	"context"
	"time"
)

// ClientLink is a link given to an event's client: it opens the event's client page (what is
// covered and by which structures before the day, the final report after) and nothing else.
// It is signed (the bot's gate checks the signature over ID, EventID and ExpiresAt), expires,
// and is revoked with every other link of its event.
type ClientLink struct {
	// ID is random (22 characters of base64url, 128 bits), unguessable.
	ID        string     `db:"id"`
	EventID   int64      `db:"event_id"`
	ExpiresAt time.Time  `db:"expires_at"`
	RevokedAt *time.Time `db:"revoked_at"`
	// CreatedBy is the Mattermost user id of the coordinator who asked for it.
	CreatedBy string    `db:"created_by"`
	CreatedAt time.Time `db:"created_at"`
}

// Usable reports whether the link still opens its page at now: not revoked, not expired.
func (l *ClientLink) Usable(now time.Time) bool {
	return l.RevokedAt == nil && now.Before(l.ExpiresAt)
}

// Client link lifetimes.
const (
	// DefaultClientLinkTTL is how long a client link lasts unless the coordinator says.
	DefaultClientLinkTTL = 90 * 24 * time.Hour
	// MaxClientLinkTTL is the longest a coordinator may ask for: a year and a day.
	MaxClientLinkTTL = 366 * 24 * time.Hour
)

// ClientQuote is the current revision of an event's quote, as the client page shows it.
type ClientQuote struct {
	ID        int64     `db:"id"`
	Number    string    `db:"number"`
	Revision  int       `db:"revision"`
	Net       Cents     `db:"net_cents"`
	VAT       Cents     `db:"vat_cents"`
	Gross     Cents     `db:"gross_cents"`
	CreatedAt time.Time `db:"created_at"`
}

// ClientLinkStore keeps client links. *db.DB implements it.
type ClientLinkStore interface {
	// CreateClientLink records a new link to the event's client page, valid until expires,
	// with its audit entry. ENOTFOUND "ErrEventNotFound" for an unknown event.
	CreateClientLink(ctx context.Context, actor Actor, eventID int64, expires time.Time) (*ClientLink, error)
	// RevokeClientLinks revokes, at now, every link of the event not yet revoked, with an audit
	// entry, and returns how many it revoked (0 when none: nothing is written).
	RevokeClientLinks(ctx context.Context, actor Actor, eventID int64, now time.Time) (int, error)
}

// ClientPageStore reads what the client page shows beyond the recap. *db.DB implements it.
type ClientPageStore interface {
	// ClientLink returns the link with that id, revoked or expired ones too; ENOTFOUND
	// "ErrClientLinkNotFound" when none.
	ClientLink(ctx context.Context, id string) (*ClientLink, error)
	// StructureKinds returns the kind of each structure that ever claimed a lot of the event,
	// by structure id ("" when not known yet).
	StructureKinds(ctx context.Context, eventID int64) (map[int64]StructureKind, error)
	// CurrentQuote returns the event's quote revision not replaced, with its PDF; ENOTFOUND
	// "ErrClientNoQuote" when the event has no quote.
	CurrentQuote(ctx context.Context, eventID int64) (*ClientQuote, []byte, error)
}
