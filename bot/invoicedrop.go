package bot

import (
	"context"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// invoiceDropped is the PostObserver of invoices dropped as a PDF in a direct message to the
// bot. A member posts the PDF with the words of `facture` in the message ("assises-2011
// numéro=F-12 montant=1 320,50 date=20/04/2011", "facture" itself optional): the command
// handler records the invoice as the command would, with the PDF as its file, and the answer
// is posted in reply. A PDF posted without those words is answered with how to write them (the
// person posts it again with them). Any other post, a PDF elsewhere than in the person's direct
// messages with the bot, or a file that is not a PDF, is none of its business.
func (b *Bot) invoiceDropped(ctx context.Context, p *model.Post) error {
	if len(p.FileIds) == 0 || p.UserId == "" {
		return nil
	}
	h := b.commandHandler()
	if h == nil {
		return nil
	}
	// Read the channel rather than open a direct channel with the poster: a file posted
	// anywhere else must not make the bot open conversations.
	dm, err := b.client.isDirectWithBot(ctx, p.ChannelId)
	if err != nil || !dm {
		return err
	}
	fileID, err := b.firstPDF(ctx, p)
	if err != nil || fileID == "" {
		return err
	}
	words := strings.TrimSpace(p.Message)
	words = strings.TrimSpace(strings.TrimPrefix(words, "/guichet"))
	var answer string
	if !strings.Contains(words, "=") {
		answer = b.t(b.locale, "MsgInvoiceDropAsk")
	} else {
		if first, _, _ := strings.Cut(words, " "); !invoiceWords[strings.ToLower(first)] {
			words = "facture " + words
		}
		username, err := b.client.username(ctx, p.UserId)
		if err != nil {
			return err
		}
		answer = h.HandleCommand(ctx, guichet.CommandRequest{Actor: guichet.Actor{UserID: p.UserId, Username: username},
			ChannelID: p.ChannelId, Text: words, FileID: fileID}).Text
	}
	reply := &model.Post{ChannelId: p.ChannelId, RootId: p.Id, Message: answer}
	_, err = b.client.CreatePost(ctx, reply, "invoice-drop:"+p.Id)
	return err
}

// invoiceWords are the first words of the invoice command (commands/parse.go's verbs).
var invoiceWords = map[string]bool{"facture": true, "invoice": true}

// firstPDF returns the id of the post's first PDF file, "" when it has none: from the post's
// metadata when Mattermost sent it, else from each file's information.
func (b *Bot) firstPDF(ctx context.Context, p *model.Post) (string, error) {
	isPDF := func(info *model.FileInfo) bool {
		return info != nil && (strings.EqualFold(info.Extension, "pdf") || info.MimeType == "application/pdf")
	}
	if p.Metadata != nil && len(p.Metadata.Files) > 0 {
		for _, info := range p.Metadata.Files {
			if isPDF(info) {
				return info.Id, nil
			}
		}
		return "", nil
	}
	for _, id := range p.FileIds {
		info, err := b.client.fileInfo(ctx, id)
		if err != nil {
			return "", err
		}
		if isPDF(info) {
			return id, nil
		}
	}
	return "", nil
}
