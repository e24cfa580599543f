package commands

import (
	"context"
	"path"
	"strings"
	"time"

	"guichet.dev/guichet"
	"guichet.dev/guichet/sheet"
)

// Spreadsheets dropped in chat (guichet.SheetImporter): the same readers as the import
// dialogs and `guichet import` (ReadSuppliers, ReadLots), applied to every sheet of the file,
// and the same saves, in one transaction (guichet.SheetDropStore.ImportSheetDrop).

var _ guichet.SheetImporter = (*Handler)(nil)

// previewRows is how many rows of each kind the preview shows; maxPreviewErrors how many
// errors it lists before counting the rest.
const (
	previewRows      = 5
	maxPreviewErrors = 60
)

// sheetContent is a dropped file read as structures and lots, with the problems found, each
// already naming its sheet (for a workbook), row and column.
type sheetContent struct {
	suppliers []SupplierRecord
	// supplierSheets[i] is the name of suppliers[i]'s sheet.
	supplierSheets []string
	lots           []LotRecord
	problems       []sheetProblem
}

type sheetProblem struct {
	sheet string
	err   error
}

// sheetKind tells which import format a header row is: lots when it has a "code" column,
// structures when it has a name column, nil otherwise.
func sheetKind(header []string) []column {
	has := func(cols []column, name string) bool {
		for _, h := range header {
			n := normHeader(h)
			for _, c := range cols {
				if c.name != name {
					continue
				}
				for _, a := range c.aliases {
					if a == n {
						return true
					}
				}
			}
		}
		return false
	}
	switch {
	case has(lotColumns, "code"):
		return lotColumns
	case has(supplierColumns, "name"):
		return supplierColumns
	}
	return nil
}

// readSheets reads every sheet as structures or lots, by its header; lots' deadlines are in loc.
func readSheets(sheets []sheet.Sheet, loc *time.Location) *sheetContent {
	out := &sheetContent{}
	firstLot := map[string]bool{}
	for _, s := range sheets {
		cols := sheetKind(s.Rows[0].Cells)
		if cols == nil {
			var names []string
			for _, h := range s.Rows[0].Cells {
				if h = strings.TrimSpace(h); h != "" {
					names = append(names, h)
				}
			}
			out.problems = append(out.problems, sheetProblem{s.Name, guichet.Errorf(guichet.EINVALID, "MsgSheetsUnknownTable", "Columns", strings.Join(names, ", "))})
			continue
		}
		t, err := tableOf(s.Rows, cols, "")
		if err != nil {
			out.problems = append(out.problems, sheetProblem{s.Name, err})
			continue
		}
		var problems []error
		if cols[0].name == lotColumns[0].name {
			var recs []LotRecord
			recs, problems = t.lots(loc)
			for _, r := range recs {
				if firstLot[r.Lot.Code] {
					problems = append(problems, r.CellError("code", guichet.Errorf(guichet.ECONFLICT, "ErrLotCodeTwice", "Code", r.Lot.Code)))
					continue
				}
				firstLot[r.Lot.Code] = true
				out.lots = append(out.lots, r)
			}
		} else {
			var recs []SupplierRecord
			recs, problems = t.suppliers()
			for _, r := range recs {
				out.suppliers = append(out.suppliers, r)
				out.supplierSheets = append(out.supplierSheets, s.Name)
			}
		}
		for _, p := range problems {
			out.problems = append(out.problems, sheetProblem{s.Name, p})
		}
	}
	return out
}

// problemText writes a problem for the preview: its sheet, row and column, and what is wrong.
func (h *Handler) problemText(c *call, p sheetProblem) string {
	var text string
	if e := guichet.AsError(p.err); e != nil && e.MessageID == errCSVCell.MessageID {
		text = h.t(c, "MsgSheetsCell", renderArgs(h.cat, c.locale, e.Args))
	} else {
		text = Message(h.cat, c.locale, p.err)
	}
	if p.sheet != "" {
		text = h.t(c, "MsgSheetsInSheet", map[string]any{"Sheet": p.sheet, "Problem": text})
	}
	return text
}

// IsSheetName reports whether a file dropped in chat is a spreadsheet the bot reads, by its
// name: .csv, .tsv, .txt (Excel's "Unicode text") or .xlsx.
func IsSheetName(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".tsv", ".txt", ".xlsx":
		return true
	}
	return false
}

// sheetEvent returns the event a dropped file's lots go to: the event of the channel it was
// dropped in (its coordination channel), else the first word of the post's message, or of the
// file's name, that is an event's identifier; nil when none is.
func (h *Handler) sheetEvent(ctx context.Context, channelID, message, fileName string) (*guichet.Event, error) {
	e, err := h.store.EventByChannel(ctx, channelID)
	if err == nil || guichet.ErrorCode(err) != guichet.ENOTFOUND {
		return e, err
	}
	for _, slug := range slugCandidates(message, fileName) {
		e, err := h.store.EventBySlug(ctx, slug)
		if err == nil {
			return e, nil
		}
		if guichet.ErrorCode(err) != guichet.ENOTFOUND {
			return nil, err
		}
	}
	return nil, nil
}

// slugCandidates returns the words of message that could be event identifiers, then the
// file name without its extension and its beginnings cut at "-", "_" or a space
// ("assises-2011-lots.csv": "assises-2011-lots", "assises-2011", "assises").
func slugCandidates(message, fileName string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(message)) {
		w = strings.Trim(w, ".,;:!?«»\"'()`")
		if guichet.ValidSlug(w) {
			out = append(out, w)
		}
	}
	stem := strings.ToLower(strings.TrimSuffix(fileName, path.Ext(fileName)))
	for stem != "" {
		if guichet.ValidSlug(stem) {
			out = append(out, stem)
		}
		i := strings.LastIndexAny(stem, "-_ ")
		if i < 0 {
			break
		}
		stem = stem[:i]
	}
	return out
}

// PreviewSheet implements guichet.SheetImporter.
func (h *Handler) PreviewSheet(ctx context.Context, actor guichet.Actor, f guichet.SheetFile) (*guichet.SheetPreview, error) {
	if err := h.access.RequireAnyCoordinator(ctx, actor); err != nil {
		return nil, err
	}
	if !IsSheetName(f.FileName) {
		return nil, nil
	}
	c := &call{actor: actor, channelID: f.ChannelID, locale: h.locale, role: roleEventCoordinator}
	coordination, err := h.store.EventByChannel(ctx, f.ChannelID)
	if err != nil && guichet.ErrorCode(err) != guichet.ENOTFOUND {
		return nil, err
	}
	if coordination == nil && !f.Direct {
		return nil, nil
	}
	e, err := h.sheetEvent(ctx, f.ChannelID, f.Message, f.FileName)
	if err != nil {
		return nil, err
	}
	var eventErr error
	if e != nil {
		eventErr = h.entered(ctx, c, e)
	}
	preview := &guichet.SheetPreview{Locale: c.locale}
	if f.Size > sheet.MaxBytes {
		preview.Text = h.errorsText(c, f.FileName, []sheetProblem{{err: guichet.Errorf(guichet.EINVALID, "MsgSheetsTooBig", "Max", sheet.MaxBytes>>20)}})
		return preview, nil
	}
	if f.Fetch != nil {
		if f.Data, err = f.Fetch(ctx); err != nil {
			return nil, err
		}
	}
	sheets, err := sheet.Read(f.FileName, f.Data)
	if err != nil {
		if guichet.AsError(err) == nil {
			return nil, err
		}
		preview.Text = h.errorsText(c, f.FileName, []sheetProblem{{err: err}})
		return preview, nil
	}
	content := readSheets(sheets, dropLocation(e))
	if len(content.lots) > 0 {
		switch {
		case e == nil:
			content.problems = append(content.problems, sheetProblem{err: guichet.Errorf(guichet.EINVALID, "MsgSheetsWhichEvent")})
		case eventErr != nil:
			content.problems = append(content.problems, sheetProblem{err: eventErr})
		default:
			if err := CheckNewCodes(ctx, h.store, e.ID, content.lots); err != nil {
				content.problems = append(content.problems, sheetProblem{err: err})
			}
		}
	}
	// Members are looked up now, so that an unknown username shows in the preview with the
	// others' errors rather than at the click.
	for i, r := range content.suppliers {
		if _, err := ResolveSuppliers(ctx, h.chat, "", []SupplierRecord{r}); err != nil {
			if guichet.AsError(err) == nil {
				return nil, err
			}
			content.problems = append(content.problems, sheetProblem{content.supplierSheets[i], err})
		}
	}
	if len(content.problems) > 0 {
		preview.Text = h.errorsText(c, f.FileName, content.problems)
		return preview, nil
	}
	drop := &guichet.SheetDrop{PostID: f.PostID, FileID: f.FileID, ChannelID: f.ChannelID, UserID: actor.UserID, FileName: f.FileName, Data: f.Data}
	if len(content.lots) > 0 {
		drop.EventID = &e.ID
	}
	if err := h.sheets.SaveSheetDrop(ctx, drop); err != nil {
		return nil, err
	}
	preview.DropID = drop.ID
	preview.Text = h.previewText(c, f.FileName, e, content)
	return preview, nil
}

// errorsText writes the preview of a file that cannot be imported: every problem, up to
// maxPreviewErrors.
func (h *Handler) errorsText(c *call, fileName string, problems []sheetProblem) string {
	lines := []string{h.t(c, "MsgSheetsErrorsHead", map[string]any{"File": fileName, "N": len(problems)})}
	for i, p := range problems {
		if i == maxPreviewErrors {
			lines = append(lines, h.t(c, "MsgSheetsMore", map[string]any{"N": len(problems) - i}))
			break
		}
		lines = append(lines, h.t(c, "MsgSheetsErrorLine", map[string]any{"Problem": h.problemText(c, p)}))
	}
	return strings.Join(lines, "\n")
}

// previewText writes the preview of a file that can be imported: the counts, then the first
// rows of each kind as they will be stored (rowsText), then what the buttons do.
func (h *Handler) previewText(c *call, fileName string, e *guichet.Event, content *sheetContent) string {
	args := map[string]any{"File": fileName, "Lots": len(content.lots), "Suppliers": len(content.suppliers)}
	if e != nil {
		args["Event"] = e.Name
	}
	return h.t(c, "MsgSheetsPreviewHead", args) + "\n" + h.rowsText(c, e, content) + "\n\n" + h.t(c, "MsgSheetsPreviewAsk", nil)
}

// rowsText writes the first previewRows structures and lots of the file as they are stored,
// one a line.
func (h *Handler) rowsText(c *call, e *guichet.Event, content *sheetContent) string {
	var lines []string
	for i, r := range content.suppliers {
		if i == previewRows {
			lines = append(lines, h.t(c, "MsgSheetsMore", map[string]any{"N": len(content.suppliers) - i}))
			break
		}
		s := r.Supplier
		var members []string
		for _, m := range s.Members {
			members = append(members, "@"+m.Username)
		}
		lines = append(lines, h.t(c, "MsgSheetsSupplierLine", map[string]any{
			"Name": s.Name, "Categories": strings.Join(s.Categories, ", "), "Channel": s.ChannelName, "Members": strings.Join(members, ", ")}))
	}
	for i, r := range content.lots {
		if i == previewRows {
			lines = append(lines, h.t(c, "MsgSheetsMore", map[string]any{"N": len(content.lots) - i}))
			break
		}
		lines = append(lines, h.t(c, "MsgSheetsLotLine", map[string]any{"Code": r.Lot.Code, "Title": r.Lot.Title, "Summary": h.lotSummary(c, e, r.Lot)}))
	}
	return strings.Join(lines, "\n")
}

// droppedFor returns the pending drop id after checking that the actor may act on it: a
// coordinator of its event, any coordinator for structures only. The call answers in the
// event's language from then on.
func (h *Handler) droppedFor(ctx context.Context, c *call, id int64) (*guichet.SheetDrop, *guichet.Event, error) {
	if err := h.access.RequireAnyCoordinator(ctx, c.actor); err != nil {
		return nil, nil, err
	}
	d, err := h.sheets.SheetDrop(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if d.EventID == nil {
		return d, nil, nil
	}
	e, err := h.store.Event(ctx, *d.EventID)
	if err != nil {
		return nil, nil, err
	}
	c.role = roleEventCoordinator
	if err := h.entered(ctx, c, e); err != nil {
		return nil, nil, err
	}
	return d, e, nil
}

// ImportSheet implements guichet.SheetImporter. The file is read again from the kept drop
// and checked again against the directory and the event (they may have changed since the
// preview); then everything is saved in one transaction, or nothing. The message says what
// was saved, followed by the first rows, as the preview showed them.
func (h *Handler) ImportSheet(ctx context.Context, actor guichet.Actor, id int64) (string, error) {
	c := &call{actor: actor, locale: h.locale}
	d, e, err := h.droppedFor(ctx, c, id)
	if err != nil {
		return "", err
	}
	if d.Status != guichet.SheetDropPending {
		return "", guichet.Errorf(guichet.ECONFLICT, "ErrSheetsDropDone", "Status", d.Status)
	}
	sheets, err := sheet.Read(d.FileName, d.Data)
	if err != nil {
		return "", err
	}
	content := readSheets(sheets, dropLocation(e))
	if len(content.problems) == 0 && len(content.lots) > 0 {
		if err := CheckNewCodes(ctx, h.store, e.ID, content.lots); err != nil {
			content.problems = append(content.problems, sheetProblem{err: err})
		}
	}
	if len(content.problems) == 0 && len(content.suppliers) > 0 {
		if err := KeepExisting(ctx, h.store, content.suppliers); err != nil {
			return "", err
		}
		if _, err := ResolveSuppliers(ctx, h.chat, "", content.suppliers); err != nil {
			if guichet.AsError(err) == nil {
				return "", err
			}
			content.problems = append(content.problems, sheetProblem{err: err})
		}
	}
	if len(content.problems) > 0 {
		return h.t(c, "MsgSheetsNowInvalid", map[string]any{"Problem": h.problemText(c, content.problems[0])}), nil
	}
	suppliers := make([]*guichet.Supplier, len(content.suppliers))
	for i, r := range content.suppliers {
		suppliers[i] = r.Supplier
	}
	lots := make([]*guichet.Lot, len(content.lots))
	for i, r := range content.lots {
		lots[i] = r.Lot
	}
	var eventID int64
	args := map[string]any{"File": d.FileName, "Actor": actor.Username, "Lots": len(lots), "Suppliers": len(suppliers)}
	if e != nil {
		eventID = e.ID
		args["Event"], args["Slug"] = e.Name, e.Slug
	}
	if err := h.sheets.ImportSheetDrop(ctx, actor, d.ID, suppliers, eventID, lots); err != nil {
		return "", err
	}
	return h.t(c, "MsgSheetsImported", args) + "\n" + h.rowsText(c, e, content), nil
}

// CancelSheet implements guichet.SheetImporter.
func (h *Handler) CancelSheet(ctx context.Context, actor guichet.Actor, id int64) (string, error) {
	c := &call{actor: actor, locale: h.locale}
	d, _, err := h.droppedFor(ctx, c, id)
	if err != nil {
		return "", err
	}
	if err := h.sheets.CancelSheetDrop(ctx, actor, d.ID); err != nil {
		return "", err
	}
	return h.t(c, "MsgSheetsCancelled", map[string]any{"File": d.FileName, "Actor": actor.Username}), nil
}

// dropLocation is the time zone of a dropped file's dates: its event's, Paris when it has no
// event.
func dropLocation(e *guichet.Event) *time.Location {
	if e == nil {
		e = &guichet.Event{TimeZone: guichet.DefaultTimeZone}
	}
	return location(e)
}
