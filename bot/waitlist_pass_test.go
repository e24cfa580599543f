package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A waitlist promotion is offered within one outbox pass of the release: the release's
// transaction queues the offer to the first in line with everything else it causes, and the
// dispatcher's next pass (one DeliverDue) puts the direct message with « J'accepte » in front
// of the member who put the structure in line.
func TestWaitlistOfferDeliveredInOnePassAfterTheRelease(t *testing.T) {
	bd := setupDispatch(t)
	march := time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC)
	bd.db.Now = func() time.Time { return march }
	sups := bd.suppliers(t, 3, "wlp", "photo")
	lot := bd.lot(t, &guichet.Lot{Code: "PHO", Title: "Photos de la journée", Category: "photo", Quantity: 1, Budget: 60000})
	_, err := bd.db.Publish(bd.ctx, coordActor, bd.event.ID)
	require.NoError(t, err)
	holder := guichet.Actor{UserID: sups[0].Members[0].UserID, Username: "wlp0"}
	_, err = bd.db.Claim(bd.ctx, guichet.ClaimRequest{Actor: holder, LotID: lot.ID, SupplierID: sups[0].ID}, march)
	require.NoError(t, err)
	for _, s := range sups[1:] {
		_, err := bd.db.JoinWaitlist(bd.ctx, guichet.Actor{UserID: s.Members[0].UserID}, lot.ID, s.ID, march)
		require.NoError(t, err)
	}
	bd.drain(t, bd.bot)
	first := "dm-" + sups[1].Members[0].UserID
	require.Empty(t, bd.mm.postsIn(first))

	_, err = bd.db.Withdraw(bd.ctx, holder, lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	n, err := bd.bot.DeliverDue(bd.ctx)
	require.NoError(t, err)
	require.Positive(t, n)
	posts := bd.mm.postsIn(first)
	require.Len(t, posts, 1, "one pass delivers the offer to the first in line")
	require.True(t, strings.HasPrefix(posts[0].Message, "🎟️ Une place se libère sur le lot **PHO**"), posts[0].Message)
	require.Equal(t, []string{actionWaitAccept}, actionNames(attachmentOf(t, posts[0])))
	require.Empty(t, bd.mm.postsIn("dm-"+sups[2].Members[0].UserID), "the second in line waits")
}
