// Package report builds an event's recap — who did what, the money agreed with and paid to each
// structure and to the network as a whole, which lots were filled, who confirmed the day before
// — and renders it: a Markdown message in the event's language, a PNG bar chart of the euros per
// structure, and CSV files of the awarded claims and of the audit trail.
//
// CSV files are written for French spreadsheet users: UTF-8 with a byte-order mark (without it,
// Excel reads UTF-8 as Windows-1252 and garbles accents), semicolons between fields (a French
// Excel or LibreOffice expects them, because the comma is the decimal separator), CRLF line
// ends, amounts in euros with a decimal comma and no thousands separator ("1320,00", which a
// French spreadsheet reads as a number) and the same amount in cents as a plain integer for
// programs. Text cells that a spreadsheet would take for a formula (beginning with =, +, -, @)
// are written with a leading apostrophe.
//
// The recap reads the database through Store only; it changes nothing, so building it is also
// the preview.
package report

import (
	"context"
	"sort"
	"strconv"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"guichet.dev/guichet"
)

// Store is what the recap needs from the database; *db.DB satisfies it.
type Store interface {
	// RecapData reads the event's recap data in one snapshot; ENOTFOUND if no such event.
	RecapData(ctx context.Context, eventID int64) (*guichet.RecapData, error)
}

// Recap is an event's recap.
type Recap struct {
	Event *guichet.Event
	// Suppliers are the suppliers (the structures, in messages) with an awarded claim or a
	// payment, the largest agreed amount first (ties in alphabetical order).
	Suppliers []*SupplierPart
	// Lots are every lot of the event in the order they were added, with their outcome.
	Lots []*LotLine
	// Agreed is the money to the network: the sum of the awarded claims on lots not cancelled.
	Agreed guichet.Cents
	// Due is Agreed with the coordinators' adjustments: each adjusted share counts at its
	// adjusted amount. Equal to Agreed when nothing was adjusted.
	Due guichet.Cents
	// Deliveries counts the shares whose delivery was reported; Adjustments those adjusted.
	Deliveries, Adjustments int
	// Paid is what was recorded as paid to the structures.
	Paid guichet.Cents
	// Ordered and Invoiced add the structures' current purchase orders and invoices (gross);
	// Desk says whether the event has any, so that the recap shows them.
	Ordered, Invoiced guichet.Cents
	Desk              bool
	// LotsFilled, LotsUnfilled and LotsCancelled count the lots by outcome.
	LotsFilled, LotsUnfilled, LotsCancelled int
	// ConfirmReminder names the reminder structures confirm, the last before the event, as
	// people write it: "J-1" by default.
	ConfirmReminder string
	// ConfirmAsked counts the structures sent (or due) that reminder; Confirmed those who
	// confirmed; Problems those who reported a problem instead.
	ConfirmAsked, Confirmed, Problems int
}

// Remaining returns what is still due to the network: Due minus Paid.
func (r *Recap) Remaining() guichet.Cents { return r.Due - r.Paid }

// Owed returns what is still to pay the structures, each counted as SupplierPart.Owed.
func (r *Recap) Owed() guichet.Cents {
	var out guichet.Cents
	for _, s := range r.Suppliers {
		out += s.Owed()
	}
	return out
}

// SupplierCount returns how many suppliers took part: those with an awarded claim.
func (r *Recap) SupplierCount() int {
	n := 0
	for _, s := range r.Suppliers {
		if len(s.Items) > 0 {
			n++
		}
	}
	return n
}

// Claims returns every awarded claim, structure by structure in the recap's order.
func (r *Recap) Claims() []ClaimLine {
	var out []ClaimLine
	for _, s := range r.Suppliers {
		for _, it := range s.Items {
			out = append(out, ClaimLine{Supplier: s.Name, Item: it})
		}
	}
	return out
}

// ClaimLine is an awarded claim with its supplier's name.
type ClaimLine struct {
	Supplier string
	Item
}

// SupplierPart is one supplier's part in the event.
type SupplierPart struct {
	SupplierID int64
	Name       string
	// Items are its awarded claims, in the order of the event's lots.
	Items  []Item
	Agreed guichet.Cents
	// Due is Agreed with the coordinators' adjustments.
	Due  guichet.Cents
	Paid guichet.Cents
	J1   Confirmation
	// Ordered is the gross of its current purchase order (0 without one); Invoiced the sum of
	// its invoices (gross).
	Ordered, Invoiced guichet.Cents
}

// Owed returns what is still to pay the structure: what it invoiced less what it was paid,
// once it invoiced; before, Remaining.
func (s *SupplierPart) Owed() guichet.Cents {
	if s.Invoiced > 0 {
		return s.Invoiced - s.Paid
	}
	return s.Remaining()
}

// Remaining returns what is still due to the structure, after adjustments (negative when it
// was paid more).
func (s *SupplierPart) Remaining() guichet.Cents { return s.Due - s.Paid }

// Item is one awarded claim.
type Item struct {
	LotID    int64
	LotCode  string
	LotTitle string
	Quantity int64
	Unit     string
	Amount   guichet.Cents
	Status   guichet.ClaimStatus
	// Delivered is the quantity the structure reported delivered, nil when not reported;
	// Comment what it said.
	Delivered *int64
	Comment   string
	// Adjusted is the amount a coordinator set for the share, nil when not adjusted; Reason
	// why.
	Adjusted *guichet.Cents
	Reason   string
}

// Due returns what the share is owed: its adjusted amount when adjusted, its agreed one
// otherwise.
func (it Item) Due() guichet.Cents {
	if it.Adjusted != nil {
		return *it.Adjusted
	}
	return it.Amount
}

// LotOutcome says how a lot ended.
type LotOutcome string

// Lot outcomes.
const (
	// LotFilled: every unit found a structure (or the shared lot reached its structures).
	LotFilled LotOutcome = "filled"
	// LotUnfilled: part or all of the quantity found no structure.
	LotUnfilled LotOutcome = "unfilled"
	// LotCancelled: the coordinator cancelled the lot.
	LotCancelled LotOutcome = "cancelled"
)

// LotLine is a lot with its outcome.
type LotLine struct {
	Lot        *guichet.Lot
	Outcome    LotOutcome
	AwardedQty int64
	Suppliers  int
}

// Confirmation is where a structure stands on the last reminder before the event (J-1 by
// default).
type Confirmation string

// Confirmation states.
const (
	// J1None: no such reminder for this structure (none in the schedule, or it came later).
	J1None Confirmation = ""
	// J1Waiting: the reminder is not sent yet.
	J1Waiting Confirmation = "waiting"
	// J1Unanswered: sent (or skipped), not confirmed.
	J1Unanswered Confirmation = "unanswered"
	// J1Confirmed: the structure confirmed.
	J1Confirmed Confirmation = "confirmed"
	// J1Problem: the structure reported a problem.
	J1Problem Confirmation = "problem"
)

// Build reads the event's data from store and builds its recap. It changes nothing.
func Build(ctx context.Context, store Store, eventID int64) (*Recap, error) {
	d, err := store.RecapData(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return FromData(d), nil
}

// FromData builds a recap from data already read.
func FromData(d *guichet.RecapData) *Recap {
	r := &Recap{Event: d.Board.Event, ConfirmReminder: "J-1"}
	if specs, err := guichet.ParseReminders(r.Event.Reminders); err == nil && len(specs) > 0 {
		r.ConfirmReminder = "J-" + strconv.Itoa(specs[len(specs)-1].DaysBefore)
	}
	type share struct{ lot, supplier int64 }
	deliveries := map[share]*guichet.Delivery{}
	for _, dl := range d.Deliveries {
		deliveries[share{dl.LotID, dl.SupplierID}] = dl
	}
	bySupplier := map[int64]*SupplierPart{}
	structure := func(id int64, name string) *SupplierPart {
		s := bySupplier[id]
		if s == nil {
			s = &SupplierPart{SupplierID: id, Name: name}
			bySupplier[id] = s
			r.Suppliers = append(r.Suppliers, s)
		}
		return s
	}
	for _, st := range d.Board.Lots {
		l := st.Lot
		line := &LotLine{Lot: l, AwardedQty: st.AwardedQuantity()}
		if l.Status != guichet.LotCancelled {
			for _, c := range st.Awarded() {
				line.Suppliers++
				s := structure(c.SupplierID, c.SupplierName)
				it := Item{LotID: l.ID, LotCode: l.Code, LotTitle: l.Title,
					Quantity: c.Quantity, Unit: l.Unit, Amount: c.Amount, Status: c.Status}
				if dl := deliveries[share{l.ID, c.SupplierID}]; dl != nil {
					it.Delivered, it.Comment, it.Adjusted, it.Reason = dl.Quantity, dl.Comment, dl.Adjusted, dl.AdjustReason
					if dl.Quantity != nil {
						r.Deliveries++
					}
					if dl.Adjusted != nil {
						r.Adjustments++
					}
				}
				s.Items = append(s.Items, it)
				s.Agreed += c.Amount
				r.Agreed += c.Amount
				s.Due += it.Due()
				r.Due += it.Due()
			}
		}
		switch {
		case l.Status == guichet.LotCancelled:
			line.Outcome = LotCancelled
			r.LotsCancelled++
		case l.Status == guichet.LotFilled || line.AwardedQty >= l.Quantity:
			line.Outcome = LotFilled
			r.LotsFilled++
		default:
			line.Outcome = LotUnfilled
			r.LotsUnfilled++
		}
		r.Lots = append(r.Lots, line)
	}
	for _, p := range d.Payments {
		s := structure(p.SupplierID, p.SupplierName)
		s.Paid += p.Amount
		r.Paid += p.Amount
	}
	for _, o := range d.Orders {
		s := structure(o.SupplierID, o.SupplierName)
		s.Ordered += o.Gross
		r.Ordered += o.Gross
		r.Desk = true
	}
	for _, inv := range d.Invoices {
		s := structure(inv.SupplierID, inv.SupplierName)
		s.Invoiced += inv.Gross
		r.Invoiced += inv.Gross
		r.Desk = true
	}
	for _, rem := range d.Confirmations {
		if rem.SupplierID == nil {
			continue
		}
		s := bySupplier[*rem.SupplierID]
		if s == nil || len(s.Items) == 0 {
			// A structure no longer concerned keeps its reminder row as history only.
			continue
		}
		r.ConfirmAsked++
		switch {
		case rem.Problem != "":
			s.J1 = J1Problem
			r.Problems++
		case rem.ConfirmedAt != nil:
			s.J1 = J1Confirmed
			r.Confirmed++
		case rem.Status == guichet.ReminderDue:
			s.J1 = J1Waiting
		default:
			s.J1 = J1Unanswered
		}
	}
	col := collate.New(language.French, collate.IgnoreCase, collate.Loose)
	sort.SliceStable(r.Suppliers, func(i, j int) bool {
		a, b := r.Suppliers[i], r.Suppliers[j]
		if a.Agreed != b.Agreed {
			return a.Agreed > b.Agreed
		}
		return col.CompareString(a.Name, b.Name) < 0
	})
	return r
}

// ForLot returns a copy of the recap restricted to one lot: its claims only, the structures
// holding a share of it and the totals of that lot. Lots and J-1 counts are left out.
func (r *Recap) ForLot(code string) *Recap {
	out := &Recap{Event: r.Event}
	for _, l := range r.Lots {
		if l.Lot.Code == code {
			out.Lots = append(out.Lots, l)
		}
	}
	for _, s := range r.Suppliers {
		var items []Item
		var agreed, due guichet.Cents
		for _, it := range s.Items {
			if it.LotCode == code {
				items = append(items, it)
				agreed += it.Amount
				due += it.Due()
			}
		}
		if len(items) == 0 {
			continue
		}
		out.Suppliers = append(out.Suppliers, &SupplierPart{SupplierID: s.SupplierID, Name: s.Name, Items: items, Agreed: agreed, Due: due, J1: s.J1})
		out.Agreed += agreed
		out.Due += due
	}
	return out
}
