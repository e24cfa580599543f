package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"guichet.dev/guichet"
)

// identityStore is what resolving names at start-up needs; *db.DB satisfies it.
type identityStore interface {
	guichet.AdministratorStore
	guichet.LegacyCoordinatorStore
}

// identities resolves, at start-up, the configured administrators and the coordinators added
// by name before rights were held by id.
type identities struct {
	store   identityStore
	users   guichet.UserResolver
	access  *guichet.Access
	entries []string
	// warn shows the names that grant nothing in /readyz's detail.
	warn   func(source string, warnings []string)
	logger *slog.Logger
	// attemptTimeout bounds one attempt; retry is the first wait between attempts while
	// Mattermost does not answer, doubled up to a minute.
	attemptTimeout time.Duration
	retry          time.Duration
}

// resolve makes one attempt: the administrators known from their ids and from the names
// bound at earlier start-ups count at once; new names are looked up in Mattermost. It reports
// whether everything was resolved (names that match no user included: they are not looked up
// again before the next start-up), or whether Mattermost must be asked again.
func (r *identities) resolve(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.attemptTimeout)
	defer cancel()
	adm, err := guichet.ResolveAdministrators(ctx, r.store, r.users, r.entries)
	if err != nil {
		return false, err
	}
	if len(r.entries) == 0 {
		r.logger.Warn("no administrators configured (administrators, GUICHET_ADMINISTRATORS): only the coordinators of existing events can act")
	}
	r.access.SetAdministrators(adm.IDs)
	var warnings []string
	for _, name := range adm.Unmatched {
		r.logger.Warn("administrator matches no Mattermost user: fix the configuration (administrators)", "name", name)
		warnings = append(warnings, fmt.Sprintf("administrator @%s matches no Mattermost user: fix the configuration (administrators) and restart", name))
	}
	for _, name := range adm.Pending {
		warnings = append(warnings, fmt.Sprintf("administrator @%s not resolved yet: Mattermost does not answer", name))
	}
	if len(adm.Pending) > 0 {
		r.logger.Warn("administrators not resolved yet: Mattermost does not answer; retrying", "names", adm.Pending, "error", adm.Err)
	}
	r.warn("administrators", warnings)

	legacy, err := guichet.ResolveLegacyCoordinators(ctx, r.store, r.users)
	if err != nil {
		return false, err
	}
	for name, id := range legacy.Converted {
		r.logger.Info("former coordinator now coordinates the events that existed at the upgrade", "name", name, "user_id", id)
	}
	for _, name := range legacy.Unmatched {
		r.logger.Warn("former coordinator matches no Mattermost user: dropped", "name", name)
	}
	var legacyWarnings []string
	for _, name := range legacy.Pending {
		legacyWarnings = append(legacyWarnings, fmt.Sprintf("former coordinator @%s not resolved yet: Mattermost does not answer", name))
	}
	if len(legacy.Pending) > 0 {
		r.logger.Warn("former coordinators not resolved yet: Mattermost does not answer; retrying", "names", legacy.Pending, "error", legacy.Err)
	}
	r.warn("legacy coordinators", legacyWarnings)
	r.logger.Info("administrators resolved", "administrators", len(adm.IDs), "unmatched", len(adm.Unmatched), "pending", len(adm.Pending))
	return len(adm.Pending) == 0 && len(legacy.Pending) == 0, nil
}

// run retries resolve, after a wait, until it is complete or ctx ends (a first attempt was
// made already); a failing database is retried too.
func (r *identities) run(ctx context.Context) error {
	wait := r.retry
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		done, err := r.resolve(ctx)
		if err != nil {
			r.logger.Error("resolving administrators", "error", err)
		}
		if done {
			return nil
		}
		wait = min(2*wait, time.Minute)
	}
}
