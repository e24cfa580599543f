package commands

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

func TestParseLotDay(t *testing.T) {
	t.Parallel()
	c, err := Parse(`lot ajouter MON "Montage" categorie=logistique qte=1 budget=100 jour=14/04/2011 creneau=18h00-20h00`)
	require.NoError(t, err)
	require.Equal(t, "2011-04-14", c.(LotAdd).Lot.Day.Format(time.DateOnly))

	c, err = Parse(`lot add MON "Set-up" category=logistique qty=1 budget=100 day=2011-04-16`)
	require.NoError(t, err)
	require.Equal(t, "2011-04-16", c.(LotAdd).Lot.Day.Format(time.DateOnly))

	c, err = Parse(`lot modifier MON jour=aucun`)
	require.NoError(t, err)
	require.True(t, c.(LotEdit).Edit.ClearDay)
	c, err = Parse(`lot edit MON day=15/04/2011`)
	require.NoError(t, err)
	require.Equal(t, "2011-04-15", c.(LotEdit).Edit.Day.Format(time.DateOnly))

	for _, text := range []string{`lot edit MON jour=demain`, `lot add MON "x" category=logistique qty=1 budget=1 day=14-04`} {
		_, err = Parse(text)
		require.Error(t, err, text)
		e := guichet.AsError(err)
		if p, ok := e.Args["Problem"].(error); ok {
			e = guichet.AsError(p)
		}
		require.Equal(t, "ErrDate", e.MessageID, text)
	}
}

func TestReadLotsDayColumn(t *testing.T) {
	t.Parallel()
	recs, err := ReadLots([]byte("code;titre;categorie;quantite;budget;jour\nMON;Montage;logistique;1;100;14/04/2011\nDEJ;Déjeuner;restauration;10;200;\n"), time.UTC)
	require.NoError(t, err)
	require.Equal(t, "2011-04-14", recs[0].Lot.Day.Format(time.DateOnly))
	require.Nil(t, recs[1].Lot.Day)

	_, err = ReadLots([]byte("code;titre;categorie;quantite;budget;jour\nMON;Montage;logistique;1;100;veille\n"), time.UTC)
	require.Error(t, err)
}
