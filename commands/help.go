package commands

import (
	"sort"
	"strings"
)

// help lists every command with its form and what it does, or explains one command or group
// with an example and its other names.
func (h *Handler) help(c *call, topic string) (string, error) {
	if s := specFor(topic); s != nil {
		return h.t(c, "HelpDetail", map[string]any{
			"Usage":       h.t(c, string(s.usage), nil),
			"Description": h.t(c, string(s.description), nil),
			"Example":     h.t(c, string(s.example), nil),
			"Aliases":     strings.Join(aliasesOf(s.name), ", "),
		}), nil
	}
	var coordination, suppliers []string
	for _, s := range specs {
		if topic != "" && !strings.HasPrefix(s.name, topic+" ") {
			continue
		}
		line := h.t(c, "HelpLine", map[string]any{"Usage": h.t(c, string(s.usage), nil), "Description": h.t(c, string(s.description), nil),
			"Example": h.t(c, string(s.example), nil)})
		if s.role != roleAnyone {
			coordination = append(coordination, line)
		} else {
			suppliers = append(suppliers, line)
		}
	}
	out := []string{h.t(c, "HelpIntro", nil)}
	if len(coordination) > 0 {
		out = append(out, "", h.t(c, "HelpCoordination", nil))
		out = append(out, coordination...)
	}
	if len(suppliers) > 0 {
		out = append(out, "", h.t(c, "HelpSuppliers", nil))
		out = append(out, suppliers...)
	}
	out = append(out, "", h.t(c, "HelpFooter", nil))
	return strings.Join(out, "\n"), nil
}

// aliasesOf returns every way of writing a command, in French and in English, e.g. "claim"
// and "prendre" for claim, "lot add" and "lot ajouter" for lot add: whichever language the
// usage line is written in, the other one's words are there.
func aliasesOf(name string) []string {
	group, sub, isGroup := strings.Cut(name, " ")
	var out []string
	for verb, target := range verbs {
		switch {
		case target == name:
			out = append(out, "`"+verb+"`")
		case isGroup && target == group:
			for w, s := range groups[group] {
				if s == sub {
					out = append(out, "`"+verb+" "+w+"`")
				}
			}
		}
	}
	sort.Strings(out)
	return out
}
