package demo

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// The Assises 2011 fixture, embedded so that the demo runs from the binary alone: the event,
// the 19 structures and the 14 lots in the import formats, and who took what in 2011. The
// amounts are illustrative, not historical.
//
//go:embed assises-2011/event.toml assises-2011/suppliers.csv assises-2011/lots.csv assises-2011/replay.csv
var fixtureFS embed.FS

// fixture is the event to replay, read from the embedded files and checked for consistency.
type fixture struct {
	event        fixtureEvent
	suppliersCSV string
	lotsCSV      string
	suppliers    []mmrig.Supplier
	lots         []fixtureLot
	takes        []take
}

type fixtureEvent struct {
	Name     string    `toml:"name"`
	Day      time.Time `toml:"day"`
	TimeZone string    `toml:"timezone"`
	Venue    string    `toml:"venue"`
	Client   string    `toml:"client"`
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

// loadFixture reads the embedded fixture. It fails if a take names an unknown lot or
// structure, if an exclusive lot is not taken whole by one structure, or if a shared lot's
// shares do not add up to its quantity: the replay fills every lot, and the checks rely on it.
func loadFixture() (*fixture, error) {
	read := func(name string) ([]byte, error) { return fixtureFS.ReadFile("assises-2011/" + name) }
	f := &fixture{}
	data, err := read("event.toml")
	if err != nil {
		return nil, err
	}
	if _, err := toml.Decode(string(data), &f.event); err != nil {
		return nil, fmt.Errorf("event.toml: %w", err)
	}
	if data, err = read("suppliers.csv"); err != nil {
		return nil, err
	}
	f.suppliersCSV = string(data)
	sups, err := rows("suppliers.csv", data, "name", "categories", "channel", "members")
	if err != nil {
		return nil, err
	}
	for _, r := range sups {
		f.suppliers = append(f.suppliers, mmrig.Supplier{
			Name: r["name"], Categories: list(r["categories"]), Channel: r["channel"], Members: list(r["members"]),
		})
	}
	if data, err = read("lots.csv"); err != nil {
		return nil, err
	}
	f.lotsCSV = string(data)
	lots, err := rows("lots.csv", data, "code", "title", "quantity", "budget_eur", "mode")
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
	if data, err = read("replay.csv"); err != nil {
		return nil, err
	}
	replay, err := rows("replay.csv", data, "lot", "supplier", "quantity")
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

// rows reads a CSV file with a header into one map per line, checking that the header has
// every needed column.
func rows(name string, data []byte, need ...string) ([]map[string]string, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	head := map[string]int{}
	for i, h := range recs[0] {
		head[strings.TrimSpace(h)] = i
	}
	for _, h := range need {
		if _, ok := head[h]; !ok {
			return nil, fmt.Errorf("%s: no column %q", name, h)
		}
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for h, i := range head {
			row[h] = strings.TrimSpace(rec[i])
		}
		out = append(out, row)
	}
	return out, nil
}

// list splits a ";"-separated cell.
func list(cell string) []string {
	var out []string
	for _, p := range strings.Split(cell, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
