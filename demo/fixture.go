package demo

import (
	"fmt"
	"strconv"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
)

// fixture is the event to replay, read from package assises and checked for consistency.
type fixture struct {
	event        assises.Event
	suppliersCSV string
	lotsCSV      string
	suppliers    []mmrig.Supplier
	lots         []fixtureLot
	takes        []take
}

// fixtureLot is what the demo needs of a lot to replay and check it.
type fixtureLot struct {
	Code     string
	Title    string
	Shared   bool
	Quantity int64
	Budget   guichet.Cents
}

// take is one row of replay.csv: a structure took that quantity of a lot in 2011.
type take struct {
	Lot      string
	Supplier string
	Quantity int64
}

// loadFixture reads the fixture (package assises). It fails if a take names an unknown lot or
// structure, if an exclusive lot is not taken whole by one structure, or if a shared lot's
// shares do not add up to its quantity: the replay fills every lot, and the checks rely on it.
func loadFixture() (*fixture, error) {
	f := &fixture{}
	var err error
	if f.event, err = assises.LoadEvent(); err != nil {
		return nil, err
	}
	f.suppliersCSV = string(assises.Read(assises.SuppliersFile))
	if f.suppliers, err = mmrig.ParseSuppliers(assises.SuppliersFile, assises.Read(assises.SuppliersFile)); err != nil {
		return nil, err
	}
	f.lotsCSV = string(assises.Read(assises.LotsFile))
	lots, err := assises.Rows(assises.LotsFile, "code", "title", "quantity", "budget_eur", "mode")
	if err != nil {
		return nil, err
	}
	for i, r := range lots {
		qty, err := strconv.ParseInt(r["quantity"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("lots.csv line %d: quantity %q", i+2, r["quantity"])
		}
		budget, err := guichet.ParseEuros(r["budget_eur"])
		if err != nil {
			return nil, fmt.Errorf("lots.csv line %d: budget %q: %w", i+2, r["budget_eur"], err)
		}
		f.lots = append(f.lots, fixtureLot{Code: r["code"], Title: r["title"], Shared: r["mode"] == string(guichet.Shared),
			Quantity: qty, Budget: budget})
	}
	replay, err := assises.Rows(assises.ReplayFile, "lot", "supplier", "quantity")
	if err != nil {
		return nil, err
	}
	for i, r := range replay {
		qty, err := strconv.ParseInt(r["quantity"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("replay.csv line %d: quantity %q", i+2, r["quantity"])
		}
		f.takes = append(f.takes, take{Lot: r["lot"], Supplier: r["supplier"], Quantity: qty})
	}
	return f, f.check()
}

func (f *fixture) check() error {
	taken := map[string]int64{}
	takers := map[string]int{}
	for _, t := range f.takes {
		l := f.lot(t.Lot)
		if l == nil {
			return fmt.Errorf("replay.csv: unknown lot %s", t.Lot)
		}
		if f.supplier(t.Supplier) == nil {
			return fmt.Errorf("replay.csv: unknown structure %q", t.Supplier)
		}
		taken[t.Lot] += t.Quantity
		takers[t.Lot]++
	}
	for _, l := range f.lots {
		if taken[l.Code] != l.Quantity || (!l.Shared && takers[l.Code] != 1) {
			return fmt.Errorf("replay.csv: lot %s is taken %d times for %d of %d", l.Code, takers[l.Code], taken[l.Code], l.Quantity)
		}
	}
	return nil
}

func (f *fixture) lot(code string) *fixtureLot {
	for i := range f.lots {
		if f.lots[i].Code == code {
			return &f.lots[i]
		}
	}
	return nil
}

func (f *fixture) supplier(name string) *mmrig.Supplier {
	for i := range f.suppliers {
		if f.suppliers[i].Name == name {
			return &f.suppliers[i]
		}
	}
	return nil
}

// budget returns the sum of the lots' budgets: what the recap must total.
func (f *fixture) budget() guichet.Cents {
	var sum guichet.Cents
	for _, l := range f.lots {
		sum += l.Budget
	}
	return sum
}

// members returns the number of people of all structures.
func (f *fixture) members() int {
	n := 0
	for _, s := range f.suppliers {
		n += len(s.Members)
	}
	return n
}
