package e2e

import (
	"strings"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
)

// A waitlist through real Mattermost: the first structure takes an exclusive first-come lot;
// the second, finding it full, joins the line from its copy of the offer; the first releases
// it; the second's member is offered it by direct message and accepts with « J'accepte »; the
// lot is now the second structure's, and the coordination channel says so.
func TestWaitlistOfferedAndAcceptedFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "attente", "Sono Une", "Sono Deux")
	lot := w.addLot(t, &guichet.Lot{Code: "SON", Title: "Sonorisation", Quantity: 1, Unit: "forfait",
		Budget: 150000, Mode: guichet.Exclusive})
	w.publish(t, 2)
	first := w.offerPost(t, 0, lot, btnClaim, btnPass)
	require.NoError(t, w.members[0].Click(t, first.Id, btnClaim))

	const btnJoin, btnAccept = "Me mettre en liste d'attente", "J'accepte"
	second := rig.WaitPost(t, w.channels[1].Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && mmrig.Button(p, btnJoin) != nil && mmrig.Button(p, btnClaim) == nil
	})
	watch := w.members[1].Watch(t)
	require.NoError(t, w.members[1].Click(t, second.Id, btnJoin))
	watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "en liste d'attente") })
	require.Equal(t, 1, count(t, `SELECT count(*) FROM waitlist WHERE lot_id = $1 AND supplier_id = $2`, lot.ID, w.suppliers[1].ID))

	out := say(t, w.members[0], w.channels[0].Id, "/guichet libérer "+w.event.Slug+"/SON")
	require.Contains(t, out, "libère", out)
	dm := directChannel(t, w.members[1])
	offer := w.members[1].WaitPost(t, dm, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "Une place se libère") && mmrig.Button(p, btnAccept) != nil
	})
	require.NoError(t, w.members[1].Click(t, offer.Id, btnAccept))
	rig.WaitPost(t, w.coordChannel.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(p.Message, "depuis la liste d'attente") && strings.Contains(p.Message, "Sono Deux")
	})
	cs := claims(t, lot.ID)
	awarded := 0
	for _, c := range cs {
		if c.Status == guichet.ClaimAwarded {
			awarded++
			require.Equal(t, w.suppliers[1].ID, c.SupplierID)
		}
	}
	require.Equal(t, 1, awarded, "one holder, the second structure")
}
