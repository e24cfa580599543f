package commands_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
)

func TestParseAdjust(t *testing.T) {
	dej := commands.LotRef{Code: "DEJ"}
	for name, tc := range map[string]struct {
		text string
		want commands.Adjust
	}{
		"french":            {`ajuster DEJ structure="Le Chaudron" montant=2160 motif="20 couverts non livrés"`, commands.Adjust{Lot: dej, Supplier: "Le Chaudron", Amount: 216000, Reason: "20 couverts non livrés"}},
		"english":           {`adjust DEJ supplier=Romsi amount=12.50 reason=gift`, commands.Adjust{Lot: dej, Supplier: "Romsi", Amount: 1250, Reason: "gift"}},
		"structure by word": {`ajuster DEJ Le Chaudron montant=0 motif=annulé`, commands.Adjust{Lot: dej, Supplier: "Le Chaudron", Reason: "annulé"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := commands.Parse(tc.text)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	for name, text := range map[string]string{
		"no structure": `ajuster DEJ montant=10 motif=x`,
		"no amount":    `ajuster DEJ structure=Romsi motif=x`,
		"bad amount":   `ajuster DEJ structure=Romsi montant=douze motif=x`,
		"negative":     `ajuster DEJ structure=Romsi montant=-3 motif=x`,
		"no reason":    `ajuster DEJ structure=Romsi montant=10`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := commands.Parse(text)
			require.Equal(t, guichet.EINVALID, guichet.ErrorCode(err))
		})
	}
}

// The coordinator adjusts a structure's amount for a lot after the event, with a reason: the
// answer gives before and after, the structure is told; bad input names what is wrong and
// changes nothing.
func TestCoordinatorAdjustsAnAmount(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, coord, coordChannel, `prendre DEJ 100 structure="Le Goût des Autres"`)

	// Before the event's day.
	out := b.run(t, coord, coordChannel, `ajuster DEJ structure="Le Goût des Autres" montant=1000 motif="20 couverts non livrés"`)
	require.Contains(t, out, "n'a pas encore eu lieu")
	b.now = time.Date(2011, 4, 16, 10, 0, 0, 0, time.UTC)
	out = b.run(t, coord, coordChannel, `ajuster DEJ structure="Le Goût des Autres" montant=1000`)
	require.Contains(t, out, "le motif (`motif=\"…\"`)")
	out = b.run(t, coord, coordChannel, `ajuster DEJ structure="Le Goût des Autres" montant=mille motif=x`)
	require.Contains(t, out, "mille")
	out = b.run(t, coord, coordChannel, `ajuster DEJ structure="Kenja" montant=1000 motif=x`)
	require.Contains(t, out, "**Kenja** n'a pas de part attribuée sur le lot `DEJ`")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM deliveries`))
	// A structure's member is not a coordinator.
	out = b.run(t, member("anyone"), coordChannel, `ajuster DEJ structure="Le Goût des Autres" montant=1000 motif=x`)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM deliveries`), out)

	out = b.run(t, coord, coordChannel, `ajuster DEJ structure="Le Goût des Autres" montant=1000 motif="20 couverts non livrés"`)
	require.Equal(t, "💶 C'est noté\u202f: **Le Goût des Autres** reçoit **1\u202f000,00\u00a0€** pour le lot `DEJ` — Déjeuner "+
		"(avant\u202f: 1\u202f200,00\u00a0€\u202f; convenu\u202f: 1\u202f200,00\u00a0€). Motif\u202f: «\u202f20 couverts non livrés\u202f». La structure est prévenue.", out)
	require.Equal(t, "NoticeDeliveredAdjusted", b.notices(t)[len(b.notices(t))-1])
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'delivery.adjust'`))
}
