package guichet

import "context"

// The recap's draft is kept current. Once the event is done, the recap is a draft shown to
// the coordinators (OutboxRecapDraft) until one of them publishes it. A delivery report or an
// amount adjustment made meanwhile re-renders the draft in place (OutboxRefreshRecapDraft),
// so that the coordinators publish the figures as they are. After publication the published
// recap is never edited: each later change is told to the coordination channel instead, which
// says the published recap does not show it.

// OutboxRefreshRecapDraft re-renders EventID's recap draft in place, from the database, while
// the recap is not published; it does nothing when no draft was posted yet (the draft is
// rendered from the database when it is).
const OutboxRefreshRecapDraft OutboxKind = "refresh_recap_draft"

// RecapDraftStore remembers the post showing an event's recap draft.
type RecapDraftStore interface {
	// RecapDraftPost returns the id of the post showing the event's recap draft, "" when none
	// was posted, and the user id of who published the recap, "" while it is not published.
	// ENOTFOUND for an unknown event.
	RecapDraftPost(ctx context.Context, eventID int64) (postID, publishedBy string, err error)
	// RecordRecapDraftPost records postID as the post showing the event's recap draft.
	RecordRecapDraftPost(ctx context.Context, eventID int64, postID string) error
}
