package db

// The scheduler's hot-path queries, for the plan tests.
var (
	TakeDueSQL          = takeDueSQL
	ExpiredLotEventsSQL = expiredLotEventsSQL
	OnceCandidatesSQL   = onceCandidatesSQL
)
