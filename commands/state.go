package commands

import (
	"context"

	"guichet.dev/guichet"
)

// memberLot finds the lot a member names (claim, release), as lot does, except that a draft
// event's lots are not there for someone who does not coordinate that event: its offers are
// not out yet, and a reference to one is answered ECONFLICT "ErrEventNotPublished". The
// event's coordinators (and administrators) find every lot of it.
func (h *Handler) memberLot(ctx context.Context, c *call, ref LotRef) (*guichet.Lot, *guichet.Event, error) {
	return h.findLot(ctx, c, ref, true)
}
