package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"guichet.dev/guichet"
)

// Coordinators of an event, and the binding of a structure's pending members: every right is
// given to a Mattermost user id, resolved from the username typed at that moment.

// userNamer writes a user id as the user's current username, for display only; the Chat may
// implement it (the bot does).
type userNamer interface {
	Username(ctx context.Context, userID string) (string, error)
}

// mention writes a user id as "@username" when the Chat can name it, as the id otherwise.
func (h *Handler) mention(ctx context.Context, userID string) string {
	if n, ok := h.chat.(userNamer); ok {
		if name, err := n.Username(ctx, userID); err == nil && name != "" {
			return "@" + name
		}
	}
	return "`" + userID + "`"
}

// userID resolves a username typed now to its user id; ENOTFOUND "CmdUserNotFound" when no
// user has it.
func (h *Handler) userID(ctx context.Context, username string) (string, error) {
	id, err := h.chat.UserByUsername(ctx, username)
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return "", guichet.Errorf(guichet.ENOTFOUND, "CmdUserNotFound", "Username", username)
	}
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", username, err)
	}
	return id, nil
}

// coordinatorAdd makes the user named now a coordinator of the event.
func (h *Handler) coordinatorAdd(ctx context.Context, c *call, cmd CoordinatorAdd) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	id, err := h.userID(ctx, cmd.Username)
	if err != nil {
		return "", err
	}
	added, err := h.store.AddEventCoordinator(ctx, c.actor, e.ID, id)
	if err != nil {
		return "", err
	}
	msg := "CmdAccessCoordinatorAdded"
	if !added {
		msg = "CmdAccessCoordinatorAlready"
	}
	return h.t(c, msg, map[string]any{"Username": cmd.Username, "Event": e.Name, "Slug": e.Slug}), nil
}

// coordinatorRemove takes the user named now off the event's coordinators. Only an
// administrator may remove the last one: an event keeps someone to run it otherwise.
func (h *Handler) coordinatorRemove(ctx context.Context, c *call, cmd CoordinatorRemove) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	id, err := h.userID(ctx, cmd.Username)
	if err != nil {
		return "", err
	}
	err = h.store.RemoveEventCoordinator(ctx, c.actor, e.ID, id, !h.access.IsAdministrator(c.actor))
	if guichet.ErrorCode(err) == guichet.ENOTFOUND {
		return "", guichet.Errorf(guichet.ENOTFOUND, "CmdAccessNotCoordinatorOf", "Username", cmd.Username, "Event", e.Name, "Slug", e.Slug)
	}
	if err != nil {
		return "", err
	}
	return h.t(c, "CmdAccessCoordinatorRemoved", map[string]any{"Username": cmd.Username, "Event": e.Name, "Slug": e.Slug}), nil
}

// coordinatorList lists the event's coordinators and the administrators, by their current
// usernames.
func (h *Handler) coordinatorList(ctx context.Context, c *call, cmd CoordinatorList) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	ids, err := h.store.EventCoordinatorIDs(ctx, e.ID)
	if err != nil {
		return "", err
	}
	names := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = h.mention(ctx, id)
		}
		sort.Strings(out)
		return strings.Join(out, ", ")
	}
	admins := h.access.Administrators()
	return h.t(c, "CmdAccessCoordinatorList", map[string]any{
		"Event": e.Name, "Slug": e.Slug, "Coordinators": names(ids), "N": len(ids),
		"Administrators": names(admins), "NAdministrators": len(admins),
	}), nil
}

// supplierBind binds the structure's pending members to the Mattermost accounts that have
// their usernames now; those still without an account stay pending.
func (h *Handler) supplierBind(ctx context.Context, c *call, cmd SupplierBind) (string, error) {
	s, err := h.store.SupplierByRef(ctx, cmd.Supplier)
	if err != nil {
		return "", err
	}
	ids := map[string]string{}
	var missing []string
	for _, m := range s.Members {
		if m.UserID != "" {
			continue
		}
		id, err := h.chat.UserByUsername(ctx, m.Username)
		switch {
		case guichet.ErrorCode(err) == guichet.ENOTFOUND:
			missing = append(missing, "@"+m.Username)
		case err != nil:
			return "", fmt.Errorf("look up %s: %w", m.Username, err)
		default:
			ids[m.Username] = id
		}
	}
	if len(ids) == 0 && len(missing) == 0 {
		return h.t(c, "CmdAccessNothingPending", map[string]any{"Supplier": s.Name}), nil
	}
	n, err := h.store.BindPendingMembers(ctx, c.actor, s.ID, ids)
	if err != nil {
		return "", err
	}
	var bound []string
	for name := range ids {
		bound = append(bound, "@"+name)
	}
	sort.Strings(bound)
	return h.t(c, "CmdAccessMembersBound", map[string]any{
		"Supplier": s.Name, "N": n, "Bound": strings.Join(bound, ", "),
		"NMissing": len(missing), "Missing": strings.Join(missing, ", "),
	}), nil
}
