package guichet

import "context"

// Chat is what the workflows need from Mattermost; package bot implements it.
type Chat interface {
	// UserByUsername resolves a username (with or without "@") to a user id. ENOTFOUND if no
	// such user.
	UserByUsername(ctx context.Context, username string) (string, error)
	// ChannelByName resolves a channel name (with or without "~") in the team to its id.
	// ENOTFOUND if no such channel.
	ChannelByName(ctx context.Context, teamID, name string) (string, error)
	// JoinChannel makes the bot a member of the channel. EFORBIDDEN "ErrCannotJoin" when it
	// cannot (a private channel it was not invited to).
	JoinChannel(ctx context.Context, channelID string) error
	// OpenDialog opens d for the person whose action produced triggerID. The bot signs
	// d.State, binding it to userID, the callback and an expiry; the submission comes back to
	// the DialogHandler with the State as given here.
	OpenDialog(ctx context.Context, triggerID, userID string, d Dialog) error
}

// Dialog is an interactive dialog, independent of Mattermost's types.
type Dialog struct {
	// CallbackID routes the submission; ids beginning with "cmd." go to the CommandHandler.
	CallbackID       string
	Title            string // at most 24 characters
	IntroductionText string
	Elements         []DialogElement
	SubmitLabel      string
	// State is carried through the dialog, signed by the bot.
	State string
}

// DialogElement is one field of a dialog.
type DialogElement struct {
	Name        string
	DisplayName string // at most 24 characters
	// Type is "text", "textarea", "select", "bool" or "radio".
	Type      string
	SubType   string // for text: "number", "email", "tel", "url"
	Optional  bool
	Default   string
	HelpText  string // at most 150 characters
	MaxLength int
	Options   []DialogOption
}

// DialogOption is a choice of a select or radio element.
type DialogOption struct {
	Text  string
	Value string
}

// CommandRequest is a slash command as Mattermost sent it, once its token is verified.
type CommandRequest struct {
	Actor     Actor
	ChannelID string
	TeamID    string
	// Text is what follows the trigger word.
	Text      string
	TriggerID string
	// FileID is a file the person posted with the words (a PDF dropped in a direct message to
	// the bot, read by an observer); a slash command has none.
	FileID string
}

// CommandReply is the answer to the person who typed the command: privately unless
// InChannel.
type CommandReply struct {
	Text      string
	InChannel bool
	// Releases are « Libérer » buttons shown under the text, one per share a structure holds
	// (mylots); a click releases that share as `release` does.
	Releases []ReleaseButton
}

// ReleaseButton is a « Libérer » button for the share SupplierID holds of LotID: Text says
// which share, Label is the button's.
type ReleaseButton struct {
	LotID, SupplierID int64
	Text, Label       string
}

// DialogSubmission is a submitted dialog, once its signed state is verified.
type DialogSubmission struct {
	Actor      Actor
	CallbackID string
	ChannelID  string
	TeamID     string
	State      string
	Submission map[string]any
	Cancelled  bool
}

// DialogReply answers a submission: Errors (field → message) keeps the dialog open with the
// messages under the fields; otherwise it closes.
type DialogReply struct {
	Errors map[string]string
}

// CommandHandler runs the slash-command language; package commands implements it and package
// bot calls it after verifying the request.
type CommandHandler interface {
	HandleCommand(ctx context.Context, req CommandRequest) CommandReply
	// HandleDialog handles submissions of dialogs whose callback id begins with "cmd.".
	HandleDialog(ctx context.Context, sub DialogSubmission) DialogReply
}
