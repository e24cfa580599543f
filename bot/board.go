package bot

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// maxBoardRows bounds the lots listed on the board, to stay well within Mattermost's post size.
const maxBoardRows = 60

// Mattermost refuses a post of more than 16,383 characters. The board lists lots while it stays
// within boardBudget (the rest of the post fits in what is left), and a lot's holders within
// maxHoldersCell characters (a shared lot may have a hundred).
const (
	boardBudget    = 15000
	maxHoldersCell = 500
)

// BoardPost renders an event's status board for its coordination channel: a title with the
// event's day and status, a summary (lots by status, money awarded against the budget), and a
// table of the lots with quantity, what is awarded, who holds it and the lot's status.
func (b *Bot) BoardPost(board *guichet.Board) *model.Post {
	ev := board.Event
	loc := b.eventLocale(ev)
	var sb strings.Builder
	sb.WriteString(b.t(loc, "BoardTitle", "Event", ev.Name, "Day", l10n.EventDay(ev, loc),
		"Status", b.t(loc, eventStatusID(ev.Status))))
	sb.WriteString("\n\n")
	if ev.Status == guichet.EventCancelled {
		sb.WriteString(b.t(loc, "BoardEventCancelledText", "Reason", ev.CancelReason))
		sb.WriteString("\n\n")
	}

	var filled, open, cancelled, closed int
	var budget, awarded guichet.Cents
	for _, st := range board.Lots {
		switch st.Lot.Status {
		case guichet.LotFilled:
			filled++
		case guichet.LotOpen:
			open++
		case guichet.LotCancelled:
			cancelled++
		case guichet.LotClosed:
			closed++
		}
		if st.Lot.Status != guichet.LotCancelled {
			budget += st.Lot.Budget
		}
		for _, c := range st.Awarded() {
			awarded += c.Amount
		}
	}
	if len(board.Lots) == 0 {
		sb.WriteString(b.t(loc, "BoardNoLots"))
		sb.WriteString("\n")
	} else {
		sb.WriteString(b.t(loc, "BoardSummary", "Lots", len(board.Lots), "Filled", filled, "Open", open,
			"Closed", closed, "Cancelled", cancelled, "Awarded", l10n.Money(awarded, loc), "Budget", l10n.Money(budget, loc)))
		sb.WriteString("\n\n")
		sb.WriteString(b.t(loc, "BoardHeader"))
		sb.WriteString("\n|:--|:--|--:|--:|:--|:--|\n")
		for i, st := range board.Lots {
			// Made harmless before it is measured: what CreatePost adds must not push the
			// board past Mattermost's limit.
			row := harmlessText(b.boardRow(st, ev, loc))
			if i == maxBoardRows || utf8.RuneCountInString(sb.String())+utf8.RuneCountInString(row) > boardBudget {
				sb.WriteString("\n")
				sb.WriteString(b.t(loc, "BoardMore", "More", len(board.Lots)-i))
				sb.WriteString("\n")
				break
			}
			sb.WriteString(row)
		}
	}
	if orders := b.boardOrders(board, loc); orders != "" && utf8.RuneCountInString(sb.String())+utf8.RuneCountInString(orders) < boardBudget {
		sb.WriteString("\n")
		sb.WriteString(harmlessText(orders))
		sb.WriteString("\n")
	}
	sb.WriteString("\n")
	sb.WriteString(b.t(loc, "BoardUpdated", "At", b.dateTime(b.now(), ev, loc)))
	return &model.Post{ChannelId: ev.CoordChannelID, Message: sb.String()}
}

func (b *Bot) boardRow(st *guichet.LotState, ev *guichet.Event, loc string) string {
	lot := st.Lot
	var who []string
	for _, c := range st.Awarded() {
		if lot.Mode == guichet.Shared {
			who = append(who, b.t(loc, "BoardHolderShare", "Supplier", c.SupplierName, "Quantity", c.Quantity))
		} else {
			who = append(who, c.SupplierName)
		}
	}
	if n := len(st.Pending()); n > 0 {
		who = append(who, b.t(loc, "BoardPending", "Number", n))
	}
	status := b.t(loc, lotStatusID(lot.Status))
	if lot.Status == guichet.LotOpen && b.pastDeadline(lot) {
		status = b.t(loc, "BoardLotClosed")
	}
	holders := strings.Join(who, ", ")
	if r := []rune(holders); len(r) > maxHoldersCell {
		cut := string(r[:maxHoldersCell])
		if i := strings.LastIndex(cut, ", "); i > 0 {
			cut = cut[:i]
		}
		holders = cut + ", …"
	}
	if answers := b.answersCell(st, loc); answers != "" {
		if holders != "" {
			holders += " · "
		}
		holders += answers
	}
	if line := b.waitlistCell(st, ev, loc); line != "" {
		if holders != "" {
			holders += " · "
		}
		holders += line
	}
	title := lot.Title
	if lot.OwnDay(ev) {
		title = b.t(loc, "BoardOtherdaysTitle", "Title", lot.Title, "Day", l10n.Date(*lot.Day, time.UTC, loc))
	}
	cells := []string{
		"`" + lot.Code + "`",
		title,
		b.t(loc, "OfferQuantity", "Quantity", lot.Quantity, "Unit", lot.Unit),
		b.t(loc, "BoardAwarded", "Quantity", st.AwardedQuantity(), "Amount", l10n.Money(awardedAmount(st), loc)),
		holders,
		status,
	}
	for i, c := range cells {
		cells[i] = tableCell(c)
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// waitlistCell writes the lot's line, in order: each structure waiting, and the one a freed
// quantity is offered to with the time its offer ends; "" when nobody waits. The line is cut
// like the holders (maxHoldersCell).
func (b *Bot) waitlistCell(st *guichet.LotState, ev *guichet.Event, loc string) string {
	if len(st.Waitlist) == 0 {
		return ""
	}
	names := make([]string, 0, len(st.Waitlist))
	for _, w := range st.Waitlist {
		if w.Status == guichet.WaitlistOffered && w.OfferExpiresAt != nil {
			names = append(names, b.t(loc, "BoardWaitlistOffered", "Supplier", w.SupplierName,
				"Until", b.dateTime(*w.OfferExpiresAt, ev, loc)))
			continue
		}
		names = append(names, w.SupplierName)
	}
	line := strings.Join(names, ", ")
	if r := []rune(line); len(r) > maxHoldersCell {
		cut := string(r[:maxHoldersCell])
		if i := strings.LastIndex(cut, ", "); i > 0 {
			cut = cut[:i]
		}
		line = cut + ", …"
	}
	return b.t(loc, "BoardWaitlist", "Line", line)
}

func awardedAmount(st *guichet.LotState) guichet.Cents {
	var sum guichet.Cents
	for _, c := range st.Awarded() {
		sum += c.Amount
	}
	return sum
}

// tableCell keeps a value on one line of a Markdown table row.
func tableCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

func eventStatusID(s guichet.EventStatus) string {
	switch s {
	case guichet.EventPublished:
		return "BoardEventPublished"
	case guichet.EventDone:
		return "BoardEventDone"
	case guichet.EventRecapped:
		return "BoardEventRecapped"
	case guichet.EventCancelled:
		return "BoardEventCancelled"
	default:
		return "BoardEventDraft"
	}
}

func lotStatusID(s guichet.LotStatus) string {
	switch s {
	case guichet.LotFilled:
		return "BoardLotFilled"
	case guichet.LotClosed:
		return "BoardLotClosed"
	case guichet.LotCancelled:
		return "BoardLotCancelled"
	default:
		return "BoardLotOpen"
	}
}
