package commands_test

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
)

// submittedAsShown returns the dialog's fields as a person submits them after changing
// some: every field with its prefilled value, changes applied.
func submittedAsShown(d guichet.Dialog, changes map[string]any) map[string]any {
	out := map[string]any{}
	fitsMattermost(d)
	for _, el := range d.Elements {
		out[el.Name] = el.Default
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

// fitsMattermost panics when the dialog breaks Mattermost's limits: a title or a field name
// longer than 24 characters, a help text longer than 150.
func fitsMattermost(d guichet.Dialog) {
	if utf8.RuneCountInString(d.Title) > 24 {
		panic("dialog title too long: " + d.Title)
	}
	for _, el := range d.Elements {
		if utf8.RuneCountInString(el.DisplayName) > 24 || utf8.RuneCountInString(el.HelpText) > 150 {
			panic("dialog field too long: " + el.DisplayName)
		}
	}
}

// `lot modifier DEJ` alone opens a form holding the lunch's terms; submitting it goes through
// the command: a bad quantity and a quantity below what is taken are shown under the quantity,
// nothing changes; with the shares shrunk in proportion, the lot changes as the typed command
// would change it, the caterers are told, and the coordinator reads the summary.
func TestLotEditDialogGoesThroughTheCommand(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, member("takapres.anne"), "c-tak-apres", "claim DEJ 150")
	b.run(t, member("melimelo.sami"), "c-meli-melo", "claim DEJ 120")
	b.run(t, member("romsi.ana"), "c-romsi", "claim DEJ 100")
	b.run(t, member("goutdesautres.jo"), "c-gout-des-autres", "claim DEJ 80")
	b.now = time.Date(2011, 4, 13, 10, 0, 0, 0, time.UTC)

	require.Equal(t, "", b.run(t, coord, coordChannel, "lot modifier DEJ"))
	d := b.chat.lastDialog(t)
	require.Equal(t, "cmd.lot.edit", d.CallbackID)
	shown := map[string]string{}
	for _, el := range d.Elements {
		shown[el.Name] = el.Default
	}
	require.Equal(t, "450", shown["quantity"])
	require.Equal(t, "Déjeuner", shown["title"])
	require.Equal(t, "5\u202f400,00\u00a0€", shown["budget"])
	require.Equal(t, "", shown["shrink"])
	require.Contains(t, shown, "award")
	require.Contains(t, shown, "deadline")

	reply := b.submit(t, coord, coordChannel, d, submittedAsShown(d, map[string]any{"quantity": "beaucoup"}))
	require.Contains(t, reply.Errors["quantity"], "beaucoup")
	require.NotContains(t, reply.Errors["quantity"], "Utilisation", "the field shows the problem, not the command's usage")

	reply = b.submit(t, coord, coordChannel, d, submittedAsShown(d, map[string]any{"quantity": "380"}))
	require.Contains(t, reply.Errors["quantity"], "450 couverts du lot DEJ sont déjà pris, plus que les 380 demandés")
	require.Equal(t, 450, b.count(t, `SELECT quantity FROM lots WHERE code = 'DEJ'`))

	reply = b.submit(t, coord, coordChannel, d, submittedAsShown(d, map[string]any{"shrink": "prorata"}))
	require.Contains(t, reply.Errors["shrink"], "écrivez aussi la nouvelle quantité")

	reply = b.submit(t, coord, coordChannel, d, submittedAsShown(d, map[string]any{"quantity": "380", "shrink": "prorata"}))
	require.Empty(t, reply.Errors)
	require.Equal(t, 380, b.count(t, `SELECT quantity FROM lots WHERE code = 'DEJ'`))
	require.Equal(t, 380, b.count(t, `SELECT sum(quantity) FROM claims WHERE status = 'awarded'`))
	require.Equal(t, 5400_00, b.count(t, `SELECT sum(amount_cents) FROM claims WHERE status = 'awarded'`))
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeLotEdited'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'lot.edit'`))
	require.Equal(t, "Déjeuner", b.lotState(t, "DEJ").Lot.Title, "fields left as shown do not change")
	var summary string
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &summary,
		`SELECT payload->'args'->>'Text' FROM outbox WHERE payload->>'message_id' = 'MsgI19bDialogDone' AND payload->>'user_id' = $1`, coord.UserID))
	require.Contains(t, summary, "- Quantité\u202f: 450 → 380")

	// The same form again: nothing differs from what it showed, nothing changes.
	reply = b.submit(t, coord, coordChannel, d, submittedAsShown(d, nil))
	require.Empty(t, reply.Errors)
	require.Equal(t, 380, b.count(t, `SELECT quantity FROM lots WHERE code = 'DEJ'`), "a field left as shown does not undo a change made since")

	// A structure's member cannot open it, nor submit one.
	require.Contains(t, b.run(t, member("romsi.ana"), "c-romsi", "lot modifier DEJ"), "coordination")
	reply = b.submit(t, member("romsi.ana"), "c-romsi", d, submittedAsShown(d, map[string]any{"quantity": "300", "shrink": "prorata"}))
	require.NotEmpty(t, reply.Errors)
	require.Equal(t, 380, b.count(t, `SELECT quantity FROM lots WHERE code = 'DEJ'`))

	// After the day, the form is not opened: the reason is answered at once.
	b.now = time.Date(2011, 4, 16, 10, 0, 0, 0, time.UTC)
	opened := len(b.chat.dialogs)
	require.Contains(t, b.run(t, coord, coordChannel, "lot modifier DEJ"), "ni de modification des lots")
	require.Len(t, b.chat.dialogs, opened)
}

// `événement modifier` alone opens a form holding the event's date, time zone, venue, client
// and reminders; a date that does not parse is shown under the date; a new date postpones the
// event as the typed command does.
func TestEventEditDialogGoesThroughTheCommand(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")

	require.Equal(t, "", b.run(t, coord, coordChannel, "événement modifier"))
	d := b.chat.lastDialog(t)
	require.Equal(t, "cmd.event.edit", d.CallbackID)
	shown := map[string]string{}
	for _, el := range d.Elements {
		shown[el.Name] = el.Default
	}
	require.Equal(t, map[string]string{"date": "2011-04-15", "tz": "Europe/Paris", "venue": "Cité des Congrès, Nantes",
		"client": "Nantes Métropole", "reminders": guichet.DefaultReminders}, shown)

	reply := b.submit(t, coord, coordChannel, d, submittedAsShown(d, map[string]any{"date": "le 22"}))
	require.Contains(t, reply.Errors["date"], "le 22")
	reply = b.submit(t, coord, coordChannel, d, submittedAsShown(d, map[string]any{"date": "22/04/2011"}))
	require.Empty(t, reply.Errors)
	e, err := b.db.EventBySlug(b.ctx, "assises-2011")
	require.NoError(t, err)
	require.Equal(t, "2011-04-22", e.Day.Format(time.DateOnly))
	require.Equal(t, "Cité des Congrès, Nantes", e.Venue)
	var summary string
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &summary,
		`SELECT payload->'args'->>'Text' FROM outbox WHERE payload->>'message_id' = 'MsgI19bDialogDone'`))
	require.Contains(t, summary, "22 avril 2011")
}

// Without a field, the edit commands open their dialogs rather than failing.
func TestEditWithoutFieldOpensTheDialog(t *testing.T) {
	t.Parallel()
	cmd, err := commands.Parse("lot modifier assises-2011/DEJ")
	require.NoError(t, err)
	require.Equal(t, commands.LotEditDialog{Lot: commands.LotRef{Event: "assises-2011", Code: "DEJ"}}, cmd)
	cmd, err = commands.Parse("événement modifier assises-2011")
	require.NoError(t, err)
	require.Equal(t, commands.EventEditDialog{Event: "assises-2011"}, cmd)
	_, err = commands.Parse("lot modifier DEJ couleur=bleu")
	require.Error(t, err, "an unknown field is still refused, not turned into the dialog")
}
