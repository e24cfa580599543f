package guichet

import "unicode/utf8"

// MaxNoteLength is the most characters (Unicode code points) a text typed by one person for
// others to read may hold: a claim's note, a release, cancel or decline reason, a problem
// reported on a reminder, a payment's note. It keeps every message carrying such a text well
// under Mattermost's limit on a post (16,383 characters), so that the notice always goes out.
const MaxNoteLength = 1000

// A TypedText is a kind of text people type for others to read. Its value is the catalogue
// message (area "text") that refuses one longer than MaxNoteLength; the message names the
// field, its length ("Length") and the limit ("Max").
type TypedText string

// The texts people type, each checked with Check where it enters (command, dialog) and again
// by the store before anything is written.
const (
	ClaimNote     TypedText = "ErrTextClaimNoteTooLong"
	ReleaseReason TypedText = "ErrTextReleaseReasonTooLong"
	CancelReason  TypedText = "ErrTextCancelReasonTooLong"
	DeclineReason TypedText = "ErrTextDeclineReasonTooLong"
	ProblemText   TypedText = "ErrTextProblemTooLong"
	PaymentNote   TypedText = "ErrTextPaymentNoteTooLong"
)

// Check returns nil when s holds at most MaxNoteLength characters, and otherwise an EINVALID
// *Error with the kind's message, Length (the characters in s) and Max (MaxNoteLength).
func (k TypedText) Check(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxNoteLength {
		return Errorf(EINVALID, string(k), "Length", n, "Max", MaxNoteLength)
	}
	return nil
}
