package guichet

import "time"

// Questions on a lot: a structure's member asks from the offer (« Une question »); the
// question opens a thread in the event's coordination channel; the coordinators' replies in
// that thread are relayed to the structure's channel under the offer, and the structure's
// replies there back to the coordination thread. Every relay is an outbox message, queued once
// per reply (keyed by the reply's post id).
const (
	// OutboxQuestion posts a question in its event's coordination channel, as a thread root,
	// and records that post (Args["question_id"]).
	OutboxQuestion OutboxKind = "question"
	// OutboxQuestionRelay posts a reply written in one of a question's threads into the other
	// (Args: "question_id", "source_post_id", "to_structure", "author_id", "text").
	OutboxQuestionRelay OutboxKind = "question_relay"
)

// QuestionText is a question typed about a lot (« Une question »); its message is in the
// catalogue area "listen".
const QuestionText TypedText = "ErrListenQuestionTooLong"

// LotQuestion is a question a structure's member asked about a lot.
type LotQuestion struct {
	ID         int64 `db:"id"`
	LotID      int64 `db:"lot_id"`
	SupplierID int64 `db:"supplier_id"`
	// OfferChannelID is the structure's channel the offer was read in: answers go there.
	OfferChannelID string `db:"offer_channel_id"`
	// AskedBy is the Mattermost user id of who asked.
	AskedBy string `db:"asked_by"`
	Body    string `db:"body"`
	// CoordPostID is the question's thread root in the coordination channel, "" until posted.
	CoordPostID string    `db:"coord_post_id"`
	CreatedAt   time.Time `db:"created_at"`

	// Read with the question: its lot's event and the event's coordination channel, the
	// structure's name, and the offer's post in OfferChannelID ("" when none).
	EventID        int64  `db:"event_id"`
	CoordChannelID string `db:"coord_channel_id"`
	SupplierName   string `db:"supplier_name"`
	LotCode        string `db:"lot_code"`
	LotTitle       string `db:"lot_title"`
	OfferPostID    string `db:"offer_post_id"`
}

// QuestionRelay is a reply to relay from one of a question's threads to the other.
type QuestionRelay struct {
	QuestionID int64
	// SourcePostID is the reply's post: a reply is relayed once.
	SourcePostID string
	// ToStructure is true for a coordinator's reply in the coordination thread, false for a
	// structure's reply under the offer.
	ToStructure bool
	AuthorID    string
	Text        string
}
