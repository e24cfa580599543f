package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"guichet.dev/guichet"
)

// The edit dialogs: `lot modifier <lot>` and `événement modifier [<event>]` written without a
// field open a form prefilled with what the lot or the event holds now. A submission is turned
// back into the command's own words (the fields the person changed, as key=value options) and
// goes through the command's parser (parseLotEdit, parseEventEdit) and its run (lotEdit,
// eventEdit): the dialog is another way of typing the command, not a second path.

const (
	callbackLotEdit   = "cmd.lot.edit"
	callbackEventEdit = "cmd.event.edit"
)

// LotEditDialog opens the dialog that edits a lot (`lot edit <lot>` with no field).
type LotEditDialog struct{ Lot LotRef }

// EventEditDialog opens the dialog that edits an event (`event edit [<event>]` with no field).
type EventEditDialog struct{ Event string }

// CommandName implements Command: the dialog is the command's, with its role.
func (LotEditDialog) CommandName() string { return "lot edit" }

// CommandName implements Command: the dialog is the command's, with its role.
func (EventEditDialog) CommandName() string { return "event edit" }

// editState is what an edit dialog carries, signed by the bot: what it edits and a short
// fingerprint of every value it was prefilled with, so that only the fields the person
// changed are submitted (a field left as shown does not undo a change made meanwhile).
type editState struct {
	Ref   string            `json:"r"`
	Shown map[string]string `json:"h"`
}

// fingerprint is a short digest of a value as shown in a dialog.
func fingerprint(v string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(v)))
	return hex.EncodeToString(sum[:6])
}

// editField is one field of an edit dialog: the command's option it stands for and the
// element shown.
type editField struct {
	option string
	el     guichet.DialogElement
}

// withState returns the dialog's state for ref and the fields as prefilled.
func withState(ref string, fields []editField) string {
	st := editState{Ref: ref, Shown: map[string]string{}}
	for _, f := range fields {
		st.Shown[f.el.Name] = fingerprint(f.el.Default)
	}
	b, _ := json.Marshal(st)
	return string(b)
}

// changedOptions reads a submission of an edit dialog into the command's options: the fields
// present in the submission whose value differs from the one shown (a field missing from the
// submission is left as it is). It also returns, for each option, the field it came from.
func changedOptions(sub guichet.DialogSubmission, st editState, fields []editField) (map[string]string, map[string]string) {
	opts, fieldOf := map[string]string{}, map[string]string{}
	for _, f := range fields {
		if _, present := sub.Submission[f.el.Name]; !present {
			continue
		}
		v := field(sub, f.el.Name)
		if shown, ok := st.Shown[f.el.Name]; ok && shown == fingerprint(v) {
			continue
		}
		opts[f.option], fieldOf[f.option] = v, f.el.Name
	}
	return opts, fieldOf
}

// parseOptions runs a command's parser on pos and opts, as if typed.
func parseOptions(parse func(*args) (Command, error), usage msg, pos []string, opts map[string]string) (Command, error) {
	a := &args{usage: usage, pos: pos, opts: map[string]string{}, keys: map[string]string{}, used: map[string]bool{}}
	for k, v := range opts {
		a.opts[k], a.keys[k] = v, k
	}
	return parse(a)
}

// parseSubmission parses the changed options with the command's parser; a parse error is
// placed on the field it comes from, found by parsing each option alone (with needs: the
// options an option is only read with, e.g. réduire= with the quantity).
func parseSubmission(parse func(*args) (Command, error), usage msg, pos []string, opts, fieldOf map[string]string, needs map[string]string, def string) (Command, string, error) {
	cmd, err := parseOptions(parse, usage, pos, opts)
	if err == nil {
		return cmd, "", nil
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	// A fixed order, so that the same submission always blames the same field.
	sort.Strings(keys)
	for _, k := range keys {
		one := map[string]string{k: opts[k]}
		if dep, ok := needs[k]; ok {
			if v, given := opts[dep]; given {
				one[dep] = v
			}
		}
		if _, err1 := parseOptions(parse, usage, pos, one); err1 != nil {
			return nil, fieldOf[k], err1
		}
	}
	return nil, def, err
}

// fieldProblem is the message to show under a dialog's field: the problem itself, without the
// command's usage line that a typed command gets.
func fieldProblem(err error) error {
	if e := guichet.AsError(err); e != nil && e.MessageID == "CmdBadValue" {
		if p, ok := e.Args["Problem"].(error); ok {
			return p
		}
	}
	return err
}

// kind is an error kind for errors.Is: every error with that code and message id.
func kind(code, id string) *guichet.Error { return &guichet.Error{Code: code, MessageID: id} }

// lotEditFields lists the lot edit dialog's fields, prefilled with the lot's terms.
func (h *Handler) lotEditFields(c *call, l *guichet.Lot, e *guichet.Event) []editField {
	deadline := ""
	if l.Deadline != nil {
		deadline = l.Deadline.In(location(e)).Format("2006-01-02 15:04")
	}
	text := func(option, name, label, def string, maxLen int, optional bool, help string) editField {
		return editField{option: option, el: guichet.DialogElement{Name: name, Type: "text", DisplayName: h.t(c, label, nil),
			Default: def, MaxLength: maxLen, Optional: optional, HelpText: help}}
	}
	award := editField{option: "award", el: guichet.DialogElement{Name: "award", Type: "select", DisplayName: h.t(c, "DialogI19bLotAward", nil),
		Default: string(l.Award), Options: []guichet.DialogOption{
			{Text: h.t(c, "DialogI19bAwardFirstCome", nil), Value: string(guichet.FirstCome)},
			{Text: h.t(c, "DialogI19bAwardReview", nil), Value: string(guichet.Review)}}}}
	description := editField{option: "description", el: guichet.DialogElement{Name: "description", Type: "textarea",
		DisplayName: h.t(c, "DialogI19bLotDescription", nil), Default: l.Description, Optional: true, MaxLength: maxPaste}}
	return []editField{
		text("title", "title", "DialogI19bLotTitle", l.Title, 200, false, ""),
		description,
		text("qty", "quantity", "DialogI19bLotQuantity", strconv.FormatInt(l.Quantity, 10), 9, false, ""),
		text("unit", "unit", "DialogI19bLotUnit", l.Unit, 50, true, ""),
		text("budget", "budget", "DialogI19bLotBudget", l.Budget.String(), 20, false, h.t(c, "DialogI19bLotBudgetHelp", nil)),
		text("slot", "slot", "DialogI19bLotSlot", l.Slot(), 11, true, h.t(c, "DialogI19bLotSlotHelp", nil)),
		text("place", "place", "DialogI19bLotPlace", l.Place, 300, true, ""),
		text("deadline", "deadline", "DialogI19bLotDeadline", deadline, 20, true, h.t(c, "DialogI19bLotDeadlineHelp", nil)),
		text("max", "max", "DialogI19bLotMax", strconv.Itoa(l.MaxSuppliers), 3, false, ""),
		award,
		text("shrink", "shrink", "DialogI19bLotShrink", "", 1000, true, h.t(c, "DialogI19bLotShrinkHelp", nil)),
	}
}

// openLotEditDialog opens the lot edit dialog, for a coordinator of the lot's event, unless
// the lot can no longer be edited (the event over or cancelled, the lot cancelled).
func (h *Handler) openLotEditDialog(ctx context.Context, c *call, cmd LotEditDialog) (string, error) {
	l, e, err := h.lot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	// A form that could only be refused is not opened: the reason is answered at once.
	if err := e.ClaimChangesOpen(h.now()); err != nil {
		return "", err
	}
	if l.Status == guichet.LotCancelled {
		return "", guichet.Errorf(guichet.ECONFLICT, "ErrLotEditCancelled", "Code", l.Code)
	}
	fields := h.lotEditFields(c, l, e)
	d := guichet.Dialog{
		CallbackID:       callbackLotEdit,
		Title:            h.t(c, "DialogI19bLotTitleBar", map[string]any{"Code": l.Code}),
		IntroductionText: h.t(c, "DialogI19bLotIntro", map[string]any{"Code": l.Code, "Title": l.Title, "Event": e.Name}),
		SubmitLabel:      h.t(c, "DialogI19bSubmit", nil),
		State:            withState(e.Slug+"/"+l.Code, fields),
	}
	for _, f := range fields {
		d.Elements = append(d.Elements, f.el)
	}
	return "", h.openDialog(ctx, c, d)
}

// lotEditPlaces maps the lot edit's domain errors to the dialog's fields.
var lotEditPlaces = []errorPlace{
	{kind(guichet.ECONFLICT, "ErrLotEditBelowClaimed"), "quantity"}, {kind(guichet.EINVALID, "ErrShrinkWithoutQuantity"), "shrink"},
	{kind(guichet.EINVALID, "ErrShrinkToNothing"), "shrink"}, {kind(guichet.EINVALID, "ErrShrinkNotHolder"), "shrink"},
	{kind(guichet.EINVALID, "ErrShrinkTooMuch"), "shrink"}, {kind(guichet.EINVALID, "ErrDeadlinePast"), "deadline"},
	{kind(guichet.EINVALID, "ErrLotEditMaxBelowHolders"), "max"}, {guichet.ErrLotTitle, "title"}, {guichet.ErrQuantity, "quantity"},
	{guichet.ErrBudget, "budget"}, {guichet.ErrSlot, "slot"}, {guichet.ErrMaxSuppliers, "max"}, {guichet.ErrExclusiveMax, "max"},
	{guichet.ErrAwardRule, "award"},
}

// submitLotEdit runs the lot edit a dialog describes; it returns the field an error belongs to.
func (h *Handler) submitLotEdit(ctx context.Context, c *call, sub guichet.DialogSubmission) (string, error) {
	var st editState
	if err := json.Unmarshal([]byte(sub.State), &st); err != nil {
		return "title", err
	}
	ref, err := parseLotRef(st.Ref)
	if err != nil {
		return "title", err
	}
	l, e, err := h.lot(ctx, c, ref)
	if err != nil {
		return "title", err
	}
	opts, fieldOf := changedOptions(sub, st, h.lotEditFields(c, l, e))
	if len(opts) == 0 {
		return "", h.tell(ctx, c, "CmdLotEditNothing", map[string]any{"Code": l.Code})
	}
	cmd, at, err := parseSubmission(parseLotEdit, "HelpUsageLotEdit", []string{st.Ref}, opts, fieldOf,
		map[string]string{"shrink": "qty"}, "title")
	if err != nil {
		return at, fieldProblem(err)
	}
	out, err := h.lotEdit(ctx, c, cmd.(LotEdit))
	if err != nil {
		return placeOf(err, lotEditPlaces, "title"), err
	}
	return "", h.tell(ctx, c, "MsgI19bDialogDone", map[string]any{"Text": out})
}

// eventEditFields lists the event edit dialog's fields, prefilled with the event's.
func (h *Handler) eventEditFields(c *call, e *guichet.Event) []editField {
	text := func(option, label, def string, maxLen int, optional bool, help string) editField {
		return editField{option: option, el: guichet.DialogElement{Name: option, Type: "text", DisplayName: h.t(c, label, nil),
			Default: def, MaxLength: maxLen, Optional: optional, HelpText: help}}
	}
	return []editField{
		text("date", "DialogCmdEventDay", e.Day.Format(time.DateOnly), 10, false, h.t(c, "DialogCmdEventDayHelp", nil)),
		text("tz", "DialogCmdEventTimeZone", e.TimeZone, 64, false, ""),
		text("venue", "DialogCmdEventVenue", e.Venue, 300, true, ""),
		text("client", "DialogCmdEventClient", e.Client, 300, true, ""),
		text("reminders", "DialogCmdEventReminders", e.Reminders, 100, true, h.t(c, "DialogCmdEventRemindersHelp", nil)),
	}
}

// openEventEditDialog opens the event edit dialog, for a coordinator of the event.
func (h *Handler) openEventEditDialog(ctx context.Context, c *call, cmd EventEditDialog) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	fields := h.eventEditFields(c, e)
	d := guichet.Dialog{
		CallbackID:       callbackEventEdit,
		Title:            h.t(c, "DialogI19bEventTitleBar", nil),
		IntroductionText: h.t(c, "DialogI19bEventIntro", map[string]any{"Event": e.Name, "Slug": e.Slug}),
		SubmitLabel:      h.t(c, "DialogI19bSubmit", nil),
		State:            withState(e.Slug, fields),
	}
	for _, f := range fields {
		d.Elements = append(d.Elements, f.el)
	}
	return "", h.openDialog(ctx, c, d)
}

// eventEditPlaces maps the event edit's errors to the dialog's fields.
var eventEditPlaces = []errorPlace{
	{guichet.ErrDate, "date"}, {kind(guichet.EINVALID, "ErrEventDayPast"), "date"}, {guichet.ErrTimeZone, "tz"}, {guichet.ErrReminders, "reminders"}, {guichet.ErrTooLong, "venue"},
}

// submitEventEdit runs the event edit a dialog describes; it returns the field an error
// belongs to.
func (h *Handler) submitEventEdit(ctx context.Context, c *call, sub guichet.DialogSubmission) (string, error) {
	var st editState
	if err := json.Unmarshal([]byte(sub.State), &st); err != nil {
		return "date", err
	}
	e, err := h.event(ctx, c, st.Ref)
	if err != nil {
		return "date", err
	}
	opts, fieldOf := changedOptions(sub, st, h.eventEditFields(c, e))
	if len(opts) == 0 {
		return "", h.tell(ctx, c, "CmdEventEditUnchanged", nil)
	}
	cmd, at, err := parseSubmission(parseEventEdit, "HelpUsageEventEdit", []string{e.Slug}, opts, fieldOf, nil, "date")
	if err != nil {
		return at, fieldProblem(err)
	}
	out, err := h.eventEdit(ctx, c, cmd.(EventEdit))
	if err != nil {
		return placeOf(err, eventEditPlaces, "date"), err
	}
	return "", h.tell(ctx, c, "MsgI19bDialogDone", map[string]any{"Text": out})
}
