package guichet

import (
	"context"
	"regexp"
	"strings"
)

// Names resolved to Mattermost user ids at start-up: the configuration's administrators and
// the coordinators added by name before rights were held by id (legacy coordinators).

// UserResolver resolves a username to a Mattermost user id; Chat satisfies it.
type UserResolver interface {
	// UserByUsername returns the user's id; ENOTFOUND if there is no such user.
	UserByUsername(ctx context.Context, username string) (string, error)
}

// AdministratorStore keeps the binding of each configured administrator name to the user id
// it was resolved to the first time.
type AdministratorStore interface {
	// AdministratorNames returns the stored bindings, name → user id.
	AdministratorNames(ctx context.Context) (map[string]string, error)
	// BindAdministratorName stores name → userID unless the name is bound already, and
	// returns the id the name is bound to from now on (the one stored first).
	BindAdministratorName(ctx context.Context, name, userID string) (string, error)
	// ForgetAdministratorNames deletes the bindings of the names not in keep: a name removed
	// from the configuration loses its binding, and is resolved afresh if it comes back.
	ForgetAdministratorNames(ctx context.Context, keep []string) error
}

// LegacyCoordinatorStore keeps the coordinators added by username before rights were held by
// id, until each is resolved once.
type LegacyCoordinatorStore interface {
	// LegacyCoordinators returns the usernames still to resolve.
	LegacyCoordinators(ctx context.Context) ([]string, error)
	// ConvertLegacyCoordinator makes userID a coordinator of every event that existed when
	// the username was migrated, forgets the username, audits it, and returns how many events
	// the user now coordinates that way.
	ConvertLegacyCoordinator(ctx context.Context, username, userID string) (int, error)
	// DropLegacyCoordinator forgets a username that matches no user, with its audit entry.
	DropLegacyCoordinator(ctx context.Context, username string) error
}

var (
	userIDRe   = regexp.MustCompile(`^[a-z0-9]{26}$`)
	usernameRe = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)
)

// IsUserID reports whether s is written like a Mattermost user id: 26 lower-case letters and
// digits (usernames have at most 22 characters, so none is mistaken for an id).
func IsUserID(s string) bool { return userIDRe.MatchString(s) }

// AdministratorEntry reads one entry of the configuration's administrators: a user id as is,
// or a username (with or without "@") in lower case. ok is false when it is neither.
func AdministratorEntry(s string) (userID, name string, ok bool) {
	s = strings.TrimSpace(s)
	if IsUserID(s) {
		return s, "", true
	}
	name = strings.ToLower(strings.TrimPrefix(s, "@"))
	if !usernameRe.MatchString(name) {
		return "", "", false
	}
	return "", name, true
}

// Administrators is the outcome of resolving the configuration's administrators.
type Administrators struct {
	// IDs are the administrators' user ids: those given as ids, and the names resolved now
	// or at an earlier start-up.
	IDs []string
	// Unmatched are the names that match no Mattermost user: they grant nothing until the
	// configuration is fixed (they are looked up again at the next start-up only).
	Unmatched []string
	// Pending are the names not resolved yet because Mattermost did not answer; Err is its
	// last error. Resolve again later.
	Pending []string
	Err     error
}

// ResolveAdministrators turns the configuration's entries into user ids. A name bound at an
// earlier start-up keeps its stored id and is never looked up again, so renaming a user, in
// either direction, changes nothing; a new name is looked up through users and its id stored.
// Bindings of names no longer configured are forgotten. Invalid entries are ignored (the
// configuration refuses them). It fails only when the store does.
func ResolveAdministrators(ctx context.Context, store AdministratorStore, users UserResolver, entries []string) (*Administrators, error) {
	out := &Administrators{}
	seen := map[string]bool{}
	var names []string
	for _, e := range entries {
		id, name, ok := AdministratorEntry(e)
		switch {
		case !ok:
		case id != "" && !seen[id]:
			seen[id] = true
			out.IDs = append(out.IDs, id)
		case name != "" && !seen["@"+name]:
			seen["@"+name] = true
			names = append(names, name)
		}
	}
	if err := store.ForgetAdministratorNames(ctx, names); err != nil {
		return nil, err
	}
	bound, err := store.AdministratorNames(ctx)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		id, ok := bound[name]
		if !ok {
			found, err := users.UserByUsername(ctx, name)
			if ErrorCode(err) == ENOTFOUND {
				out.Unmatched = append(out.Unmatched, name)
				continue
			}
			if err != nil {
				out.Pending = append(out.Pending, name)
				out.Err = err
				continue
			}
			if id, err = store.BindAdministratorName(ctx, name, found); err != nil {
				return nil, err
			}
		}
		if !seen[id] {
			seen[id] = true
			out.IDs = append(out.IDs, id)
		}
	}
	return out, nil
}

// LegacyCoordinators is the outcome of resolving the legacy coordinators.
type LegacyCoordinators struct {
	// Converted maps each resolved username to its user id.
	Converted map[string]string
	// Unmatched are the usernames that matched no user: they were dropped.
	Unmatched []string
	// Pending are the usernames not resolved because Mattermost did not answer (Err).
	Pending []string
	Err     error
}

// ResolveLegacyCoordinators resolves each legacy coordinator's username once: found, the user
// becomes a coordinator of the events that existed at the migration; matching no user, the
// name is dropped. It fails only when the store does.
func ResolveLegacyCoordinators(ctx context.Context, store LegacyCoordinatorStore, users UserResolver) (*LegacyCoordinators, error) {
	names, err := store.LegacyCoordinators(ctx)
	if err != nil {
		return nil, err
	}
	out := &LegacyCoordinators{Converted: map[string]string{}}
	for _, name := range names {
		id, err := users.UserByUsername(ctx, name)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			if err := store.DropLegacyCoordinator(ctx, name); err != nil {
				return nil, err
			}
			out.Unmatched = append(out.Unmatched, name)
		case err != nil:
			out.Pending = append(out.Pending, name)
			out.Err = err
		default:
			if _, err := store.ConvertLegacyCoordinator(ctx, name, id); err != nil {
				return nil, err
			}
			out.Converted[name] = id
		}
	}
	return out, nil
}
