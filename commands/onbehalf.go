package commands

import (
	"context"
	"strconv"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// forceWords are the ways of asking a coordinator's claim to go through for a structure that
// does not serve the lot's category, folded and without leading dashes.
var forceWords = map[string]bool{"force": true, "forcer": true}

// flag takes the words among words (folded, leading dashes ignored) out of the positional
// words and reports whether there was one.
func (a *args) flag(words map[string]bool) bool {
	found := false
	kept := a.pos[:0]
	for _, w := range a.pos {
		if words[fold(strings.TrimLeft(w, "-\u2013\u2014"))] {
			found = true
			continue
		}
		kept = append(kept, w)
	}
	a.pos = kept
	return found
}

// claimsOnBehalf reports whether cmd is a claim for a structure the actor is not a member of
// (the coordinator's phone call): always with Force, which needs a structure named (EINVALID
// "CmdOnbehalfForceNoStructure" otherwise), else when the structure named is not one of the
// actor's.
func (h *Handler) claimsOnBehalf(ctx context.Context, c *call, cmd Claim) (bool, error) {
	if cmd.Force && cmd.Supplier == "" {
		return false, guichet.Errorf(guichet.EINVALID, "CmdOnbehalfForceNoStructure", "Code", cmd.Lot.String())
	}
	if cmd.Supplier == "" {
		return false, nil
	}
	if cmd.Force {
		return true, nil
	}
	mine, err := h.store.SuppliersOfUser(ctx, c.actor.UserID)
	if err != nil {
		return false, err
	}
	for _, s := range mine {
		if fold(s.Name) == fold(cmd.Supplier) || s.Slug == guichet.Slugify(cmd.Supplier) {
			return false, nil
		}
	}
	return true, nil
}

// claimOnBehalf takes the claim for the structure cmd names, by a coordinator of the lot's
// event: the structure must serve the lot's category unless cmd.Force. Someone who does not
// coordinate the event is answered as a member of another structure was before
// (EFORBIDDEN "ErrNotMember"), or, with Force, that they do not coordinate it. The claim is the
// same rule as a member's (guichet.LotState.Grant); its audit entry names the coordinator and
// the structure, and the structure's members are told.
func (h *Handler) claimOnBehalf(ctx context.Context, c *call, cmd Claim) (string, error) {
	s, err := h.store.SupplierByRef(ctx, cmd.Supplier)
	if err != nil {
		return "", err
	}
	l, e, err := h.memberLot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	if err := h.access.RequireEventCoordinator(ctx, c.actor, e); err != nil {
		if !cmd.Force && guichet.ErrorCode(err) == guichet.EFORBIDDEN {
			return "", guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember", "Supplier", s.Name)
		}
		return "", err
	}
	if !cmd.Force && !s.Serves(l.Category) {
		qty := ""
		if cmd.Quantity > 0 {
			qty = " " + strconv.FormatInt(cmd.Quantity, 10)
		}
		return "", guichet.Errorf(guichet.EINVALID, "CmdOnbehalfNotServing", "Supplier", s.Name, "Category", l.Category,
			"Code", cmd.Lot.String(), "Qty", qty)
	}
	res, err := h.store.Claim(ctx, guichet.ClaimRequest{Actor: c.actor, LotID: l.ID, SupplierID: s.ID, Quantity: cmd.Quantity,
		Note: cmd.Note, OnBehalf: true}, h.now())
	if err != nil {
		return "", err
	}
	args := map[string]any{
		"Code": l.Code, "Title": l.Title, "Supplier": s.Name, "Quantity": res.Claim.Quantity, "Unit": l.Unit,
		"Amount": l10n.Money(res.Claim.Amount, c.locale), "Event": e.Name, "Channel": s.ChannelID != "",
	}
	switch {
	case res.Existing:
		args["Status"] = h.claimStatus(c, res.Claim.Status)
		return h.t(c, "CmdOnbehalfExisting", args), nil
	case res.Claim.Status == guichet.ClaimPending:
		return h.t(c, "CmdOnbehalfCandidacy", args), nil
	}
	return h.t(c, "CmdOnbehalfClaimed", args), nil
}
