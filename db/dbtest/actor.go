package dbtest

import "guichet.dev/guichet"

// Coordinator is the actor the tests create events as: it coordinates every event it creates.
var Coordinator = guichet.Actor{UserID: "coord-id", Username: "coord"}

// Member returns the actor of the supplier's first member, who claims, releases and confirms
// for it in the tests. The supplier must have a member.
func Member(s *guichet.Supplier) guichet.Actor {
	return guichet.Actor{UserID: s.Members[0].UserID, Username: s.Members[0].Username}
}
