package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet/internal/mmrig"
)

// The set-up falls the day before the event: the coordinator writes its day in chat, the
// offer posted in the structure's channel says that day, a day too far is refused with how to
// write it, and the structure that takes the set-up gets its J-1 the day before the set-up.
func TestLotOnTheDayBeforeFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "wfdays", "Montage Ouest")
	out := say(t, w.coord, w.coordChannel.Id, `/guichet lot ajouter MON "Montage" categorie=`+w.category+` qte=1 budget=300 jour=14/04/2031 creneau=18:00-21:00`)
	require.NotContains(t, out, "Rien n'a changé")
	out = say(t, w.coord, w.coordChannel.Id, `/guichet lot ajouter LOIN "Trop loin" categorie=`+w.category+` qte=1 budget=300 jour=2031-05-01`)
	require.Contains(t, out, "trop loin de l'événement du 2031-04-15")
	say(t, w.coord, w.coordChannel.Id, "/guichet publish")

	lot, err := rig.DB().LotByCode(t.Context(), w.event.ID, "MON")
	require.NoError(t, err)
	require.Equal(t, "2031-04-14", lot.Day.Format(time.DateOnly))
	_, err = rig.DB().LotByCode(t.Context(), w.event.ID, "LOIN")
	require.Error(t, err, "the refused lot was not added")

	offer := w.offerPost(t, 0, lot)
	// The offer names the event's day in its title, and the lot's own day where it says when.
	require.Contains(t, mmrig.PostText(offer), "lundi 14 avril 2031, 18 h 00 – 21 h 00")

	require.Contains(t, say(t, w.members[0], w.channels[0].Id, "/guichet prendre "+w.event.Slug+"/MON"), "prend le lot `MON`")
	var due time.Time
	require.NoError(t, rig.DB().SQL().GetContext(t.Context(), &due, `SELECT due_at FROM reminders
		WHERE event_id = $1 AND kind = 'j1' AND supplier_id IS NOT NULL`, w.event.ID))
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	require.Equal(t, time.Date(2031, 4, 13, 9, 0, 0, 0, paris), due.In(paris))
}
