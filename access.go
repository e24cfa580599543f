package guichet

import (
	"context"
	"sync"
)

// CoordinatorStore keeps each event's coordinators, by Mattermost user id.
type CoordinatorStore interface {
	// IsEventCoordinator reports whether the user is a coordinator of the event.
	IsEventCoordinator(ctx context.Context, eventID int64, userID string) (bool, error)
	// IsAnyEventCoordinator reports whether the user coordinates at least one event.
	IsAnyEventCoordinator(ctx context.Context, userID string) (bool, error)
	// EventCoordinatorIDs returns the user ids of the event's coordinators, the earliest
	// added first.
	EventCoordinatorIDs(ctx context.Context, eventID int64) ([]string, error)
	// AddEventCoordinator makes the user a coordinator of the event, with its audit entry; it
	// reports false when they were one already (nothing changes then).
	AddEventCoordinator(ctx context.Context, actor Actor, eventID int64, userID string) (bool, error)
	// RemoveEventCoordinator removes the user from the event's coordinators, with its audit
	// entry. ENOTFOUND "ErrAccessNoSuchCoordinator" when they are not one; ECONFLICT
	// "ErrAccessLastCoordinator" when they are the last one and keepLast is true.
	RemoveEventCoordinator(ctx context.Context, actor Actor, eventID int64, userID string, keepLast bool) error
}

// Access is the one place where roles are checked, always by Mattermost user id: the
// administrators (the configuration's list, resolved to ids at start-up), each event's
// coordinators (kept by the CoordinatorStore) and the structures' members. The username an
// Actor carries is for display and audit only and never grants anything.
//
// Access is safe for concurrent use; its administrators may be set while it serves.
type Access struct {
	Store interface {
		CoordinatorStore
		SupplierStore
	}

	mu     sync.RWMutex
	admins map[string]bool
}

// NewAccess returns an Access on store whose administrators are the given user ids.
func NewAccess(store interface {
	CoordinatorStore
	SupplierStore
}, administratorIDs ...string) *Access {
	a := &Access{Store: store}
	a.SetAdministrators(administratorIDs)
	return a
}

// SetAdministrators replaces the administrators by the given user ids (empty ids ignored).
func (a *Access) SetAdministrators(userIDs []string) {
	admins := make(map[string]bool, len(userIDs))
	for _, id := range userIDs {
		if id != "" {
			admins[id] = true
		}
	}
	a.mu.Lock()
	a.admins = admins
	a.mu.Unlock()
}

// Administrators returns the administrators' user ids, in no particular order.
func (a *Access) Administrators() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]string, 0, len(a.admins))
	for id := range a.admins {
		out = append(out, id)
	}
	return out
}

// IsAdministrator reports whether the actor's user id is one of the administrators'.
func (a *Access) IsAdministrator(actor Actor) bool {
	if actor.UserID == "" {
		return false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.admins[actor.UserID]
}

// IsEventCoordinator reports whether the actor is an administrator or a coordinator of the
// event.
func (a *Access) IsEventCoordinator(ctx context.Context, actor Actor, eventID int64) (bool, error) {
	if a.IsAdministrator(actor) {
		return true, nil
	}
	if actor.UserID == "" {
		return false, nil
	}
	return a.Store.IsEventCoordinator(ctx, eventID, actor.UserID)
}

// RequireEventCoordinator returns nil when the actor is an administrator or a coordinator of
// the event e; otherwise EFORBIDDEN "ErrNotCoordinator" when they coordinate no event at all,
// or "ErrAccessNotEventCoordinator" naming the event when they coordinate others.
func (a *Access) RequireEventCoordinator(ctx context.Context, actor Actor, e *Event) error {
	ok, err := a.IsEventCoordinator(ctx, actor, e.ID)
	if err != nil || ok {
		return err
	}
	if err := a.RequireAnyCoordinator(ctx, actor); err != nil {
		return err
	}
	return Errorf(EFORBIDDEN, "ErrAccessNotEventCoordinator", "Event", e.Name, "Slug", e.Slug)
}

// RequireAnyCoordinator returns nil when the actor is an administrator or a coordinator of at
// least one event (for commands not tied to an event: creating one, the directory), EFORBIDDEN
// "ErrNotCoordinator" otherwise.
func (a *Access) RequireAnyCoordinator(ctx context.Context, actor Actor) error {
	if a.IsAdministrator(actor) {
		return nil
	}
	if actor.UserID != "" {
		ok, err := a.Store.IsAnyEventCoordinator(ctx, actor.UserID)
		if err != nil || ok {
			return err
		}
	}
	return Errorf(EFORBIDDEN, "ErrNotCoordinator")
}

// SupplierFor returns the supplier with that id if the actor is one of its members, EFORBIDDEN
// "ErrNotMember" otherwise.
func (a *Access) SupplierFor(ctx context.Context, actor Actor, supplierID int64) (*Supplier, error) {
	s, err := a.Store.Supplier(ctx, supplierID)
	if err != nil {
		return nil, err
	}
	for _, m := range s.Members {
		if m.UserID != "" && m.UserID == actor.UserID {
			return s, nil
		}
	}
	return nil, Errorf(EFORBIDDEN, "ErrNotMember", "Supplier", s.Name)
}

// SuppliersOf returns the suppliers the actor is a member of; EFORBIDDEN "ErrNoSupplier" when
// none.
func (a *Access) SuppliersOf(ctx context.Context, actor Actor) ([]*Supplier, error) {
	out, err := a.Store.SuppliersOfUser(ctx, actor.UserID)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, Errorf(EFORBIDDEN, "ErrNoSupplier")
	}
	return out, nil
}
