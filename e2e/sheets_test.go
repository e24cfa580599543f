package e2e

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/internal/mmrig"
)

// dropFile uploads the sample file name (sheet/testdata) as u into channelID and posts it with
// message, as the web app does when a file is dropped in a channel, and returns the post.
func dropFile(t *testing.T, u *mmrig.User, channelID, name, message string) *model.Post {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile("../sheet/testdata/" + name)
	require.NoError(t, err)
	up, _, err := u.Client.UploadFile(ctx, data, channelID, name)
	require.NoError(t, err)
	require.Len(t, up.FileInfos, 1)
	p, _, err := u.Client.CreatePost(ctx, &model.Post{ChannelId: channelID, Message: message, FileIds: model.StringArray{up.FileInfos[0].Id}})
	require.NoError(t, err)
	return p
}

// previewOf waits for the bot's answer in the thread of post p that contains want.
func previewOf(t *testing.T, u *mmrig.User, p *model.Post, want string) *model.Post {
	t.Helper()
	return u.WaitPost(t, p.ChannelId, func(r *model.Post) bool {
		return r.UserId == rig.BotUserID() && r.RootId == p.Id && strings.Contains(r.Message, want)
	})
}

// The "Done when": the coordinator drops files as French offices write them through
// real Mattermost — a Windows-1252 ";" CSV with quoted fields and French amounts in the
// coordination channel, the same 40 lots with long descriptions and a structures sheet as an
// .xlsx in a direct message to the bot naming the event — previews each in its thread and
// imports it with « Importer »; a file with bad rows shows each row and column, offers no
// « Importer » and imports nothing; a second click imports nothing twice; a member who
// coordinates nothing gets no answer to a file and cannot import the coordinator's.
func TestDroppedSpreadsheetsPreviewAndImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "feuil")
	lots := func(eventID int64) int { return count(t, `SELECT count(*) FROM lots WHERE event_id = $1`, eventID) }

	// A file with bad rows: every error by row and column, no « Importer », nothing imported.
	bad := dropFile(t, w.coord, w.coordChannel.Id, "lots-bad-row.csv", "")
	preview := previewOf(t, w.coord, bad, "ne peut pas être importé")
	require.Contains(t, preview.Message, "ligne 7, colonne F «\u202fbudget (€)\u202f»")
	require.Contains(t, preview.Message, "ligne 12, colonne D «\u202fquantité\u202f»")
	require.Empty(t, mmrig.Buttons(preview), "no « Importer » for a file with errors")
	require.Zero(t, lots(w.event.ID))

	// Someone who coordinates nothing drops a file: no answer.
	quiet := dropFile(t, w.observer, w.coordChannel.Id, "lots-excel-fr.csv", "")

	// French Excel's CSV in the coordination channel.
	csvPost := dropFile(t, w.coord, w.coordChannel.Id, "lots-excel-fr.csv", "Les lots, enfin !")
	preview = previewOf(t, w.coord, csvPost, "40 lots pour **Journée feuil**")
	require.Contains(t, preview.Message, "`L01` Accueil des participants n°1 — 10 hôtes — 1\u202f234,50\u00a0€")
	require.Contains(t, preview.Message, "`L02` Déjeuner; service à table n°2")
	require.Contains(t, preview.Message, "`L03` Pause-café \"bio\", matin n°3")
	require.NotNil(t, mmrig.Button(preview, "Importer"))
	require.NotNil(t, mmrig.Button(preview, "Annuler"))
	require.Zero(t, lots(w.event.ID), "a preview saves nothing")

	// A member of the channel who coordinates nothing clicks « Importer »: refused.
	_, _ = w.observer.Client.DoPostAction(ctx, preview.Id, "sheetsimport")
	require.Zero(t, lots(w.event.ID), "a non-coordinator's click imports nothing")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM sheet_drops WHERE post_id = $1 AND status = 'pending'`, csvPost.Id))

	_, err := w.coord.Client.DoPostAction(ctx, preview.Id, "sheetsimport")
	require.NoError(t, err)
	rig.WaitPostByID(t, preview.Id, func(p *model.Post) bool {
		return strings.Contains(p.Message, "40 lots dans **Journée feuil**") && len(mmrig.Buttons(p)) == 0
	})
	require.Equal(t, 40, lots(w.event.ID))
	require.Equal(t, 123450, count(t, `SELECT budget_cents FROM lots WHERE event_id = $1 AND code = 'L01'`, w.event.ID))
	require.Equal(t, `Pause-café "bio", matin n°3`, lotTitle(t, w.event.ID, "L03"))
	_, _ = w.coord.Client.DoPostAction(ctx, preview.Id, "sheetsimport")
	require.Equal(t, 40, lots(w.event.ID), "a second click imports nothing twice")
	require.Equal(t, 1, count(t, `SELECT count(*) FROM sheet_drops WHERE post_id = $1 AND status = 'imported'`, csvPost.Id))

	// The workbook, in a direct message to the bot naming another event.
	x := newWorld(t, "feuilx")
	dm, _, err := x.coord.Client.CreateDirectChannel(ctx, x.coord.ID, rig.BotUserID())
	require.NoError(t, err)
	xlsx := dropFile(t, x.coord, dm.Id, "assises.xlsx", "Pour "+x.event.Slug)
	preview = previewOf(t, x.coord, xlsx, "40 lots pour **Journée feuilx** et 4 structures pour l'annuaire")
	_, err = x.coord.Client.DoPostAction(ctx, preview.Id, "sheetsimport")
	require.NoError(t, err)
	rig.WaitPostByID(t, preview.Id, func(p *model.Post) bool { return strings.Contains(p.Message, "importé par") })
	require.Equal(t, 40, lots(x.event.ID))
	require.Equal(t, 4, count(t, `SELECT count(*) FROM suppliers WHERE name LIKE '%(échantillon)'`))
	require.Equal(t, 123450+39*100037, count(t, `SELECT budget_cents FROM lots WHERE event_id = $1 AND code = 'L40'`, x.event.ID), "a currency cell as shown")

	// The member's drop came before the coordinator's: by now it would have been answered.
	posts, err := rig.Posts(ctx, w.coordChannel.Id)
	require.NoError(t, err)
	for _, p := range posts {
		require.False(t, p.RootId == quiet.Id && p.UserId == rig.BotUserID(), "no answer to a non-coordinator: %s", p.Message)
	}
}

func lotTitle(t *testing.T, eventID int64, code string) string {
	t.Helper()
	var title string
	require.NoError(t, rig.DB().SQL().GetContext(context.Background(), &title, `SELECT title FROM lots WHERE event_id = $1 AND code = $2`, eventID, code))
	return title
}
