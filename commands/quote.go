package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/desk"
	"guichet.dev/guichet/l10n"
)

// callbackSupplierEdit is the dialog of `supplier edit` without fields; its state is the
// structure's slug.
const callbackSupplierEdit = "cmd.supplier.edit"

// SupplierEdit writes a structure's legal profile: each value given is the field's new value
// ("" clears it). No value opens the dialog, prefilled.
type SupplierEdit struct {
	Supplier string
	Values   []profileValue
}

// Quote makes (or posts again) the client's quote of an event (Event empty: the channel's).
type Quote struct{ Event string }

// CommandName implements Command.
func (SupplierEdit) CommandName() string { return "supplier edit" }

// CommandName implements Command.
func (Quote) CommandName() string { return "quote" }

// parseSupplierEdit reads "<structure> [siret=…] [forme=…] [type=…] [tva=…] [taux=…]
// [adresse=…] [email=…]" (English keys: legal_form, kind, vat_regime, vat_rate, address,
// billing_email). The values are checked here as they will be when saved.
func parseSupplierEdit(a *args) (Command, error) {
	keys := make([]string, 0, len(a.opts))
	for k := range a.opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c := SupplierEdit{}
	seen := map[string]bool{}
	for _, k := range keys {
		name, ok := profileFieldByKey(k)
		if !ok {
			continue
		}
		if seen[name] {
			return nil, guichet.Errorf(guichet.EINVALID, "CmdOptionTwice", "Key", a.keys[k])
		}
		seen[name] = true
		a.used[k] = true
		c.Values = append(c.Values, profileValue{name: name, value: a.opts[k]})
	}
	name, err := a.supplierArg()
	if err != nil {
		return nil, err
	}
	c.Supplier = name
	if err := a.finish(); err != nil {
		return nil, err
	}
	var scratch guichet.LegalProfile
	if _, err := applyProfile(&scratch, c.Values); err != nil {
		return nil, a.bad(err)
	}
	return c, nil
}

// supplierEdit writes the fields given, or opens the dialog when none is.
func (h *Handler) supplierEdit(ctx context.Context, c *call, cmd SupplierEdit) (string, error) {
	s, err := h.store.SupplierByRef(ctx, cmd.Supplier)
	if err != nil {
		return "", err
	}
	if len(cmd.Values) == 0 {
		return "", h.openSupplierEdit(ctx, c, s)
	}
	s, err = h.store.EditSupplierProfile(ctx, c.actor, s.ID, func(p *guichet.LegalProfile) error {
		_, err := applyProfile(p, cmd.Values)
		return err
	})
	if err != nil {
		return "", err
	}
	return h.profileEdited(c, "CmdQuoteSupplierEdited", s), nil
}

// profileEdited is the answer to a profile written: what it holds now, and what it lacks.
func (h *Handler) profileEdited(c *call, id string, s *guichet.Supplier) string {
	return h.t(c, id, map[string]any{"Name": s.Name, "Profile": h.profileSummary(c, s.LegalProfile),
		"Missing": h.missingFields(c, s.Missing()), "Mend": mendCommand(s.Name, s.Missing())})
}

// profileSummary writes a profile on one line: "SCOP SARL — SCOP — SIRET … — assujettie…".
func (h *Handler) profileSummary(c *call, p guichet.LegalProfile) string {
	var parts []string
	if p.LegalForm != "" {
		parts = append(parts, p.LegalForm)
	}
	if p.Kind != "" {
		parts = append(parts, h.t(c, p.Kind.MessageID(), nil))
	}
	if p.SIRET != "" {
		parts = append(parts, h.t(c, "DocSIRET", map[string]any{"SIRET": p.SIRET}))
	}
	if p.VATRegime != guichet.VATUnset {
		parts = append(parts, h.t(c, p.VATRegime.MessageID(), map[string]any{"Rate": desk.Rate(p.VATRateBP, c.locale)}))
	}
	if p.Address != "" {
		parts = append(parts, strings.ReplaceAll(p.Address, "\n", ", "))
	}
	if p.BillingEmail != "" {
		parts = append(parts, p.BillingEmail)
	}
	return strings.Join(parts, " — ")
}

// missingFields names the fields in the reader's language: "le SIRET, l'adresse".
func (h *Handler) missingFields(c *call, fields []string) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = h.t(c, fieldNames[f][0], nil)
	}
	return strings.Join(out, ", ")
}

// fieldNames are the catalogue ids of each field's name: in a sentence, and as a dialog's label.
var fieldNames = map[string][2]string{
	"siret":         {"CmdQuoteFieldsiret", "DialogCmdQuoteFieldsiret"},
	"legal_form":    {"CmdQuoteFieldlegalform", "DialogCmdQuoteFieldlegalform"},
	"kind":          {"CmdQuoteFieldkind", "DialogCmdQuoteFieldkind"},
	"vat_regime":    {"CmdQuoteFieldvatregime", "DialogCmdQuoteFieldvatregime"},
	"vat_rate":      {"CmdQuoteFieldvatrate", "DialogCmdQuoteFieldvatrate"},
	"address":       {"CmdQuoteFieldaddress", "DialogCmdQuoteFieldaddress"},
	"billing_email": {"CmdQuoteFieldbillingemail", "DialogCmdQuoteFieldbillingemail"},
}

// mendKeys are the command's keys for the fields Missing names, as French commands write them.
var mendKeys = map[string]string{"siret": "siret", "legal_form": "forme", "kind": "type", "vat_regime": "tva", "address": "adresse"}

// mendCommand writes the command that fills the fields: `/guichet structure modifier "Name" siret=… type=…`.
func mendCommand(name string, fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	parts := []string{"/guichet structure modifier", strconv.Quote(name)}
	for _, f := range fields {
		parts = append(parts, mendKeys[f]+"=…")
	}
	return strings.Join(parts, " ")
}

// rateText writes a rate in basis points as a dialog's field shows it: "20", "5,5".
func rateText(bp int, locale string) string {
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(desk.Rate(bp, locale), "%"), "\u202f"))
}

func (h *Handler) openSupplierEdit(ctx context.Context, c *call, s *guichet.Supplier) error {
	kinds := []guichet.DialogOption{}
	for _, k := range guichet.StructureKinds {
		kinds = append(kinds, guichet.DialogOption{Text: h.t(c, k.MessageID(), nil), Value: string(k)})
	}
	regimes := []guichet.DialogOption{}
	for _, r := range guichet.VATRegimes {
		regimes = append(regimes, guichet.DialogOption{Text: h.t(c, r.MessageID(), map[string]any{"Rate": "…"}), Value: string(r)})
	}
	rate := ""
	if s.VATRegime == guichet.VATLiable {
		rate = rateText(s.VATRateBP, c.locale)
	}
	label := func(f string) string { return h.t(c, fieldNames[f][1], nil) }
	return h.openDialog(ctx, c, guichet.Dialog{
		CallbackID:       callbackSupplierEdit,
		Title:            h.t(c, "DialogCmdQuoteSupplierTitle", nil),
		IntroductionText: h.t(c, "DialogCmdQuoteSupplierIntro", map[string]any{"Name": s.Name}),
		SubmitLabel:      h.t(c, "DialogCmdQuoteSupplierSubmit", nil),
		State:            s.Slug,
		Elements: []guichet.DialogElement{
			{Name: "siret", Type: "text", DisplayName: label("siret"), HelpText: h.t(c, "DialogCmdQuoteSIRETHelp", nil), Optional: true, Default: s.SIRET, MaxLength: 20},
			{Name: "legal_form", Type: "text", DisplayName: label("legal_form"), Optional: true, Default: s.LegalForm, MaxLength: 100},
			{Name: "kind", Type: "select", DisplayName: label("kind"), Optional: true, Default: string(s.Kind), Options: kinds},
			{Name: "vat_regime", Type: "select", DisplayName: label("vat_regime"), Optional: true, Default: string(s.VATRegime), Options: regimes},
			{Name: "vat_rate", Type: "text", DisplayName: label("vat_rate"), HelpText: h.t(c, "DialogCmdQuoteRateHelp", nil), Optional: true, Default: rate, MaxLength: 6},
			{Name: "address", Type: "textarea", DisplayName: label("address"), Optional: true, Default: s.Address, MaxLength: 300},
			{Name: "billing_email", Type: "text", SubType: "email", DisplayName: label("billing_email"), Optional: true, Default: s.BillingEmail, MaxLength: 254},
		},
	})
}

// submitSupplierEdit writes the dialog's fields, every one (an emptied field clears it), for an
// administrator or a coordinator, checked again: rights may have changed since it opened.
func (h *Handler) submitSupplierEdit(ctx context.Context, c *call, sub guichet.DialogSubmission) (string, error) {
	if err := h.access.RequireAnyCoordinator(ctx, c.actor); err != nil {
		return "siret", err
	}
	s, err := h.store.SupplierByRef(ctx, sub.State)
	if err != nil {
		return "siret", err
	}
	values := make([]profileValue, len(profileFields))
	for i, f := range profileFields {
		values[i] = profileValue{name: f.name, value: field(sub, f.name)}
	}
	at := "siret"
	s, err = h.store.EditSupplierProfile(ctx, c.actor, s.ID, func(p *guichet.LegalProfile) error {
		var err error
		at, err = applyProfile(p, values)
		return err
	})
	if err != nil {
		return at, err
	}
	return "", h.tell(ctx, c, "CmdQuoteSupplierEdited", map[string]any{"Name": s.Name, "Profile": h.profileSummary(c, s.LegalProfile),
		"Missing": h.missingFields(c, s.Missing()), "Mend": mendCommand(s.Name, s.Missing())})
}

// issuerMissing lists what the documents need of the issuer and the configuration lacks, by
// the [issuer] section's keys.
func issuerMissing(is guichet.Issuer) []string {
	var out []string
	if strings.TrimSpace(is.Name) == "" {
		out = append(out, "name")
	}
	for _, f := range is.Missing() {
		if f != "kind" {
			out = append(out, f)
		}
	}
	return out
}

// holders returns the structures holding awarded shares of the event's lots that are not
// cancelled, in the order of the board.
func (h *Handler) holders(ctx context.Context, board *guichet.Board) ([]*guichet.Supplier, error) {
	var out []*guichet.Supplier
	seen := map[int64]bool{}
	for _, st := range board.Lots {
		if st.Lot.Status == guichet.LotCancelled {
			continue
		}
		for _, cl := range st.Awarded() {
			if seen[cl.SupplierID] {
				continue
			}
			seen[cl.SupplierID] = true
			s, err := h.store.Supplier(ctx, cl.SupplierID)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// documentsMissing lists, one line each, the structures holding lots (suppliers) that lack what
// a document needs, with the command that mends each, and what the issuer lacks; nil when
// nothing does or when no structure holds a lot yet (there is no document to make).
func (h *Handler) documentsMissing(c *call, suppliers []*guichet.Supplier) []string {
	if len(suppliers) == 0 {
		return nil
	}
	var out []string
	for _, s := range suppliers {
		if m := s.Missing(); len(m) > 0 {
			out = append(out, h.t(c, "CmdQuoteMissingSupplier", map[string]any{"Name": s.Name,
				"Missing": h.missingFields(c, m), "Mend": mendCommand(s.Name, m)}))
		}
	}
	if m := issuerMissing(h.issuer); len(m) > 0 {
		out = append(out, h.t(c, "CmdQuoteMissingIssuer", map[string]any{"Keys": strings.Join(m, ", ")}))
	}
	return out
}

// statusMissing is what status adds: the title and the lines of documentsMissing, or "".
func (h *Handler) statusMissing(ctx context.Context, c *call, board *guichet.Board) (string, error) {
	suppliers, err := h.holders(ctx, board)
	if err != nil {
		return "", err
	}
	missing := h.documentsMissing(c, suppliers)
	if len(missing) == 0 {
		return "", nil
	}
	return h.t(c, "CmdQuoteStatusMissing", nil) + "\n" + strings.Join(missing, "\n"), nil
}

// quoteContent is what a quote says, apart from its number and date: its digest decides
// whether a new revision is needed.
type quoteContent struct {
	Issuer    guichet.Issuer
	Recipient desk.Party
	Event     [4]string
	Locale    string
	Lines     []desk.Line
	Legal     guichet.LegalMentions
}

// quote makes the event's quote, or posts the current one again when nothing changed.
func (h *Handler) quote(ctx context.Context, c *call, cmd Quote) (string, error) {
	e, err := h.event(ctx, c, cmd.Event)
	if err != nil {
		return "", err
	}
	board, err := h.store.Board(ctx, e.ID)
	if err != nil {
		return "", err
	}
	suppliers, err := h.holders(ctx, board)
	if err != nil {
		return "", err
	}
	if missing := h.documentsMissing(c, suppliers); len(missing) > 0 {
		return "", guichet.Errorf(guichet.EINVALID, "ErrQuoteMissing", "Missing", strings.Join(missing, "\n"))
	}
	byID := map[int64]*guichet.Supplier{}
	for _, s := range suppliers {
		byID[s.ID] = s
	}
	doc := &desk.Document{Kind: desk.Quote, Locale: c.locale, Location: location(e), Issuer: h.issuer,
		Recipient: desk.Party{Name: e.Client}, Event: e, Legal: h.legal}
	if doc.Recipient.Name == "" {
		doc.Recipient.Name = e.Name
	}
	var structuresNet guichet.Cents
	var uncovered []string
	for _, st := range board.Lots {
		if st.Lot.Status == guichet.LotCancelled {
			continue
		}
		awarded := st.Awarded()
		if len(awarded) == 0 {
			uncovered = append(uncovered, st.Lot.Code)
		}
		for _, cl := range awarded {
			s := byID[cl.SupplierID]
			unit := guichet.Cents(0)
			if cl.Quantity > 0 && cl.Amount%guichet.Cents(cl.Quantity) == 0 {
				unit = cl.Amount / guichet.Cents(cl.Quantity)
			}
			doc.Lines = append(doc.Lines, desk.NewLine(st.Lot.Code, st.Lot.Title, s.Name, int(cl.Quantity), st.Lot.Unit, unit, cl.Amount, s.LegalProfile))
			structuresNet += cl.Amount
		}
	}
	if len(doc.Lines) == 0 {
		return "", guichet.Errorf(guichet.EINVALID, "ErrQuoteNothing", "Event", e.Slug)
	}
	if fee, label := h.fee(c, e, structuresNet); fee > 0 {
		doc.Lines = append(doc.Lines, desk.NewLine("", label, h.issuer.Name, 1, "", fee, fee, h.issuer.LegalProfile))
	}
	content, err := json.Marshal(quoteContent{Issuer: h.issuer, Recipient: doc.Recipient,
		Event: [4]string{e.Name, e.Day.Format("2006-01-02"), e.Venue, e.Client}, Locale: doc.Locale, Lines: doc.Lines, Legal: h.legal})
	if err != nil {
		return "", fmt.Errorf("quote content: %w", err)
	}
	digest := sha256.Sum256(content)
	tot := doc.Totals()
	args := map[string]any{"Event": e.Name, "Net": l10n.Money(tot.Net, c.locale), "VAT": l10n.Money(tot.VAT, c.locale),
		"Gross": l10n.Money(tot.Gross, c.locale)}
	stored, err := h.store.RecordQuote(ctx, c.actor, guichet.QuoteDraft{
		EventID: e.ID, Year: e.Day.Year(), Content: hex.EncodeToString(digest[:]),
		ChannelID: e.CoordChannelID, MessageID: "CmdQuotePosted", Args: args, Locale: c.locale,
		Render: func(n guichet.DocumentNumber) (*guichet.RenderedDocument, error) {
			doc.Number, doc.Revision, doc.Issued = n.Number, n.Revision, h.now()
			if n.Revision > 1 {
				doc.Replaces = h.t(c, "CmdQuoteRevisionName", map[string]any{"Number": n.Number, "Revision": n.Revision - 1})
			}
			pdf, err := desk.RenderPDF(doc, h.cat)
			if err != nil {
				return nil, err
			}
			csv, err := desk.RenderCSV(doc, h.cat)
			if err != nil {
				return nil, err
			}
			return &guichet.RenderedDocument{PDF: pdf, CSV: csv, Net: tot.Net, VAT: tot.VAT, Gross: tot.Gross}, nil
		},
	})
	if err != nil {
		return "", err
	}
	reply := map[string]any{"Number": stored.Number, "Revision": stored.Revision, "Net": l10n.Money(stored.Net, c.locale),
		"VAT": l10n.Money(stored.VAT, c.locale), "Gross": l10n.Money(stored.Gross, c.locale), "Posted": e.CoordChannelID != "",
		"Uncovered": strings.Join(uncovered, ", "), "Replaces": ""}
	if stored.Replaced != nil {
		reply["Replaces"] = stored.Replaced.Stem()
	}
	if !stored.Made {
		return h.t(c, "CmdQuoteSame", reply), nil
	}
	return h.t(c, "CmdQuoteMade", reply), nil
}

// fee returns the network's coordination fee on the structures' net total and the line's
// label: a percentage of it rounded half up to the cent, or the fixed amount; 0 for none.
func (h *Handler) fee(c *call, e *guichet.Event, net guichet.Cents) (guichet.Cents, string) {
	switch {
	case e.FeeBP > 0:
		return guichet.VATOn(net, e.FeeBP), h.t(c, "CmdQuoteFeeRate", map[string]any{"Rate": desk.Rate(e.FeeBP, c.locale), "Net": l10n.Money(net, c.locale)})
	case e.FeeCents > 0:
		return guichet.Cents(e.FeeCents), h.t(c, "CmdQuoteFeeFixed", nil)
	}
	return 0, ""
}

// parseFee reads an event's coordination fee: a percentage ("5%", "7,5 %") or an amount in
// euros ("300€", "300 €", "1 250,50 EUR"); "0" (or "aucun", "none") removes it.
func parseFee(v string) (guichet.Fee, error) {
	s := strings.TrimSpace(v)
	switch fold(s) {
	case "0", "0%", "0€", "aucun", "aucuns", "none", "sans":
		return guichet.Fee{}, nil
	}
	bad := guichet.Errorf(guichet.EINVALID, "ErrQuoteFee", "Value", v)
	if strings.HasSuffix(s, "%") {
		bp, err := guichet.ParseVATRate(s)
		if err != nil {
			return guichet.Fee{}, bad
		}
		return guichet.Fee{BP: bp}, nil
	}
	amount := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "€"), "EUR"), "eur"))
	if amount == s {
		// A bare number is ambiguous between a percentage and euros.
		return guichet.Fee{}, bad
	}
	cents, err := guichet.ParseEuros(amount)
	if err != nil || cents < 0 {
		return guichet.Fee{}, bad
	}
	return guichet.Fee{Cents: cents}, nil
}

// feeText writes an event's fee: "5 %", "300,00 €", or "" for none.
func (h *Handler) feeText(c *call, e *guichet.Event) string {
	switch {
	case e.FeeBP > 0:
		return desk.Rate(e.FeeBP, c.locale)
	case e.FeeCents > 0:
		return l10n.Money(guichet.Cents(e.FeeCents), c.locale)
	}
	return ""
}

// feeChange writes the fee's change, before → after, or "" when it did not change.
func (h *Handler) feeChange(c *call, before, after *guichet.Event) string {
	b, a := h.feeText(c, before), h.feeText(c, after)
	if b == a {
		return ""
	}
	return h.t(c, "CmdQuoteFeeChanged", map[string]any{"Before": b, "After": a})
}
