package db_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// directory is a Mattermost whose usernames point at ids the test changes (renames), or that
// does not answer (down); it counts the look-ups.
type directory struct {
	mu      sync.Mutex
	ids     map[string]string
	down    bool
	lookups map[string]int
}

func (d *directory) UserByUsername(_ context.Context, name string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lookups == nil {
		d.lookups = map[string]int{}
	}
	d.lookups[name]++
	if d.down {
		return "", errors.New("connection refused")
	}
	id, ok := d.ids[name]
	if !ok {
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrUserNotFound", "Username", name)
	}
	return id, nil
}

// The reproduction: a member who renames themselves "coordination", the configured
// administrator's name, gets no right; and a name is bound to an id once, whatever happens to
// the name afterwards.
func TestAdministratorNamesAreBoundOnce(t *testing.T) {
	b := setup(t)
	const givenID = "4xp9fdxbq7gjfrnz8wdtyuk6tr"
	entries := []string{"@coordination", givenID, "ghost"}
	mm := &directory{ids: map[string]string{"coordination": "coord-user"}}

	adm, err := guichet.ResolveAdministrators(b.ctx, b.db, mm, entries)
	require.NoError(t, err)
	require.Equal(t, []string{givenID, "coord-user"}, adm.IDs)
	require.Equal(t, []string{"ghost"}, adm.Unmatched)
	require.Empty(t, adm.Pending)

	access := guichet.NewAccess(b.db, adm.IDs...)
	mallory := guichet.Actor{UserID: "mallory", Username: "coordination"}
	require.False(t, access.IsAdministrator(mallory), "a username grants nothing")
	require.Equal(t, "ErrNotCoordinator", guichet.AsError(access.RequireAnyCoordinator(b.ctx, mallory)).MessageID)
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(access.RequireEventCoordinator(b.ctx, mallory, b.event)))
	require.True(t, access.IsAdministrator(guichet.Actor{UserID: "coord-user", Username: "renamed"}))
	require.NoError(t, access.RequireEventCoordinator(b.ctx, guichet.Actor{UserID: givenID}, b.event))

	// Next start-up: the administrator renamed themselves and mallory took the name. The
	// binding holds; the name is not looked up again.
	mm.mu.Lock()
	mm.ids = map[string]string{"coordination": "mallory", "ghost": "ghost-user"}
	mm.mu.Unlock()
	adm, err = guichet.ResolveAdministrators(b.ctx, b.db, mm, entries)
	require.NoError(t, err)
	require.Equal(t, []string{givenID, "coord-user", "ghost-user"}, adm.IDs, "an unmatched name is looked up again at the next start-up only")
	require.Equal(t, 1, mm.lookups["coordination"])

	// Mattermost down at start-up: the names bound before still count, a new one waits.
	mm.mu.Lock()
	mm.down = true
	mm.mu.Unlock()
	adm, err = guichet.ResolveAdministrators(b.ctx, b.db, mm, append(entries, "newcomer"))
	require.NoError(t, err)
	require.Equal(t, []string{givenID, "coord-user", "ghost-user"}, adm.IDs)
	require.Equal(t, []string{"newcomer"}, adm.Pending)
	require.Error(t, adm.Err)

	// A name removed from the configuration is no administrator any more, and loses its binding.
	adm, err = guichet.ResolveAdministrators(b.ctx, b.db, mm, []string{givenID})
	require.NoError(t, err)
	require.Equal(t, []string{givenID}, adm.IDs)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM administrator_names`))
}

// An event's creator coordinates it from its creation, in the same transaction; nobody else
// does, whatever their name.
func TestCreatorCoordinatesTheEvent(t *testing.T) {
	b := setup(t)
	ids, err := b.db.EventCoordinatorIDs(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, []string{coordinator.UserID}, ids)
	access := guichet.NewAccess(b.db)
	require.NoError(t, access.RequireEventCoordinator(b.ctx, coordinator, b.event))
	err = access.RequireEventCoordinator(b.ctx, guichet.Actor{UserID: "other", Username: coordinator.Username}, b.event)
	require.Equal(t, "ErrNotCoordinator", guichet.AsError(err).MessageID)

	// A slug taken: no event, so no coordinator row either.
	dup := &guichet.Event{Slug: "assises", Name: "Encore", Day: time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)}
	require.Error(t, b.db.CreateEvent(b.ctx, guichet.Actor{UserID: "late"}, dup))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM event_coordinators WHERE user_id = 'late'`))
}

// Migration 7 makes each event's creator its coordinator and keeps the coordinators added by
// name as pending names; resolved once, each coordinates the events that existed then.
func TestMigrateConvertsCoordinators(t *testing.T) {
	b := setup(t)
	second := &guichet.Event{Slug: "forum", Name: "Forum", Day: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, b.db.CreateEvent(b.ctx, guichet.Actor{UserID: "anne-id", Username: "anne"}, second))
	require.NoError(t, b.db.CreateEvent(b.ctx, guichet.System, &guichet.Event{Slug: "auto", Name: "Auto", Day: time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)}))

	require.NoError(t, b.db.MigrateDownTo(b.ctx, 6))
	_, err := b.db.SQL().ExecContext(b.ctx, `INSERT INTO coordinators (username, added_by) VALUES ('yann', 'coord'), ('gone', 'coord')`)
	require.NoError(t, err)
	_, err = b.db.Migrate(b.ctx)
	require.NoError(t, err)

	coordinators := func(eventID int64) []string {
		ids, err := b.db.EventCoordinatorIDs(b.ctx, eventID)
		require.NoError(t, err)
		return ids
	}
	require.Equal(t, []string{coordinator.UserID}, coordinators(b.event.ID))
	require.Equal(t, []string{"anne-id"}, coordinators(second.ID))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM legacy_coordinators`))

	// An event created after the upgrade, before the next start-up resolves the names.
	later := &guichet.Event{Slug: "apres", Name: "Après", Day: time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, b.db.CreateEvent(b.ctx, guichet.Actor{UserID: "anne-id"}, later))

	mm := &directory{ids: map[string]string{"yann": "yann-id"}}
	res, err := guichet.ResolveLegacyCoordinators(b.ctx, b.db, mm)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"yann": "yann-id"}, res.Converted)
	require.Equal(t, []string{"gone"}, res.Unmatched)
	require.Equal(t, []string{coordinator.UserID, "yann-id"}, coordinators(b.event.ID))
	require.Equal(t, []string{"anne-id", "yann-id"}, coordinators(second.ID))
	require.Equal(t, []string{"anne-id"}, coordinators(later.ID), "not on events created since")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM legacy_coordinators`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'coordinator.legacy.convert'`))

	// Resolved once: at the next start-up, "yann" now naming someone else changes nothing.
	mm.mu.Lock()
	mm.ids["yann"] = "mallory"
	mm.mu.Unlock()
	_, err = guichet.ResolveLegacyCoordinators(b.ctx, b.db, mm)
	require.NoError(t, err)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM event_coordinators WHERE user_id = 'mallory'`))

	// And back down: the names are coordinators again.
	require.NoError(t, b.db.MigrateDownTo(b.ctx, 6))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM coordinators`), "converted names are gone")
}
