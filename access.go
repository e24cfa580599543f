package guichet

import (
	"context"
	"strings"
)

// CoordinatorStore keeps the coordinators added from chat.
type CoordinatorStore interface {
	// IsCoordinator reports whether username was added as a coordinator.
	IsCoordinator(ctx context.Context, username string) (bool, error)
	// AddCoordinator adds username as a coordinator; adding twice changes nothing.
	AddCoordinator(ctx context.Context, actor Actor, username string) error
}

// Access is the one place where roles are checked: coordinators (configured usernames plus
// those added from chat) and supplier members.
type Access struct {
	// Coordinators are the configured coordinators' usernames.
	Coordinators []string
	Store        interface {
		CoordinatorStore
		SupplierStore
	}
}

// IsCoordinator reports whether the actor is a coordinator.
func (a *Access) IsCoordinator(ctx context.Context, actor Actor) (bool, error) {
	name := strings.TrimPrefix(strings.ToLower(actor.Username), "@")
	if name == "" {
		return false, nil
	}
	for _, c := range a.Coordinators {
		if strings.TrimPrefix(strings.ToLower(strings.TrimSpace(c)), "@") == name {
			return true, nil
		}
	}
	return a.Store.IsCoordinator(ctx, name)
}

// RequireCoordinator returns EFORBIDDEN "ErrNotCoordinator" unless the actor is a
// coordinator.
func (a *Access) RequireCoordinator(ctx context.Context, actor Actor) error {
	ok, err := a.IsCoordinator(ctx, actor)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EFORBIDDEN, "ErrNotCoordinator")
	}
	return nil
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
