package bot

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"guichet.dev/guichet"
)

// This file is the one place where a client link is checked. A client link is
// PublicURL/client/<token>/, the token being "<link id>.<signature>": the id is random and names
// a row of client_links, the signature is the bot's HMAC over the id, the link's event and its
// expiry as stored. Before anything of an event is read, openClientLink checks, in this order:
// the token's shape, that the link exists, that the signature matches the stored link (so a
// link moved to another event, or given a later expiry in the database, no longer opens), that
// it is not revoked nor expired, and that its event still exists. Every page and file under
// /client/<token>/ goes through it, and then reads that event only.

// Refusals of client links: a tampered or unknown link is 403, an expired or revoked one 410.
// Neither says anything of the event.
var (
	ErrClientLinkInvalid = &Refusal{Status: http.StatusForbidden, Reason: "client link: unknown or bad signature"}
	ErrClientLinkGone    = &Refusal{Status: http.StatusGone, Reason: "client link: expired or revoked"}
)

// clientLinkID is the shape of a link id (newClientLinkID in db): 22 characters of base64url.
var clientLinkID = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// clientLinkSeal is what a client link's signature covers.
func clientLinkSeal(l *guichet.ClientLink) Seal {
	return Seal{Purpose: "client-link", Expires: l.ExpiresAt,
		Fields: map[string]string{"link": l.ID, "event": strconv.FormatInt(l.EventID, 10)}}
}

// ClientLinkToken returns the token of link l: its id and its signature.
func (s *Signer) ClientLinkToken(l *guichet.ClientLink) string {
	return l.ID + "." + s.Sign(clientLinkSeal(l))
}

// sealMatches reports whether sig is the signature of seal, whatever its expiry: client links
// tell an expired link (410) from a forged one (403).
func (s *Signer) sealMatches(seal Seal, sig string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(got, s.mac(seal))
}

// ClientLinkURL returns the address of link l's client page.
func (b *Bot) ClientLinkURL(l *guichet.ClientLink) string {
	return b.publicURL + ClientPathPrefix + b.signer.ClientLinkToken(l) + "/"
}

// ClientPathPrefix is where client pages are served.
const ClientPathPrefix = "/client/"

// openClientLink checks token (see the top of this file) at now and returns its link and its
// event. ErrClientLinkInvalid for a token of the wrong shape, an unknown link, a signature that
// does not match, or a link whose event is gone; ErrClientLinkGone for a revoked or expired
// link; any other error is the store's.
func (b *Bot) openClientLink(ctx context.Context, token string, now time.Time) (*guichet.ClientLink, *guichet.Event, error) {
	id, sig, ok := strings.Cut(token, ".")
	if !ok || !clientLinkID.MatchString(id) || sig == "" || strings.Contains(sig, ".") {
		return nil, nil, ErrClientLinkInvalid
	}
	l, err := b.store.ClientLink(ctx, id)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return nil, nil, ErrClientLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if l.ID != id || !b.signer.sealMatches(clientLinkSeal(l), sig) {
		return nil, nil, ErrClientLinkInvalid
	}
	if !l.Usable(now) {
		return nil, nil, ErrClientLinkGone
	}
	e, err := b.store.Event(ctx, l.EventID)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return nil, nil, ErrClientLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	if e.ID != l.EventID {
		return nil, nil, ErrClientLinkInvalid
	}
	return l, e, nil
}
