package guichet

import (
	"strconv"
	"strings"
	"time"
)

// LotEdit is a coordinator's change of a lot's terms after it was added (published or not):
// each field left nil stays as it is.
type LotEdit struct {
	Title, Description, Unit, Place *string
	Quantity                        *int64
	Budget                          *Cents
	// Slot is "HH:MM-HH:MM", or "" to remove the slot.
	Slot *string
	// Day is the new day the lot falls on (Lot.SetDay); ClearDay puts it back on the event's.
	Day      *time.Time
	ClearDay bool
	// Deadline is the new claim deadline; ClearDeadline removes it.
	Deadline      *time.Time
	ClearDeadline bool
	MaxSuppliers  *int
	Award         *AwardRule
	// Shrink says how the awarded shares shrink when the new quantity is below what they hold;
	// without it such a quantity is refused.
	Shrink *Shrink
}

// Shrink says how the awarded shares of a shared lot shrink to fit a smaller quantity: in
// proportion to what each holds (Proportional), or to the quantities given by structure name
// (Shares; a holder not named keeps its share).
type Shrink struct {
	Proportional bool
	Shares       map[string]int64
}

// Lot edit fields, as LotChange.Field names them (and the command writes them).
const (
	FieldTitle       = "title"
	FieldDescription = "description"
	FieldQuantity    = "quantity"
	FieldUnit        = "unit"
	FieldBudget      = "budget"
	FieldSlot        = "slot"
	FieldPlace       = "place"
	FieldDeadline    = "deadline"
	FieldMax         = "max"
	FieldAward       = "award"
)

// LotChange is one field of a lot that an edit changes, its values written for people
// (amounts in euros, the deadline in the event's time zone, "—" for nothing).
type LotChange struct {
	Field, Before, After string
	// Amounts holds the amounts before and after for the budget, which ChangeArgs hands on as
	// Cents so that each reader's language writes them; nil for the other fields.
	Amounts *[2]Cents
}

// HolderChange is what an edit changes for one structure holding a share of the lot.
type HolderChange struct {
	Claim *Claim
	// Quantity and Amount are the claim's new quantity and amount (unchanged when they do not
	// change); BeforeQuantity and BeforeAmount what it held.
	Quantity, BeforeQuantity int64
	Amount, BeforeAmount     Cents
	// Reconfirm is true when its quantity, amount, slot or place changed: its confirmation of
	// the event is reset and asked again.
	Reconfirm bool
}

// LotEditDecision is what an edit comes to (LotState.Edit).
type LotEditDecision struct {
	// Lot is the lot as the edit leaves it, its status settled.
	Lot *Lot
	// Changes lists the lot's changed fields in a fixed order.
	Changes []LotChange
	// Holders lists, for every active claim (awarded or pending) in claim order, what changes
	// for it; a pending candidacy never changes quantity or amount.
	Holders []HolderChange
}

// ChangeArgs writes the changed fields as a message's arguments: "QuantityBefore" and
// "QuantityAfter" for the quantity, and so on for each field (the Field… constants,
// capitalised); the budget's as Cents.
func (d *LotEditDecision) ChangeArgs() map[string]any {
	out := map[string]any{}
	for _, c := range d.Changes {
		key := strings.ToUpper(c.Field[:1]) + c.Field[1:]
		out[key+"Before"], out[key+"After"] = c.Before, c.After
		if c.Amounts != nil {
			out[key+"Before"], out[key+"After"] = c.Amounts[0], c.Amounts[1]
		}
	}
	return out
}

// Changed reports whether the edit changes anything: a field of the lot or a share.
func (d *LotEditDecision) Changed() bool {
	if len(d.Changes) > 0 {
		return true
	}
	for _, h := range d.Holders {
		if h.ShareChanged() {
			return true
		}
	}
	return false
}

// ShareChanged reports whether the holder's quantity or amount changes.
func (h *HolderChange) ShareChanged() bool {
	return h.Quantity != h.BeforeQuantity || h.Amount != h.BeforeAmount
}

// Edit decides the coordinator's edit of the lot at now and returns the lot and claims it
// leaves: ECONFLICT "ErrEventPast" once the event is over (ev.ClaimChangesOpen; ev nil is not
// judged), "ErrLotEditCancelled" for a cancelled lot; EINVALID "ErrDeadlinePast" for a
// deadline not after now, the day's errors (Lot.SetDay; a new day is not judged when ev is
// nil, and is not set either), the lot's own checks (Lot.Validate), "ErrLotEditMaxBelowHolders"
// when fewer structures than hold it would be allowed; ECONFLICT "ErrLotEditBelowClaimed"
// (with the holders) for a quantity below what the awarded shares hold without e.Shrink, and
// the Shrink errors (ShrinkShares). An exclusive lot's holder holds the whole lot: its share
// follows the quantity. Amounts are split again over the awarded claims (Settle), to the cent;
// a lot closed by its deadline opens again when the deadline moves past now. It does not
// change s.
func (s *LotState) Edit(ev *Event, e *LotEdit, now time.Time) (*LotEditDecision, error) {
	if ev != nil {
		if err := ev.ClaimChangesOpen(now); err != nil {
			return nil, err
		}
	}
	old := s.Lot
	if old.Status == LotCancelled {
		return nil, Errorf(ECONFLICT, "ErrLotEditCancelled", "Code", old.Code)
	}
	l := *old
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&l.Title, e.Title)
	set(&l.Description, e.Description)
	set(&l.Unit, e.Unit)
	set(&l.Place, e.Place)
	if e.Quantity != nil {
		l.Quantity = *e.Quantity
	}
	if e.Budget != nil {
		l.Budget = *e.Budget
	}
	if e.Slot != nil {
		start, end, err := ParseSlot(*e.Slot)
		if err != nil {
			return nil, err
		}
		l.SlotStart, l.SlotEnd = start, end
	}
	if e.ClearDay {
		l.Day = nil
	} else if e.Day != nil && ev != nil {
		if err := l.SetDay(ev, e.Day, now); err != nil {
			return nil, err
		}
	}
	if e.ClearDeadline {
		l.Deadline = nil
	} else if e.Deadline != nil {
		if !e.Deadline.After(now) {
			return nil, Errorf(EINVALID, "ErrDeadlinePast", "Code", old.Code)
		}
		at := *e.Deadline
		l.Deadline = &at
	}
	if e.MaxSuppliers != nil {
		l.MaxSuppliers = *e.MaxSuppliers
	}
	if e.Award != nil {
		l.Award = *e.Award
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	awarded := s.Awarded()
	if l.MaxSuppliers < len(awarded) {
		return nil, Errorf(EINVALID, "ErrLotEditMaxBelowHolders", "Code", l.Code, "Max", l.MaxSuppliers, "Count", len(awarded))
	}
	quantities, err := s.shrunk(&l, e.Shrink)
	if err != nil {
		return nil, err
	}
	// Settle on the claims as the edit leaves them.
	claims := make([]*Claim, len(s.Claims))
	for i, c := range s.Claims {
		cc := *c
		if q, ok := quantities[c.ID]; ok {
			cc.Quantity = q
		}
		claims[i] = &cc
	}
	if l.Status == LotClosed && old.PastDeadline(now) && !l.PastDeadline(now) {
		l.Status = LotOpen
	}
	after := &LotState{Lot: &l, Claims: claims}
	amounts, next := after.Settle()
	l.Status = next

	d := &LotEditDecision{Lot: &l, Changes: lotChanges(old, &l, ev)}
	placeOrSlot := slotText(old, ev) != slotText(&l, ev) || old.Place != l.Place
	for i, c := range s.Claims {
		if !c.Status.Active() {
			continue
		}
		h := HolderChange{Claim: c, BeforeQuantity: c.Quantity, Quantity: claims[i].Quantity, BeforeAmount: c.Amount, Amount: amounts[i]}
		if c.Status == ClaimAwarded {
			h.Reconfirm = placeOrSlot || h.Quantity != h.BeforeQuantity || h.Amount != h.BeforeAmount
		}
		d.Holders = append(d.Holders, h)
	}
	return d, nil
}

// shrunk returns the new quantity of each awarded claim whose quantity the edit changes, by
// claim id, or the error that says why the lot's new quantity cannot hold them.
func (s *LotState) shrunk(l *Lot, rule *Shrink) (map[int64]int64, error) {
	awarded := s.Awarded()
	out := map[int64]int64{}
	if l.Mode == Exclusive {
		for _, c := range awarded {
			if c.Quantity != l.Quantity {
				out[c.ID] = l.Quantity
			}
		}
		return out, nil
	}
	held := s.AwardedQuantity()
	if rule == nil {
		if held > l.Quantity {
			return nil, Errorf(ECONFLICT, "ErrLotEditBelowClaimed", "Code", l.Code, "Quantity", l.Quantity,
				"Claimed", held, "Unit", l.Unit, "Holders", holderList(awarded))
		}
		return out, nil
	}
	if rule.Proportional {
		if held <= l.Quantity {
			return out, nil
		}
		weights := make([]int64, len(awarded))
		for i, c := range awarded {
			weights[i] = c.Quantity
		}
		parts := SplitLargestRemainder(Cents(l.Quantity), weights)
		for i, c := range awarded {
			if parts[i] < 1 {
				return nil, Errorf(EINVALID, "ErrShrinkToNothing", "Code", l.Code, "Supplier", c.SupplierName)
			}
			if int64(parts[i]) != c.Quantity {
				out[c.ID] = int64(parts[i])
			}
		}
		return out, nil
	}
	named := map[string]bool{}
	var total int64
	for _, c := range awarded {
		q := c.Quantity
		for name, n := range rule.Shares {
			if strings.EqualFold(strings.TrimSpace(name), strings.TrimSpace(c.SupplierName)) {
				named[name] = true
				if n < 1 || n > MaxQuantity {
					return nil, Errorf(EINVALID, "ErrShrinkToNothing", "Code", l.Code, "Supplier", c.SupplierName)
				}
				q = n
			}
		}
		if q != c.Quantity {
			out[c.ID] = q
		}
		total += q
	}
	for name := range rule.Shares {
		if !named[name] {
			return nil, Errorf(EINVALID, "ErrShrinkNotHolder", "Code", l.Code, "Supplier", name, "Holders", holderList(awarded))
		}
	}
	if total > l.Quantity {
		return nil, Errorf(EINVALID, "ErrShrinkTooMuch", "Code", l.Code, "Total", total, "Quantity", l.Quantity,
			"Unit", l.Unit, "Holders", holderList(awarded))
	}
	return out, nil
}

// holderList writes the holders of awarded claims as "Name (120), Other (80)".
func holderList(claims []*Claim) string {
	parts := make([]string, len(claims))
	for i, c := range claims {
		parts[i] = c.SupplierName + " (" + strconv.FormatInt(c.Quantity, 10) + ")"
	}
	return strings.Join(parts, ", ")
}

// lotChanges lists the fields that differ between before and after, in a fixed order.
func lotChanges(before, after *Lot, ev *Event) []LotChange {
	var out []LotChange
	add := func(field, b, a string) {
		if b != a {
			out = append(out, LotChange{Field: field, Before: orDash(b), After: orDash(a)})
		}
	}
	add(FieldTitle, before.Title, after.Title)
	add(FieldDescription, before.Description, after.Description)
	add(FieldQuantity, strconv.FormatInt(before.Quantity, 10), strconv.FormatInt(after.Quantity, 10))
	add(FieldUnit, before.Unit, after.Unit)
	if before.Budget != after.Budget {
		out = append(out, LotChange{Field: FieldBudget, Before: before.Budget.String(), After: after.Budget.String(),
			Amounts: &[2]Cents{before.Budget, after.Budget}})
	}
	add(FieldSlot, slotText(before, ev), slotText(after, ev))
	add(FieldPlace, before.Place, after.Place)
	add(FieldDeadline, deadlineText(before.Deadline, ev), deadlineText(after.Deadline, ev))
	add(FieldMax, strconv.Itoa(before.MaxSuppliers), strconv.Itoa(after.MaxSuppliers))
	add(FieldAward, string(before.Award), string(after.Award))
	return out
}

// slotText writes the lot's slot for a change, "12:00-14:00", preceded by its day when it
// falls on another day than the event's ("14/04/2011 12:00-14:00", or "14/04/2011" alone).
func slotText(l *Lot, ev *Event) string {
	if l.Day == nil || (ev != nil && !l.OwnDay(ev)) {
		return l.Slot()
	}
	return strings.TrimSpace(l.Day.Format("02/01/2006") + " " + l.Slot())
}

// deadlineText writes a deadline as "13/04/2011 18:00" in the event's time zone (UTC without
// an event), or "" for none.
func deadlineText(t *time.Time, ev *Event) string {
	if t == nil {
		return ""
	}
	loc := time.UTC
	if ev != nil {
		if l, err := ev.Location(); err == nil {
			loc = l
		}
	}
	return t.In(loc).Format("02/01/2006 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
