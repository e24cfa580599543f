package guichet

// Actor is the person a change is made for, as Mattermost identified them. System jobs act as
// Actor{UserID: "system", Username: "guichet"}.
type Actor struct {
	UserID   string
	Username string
}

// System is the actor of scheduled jobs.
var System = Actor{UserID: "system", Username: "guichet"}
