package commands

import (
	"context"

	"guichet.dev/guichet"
)

// memberLot finds the lot a member names (claim, release), as lot does, except that a draft
// event's lots are not there for someone who does not coordinate: its offers are not out
// yet, and a reference to one is answered ECONFLICT "ErrEventNotPublished". Coordinators
// find every lot.
func (h *Handler) memberLot(ctx context.Context, c *call, ref LotRef) (*guichet.Lot, *guichet.Event, error) {
	coordinator, err := h.access.IsCoordinator(ctx, c.actor)
	if err != nil {
		return nil, nil, err
	}
	return h.findLot(ctx, c, ref, !coordinator)
}
