package commands

import (
	"context"
	"strings"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// noDeadline are the ways of writing that a lot has no deadline any more (folded).
var noDeadline = map[string]bool{"none": true, "aucune": true, "aucun": true, "sans": true, "-": true}

// proportional are the ways of writing that shares shrink in proportion (folded).
var proportional = map[string]bool{"prorata": true, "proportional": true, "proportionnel": true, "proportionnelle": true,
	"proportion": true}

// parseLotEdit reads `lot edit <lot> field=value… [shrink=…]`; with no field, it opens the
// dialog (LotEditDialog).
func parseLotEdit(a *args) (Command, error) {
	ref, err := a.lotRef()
	if err != nil {
		return nil, err
	}
	c := LotEdit{Lot: ref}
	e := &c.Edit
	given := false
	text := func(dst **string, names ...string) error {
		v, ok, err := a.opt(names...)
		if err != nil || !ok {
			return err
		}
		*dst, given = &v, true
		return nil
	}
	for _, f := range []struct {
		dst   **string
		names []string
	}{
		{&e.Title, []string{"title", "titre"}},
		{&e.Description, []string{"description", "desc"}},
		{&e.Unit, []string{"unit", "unite"}},
		{&e.Place, []string{"place", "lieu"}},
	} {
		if err := text(f.dst, f.names...); err != nil {
			return nil, err
		}
	}
	if qty, ok, err := a.opt("qty", "quantity", "quantite", "qte"); err != nil {
		return nil, err
	} else if ok {
		n, err := parseQuantity(qty)
		if err != nil {
			return nil, a.bad(err)
		}
		e.Quantity, given = &n, true
	}
	if budget, ok, err := a.opt("budget"); err != nil {
		return nil, err
	} else if ok {
		b, err := guichet.ParseEuros(budget)
		if err != nil {
			return nil, a.bad(err)
		}
		e.Budget, given = &b, true
	}
	if slot, ok, err := a.opt("slot", "creneau", "horaire"); err != nil {
		return nil, err
	} else if ok {
		if _, _, err := guichet.ParseSlot(slot); err != nil {
			return nil, a.bad(err)
		}
		e.Slot, given = &slot, true
	}
	if dl, ok, err := a.opt("deadline", "datelimite", "limite"); err != nil {
		return nil, err
	} else if ok {
		if noDeadline[fold(dl)] || dl == "" {
			e.ClearDeadline = true
		} else if c.Deadline, err = parseDeadline(dl); err != nil {
			return nil, a.bad(err)
		}
		given = true
	}
	if day, ok, err := a.opt("day", "jour", "date"); err != nil {
		return nil, err
	} else if ok {
		if noDeadline[fold(day)] || day == "" {
			e.ClearDay = true
		} else {
			d, err := parseDay(day)
			if err != nil {
				return nil, a.bad(err)
			}
			e.Day = &d
		}
		given = true
	}
	if max, ok, err := a.opt("max", "maxsuppliers", "maxstructures"); err != nil {
		return nil, err
	} else if ok {
		n, isNum := parseCount(max)
		if !isNum || n < 1 || n > 100 {
			return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrMaxSuppliers", "Value", max))
		}
		m := int(n)
		e.MaxSuppliers, given = &m, true
	}
	if rule, ok, err := a.opt("award", "attribution"); err != nil {
		return nil, err
	} else if ok {
		r, err := parseAwardRule(rule)
		if err != nil {
			return nil, a.bad(err)
		}
		e.Award, given = &r, true
	}
	if shrink, ok, err := a.opt("shrink", "reduire", "reduction", "parts"); err != nil {
		return nil, err
	} else if ok {
		if e.Quantity == nil {
			return nil, a.bad(guichet.Errorf(guichet.EINVALID, "ErrShrinkWithoutQuantity"))
		}
		if e.Shrink, err = parseShrink(shrink); err != nil {
			return nil, a.bad(err)
		}
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	if !given {
		// No field written: the dialog, prefilled with the lot's terms, asks for them.
		return LotEditDialog{Lot: ref}, nil
	}
	return c, nil
}

// parseShrink reads how shares shrink: "prorata", or "Name: 100; Other: 80" (a structure's
// name, a colon, its new quantity; entries separated by semicolons or commas).
func parseShrink(s string) (*guichet.Shrink, error) {
	if proportional[fold(s)] {
		return &guichet.Shrink{Proportional: true}, nil
	}
	bad := guichet.Errorf(guichet.EINVALID, "ErrShrinkSyntax", "Value", s)
	out := &guichet.Shrink{Shares: map[string]int64{}}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		i := strings.LastIndex(part, ":")
		if i < 0 {
			return nil, bad
		}
		name := strings.TrimSpace(strings.Trim(part[:i], "\u202f\u00a0 "))
		n, ok := parseCount(strings.TrimSpace(part[i+1:]))
		if name == "" || !ok {
			return nil, bad
		}
		if _, dup := out.Shares[name]; dup {
			return nil, bad
		}
		out.Shares[name] = n
	}
	if len(out.Shares) == 0 {
		return nil, bad
	}
	return out, nil
}

// lotEdit edits a lot and answers with what changed and who was told.
func (h *Handler) lotEdit(ctx context.Context, c *call, cmd LotEdit) (string, error) {
	l, e, err := h.lot(ctx, c, cmd.Lot)
	if err != nil {
		return "", err
	}
	edit := cmd.Edit
	if cmd.Deadline != nil {
		at := cmd.Deadline.In(location(e))
		edit.Deadline = &at
	}
	d, err := h.store.EditLot(ctx, c.actor, l.ID, &edit)
	if err != nil {
		return "", err
	}
	if !d.Changed() {
		return h.t(c, "CmdLotEditNothing", map[string]any{"Code": l.Code}), nil
	}
	changes := h.t(c, "MsgLotEditChanges", d.ChangeArgs())
	told, reconfirm := 0, 0
	for _, hc := range d.Holders {
		told++
		if hc.Reconfirm {
			reconfirm++
		}
		if hc.ShareChanged() {
			changes += h.t(c, "CmdLotEditShare", map[string]any{"Supplier": hc.Claim.SupplierName,
				"Before": hc.BeforeQuantity, "After": hc.Quantity, "Unit": d.Lot.Unit,
				"AmountBefore": l10n.Money(hc.BeforeAmount, c.locale), "AmountAfter": l10n.Money(hc.Amount, c.locale)})
		}
	}
	args := map[string]any{"Code": d.Lot.Code, "Title": d.Lot.Title, "Changes": changes}
	if told > 0 {
		args["Told"] = h.t(c, "CmdLotEditTold", map[string]any{"Count": told, "Reconfirm": reconfirm})
	}
	return h.t(c, "CmdLotEdited", args), nil
}
