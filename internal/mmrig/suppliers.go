package mmrig

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
)

// LoadSuppliers reads a suppliers file in the import format of the Assises fixture
// (internal/assises/suppliers.csv): see ParseSuppliers.
func LoadSuppliers(path string) ([]Supplier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSuppliers(path, data)
}

// ParseSuppliers reads suppliers in the import format of the Assises fixture: a header
// "name,categories,channel,members", then one structure per line, categories and members
// separated by ";". Errors name the file as name.
func ParseSuppliers(name string, data []byte) ([]Supplier, error) {
	path := name
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	for _, h := range []string{"name", "categories", "channel", "members"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("%s: no column %q in the header", path, h)
		}
	}
	split := func(s string) []string {
		var out []string
		for _, p := range strings.Split(s, ";") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	var out []Supplier
	for i, row := range rows[1:] {
		s := Supplier{
			Name:       strings.TrimSpace(row[col["name"]]),
			Categories: split(row[col["categories"]]),
			Channel:    strings.TrimSpace(row[col["channel"]]),
			Members:    split(row[col["members"]]),
		}
		if s.Name == "" || s.Channel == "" || len(s.Members) == 0 {
			return nil, fmt.Errorf("%s line %d: a structure needs a name, a channel and members", path, i+2)
		}
		out = append(out, s)
	}
	return out, nil
}
