package bot

import (
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// Actions of the offer buttons (letters and digits only).
const (
	actionClaim = "claim"
	actionShare = "share"
	actionPass  = "pass"
)

// Attachment colours by lot status.
const (
	colorOpen      = "#1c58d9"
	colorFilled    = "good"
	colorClosed    = "#8b8b8b"
	colorCancelled = "danger"
)

// t renders a catalogue message with arguments given as alternating key, value pairs.
func (b *Bot) t(locale, id string, kv ...any) string {
	var args map[string]any
	if len(kv) > 0 {
		args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			args[kv[i].(string)] = kv[i+1]
		}
	}
	return b.catalog.T(locale, id, args)
}

// OfferPost renders the offer of a lot from its state, for channelID: one attachment with the
// lot's title, what, quantity, slot, place, budget or share, what remains and who holds it, and
// while the lot can still be claimed the buttons "Je prends" (exclusive lots) or "Je prends une
// part" (shared lots) and "Pas pour nous". The buttons are gone once the lot is filled, closed,
// cancelled or past its deadline, or its event is over or not published (claimRefusal). ev
// gives the date, the language and the event's state; it may be nil (the lot alone is judged).
func (b *Bot) OfferPost(st *guichet.LotState, ev *guichet.Event, channelID string) *model.Post {
	post := &model.Post{ChannelId: channelID}
	post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{b.offerAttachment(st, ev)})
	return post
}

func (b *Bot) offerAttachment(st *guichet.LotState, ev *guichet.Event) *model.MessageAttachment {
	loc := b.eventLocale(ev)
	lot := st.Lot
	att := &model.MessageAttachment{
		Title: b.t(loc, "OfferTitle", "Code", lot.Code, "Title", lot.Title),
		Color: colorOpen,
	}
	if ev != nil {
		att.Pretext = b.t(loc, "OfferPretext", "Event", ev.Name, "Day", l10n.EventDay(ev, loc))
	}
	var text []string
	if d := strings.TrimSpace(lot.Description); d != "" {
		text = append(text, d)
	}
	status := b.t(loc, "OfferStatusOpen")
	switch {
	case lot.Status == guichet.LotCancelled:
		att.Color = colorCancelled
		status = b.t(loc, "OfferStatusCancelled")
		text = append(text, b.t(loc, "OfferCancelledText", "Reason", lot.CancelReason))
	case ev != nil && ev.Status == guichet.EventCancelled:
		att.Color = colorCancelled
		status = b.t(loc, "OfferStatusCancelled")
		text = append(text, b.t(loc, "OfferEventCancelledText", "Event", ev.Name, "Reason", ev.CancelReason))
	case ev != nil && ev.Over(b.now()):
		att.Color = colorClosed
		status = b.t(loc, "OfferStatusOver")
		text = append(text, b.t(loc, "OfferEventOverText"))
	case lot.Status == guichet.LotFilled:
		att.Color = colorFilled
		status = b.t(loc, "OfferStatusFilled")
		text = append(text, b.t(loc, "OfferFilledText"))
	case lot.Status == guichet.LotClosed || b.pastDeadline(lot):
		att.Color = colorClosed
		status = b.t(loc, "OfferStatusClosed")
		text = append(text, b.t(loc, "OfferClosedText"))
	}
	att.Text = strings.Join(text, "\n\n")

	field := func(titleID, value string, short bool) {
		if value != "" {
			att.Fields = append(att.Fields, &model.MessageAttachmentField{
				Title: b.t(loc, titleID), Value: value, Short: model.SlackCompatibleBool(short)})
		}
	}
	field("OfferFieldQuantity", b.t(loc, "OfferQuantity", "Quantity", lot.Quantity, "Unit", lot.Unit), true)
	field("OfferFieldWhen", b.when(lot, ev, loc), true)
	field("OfferFieldPlace", lot.Place, true)
	if lot.Mode == guichet.Shared {
		field("OfferFieldBudget", b.share(lot, loc), true)
	} else {
		field("OfferFieldBudget", l10n.Money(lot.Budget, loc), true)
	}
	field("OfferFieldRule", b.rule(lot, loc), false)
	if lot.Deadline != nil && lot.Status == guichet.LotOpen {
		field("OfferFieldDeadline", b.dateTime(*lot.Deadline, ev, loc), true)
	}
	field("OfferFieldRemaining", b.remaining(st, ev, loc), true)
	holders := b.holders(st, loc)
	field("OfferFieldHolders", strings.Join(holders, "\n"), false)
	if n := len(st.Pending()); n > 0 && lot.Status == guichet.LotOpen {
		field("OfferFieldCandidates", b.t(loc, "OfferCandidates", "Number", n), true)
	}

	holder := strings.Join(awardedNames(st), ", ")
	att.Fallback = b.t(loc, "OfferFallback", "Code", lot.Code, "Title", lot.Title, "Status", status, "Holders", holder)

	if b.claimable(st, ev) {
		fields := map[string]string{"lot": strconv.FormatInt(lot.ID, 10)}
		if lot.Mode == guichet.Shared {
			att.Actions = append(att.Actions, b.ActionButton(b.t(loc, "BtnShare"), actionShare, "primary", fields, ""))
		} else {
			att.Actions = append(att.Actions, b.ActionButton(b.t(loc, "BtnClaim"), actionClaim, "primary", fields, ""))
		}
		att.Actions = append(att.Actions, b.ActionButton(b.t(loc, "BtnPass"), actionPass, "default", fields, ""))
	} else if b.waitlistOpen(st, ev) {
		fields := map[string]string{"lot": strconv.FormatInt(lot.ID, 10)}
		att.Actions = append(att.Actions, b.ActionButton(b.t(loc, "BtnWaitlistJoin"), actionWaitJoin, "default", fields, ""))
	}
	if q := b.questionButton(st, ev, loc); q != nil {
		att.Actions = append(att.Actions, q)
	}
	return att
}

// claimable reports whether the offer still shows its buttons: a new claim would get through
// now (claimRefusal is nil).
func (b *Bot) claimable(st *guichet.LotState, ev *guichet.Event) bool {
	return b.claimRefusal(st, ev) == nil
}

// claimRefusal returns why Store.Claim would refuse a new claim of what remains of the lot
// now, or nil: guichet.LotState.Claimable, the event's state not judged when ev is nil.
func (b *Bot) claimRefusal(st *guichet.LotState, ev *guichet.Event) error {
	return st.Claimable(ev, b.now())
}

func (b *Bot) pastDeadline(lot *guichet.Lot) bool {
	return lot.PastDeadline(b.now())
}

// when writes the lot's day (its own, or the event's) and its slot: "vendredi 15 avril 2011,
// 12 h 00 – 14 h 00".
func (b *Bot) when(lot *guichet.Lot, ev *guichet.Event, loc string) string {
	if ev == nil {
		if lot.Slot() == "" {
			return ""
		}
		return lot.SlotStart + " – " + lot.SlotEnd
	}
	day := l10n.Date(lot.OnDay(ev), time.UTC, loc)
	if lot.SlotStart == "" {
		return day
	}
	return b.t(loc, "OfferWhen", "Day", day, "Start", b.clock(ev, lot.SlotStart, loc), "End", b.clock(ev, lot.SlotEnd, loc))
}

// clock writes an "HH:MM" slot end the way people of the locale write times of day.
func (b *Bot) clock(ev *guichet.Event, hhmm, loc string) string {
	h, errH := strconv.Atoi(hhmm[:min(2, len(hhmm))])
	m, errM := strconv.Atoi(hhmm[min(3, len(hhmm)):])
	if errH != nil || errM != nil {
		return hhmm
	}
	t, err := ev.LocalTime(0, h, m)
	if err != nil {
		return hhmm
	}
	return l10n.Clock(t, t.Location(), loc)
}

// dateTime writes an instant in the event's time zone (UTC without an event).
func (b *Bot) dateTime(at time.Time, ev *guichet.Event, loc string) string {
	if ev != nil {
		if zone, err := ev.Location(); err == nil {
			return l10n.DateTime(at, zone, loc)
		}
	}
	return l10n.DateTime(at, time.UTC, loc)
}

// share writes a shared lot's budget and the price of one unit.
func (b *Bot) share(lot *guichet.Lot, loc string) string {
	if lot.Budget == 0 || lot.Quantity <= 0 {
		return l10n.Money(lot.Budget, loc)
	}
	perUnit := guichet.Cents((2*int64(lot.Budget) + lot.Quantity) / (2 * lot.Quantity))
	id := "OfferShare"
	if int64(lot.Budget)%lot.Quantity != 0 {
		id = "OfferShareAbout"
	}
	return b.t(loc, id, "Budget", l10n.Money(lot.Budget, loc), "PerUnit", l10n.Money(perUnit, loc), "Unit", lot.Unit)
}

// rule writes who may take the lot and how it is awarded.
func (b *Bot) rule(lot *guichet.Lot, loc string) string {
	switch {
	case lot.Mode == guichet.Shared && lot.Award == guichet.Review:
		return b.t(loc, "OfferRuleSharedReview", "Max", lot.MaxSuppliers)
	case lot.Mode == guichet.Shared:
		return b.t(loc, "OfferRuleShared", "Max", lot.MaxSuppliers)
	case lot.Award == guichet.Review:
		return b.t(loc, "OfferRuleExclusiveReview")
	default:
		return b.t(loc, "OfferRuleExclusive")
	}
}

// remaining writes what is left to take.
func (b *Bot) remaining(st *guichet.LotState, ev *guichet.Event, loc string) string {
	lot := st.Lot
	if lot.Status == guichet.LotCancelled {
		return ""
	}
	left := st.Free()
	switch {
	case left <= 0 || !b.claimable(st, ev):
		return b.t(loc, "OfferRemainingNone")
	case lot.Mode == guichet.Exclusive:
		return b.t(loc, "OfferRemainingAll")
	default:
		return b.t(loc, "OfferRemainingShared", "Remaining", left, "Quantity", lot.Quantity, "Unit", lot.Unit,
			"Places", lot.MaxSuppliers-len(st.Awarded()))
	}
}

// holders writes one line per awarded claim: the structure, its quantity and its amount.
func (b *Bot) holders(st *guichet.LotState, loc string) []string {
	var out []string
	for _, c := range st.Awarded() {
		out = append(out, b.t(loc, "OfferHolder", "Supplier", c.SupplierName, "Quantity", c.Quantity,
			"Unit", st.Lot.Unit, "Amount", l10n.Money(c.Amount, loc)))
	}
	return out
}

func awardedNames(st *guichet.LotState) []string {
	var out []string
	for _, c := range st.Awarded() {
		out = append(out, c.SupplierName)
	}
	return out
}
