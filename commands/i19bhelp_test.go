package commands_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/l10n"
)

// The help documents what issue 19 added: in each language the command list shows the
// options (the phone claim's structure= and force, a lot's day, a lot edit's shrink), and
// each command's own help gives its French and English words and an example.
func TestHelpDocumentsTheEventChanges(t *testing.T) {
	b := setup(t)
	en := commands.New(commands.Deps{Store: b.db, Chat: b.chat, Access: guichet.NewAccess(b.db, coord.UserID), Catalog: l10n.New(), Locale: "en"})
	help := func(h *commands.Handler, text string) string {
		return h.HandleCommand(b.ctx, guichet.CommandRequest{Actor: member("anyone"), ChannelID: "c-x", Text: text}).Text
	}
	fr := help(b.h, "aide")
	for _, part := range []string{"`/guichet prendre <lot> [quantité] [structure=\"…\"] [force]", "[jour=AAAA-MM-JJ]",
		"`/guichet lot modifier <lot> champ=valeur… [réduire=", "`/guichet lot modifier DEJ quantité=380 réduire=prorata`",
		"`/guichet événement modifier", "`/guichet événement annuler", "`/guichet promouvoir", "`/guichet relancer",
		"`/guichet ajuster", "`/guichet bilan", "`/guichet mes-lots`", "Libérer"} {
		require.Contains(t, fr, part)
	}
	english := help(en, "help")
	for _, part := range []string{"`/guichet claim <lot> [quantity] [structure=\"…\"] [force]", "[day=YYYY-MM-DD]",
		"`/guichet lot edit <lot> field=value… [shrink=", "`/guichet event edit", "`/guichet event cancel", "`/guichet promote",
		"`/guichet relaunch", "`/guichet adjust", "`/guichet recap", "`/guichet mylots`"} {
		require.Contains(t, english, part)
	}
	for topic, words := range map[string][]string{
		"prendre":            {"`claim`", "`prendre`"},
		"lot modifier":       {"`lot edit`", "`lot modifier`"},
		"événement modifier": {"`event edit`", "`evenement modifier`", "`evenement reporter`"},
		"événement annuler":  {"`event cancel`", "`evenement annuler`"},
		"promouvoir":         {"`promote`", "`promouvoir`"},
		"relancer":           {"`relaunch`", "`relancer`"},
		"ajuster":            {"`adjust`", "`ajuster`"},
		"bilan":              {"`recap`", "`bilan`"},
		"mes-lots":           {"`mylots`", "`mes-lots`"},
		"libérer":            {"`release`", "`liberer`"},
	} {
		out := help(b.h, "aide "+topic)
		require.Contains(t, out, "Exemple\u202f: `/guichet ", topic)
		for _, w := range words {
			require.Contains(t, out, w, topic)
		}
	}
}
