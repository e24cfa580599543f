package guichet

// Actor is the person a change is made for, as Mattermost identified them. System jobs act as
// Actor{UserID: "system", Username: "guichet"}.
type Actor struct {
	UserID   string
	Username string
}

// System is the actor of scheduled jobs.
var System = Actor{UserID: "system", Username: "guichet"}

// cliUserID is the user id of the operator's command-line actions (guichet import).
const cliUserID = "cli"

// IsPerson reports whether the actor is a Mattermost user, not a scheduled job or the
// command line.
func (a Actor) IsPerson() bool {
	return a.UserID != "" && a.UserID != System.UserID && a.UserID != cliUserID
}
