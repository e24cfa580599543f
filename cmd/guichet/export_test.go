package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
)

func readExport(t *testing.T, data []byte) [][]string {
	t.Helper()
	require.True(t, bytes.HasPrefix(data, []byte("\ufeff")))
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	require.NoError(t, err)
	return recs
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	url := dbtest.URL(t)
	t.Setenv("GUICHET_DATABASE_URL", url)
	d, err := db.Open(ctx, url)
	require.NoError(t, err)
	defer d.Close()

	coord := dbtest.Coordinator
	e := &guichet.Event{Slug: "assises-2011", Name: "Assises", Day: time.Date(2011, 4, 15, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, d.CreateEvent(ctx, coord, e))
	sups := []*guichet.Supplier{
		{Name: "Emoqui", Categories: []string{"pause-cafe"}, Members: []guichet.Member{{UserID: "u1", Username: "emoqui.tom"}}},
		{Name: "Napce", Categories: []string{"pause-cafe"}, Members: []guichet.Member{{UserID: "u2", Username: "napce.lina"}}},
	}
	require.NoError(t, d.UpsertSuppliers(ctx, coord, sups))
	lots := []*guichet.Lot{
		{Code: "PCM", Title: "Pause café du matin", Category: "pause-cafe", Quantity: 450, Unit: "personnes", Budget: 900_00, Mode: guichet.Shared, MaxSuppliers: 3},
		{Code: "PCA", Title: "Pause café de l'après-midi", Category: "pause-cafe", Quantity: 1, Unit: "forfait", Budget: 900_01},
	}
	require.NoError(t, d.AddLots(ctx, coord, e.ID, lots))
	// Lots are taken on a published event, before its day.
	_, err = d.SQL().ExecContext(ctx, `UPDATE events SET status = 'published' WHERE id = $1`, e.ID)
	require.NoError(t, err)
	claim := func(s *guichet.Supplier, l *guichet.Lot, qty int64) {
		_, err := d.Claim(ctx, guichet.ClaimRequest{Actor: dbtest.Member(s),
			LotID: l.ID, SupplierID: s.ID, Quantity: qty}, time.Date(2011, 3, 15, 10, 0, 0, 0, time.UTC))
		require.NoError(t, err)
	}
	claim(sups[0], lots[0], 150)
	claim(sups[1], lots[0], 300)
	claim(sups[1], lots[1], 0)

	out := filepath.Join(t.TempDir(), "bilan.csv")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(ctx, []string{"export", "--event", "assises-2011", "--out", out}, &stdout, &stderr), stderr.String())
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	recs := readExport(t, data)
	require.Equal(t, [][]string{
		{"Événement", "Lot", "Intitulé", "Structure", "Quantité", "Unité", "Montant (€)", "Montant (centimes)", "Statut"},
		{"Assises", "PCM", "Pause café du matin", "Napce", "300", "personnes", "600,00", "60000", "attribué"},
		{"Assises", "PCA", "Pause café de l'après-midi", "Napce", "1", "forfait", "900,01", "90001", "attribué"},
		{"Assises", "PCM", "Pause café du matin", "Emoqui", "150", "personnes", "300,00", "30000", "attribué"},
	}, recs)
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")
	info, err := os.Stat(out)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "money figures are for the operator only")

	stdout.Reset()
	require.NoError(t, run(ctx, []string{"export", "--event", "assises-2011", "--what", "claims", "--lot", "pcm", "--locale", "en"}, &stdout, &stderr))
	recs = readExport(t, stdout.Bytes())
	require.Equal(t, "Event", recs[0][0])
	require.Len(t, recs, 3, "PCM's two shares")

	stdout.Reset()
	require.NoError(t, run(ctx, []string{"export", "--event", "assises-2011", "--what", "audit", "--lot", "PCM"}, &stdout, &stderr))
	recs = readExport(t, stdout.Bytes())
	require.Equal(t, "N°", recs[0][0])
	var actions []string
	for _, r := range recs[1:] {
		actions = append(actions, r[3])
		require.Equal(t, "PCM", r[4])
	}
	require.Equal(t, []string{"lot.add", "claim.award", "claim.award"}, actions)

	tests := map[string]struct {
		args []string
		want string
	}{
		"unknown event":  {[]string{"export", "--event", "nope"}, "Aucun événement `nope`"},
		"unknown lot":    {[]string{"export", "--event", "assises-2011", "--lot", "XYZ"}, "Aucun lot `XYZ`"},
		"bad what":       {[]string{"export", "--event", "assises-2011", "--what", "lots"}, "write claims or audit"},
		"bad format":     {[]string{"export", "--event", "assises-2011", "--format", "xlsx"}, "only csv"},
		"missing event":  {[]string{"export"}, "--event is required"},
		"stray argument": {[]string{"export", "--event", "assises-2011", "extra"}, "unexpected argument"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(ctx, tc.args, &stdout, &stderr)
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, stdout.String(), "nothing half-written")
		})
	}
}
