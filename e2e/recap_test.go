package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
)

// readFixture reads one of the Assises fixture's CSV files as rows keyed by the header.
func readFixture(t *testing.T, name string) []map[string]string {
	t.Helper()
	rows, err := assises.Rows(name)
	require.NoError(t, err)
	return rows
}

// assisesReplayed creates an event with the fixture's 14 lots, bound to coordChannel and
// clientChannel, and has every structure claim what it took in 2011, as one of its members.
// It returns the event and the sum of the lots' budgets.
func assisesReplayed(t *testing.T, ctx context.Context, slug, coordChannel, clientChannel string) (*guichet.Event, guichet.Cents) {
	t.Helper()
	store := rig.DB()
	coord := guichet.Actor{UserID: rig.Coordinator().ID, Username: rig.Coordinator().Username}
	e := &guichet.Event{Slug: slug, Name: "Assises métropolitaines de la Politique de la Ville — " + slug,
		Day: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC), TimeZone: "Europe/Paris",
		Venue: "Cité des Congrès, Nantes", Client: "Nantes Métropole",
		CoordChannelID: coordChannel, RecapChannelID: clientChannel}
	require.NoError(t, store.CreateEvent(ctx, coord, e))

	var lots []*guichet.Lot
	byCode := map[string]*guichet.Lot{}
	var budgets guichet.Cents
	for _, row := range readFixture(t, "lots.csv") {
		qty, err := strconv.ParseInt(row["quantity"], 10, 64)
		require.NoError(t, err)
		budget, err := guichet.ParseEuros(row["budget_eur"])
		require.NoError(t, err)
		maxSup, err := strconv.Atoi(row["max_suppliers"])
		require.NoError(t, err)
		l := &guichet.Lot{Code: row["code"], Title: row["title"], Category: row["category"], Quantity: qty,
			Unit: row["unit"], Budget: budget, Mode: guichet.LotMode(row["mode"]), MaxSuppliers: maxSup}
		lots = append(lots, l)
		byCode[l.Code] = l
		budgets += budget
	}
	require.NoError(t, store.AddLots(ctx, coord, e.ID, lots))
	// Lots are taken on a published event, before its day: in March 2011, without posting
	// offers (the recap is what these tests look at).
	_, err := store.SQL().ExecContext(ctx, `UPDATE events SET status = 'published' WHERE id = $1`, e.ID)
	require.NoError(t, err)
	claimedAt := time.Date(2011, 3, 15, 10, 0, 0, 0, time.UTC)
	for _, row := range readFixture(t, "replay.csv") {
		s, err := store.SupplierByRef(ctx, row["supplier"])
		require.NoError(t, err)
		qty, err := strconv.ParseInt(row["quantity"], 10, 64)
		require.NoError(t, err)
		_, err = store.Claim(ctx, guichet.ClaimRequest{
			Actor: dbtest.Member(s),
			LotID: byCode[row["lot"]].ID, SupplierID: s.ID, Quantity: qty}, claimedAt)
		require.NoError(t, err, "%s claims %s", row["supplier"], row["lot"])
	}
	return e, budgets
}

// attachedFiles reads, as u, every file attached to the post, by name.
func attachedFiles(t *testing.T, ctx context.Context, u *mmrig.User, p *model.Post) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, id := range p.FileIds {
		info, _, err := u.Client.GetFileInfo(ctx, id)
		require.NoError(t, err, "file info as %s", u.Username)
		require.Equal(t, p.Id, info.PostId, "the file is attached to the post")
		data, _, err := u.Client.GetFile(ctx, id)
		require.NoError(t, err, "file %s as %s", info.Name, u.Username)
		out[info.Name] = data
	}
	return out
}

// checkRecapFiles checks the chart and the CSV of the Assises recap.
func checkRecapFiles(t *testing.T, files map[string][]byte, slug string, budgets guichet.Cents) {
	t.Helper()
	require.Len(t, files, 2)
	img, err := png.Decode(bytes.NewReader(files["bilan-"+slug+".png"]))
	require.NoError(t, err, "the chart is a PNG")
	require.Greater(t, img.Bounds().Dy(), 19*28, "a bar per structure makes it tall")

	data := files["bilan-"+slug+".csv"]
	require.True(t, bytes.HasPrefix(data, []byte("\ufeff")))
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	require.NoError(t, err)
	require.Equal(t, "Montant (centimes)", recs[0][7])
	var total guichet.Cents
	structures := map[string]bool{}
	for _, rec := range recs[1:] {
		cents, err := strconv.ParseInt(rec[7], 10, 64)
		require.NoError(t, err)
		total += guichet.Cents(cents)
		structures[rec[3]] = true
	}
	require.Len(t, structures, 19)
	require.Equal(t, budgets, total, "the CSV adds up to the lots' budgets, to the cent")
}

func TestRecapPostedWithChartAndCSVReadableByTheCoordinator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	suffix := strconv.FormatInt(time.Now().UnixNano()%1_000_000, 10)
	coord := rig.Coordinator()
	observer := rig.User("observateur")
	coordCh, err := rig.NewChannel(ctx, "bilan-coord-"+suffix, coord.Username)
	require.NoError(t, err)
	clientCh, err := rig.NewChannel(ctx, "bilan-client-"+suffix, observer.Username)
	require.NoError(t, err)
	slug := "bilan-" + suffix
	e, budgets := assisesReplayed(t, ctx, slug, coordCh.Id, clientCh.Id)

	// What the scheduler does at J+1 (and `/guichet recap` on demand): queue the recap.
	require.NoError(t, rig.DB().QueueRecap(ctx, guichet.Actor{UserID: coord.ID, Username: coord.Username}, e.ID))

	isRecap := func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.HasPrefix(p.Message, "### Bilan — "+e.Name)
	}
	post := coord.WaitPost(t, coordCh.Id, isRecap)
	require.Contains(t, post.Message, "**19\u202f210,00\u00a0€** pour le réseau, répartis entre **19** structures.")
	require.Len(t, post.FileIds, 2, "the chart and the CSV are attached")
	checkRecapFiles(t, attachedFiles(t, ctx, coord, post), slug, budgets)

	clientPost := observer.WaitPost(t, clientCh.Id, isRecap)
	require.Equal(t, post.Message, clientPost.Message)
	require.Len(t, clientPost.FileIds, 2)
	for _, id := range clientPost.FileIds {
		require.NotContains(t, post.FileIds, id, "uploaded again for the client channel")
	}
	checkRecapFiles(t, attachedFiles(t, ctx, observer, clientPost), slug, budgets)

	// Someone outside the coordination channel cannot read its files.
	_, resp, err := rig.User("intrus").Client.GetFile(ctx, post.FileIds[0])
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	rig.Eventually(t, "the event marked recapped", func(ctx context.Context) error {
		got, err := rig.DB().Event(ctx, e.ID)
		if err != nil {
			return err
		}
		if got.Status != guichet.EventRecapped {
			return fmt.Errorf("status %s", got.Status)
		}
		return nil
	})
	for _, ch := range []string{coordCh.Id, clientCh.Id} {
		posts, err := rig.BotPosts(ctx, ch)
		require.NoError(t, err)
		n := 0
		for _, p := range posts {
			if isRecap(p) {
				n++
			}
		}
		require.Equal(t, 1, n, "one recap per channel")
	}
}
