package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// ClientLink is `client-link [<event>] [duration=30d]`: a new link to the event's client page,
// valid for TTL; or `client-link [<event>] revoke`, which revokes every link of the event.
type ClientLink struct {
	Event  string
	TTL    time.Duration
	Revoke bool
}

// CommandName implements Command.
func (ClientLink) CommandName() string { return "client-link" }

// revokeWords are the ways of writing "revoke" after the event.
var revokeWords = map[string]bool{"revoke": true, "revoquer": true, "revocation": true, "couper": true}

func parseClientLink(a *args) (Command, error) {
	cmd := ClientLink{TTL: guichet.DefaultClientLinkTTL}
	for {
		w, ok := a.next()
		if !ok {
			break
		}
		switch {
		case revokeWords[fold(w)] && !cmd.Revoke:
			cmd.Revoke = true
		case cmd.Event == "" && !cmd.Revoke:
			if err := checkSlug(a, w); err != nil {
				return nil, err
			}
			cmd.Event = strings.ToLower(w)
		default:
			return nil, guichet.Errorf(guichet.EINVALID, "CmdExtra", "Word", w, "Usage", a.usage)
		}
	}
	if cmd.Revoke {
		cmd.TTL = 0
	} else {
		v, ok, err := a.opt("duree", "durée", "duration", "validite", "validité", "expire")
		if err != nil {
			return nil, err
		}
		if ok {
			if cmd.TTL, err = parseLinkDays(v); err != nil {
				return nil, a.bad(err)
			}
		}
	}
	return cmd, a.finish()
}

// parseLinkDays reads a link's lifetime in days as people write it: "30", "30j", "30 jours",
// "30d", "30 days"; 1 to 366 days. EINVALID "ErrClientLinkDuration" otherwise.
func parseLinkDays(s string) (time.Duration, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	for _, unit := range []string{"jours", "jour", "days", "day", "j", "d"} {
		if strings.HasSuffix(v, unit) {
			v = strings.TrimSpace(strings.TrimSuffix(v, unit))
			break
		}
	}
	n, err := strconv.Atoi(v)
	ttl := time.Duration(n) * 24 * time.Hour
	if err != nil || n < 1 || ttl > guichet.MaxClientLinkTTL {
		return 0, guichet.Errorf(guichet.EINVALID, "ErrClientLinkDuration", "Value", s)
	}
	return ttl, nil
}

// clientLink gives a new link to the event's client page, or revokes them all. The link is
// answered privately to the coordinator who asked, who passes it on.
func (h *Handler) clientLink(ctx context.Context, c *call, cmd ClientLink) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	if cmd.Revoke {
		n, err := h.store.RevokeClientLinks(ctx, c.actor, e.ID, h.now())
		if err != nil {
			return "", err
		}
		if n == 0 {
			return h.t(c, "MsgClientLinksNone", map[string]any{"Event": e.Name}), nil
		}
		return h.t(c, "MsgClientLinksRevoked", map[string]any{"Event": e.Name, "Count": n}), nil
	}
	if h.clientLinkURL == nil {
		return "", fmt.Errorf("client-link: no address maker for client links (Deps.ClientLinkURL)")
	}
	l, err := h.store.CreateClientLink(ctx, c.actor, e.ID, h.now().Add(cmd.TTL))
	if err != nil {
		return "", err
	}
	loc, err := e.Location()
	if err != nil {
		loc = time.UTC
	}
	return h.t(c, "MsgClientLinkGiven", map[string]any{
		"Event": e.Name, "Slug": e.Slug, "URL": h.clientLinkURL(l),
		"Expires": l10n.DateTime(l.ExpiresAt, loc, c.locale),
	}), nil
}
