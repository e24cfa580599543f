package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"guichet.dev/guichet"
)

// Directory resolves Mattermost names to ids; guichet.Chat satisfies it.
type Directory interface {
	// UserByUsername returns the user's id; ENOTFOUND if there is no such user.
	UserByUsername(ctx context.Context, username string) (string, error)
	// ChannelByName returns the id of the team's channel; ENOTFOUND if there is none (or the
	// bot cannot see it: a private channel).
	ChannelByName(ctx context.Context, teamID, name string) (string, error)
}

// ResolveSuppliers fills the user ids of the records' members and the ids of their channels in
// the team. An unknown username is an error naming the row and the column (nothing should be
// saved); a channel that cannot be found is not: its name is kept and the returned
// ChannelsNotFound lists it, for the coordinator to fix (a private channel the bot must be
// invited to). With an empty teamID, channels are left unresolved.
func ResolveSuppliers(ctx context.Context, dir Directory, teamID string, recs []SupplierRecord) (channelsNotFound []string, err error) {
	users := map[string]string{}
	for _, r := range recs {
		for i, m := range r.Supplier.Members {
			id, ok := users[m.Username]
			if !ok {
				id, err = dir.UserByUsername(ctx, m.Username)
				if guichet.ErrorCode(err) == guichet.ENOTFOUND {
					return nil, r.CellError("members", guichet.Errorf(guichet.ENOTFOUND, "CmdUserNotFound", "Username", m.Username))
				}
				if err != nil {
					return nil, fmt.Errorf("look up %s: %w", m.Username, err)
				}
				users[m.Username] = id
			}
			r.Supplier.Members[i].UserID = id
		}
		if r.Supplier.ChannelName == "" || teamID == "" {
			continue
		}
		id, err := dir.ChannelByName(ctx, teamID, r.Supplier.ChannelName)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND || guichet.ErrorCode(err) == guichet.EFORBIDDEN {
			channelsNotFound = append(channelsNotFound, r.Supplier.ChannelName)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("look up ~%s: %w", r.Supplier.ChannelName, err)
		}
		r.Supplier.ChannelID = id
	}
	return channelsNotFound, nil
}

// SupplierLookup finds a supplier of the directory; guichet.SupplierStore satisfies it.
type SupplierLookup interface {
	SupplierByRef(ctx context.Context, ref string) (*guichet.Supplier, error)
}

// KeepExisting completes records of structures already in the directory, so that saving them
// loses nothing that was not said: a column the file does not have (an option the command did
// not give) keeps the structure's channel or members, and a member listed without a user id
// keeps the id already known for that username.
func KeepExisting(ctx context.Context, store SupplierLookup, recs []SupplierRecord) error {
	for _, r := range recs {
		old, err := store.SupplierByRef(ctx, r.Supplier.Slug)
		if guichet.ErrorCode(err) == guichet.ENOTFOUND {
			continue
		}
		if err != nil {
			return err
		}
		if !r.has("channel") {
			r.Supplier.ChannelName, r.Supplier.ChannelID = old.ChannelName, old.ChannelID
		}
		if !r.has("members") {
			r.Supplier.Members = append([]guichet.Member(nil), old.Members...)
		}
		known := map[string]string{}
		for _, m := range old.Members {
			known[m.Username] = m.UserID
		}
		for i, m := range r.Supplier.Members {
			if m.UserID == "" {
				r.Supplier.Members[i].UserID = known[m.Username]
			}
		}
	}
	return nil
}

// saveSuppliers resolves, saves and joins the suppliers' channels, all or nothing for the
// save. It returns the warnings for the coordinator: channels not found or not joinable.
func (h *Handler) saveSuppliers(ctx context.Context, c *call, recs []SupplierRecord) (string, error) {
	if err := KeepExisting(ctx, h.store, recs); err != nil {
		return "", err
	}
	notFound, err := ResolveSuppliers(ctx, h.chat, c.teamID, recs)
	if err != nil {
		return "", err
	}
	suppliers := make([]*guichet.Supplier, len(recs))
	for i, r := range recs {
		suppliers[i] = r.Supplier
	}
	if err := h.store.UpsertSuppliers(ctx, c.actor, suppliers); err != nil {
		return "", err
	}
	var warnings []string
	for _, name := range notFound {
		warnings = append(warnings, h.t(c, "CmdChannelNotFound", map[string]any{"Channel": name}))
	}
	joined := map[string]bool{}
	for _, s := range suppliers {
		if s.ChannelID == "" || joined[s.ChannelID] {
			continue
		}
		joined[s.ChannelID] = true
		if w := h.join(ctx, c, s.ChannelID, s.ChannelName); w != "" {
			warnings = append(warnings, w)
		}
	}
	return strings.Join(warnings, "\n"), nil
}

func (h *Handler) supplierAdd(ctx context.Context, c *call, cmd SupplierAdd) (string, error) {
	s := &guichet.Supplier{Name: cmd.Name, Categories: cmd.Categories, ChannelName: cmd.Channel}
	for _, m := range cmd.Members {
		s.Members = append(s.Members, guichet.Member{Username: m})
	}
	if err := s.Validate(); err != nil {
		return "", err
	}
	_, err := h.store.SupplierByRef(ctx, s.Slug)
	existed := err == nil
	if err != nil && guichet.ErrorCode(err) != guichet.ENOTFOUND {
		return "", err
	}
	// Options not given keep the structure's current values.
	given := &table{header: map[string]int{"name": 0, "categories": 1}, written: []string{"name", "categories", "channel", "members"}}
	if cmd.Channel != "" {
		given.header["channel"] = 2
	}
	if len(cmd.Members) > 0 {
		given.header["members"] = 3
	}
	rec := SupplierRecord{Row: 1, Supplier: s, table: given}
	warnings, err := h.saveSuppliers(ctx, c, []SupplierRecord{rec})
	if err != nil {
		if errors.Is(err, errCSVCell) {
			// A single supplier has no rows: give the problem alone.
			return "", guichet.AsError(err).Args["Problem"].(error)
		}
		return "", err
	}
	id := "CmdSupplierAdded"
	if existed {
		id = "CmdSupplierUpdated"
	}
	return lines(h.t(c, id, map[string]any{
		"Name": s.Name, "Categories": strings.Join(s.Categories, ", "), "Channel": s.ChannelName,
		"Members": memberList(s.Members),
	}), warnings), nil
}

// memberList writes members as mentions: "@anne, @yann".
func memberList(members []guichet.Member) string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = "@" + m.Username
	}
	return strings.Join(out, ", ")
}

func (h *Handler) supplierList(ctx context.Context, c *call) (string, error) {
	suppliers, err := h.store.Suppliers(ctx)
	if err != nil {
		return "", err
	}
	if len(suppliers) == 0 {
		return h.t(c, "CmdSupplierListEmpty", nil), nil
	}
	out := []string{h.t(c, "CmdSupplierListTitle", map[string]any{"N": len(suppliers)})}
	for _, s := range suppliers {
		unbound := 0
		for _, m := range s.Members {
			if m.UserID == "" {
				unbound++
			}
		}
		out = append(out, h.t(c, "CmdSupplierListLine", map[string]any{
			"Name": s.Name, "Categories": strings.Join(s.Categories, ", "), "Channel": s.ChannelName,
			"Joined": s.ChannelID != "", "Members": memberList(s.Members), "Unbound": unbound,
		}))
	}
	return strings.Join(out, "\n"), nil
}

// importSuppliers reads, resolves and saves a pasted suppliers file, all or nothing.
func (h *Handler) importSuppliers(ctx context.Context, c *call, data []byte) (count int, warnings string, err error) {
	recs, err := ReadSuppliers(data)
	if err != nil {
		return 0, "", err
	}
	warnings, err = h.saveSuppliers(ctx, c, recs)
	if err != nil {
		return 0, "", err
	}
	return len(recs), warnings, nil
}
