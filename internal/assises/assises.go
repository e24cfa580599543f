// Package assises holds the Assises 2011 fixture, the one copy the demo, the tests and the
// benchmarks replay: the event (event.toml), its 19 structures (suppliers.csv) and 14 lots
// (lots.csv) in the import formats, and who took what in 2011 (replay.csv). README.md in
// this folder describes the files; the amounts are illustrative, not historical.
//
// The files are embedded, so that the demo runs from its binary alone; tests that need a
// path (to run the import command on a file, say) use Dir.
package assises

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// The fixture's files, by name.
const (
	EventFile     = "event.toml"
	SuppliersFile = "suppliers.csv"
	LotsFile      = "lots.csv"
	ReplayFile    = "replay.csv"
)

//go:embed event.toml suppliers.csv lots.csv replay.csv
var files embed.FS

// Read returns the content of one of the fixture's files. It panics on another name: the
// names are constants of this package.
func Read(name string) []byte {
	data, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("assises: no file %q in the fixture", name))
	}
	return data
}

// Rows returns the rows of one of the fixture's CSV files, each keyed by the header's column
// names, with the spaces around cells trimmed. It fails if a needed column is missing.
func Rows(name string, need ...string) ([]map[string]string, error) {
	recs, err := csv.NewReader(bytes.NewReader(Read(name))).ReadAll()
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
	out := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := make(map[string]string, len(head))
		for h, i := range head {
			row[h] = strings.TrimSpace(rec[i])
		}
		out = append(out, row)
	}
	return out, nil
}

// Event is the event of event.toml.
type Event struct {
	Name        string    `toml:"name"`
	Day         time.Time `toml:"day"`
	TimeZone    string    `toml:"timezone"`
	Venue       string    `toml:"venue"`
	Client      string    `toml:"client"`
	Coordinator string    `toml:"coordinator"`
}

// LoadEvent reads event.toml.
func LoadEvent() (Event, error) {
	var e Event
	if _, err := toml.Decode(string(Read(EventFile)), &e); err != nil {
		return Event{}, fmt.Errorf("%s: %w", EventFile, err)
	}
	return e, nil
}

// Dir returns the folder that holds the fixture's files in the source tree, for tests that
// need paths. It is empty in a binary built without the source tree's paths (-trimpath).
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Dir(file)
}
