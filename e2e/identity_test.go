package e2e

import (
	"context"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// rename changes u's username through the API, as u, the way the web app's profile does.
func rename(t *testing.T, u *mmrig.User, name string) {
	t.Helper()
	ctx := context.Background()
	_, _, err := u.Client.PatchUser(ctx, u.ID, &model.UserPatch{Username: &name})
	require.NoError(t, err)
	got, _, err := rig.Admin().Client.GetUser(ctx, u.ID, "")
	require.NoError(t, err)
	require.Equal(t, name, got.Username)
	u.Username = name
}

// Rights go with the Mattermost account, not the name: a coordinator who renames themselves
// keeps them; a member who takes the old name gets none, and changes nothing.
func TestSecurityRenameChangesNoRight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "renom", "Atelier Un")
	lot := w.addLot(t, &guichet.Lot{Code: "ATE", Title: "Atelier", Quantity: 1, Unit: "jour", Budget: 40000})
	anne, err := rig.NewUser(ctx, "renom.anne")
	require.NoError(t, err)
	mallory, err := rig.NewUser(ctx, "renom.mal")
	require.NoError(t, err)
	annes, err := rig.NewChannel(ctx, "renom-anne", anne.Username)
	require.NoError(t, err)
	mallorys, err := rig.NewChannel(ctx, "renom-mal", mallory.Username)
	require.NoError(t, err)

	require.Contains(t, say(t, w.coord, w.coordChannel.Id, "/guichet coordinator add @renom.anne"), "@renom.anne coordonne maintenant")

	rename(t, anne, "renom.anne2")
	rename(t, mallory, "renom.anne")

	cat := l10n.New()
	notCoordinator := cat.Error("fr", guichet.Errorf(guichet.EFORBIDDEN, "ErrNotCoordinator"))
	for _, text := range []string{
		"/guichet publish " + w.event.Slug,
		`/guichet paid "Atelier Un" 10 ` + w.event.Slug,
		"/guichet lot cancel " + w.event.Slug + "/ATE",
		"/guichet coordinator add @renom.anne " + w.event.Slug,
	} {
		require.Equal(t, notCoordinator, say(t, mallory, mallorys.Id, text), text)
	}
	is, err := rig.DB().IsEventCoordinator(ctx, w.event.ID, mallory.ID)
	require.NoError(t, err)
	require.False(t, is)
	require.Zero(t, count(t, `SELECT count(*) FROM audit_trail WHERE actor_id = $1`, mallory.ID), "nothing done for the one who took the name")
	require.Zero(t, count(t, `SELECT count(*) FROM audit_trail WHERE event_id = $1 AND action = 'event.publish'`, w.event.ID), "nothing published")

	// The renamed coordinator keeps the rights, under the new name.
	say(t, anne, annes.Id, "/guichet publish "+w.event.Slug)
	w.offerPost(t, 0, lot)
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit_trail WHERE actor_id = $1 AND actor_name = 'renom.anne2' AND action = 'event.publish'`, anne.ID))
}
