package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
)

func parseRelaunch(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	return Relaunch{Lot: ref}, a.finish()
}

// relaunch offers the lot again, as a new post at the bottom of their channels, to the
// structures serving its category that have neither taken nor declined it, and says how many
// channels get it and which structures these are. When every structure has answered, nothing
// is posted and the answer says so.
func (h *Handler) relaunch(ctx context.Context, c *call, cmd Relaunch) (string, error) {
	l, e, err := h.lot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	board, err := h.store.Board(ctx, e.ID)
	if err != nil {
		return "", err
	}
	var unanswered []string
	for _, st := range board.Lots {
		if st.Lot.ID == l.ID {
			unanswered = st.Answers.Unanswered
		}
	}
	n, err := h.store.RelaunchLot(ctx, c.actor, l.ID)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return h.t(c, "CmdDeclinesNobodyLeft", map[string]any{"Code": l.Code, "Event": e.Slug}), nil
	}
	return h.t(c, "CmdDeclinesRelaunched", map[string]any{"Code": l.Code, "Title": l.Title, "Count": n,
		"Names": strings.Join(unanswered, ", ")}), nil
}

// answersLine is the status line saying who declined the lot and, while it is open, who has
// not answered it; "" when there is nothing to say.
func (h *Handler) answersLine(c *call, st *guichet.LotState) string {
	declined := st.Answers.Declined
	var unanswered []string
	if st.Lot.Status == guichet.LotOpen {
		unanswered = st.Answers.Unanswered
	}
	if len(declined) == 0 && len(unanswered) == 0 {
		return ""
	}
	return h.t(c, "CmdDeclinesStatusAnswers", map[string]any{
		"Declined": strings.Join(declined, ", "), "Unanswered": strings.Join(unanswered, ", "), "Code": st.Lot.Code})
}
