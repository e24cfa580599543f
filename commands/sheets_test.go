package commands_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/l10n"
)

// sheetsEvent creates an event on 15 April 2031 (the sample files' day) bound to the
// coordination channel, coordinated by coord (also the administrator).
func (b *bundle) sheetsEvent(t *testing.T, slug string) *guichet.Event {
	t.Helper()
	e := &guichet.Event{Slug: slug, Name: "Journée " + slug, Day: time.Date(2031, 4, 15, 0, 0, 0, 0, time.UTC), CoordChannelID: coordChannel}
	require.NoError(t, b.db.CreateEvent(b.ctx, coord, e))
	return e
}

func sample(t *testing.T, name string) guichet.SheetFile {
	t.Helper()
	data, err := os.ReadFile("../sheet/testdata/" + name)
	require.NoError(t, err)
	return guichet.SheetFile{PostID: "post-" + name, FileID: "file-" + name, ChannelID: coordChannel, FileName: name, Data: data}
}

// TestDroppedWorkbookPreviewThenImportOnce: a workbook with a structures sheet and a lots
// sheet is previewed (nothing saved), imported in one go, and a second click imports nothing.
func TestDroppedWorkbookPreviewThenImportOnce(t *testing.T) {
	b := setup(t)
	e := b.sheetsEvent(t, "feuilles")
	p, err := b.h.PreviewSheet(b.ctx, coord, sample(t, "assises.xlsx"))
	require.NoError(t, err)
	require.NotZero(t, p.DropID, p.Text)
	require.Contains(t, p.Text, "40 lots pour **Journée feuilles**")
	require.Contains(t, p.Text, "4 structures pour l'annuaire")
	require.Contains(t, p.Text, "`L01` Accueil des participants n°1")
	require.Contains(t, p.Text, "1\u202f234,50\u00a0€", "the amount as it will be stored")
	require.Contains(t, p.Text, "… et 35 de plus.")
	require.Contains(t, p.Text, "Tabliers Solidaires")
	require.Zero(t, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, e.ID), "a preview saves nothing")

	// The bot restarts between the preview and the click: the drop is in the database.
	restarted := commands.New(commands.Deps{Store: b.db, Chat: b.chat, Access: guichet.NewAccess(b.db, coord.UserID), Catalog: l10n.New(), Sheets: b.db, Locale: "fr"})
	text, err := restarted.ImportSheet(b.ctx, coord, p.DropID)
	require.NoError(t, err)
	require.Contains(t, text, "40 lots dans **Journée feuilles** et 4 structures dans l'annuaire")
	require.Contains(t, text, "`L01` Accueil des participants n°1", "the rows the preview showed stay")
	require.Equal(t, 40, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, e.ID))
	require.Equal(t, 123450, b.count(t, `SELECT budget_cents FROM lots WHERE event_id = $1 AND code = 'L01'`, e.ID))
	require.Equal(t, 4, b.count(t, `SELECT count(*) FROM suppliers WHERE name LIKE '%(échantillon)'`))

	_, err = b.h.ImportSheet(b.ctx, coord, p.DropID)
	require.Equal(t, "ErrSheetsDropDone", guichet.AsError(err).MessageID)
	require.Equal(t, 40, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, e.ID), "nothing imported twice")
}

// TestDroppedFileWithErrorsNamesEveryOneAndKeepsNothing: a Windows-1252 file with a bad amount
// and a bad quantity gets both named by row and column, no drop kept, nothing imported.
func TestDroppedFileWithErrorsNamesEveryOneAndKeepsNothing(t *testing.T) {
	b := setup(t)
	e := b.sheetsEvent(t, "erreurs")
	p, err := b.h.PreviewSheet(b.ctx, coord, sample(t, "lots-bad-row.csv"))
	require.NoError(t, err)
	require.Zero(t, p.DropID, "no « Importer » for a file with errors")
	require.Contains(t, p.Text, "2 erreurs")
	require.Contains(t, p.Text, "ligne 7, colonne F «\u202fbudget (€)\u202f»")
	require.Contains(t, p.Text, "mille euros")
	require.Contains(t, p.Text, "ligne 12, colonne D «\u202fquantité\u202f»")
	require.Zero(t, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, e.ID))
	require.Zero(t, b.count(t, `SELECT count(*) FROM sheet_drops`))
}

// TestDroppedFileEventChoice: in a direct message the event comes from the message or the
// file's name; without either, the preview says how to choose.
func TestDroppedFileEventChoice(t *testing.T) {
	b := setup(t)
	e := b.sheetsEvent(t, "choix-2031")
	f := sample(t, "lots-excel-fr.csv")
	f.ChannelID = "dm-coord-bot"
	p, err := b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.Nil(t, p, "a channel that is neither a coordination channel nor a direct message: nothing said")
	f.Direct = true
	p, err = b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.Zero(t, p.DropID)
	require.Contains(t, p.Text, "Pour quel événement")

	f.Message = "Les lots de choix-2031, merci !"
	p, err = b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.NotZero(t, p.DropID, p.Text)
	again, err := b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.Equal(t, p.DropID, again.DropID, "the same post heard again: the same drop")

	f.PostID, f.Message, f.FileName = "post-2", "", "choix-2031-lots.csv"
	p, err = b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.NotZero(t, p.DropID, p.Text)
	_, err = b.h.ImportSheet(b.ctx, coord, p.DropID)
	require.NoError(t, err)
	require.Equal(t, 40, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, e.ID))
}

// TestDroppedFileOnlyForCoordinators: someone who coordinates nothing gets EFORBIDDEN (the bot
// stays silent), and cannot import or cancel a coordinator's drop; a cancelled drop imports
// nothing.
func TestDroppedFileOnlyForCoordinators(t *testing.T) {
	b := setup(t)
	e := b.sheetsEvent(t, "droits")
	_, err := b.h.PreviewSheet(b.ctx, member("ana"), sample(t, "lots-excel-fr.csv"))
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))

	p, err := b.h.PreviewSheet(b.ctx, coord, sample(t, "lots-excel-fr.csv"))
	require.NoError(t, err)
	require.NotZero(t, p.DropID, p.Text)
	_, err = b.h.ImportSheet(b.ctx, member("ana"), p.DropID)
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))
	_, err = b.h.CancelSheet(b.ctx, member("ana"), p.DropID)
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))

	// A coordinator of another event may not import into this one.
	other := &guichet.Event{Slug: "autre", Name: "Autre", Day: time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC), CoordChannelID: "c-autre"}
	require.NoError(t, b.db.CreateEvent(b.ctx, coord, other))
	_, err = b.db.AddEventCoordinator(b.ctx, coord, other.ID, "u-bea")
	require.NoError(t, err)
	_, err = b.h.ImportSheet(b.ctx, member("bea"), p.DropID)
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))

	text, err := b.h.CancelSheet(b.ctx, coord, p.DropID)
	require.NoError(t, err)
	require.Contains(t, text, "annulé")
	_, err = b.h.ImportSheet(b.ctx, coord, p.DropID)
	require.Equal(t, "ErrSheetsDropDone", guichet.AsError(err).MessageID)
	require.Zero(t, b.count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, e.ID))
}

// TestDroppedFileNotASheetOrTooBig: a photo gets nothing; a file past 5 MB is told so from its
// size, without being downloaded.
func TestDroppedFileNotASheetOrTooBig(t *testing.T) {
	b := setup(t)
	b.sheetsEvent(t, "taille")
	fetched := false
	f := guichet.SheetFile{PostID: "p", ChannelID: coordChannel, FileName: "photo.png", Size: 10,
		Fetch: func(context.Context) ([]byte, error) { fetched = true; return []byte("x"), nil }}
	p, err := b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.Nil(t, p)
	f.FileName, f.Size = "gros.xlsx", 6<<20
	p, err = b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.Zero(t, p.DropID)
	require.Contains(t, p.Text, "Le fichier dépasse 5 Mo")
	require.False(t, fetched, "not downloaded")
}

// TestDroppedStructuresWithUnknownMembers: a structures file naming people Mattermost does not
// know shows each in the preview, by row and column, with no « Importer ».
func TestDroppedStructuresWithUnknownMembers(t *testing.T) {
	b := setup(t)
	b.chat.addUsers("ana")
	f := guichet.SheetFile{PostID: "p", ChannelID: coordChannel, FileName: "structures.csv",
		Data: []byte("nom;catégories;membres\nAlpha;x;ana\nBeta;x;fantome\nGamma;y;ana, spectre\n")}
	b.sheetsEvent(t, "membres")
	p, err := b.h.PreviewSheet(b.ctx, coord, f)
	require.NoError(t, err)
	require.Zero(t, p.DropID, p.Text)
	require.Contains(t, p.Text, "2 erreurs")
	require.Contains(t, p.Text, "ligne 3, colonne C «\u202fmembres\u202f»\u202f: Aucun utilisateur @fantome")
	require.Contains(t, p.Text, "ligne 4, colonne C «\u202fmembres\u202f»\u202f: Aucun utilisateur @spectre")
}
