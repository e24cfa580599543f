package commands

import (
	"errors"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/sheet"
)

// MaxCSVBytes bounds an imported file; MaxCSVRows its data rows: a file dropped in chat has
// the same bounds (package sheet).
const (
	MaxCSVBytes = sheet.MaxBytes
	MaxCSVRows  = sheet.MaxRows
)

// column is a field of an import format: its canonical name (as the fixture's header writes
// it), the other headers accepted for it (normalised: lower-case letters and digits only)
// and whether it must be present.
type column struct {
	name     string
	aliases  []string
	required bool
}

var supplierColumns = []column{
	{name: "name", aliases: []string{"name", "nom", "structure", "supplier"}, required: true},
	{name: "categories", aliases: []string{"categories", "category", "categorie"}, required: true},
	{name: "channel", aliases: []string{"channel", "canal"}},
	{name: "members", aliases: []string{"members", "member", "membres", "membre"}},
}

func init() {
	// The legal profile's columns (profile.go), all optional.
	for _, f := range profileFields {
		supplierColumns = append(supplierColumns, column{name: f.name, aliases: f.aliases})
	}
}

var lotColumns = []column{
	{name: "code", aliases: []string{"code"}, required: true},
	{name: "title", aliases: []string{"title", "titre", "intitule", "libelle"}, required: true},
	{name: "category", aliases: []string{"category", "categorie"}, required: true},
	{name: "quantity", aliases: []string{"quantity", "quantite", "qty", "qte"}, required: true},
	{name: "unit", aliases: []string{"unit", "unite"}},
	{name: "budget_eur", aliases: []string{"budgeteur", "budget", "budgeteuros"}, required: true},
	{name: "mode", aliases: []string{"mode"}},
	{name: "max_suppliers", aliases: []string{"maxsuppliers", "max", "maxstructures"}},
	{name: "slot", aliases: []string{"slot", "creneau", "horaire"}},
	{name: "day", aliases: []string{"day", "jour", "date"}},
	{name: "description", aliases: []string{"description", "desc"}},
	{name: "award", aliases: []string{"award", "attribution"}},
	{name: "deadline", aliases: []string{"deadline", "datelimite", "limite"}},
	{name: "place", aliases: []string{"place", "lieu"}},
}

// normHeader keeps a header's letters and digits, lower-cased and without accents:
// "Budget (€)" → "budget", "max_suppliers" → "maxsuppliers".
func normHeader(h string) string {
	var b strings.Builder
	for _, r := range fold(h) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// table is a read CSV file: its header, and for each data row its cells by canonical column
// name and its row number as a person counts it (the header is row 1).
type table struct {
	header  map[string]int // canonical name → index
	written []string       // headers as written
	rows    []tableRow
}

type tableRow struct {
	number int
	cells  []string
}

// cell returns the trimmed cell of the canonical column, "" when the file has no such column.
func (t *table) cell(r tableRow, name string) string {
	i, ok := t.header[name]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

// cellError returns the error that names row and column, with the problem found there.
// errCSVCell is the kind of cellError's errors (errors.Is).
var errCSVCell = &guichet.Error{Code: guichet.EINVALID, MessageID: "CmdCSVCell"}

func (t *table) cellError(row int, name string, problem error) error {
	written, letter := name, ""
	if i, ok := t.header[name]; ok {
		written, letter = t.written[i], columnLetter(i)
	}
	return guichet.Errorf(errCSVCell.Code, errCSVCell.MessageID, "Row", row, "Column", written, "Letter", letter, "Problem", problem)
}

// columnLetter returns a spreadsheet's name of column i (0 → A, 26 → AA).
func columnLetter(i int) string {
	s := ""
	for i >= 0 {
		s = string(rune('A'+i%26)) + s
		i = i/26 - 1
	}
	return s
}

// readTable reads a CSV file in one of the import formats: any encoding and separator
// package sheet reads (sheet.ReadCSV), a header row naming the columns in any order; or an
// .xlsx workbook, whose first sheet in that format it reads. Errors
// name the row and what is wrong; nothing is returned on error.
func readTable(data []byte, cols []column) (*table, error) {
	if len(data) > MaxCSVBytes {
		return nil, guichet.Errorf(guichet.EINVALID, "CmdCSVTooBig", "Max", MaxCSVBytes/1024)
	}
	if sheet.IsWorkbook("", data) {
		return workbookTable(data, cols)
	}
	s, err := sheet.ReadCSV(data)
	if err != nil {
		return nil, err
	}
	return tableOf(s.Rows, cols, sheet.Separator(string(data)))
}

// workbookTable reads the first sheet of an .xlsx workbook whose header is in the format cols
// (lots or structures, see sheetKind); CmdCSVEmpty when none is.
func workbookTable(data []byte, cols []column) (*table, error) {
	sheets, err := sheet.Read("", data)
	if err != nil {
		return nil, err
	}
	for _, s := range sheets {
		if kind := sheetKind(s.Rows[0].Cells); kind != nil && kind[0].name == cols[0].name {
			return tableOf(s.Rows, cols, "")
		}
	}
	return nil, guichet.Errorf(guichet.EINVALID, "CmdCSVEmpty", "Columns", expectedColumns(cols))
}

// expectedColumns lists the canonical names of cols, for messages.
func expectedColumns(cols []column) string {
	expected := make([]string, len(cols))
	for i, c := range cols {
		expected[i] = c.name
	}
	return strings.Join(expected, ", ")
}

// tableOf makes the table of rows read from a file (the header first; blank rows are
// skipped) in one of the formats cols; sep is the file's separator, for messages ("" for a
// workbook).
func tableOf(rows []sheet.Row, cols []column, sep string) (*table, error) {
	t := &table{header: map[string]int{}}
	expectedList := expectedColumns(cols)
	for _, row := range rows {
		if t.written == nil {
			if err := t.readHeader(row.Cells, cols, expectedList); err != nil {
				return nil, err
			}
			continue
		}
		rec := row.Cells
		if blank(rec) {
			continue
		}
		if len(rec) > len(t.written) {
			return nil, guichet.Errorf(guichet.EINVALID, "CmdCSVColumns", "Row", row.Number, "N", len(rec), "Expected", len(t.written), "Separator", sep)
		}
		if len(t.rows) >= MaxCSVRows {
			return nil, guichet.Errorf(guichet.EINVALID, "CmdCSVTooManyRows", "Max", MaxCSVRows)
		}
		t.rows = append(t.rows, tableRow{number: row.Number, cells: rec})
	}
	if t.written == nil || len(t.rows) == 0 {
		return nil, guichet.Errorf(guichet.EINVALID, "CmdCSVEmpty", "Columns", expectedList)
	}
	return t, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (t *table) readHeader(rec []string, cols []column, expectedList string) error {
	t.written = rec
	for i, h := range rec {
		n := normHeader(h)
		if n == "" && strings.TrimSpace(h) == "" && i == len(rec)-1 {
			// A trailing separator leaves an empty last header; spreadsheets write it.
			continue
		}
		name := ""
		for _, c := range cols {
			for _, a := range c.aliases {
				if a == n {
					name = c.name
				}
			}
		}
		if name == "" {
			return guichet.Errorf(guichet.EINVALID, "CmdCSVUnknownColumn", "Column", strings.TrimSpace(h), "Letter", columnLetter(i), "Columns", expectedList)
		}
		if _, dup := t.header[name]; dup {
			return guichet.Errorf(guichet.EINVALID, "CmdCSVColumnTwice", "Column", strings.TrimSpace(h), "Letter", columnLetter(i))
		}
		t.header[name] = i
	}
	for _, c := range cols {
		if _, ok := t.header[c.name]; c.required && !ok {
			return guichet.Errorf(guichet.EINVALID, "CmdCSVMissingColumn", "Column", c.name, "Columns", expectedList)
		}
	}
	return nil
}

// SupplierRecord is one row of a suppliers file.
type SupplierRecord struct {
	// Row is the row's number as a person counts it: the header is row 1.
	Row int
	// Supplier is the row, validated. Its members have usernames and no user ids, its channel
	// a name and no id: resolving them needs Mattermost (see ResolveSuppliers).
	Supplier *guichet.Supplier
	table    *table
}

// CellError returns an error naming the record's row and the column (a canonical name, e.g.
// "members") with the problem found there.
func (r SupplierRecord) CellError(column string, problem error) error {
	return r.table.cellError(r.Row, column, problem)
}

// has reports whether the record's file has the column (a canonical name).
func (r SupplierRecord) has(column string) bool {
	_, ok := r.table.header[column]
	return ok
}

// ReadSuppliers reads a suppliers file: columns name, categories (separated by ";" or ","),
// channel, members (usernames separated by ";" or ","), and the legal profile's: siret, legal_form
// (« forme juridique »), kind (« type »), vat_regime (« tva »), vat_rate (« taux tva »), address
// (« adresse »), billing_email (« email facturation »), each optional, an empty cell leaving the
// field unsaid. It is all or nothing: the first
// problem is returned as an EINVALID error naming the row and the column, and no record.
func ReadSuppliers(data []byte) ([]SupplierRecord, error) {
	t, err := readTable(data, supplierColumns)
	if err != nil {
		return nil, err
	}
	out, problems := t.suppliers()
	if len(problems) > 0 {
		return nil, problems[0]
	}
	return out, nil
}

// suppliers reads the table's rows as structures: the valid records, and the problem of
// every other row, in order.
func (t *table) suppliers() ([]SupplierRecord, []error) {
	out := make([]SupplierRecord, 0, len(t.rows))
	var problems []error
	firstRow := map[string]int{}
	for _, row := range t.rows {
		s, err := t.supplier(row)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if first, dup := firstRow[s.Slug]; dup {
			problems = append(problems, t.cellError(row.number, "name", guichet.Errorf(guichet.EINVALID, "CmdCSVDuplicate", "Value", s.Name, "FirstRow", first)))
			continue
		}
		firstRow[s.Slug] = row.number
		out = append(out, SupplierRecord{Row: row.number, Supplier: s, table: t})
	}
	return out, problems
}

func (t *table) supplier(row tableRow) (*guichet.Supplier, error) {
	s := &guichet.Supplier{Name: t.cell(row, "name"), Categories: splitList(t.cell(row, "categories"))}
	if ch := t.cell(row, "channel"); ch != "" {
		name, err := parseChannel(ch)
		if err != nil {
			return nil, t.cellError(row.number, "channel", err)
		}
		s.ChannelName = name
	}
	for _, m := range splitList(t.cell(row, "members")) {
		u, err := parseUsername(m)
		if err != nil {
			return nil, t.cellError(row.number, "members", err)
		}
		s.Members = append(s.Members, guichet.Member{Username: u})
	}
	if err := s.Validate(); err != nil {
		col := "categories"
		if errors.Is(err, guichet.ErrSupplierName) || errors.Is(err, guichet.ErrSlug) {
			col = "name"
		}
		return nil, t.cellError(row.number, col, err)
	}
	// An empty cell (or a column the file lacks) leaves the field unsaid: the stored value is
	// kept (UpsertSuppliers).
	var values []profileValue
	for _, f := range profileFields {
		if v := t.cell(row, f.name); v != "" {
			values = append(values, profileValue{name: f.name, value: v})
		}
	}
	if col, err := applyProfile(&s.LegalProfile, values); err != nil {
		return nil, t.cellError(row.number, col, guichet.Errorf(guichet.EINVALID, "ErrQuoteOfStructure", "Name", s.Name, "Problem", err))
	}
	return s, nil
}

// LotRecord is one row of a lots file.
type LotRecord struct {
	// Row is the row's number as a person counts it: the header is row 1.
	Row   int
	Lot   *guichet.Lot
	table *table
}

// CellError returns an error naming the record's row and the column (a canonical name, e.g.
// "code") with the problem found there.
func (r LotRecord) CellError(column string, problem error) error {
	return r.table.cellError(r.Row, column, problem)
}

// ReadLots reads a lots file: columns code, title, category, quantity, unit, budget_eur
// (euros written "1 234,50" or "1234.50"), mode (exclusive or shared), max_suppliers, slot
// (HH:MM-HH:MM), description, and optionally award (first-come or review), deadline
// (YYYY-MM-DDTHH:MM, local time in loc) and place. It is all or nothing: the first problem is
// returned as an EINVALID error naming the row and the column, and no record.
func ReadLots(data []byte, loc *time.Location) ([]LotRecord, error) {
	t, err := readTable(data, lotColumns)
	if err != nil {
		return nil, err
	}
	out, problems := t.lots(loc)
	if len(problems) > 0 {
		return nil, problems[0]
	}
	return out, nil
}

// lots reads the table's rows as lots: the valid records, and the problem of every other row,
// in order.
func (t *table) lots(loc *time.Location) ([]LotRecord, []error) {
	out := make([]LotRecord, 0, len(t.rows))
	var problems []error
	firstRow := map[string]int{}
	for _, row := range t.rows {
		l, err := t.lot(row, loc)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if first, dup := firstRow[l.Code]; dup {
			problems = append(problems, t.cellError(row.number, "code", guichet.Errorf(guichet.EINVALID, "CmdCSVDuplicate", "Value", l.Code, "FirstRow", first)))
			continue
		}
		firstRow[l.Code] = row.number
		out = append(out, LotRecord{Row: row.number, Lot: l, table: t})
	}
	return out, problems
}

// lotErrorColumn maps the lot validation errors to the column at fault.
var lotErrorColumn = []errorPlace{
	{guichet.ErrLotCode, "code"}, {guichet.ErrLotTitle, "title"}, {guichet.ErrCategory, "category"},
	{guichet.ErrQuantity, "quantity"}, {guichet.ErrBudget, "budget_eur"}, {guichet.ErrLotMode, "mode"},
	{guichet.ErrAwardRule, "award"}, {guichet.ErrExclusiveMax, "max_suppliers"},
	{guichet.ErrMaxSuppliers, "max_suppliers"}, {guichet.ErrSlot, "slot"},
}

// errorPlace is where (a CSV column, a dialog field) errors of a kind belong.
type errorPlace struct {
	kind  *guichet.Error
	place string
}

// placeOf returns the place of the first kind in places that err is (errors.Is), def when none.
func placeOf(err error, places []errorPlace, def string) string {
	for _, p := range places {
		if errors.Is(err, p.kind) {
			return p.place
		}
	}
	return def
}

func (t *table) lot(row tableRow, loc *time.Location) (*guichet.Lot, error) {
	n := row.number
	l := &guichet.Lot{
		Code:        strings.ToUpper(t.cell(row, "code")),
		Title:       t.cell(row, "title"),
		Category:    strings.ToLower(t.cell(row, "category")),
		Unit:        t.cell(row, "unit"),
		Description: t.cell(row, "description"),
		Place:       t.cell(row, "place"),
	}
	for _, f := range []struct {
		col, val string
		max      int
	}{{"title", l.Title, 200}, {"unit", l.Unit, 50}, {"description", l.Description, 2000}, {"place", l.Place, 200}} {
		if len(f.val) > f.max {
			return nil, t.cellError(n, f.col, guichet.Errorf(guichet.EINVALID, "ErrTooLong", "Field", t.written[t.header[f.col]], "Max", f.max))
		}
	}
	var err error
	if l.Quantity, err = parseQuantity(t.cell(row, "quantity")); err != nil {
		return nil, t.cellError(n, "quantity", err)
	}
	if l.Budget, err = guichet.ParseEuros(t.cell(row, "budget_eur")); err != nil {
		return nil, t.cellError(n, "budget_eur", err)
	}
	if v := t.cell(row, "mode"); v != "" {
		if l.Mode, err = parseMode(v); err != nil {
			return nil, t.cellError(n, "mode", err)
		}
	}
	if v := t.cell(row, "max_suppliers"); v != "" {
		m, ok := parseCount(v)
		if !ok || m < 1 || m > 100 {
			return nil, t.cellError(n, "max_suppliers", guichet.Errorf(guichet.EINVALID, "ErrMaxSuppliers", "Value", v))
		}
		l.MaxSuppliers = int(m)
		if l.Mode == "" && m > 1 {
			l.Mode = guichet.Shared
		}
	}
	if l.SlotStart, l.SlotEnd, err = guichet.ParseSlot(t.cell(row, "slot")); err != nil {
		return nil, t.cellError(n, "slot", err)
	}
	if v := t.cell(row, "day"); v != "" && !noDeadline[fold(v)] {
		d, err := parseDay(v)
		if err != nil {
			return nil, t.cellError(n, "day", err)
		}
		l.Day = &d
	}
	if v := t.cell(row, "award"); v != "" {
		if l.Award, err = parseAwardRule(v); err != nil {
			return nil, t.cellError(n, "award", err)
		}
	}
	if v := t.cell(row, "deadline"); v != "" {
		dl, err := parseDeadline(v)
		if err != nil {
			return nil, t.cellError(n, "deadline", err)
		}
		at := dl.In(loc)
		l.Deadline = &at
	}
	if err := l.Validate(); err != nil {
		return nil, t.cellError(n, placeOf(err, lotErrorColumn, "code"), err)
	}
	return l, nil
}
