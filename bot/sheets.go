package bot

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
)

// Spreadsheets dropped in chat: the observer that hands each file of a post to the
// SheetImporter (package commands decides whose file it reads, where, and what it says) and
// answers in the post's thread with the preview and its « Importer » / « Annuler » buttons.

// The buttons of a dropped spreadsheet's preview.
const (
	actionSheetsImport = "sheetsimport"
	actionSheetsCancel = "sheetscancel"
)

// SetSheets makes the bot read the spreadsheets coordinators drop in chat with imp: it adds
// the observer (call it before Serve starts the listener).
func (b *Bot) SetSheets(imp guichet.SheetImporter) {
	b.mu.Lock()
	b.sheets = imp
	b.mu.Unlock()
	b.Observe(b.sheetDropped)
}

func (b *Bot) sheetImporter() guichet.SheetImporter {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.sheets
}

// sheetDropped answers each spreadsheet of post p that the importer previews, in p's thread.
// Files that are not spreadsheets, posts by people who coordinate nothing and posts outside
// the coordination channels and the direct messages to the bot get no answer: the bot does
// not comment on files that are not meant for it, and tells a non-coordinator nothing about
// what it would do with theirs.
func (b *Bot) sheetDropped(ctx context.Context, p *model.Post) error {
	imp := b.sheetImporter()
	if imp == nil || len(p.FileIds) == 0 {
		return nil
	}
	actor := guichet.Actor{UserID: p.UserId}
	if err := b.access.RequireAnyCoordinator(ctx, actor); err != nil {
		if guichet.ErrorCode(err) == guichet.EFORBIDDEN {
			return nil
		}
		return err
	}
	direct, err := b.client.isDirectWithBot(ctx, p.ChannelId)
	if err != nil {
		return err
	}
	root := p.RootId
	if root == "" {
		root = p.Id
	}
	for _, fileID := range p.FileIds {
		info, err := b.client.fileInfo(ctx, fileID)
		if err != nil {
			return err
		}
		preview, err := imp.PreviewSheet(ctx, actor, guichet.SheetFile{
			PostID: p.Id, ChannelID: p.ChannelId, FileID: fileID, Direct: direct, Message: p.Message, FileName: info.Name, Size: info.Size,
			Fetch: func(ctx context.Context) ([]byte, error) { return b.client.fileData(ctx, fileID) },
		})
		if guichet.ErrorCode(err) == guichet.EFORBIDDEN {
			return nil
		}
		if err != nil {
			return fmt.Errorf("preview %s: %w", info.Name, err)
		}
		if preview == nil {
			continue
		}
		post := &model.Post{ChannelId: p.ChannelId, RootId: root, Message: preview.Text}
		if preview.DropID != 0 {
			fields := map[string]string{"drop": strconv.FormatInt(preview.DropID, 10)}
			post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{{Actions: []*model.PostAction{
				b.ActionButton(b.t(preview.Locale, "BtnSheetsImport"), actionSheetsImport, "primary", fields, ""),
				b.ActionButton(b.t(preview.Locale, "BtnSheetsCancel"), actionSheetsCancel, "default", fields, ""),
			}}})
		}
		// The listener may tell of a post again (after a restart in the middle): the preview
		// posted then is found by its key rather than posted twice.
		rctx := retrying(ctx, time.UnixMilli(p.CreateAt))
		if _, err := b.client.CreatePost(rctx, post, "sheets:"+p.Id+":"+fileID); err != nil {
			return err
		}
	}
	return nil
}

// sheetsImportClicked handles « Importer »: the importer checks the clicker's rights and
// imports the drop once; the preview then says what was done and loses its buttons.
func (b *Bot) sheetsImportClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	return b.sheetsClicked(ctx, req, func(imp guichet.SheetImporter, id int64) (string, error) {
		return imp.ImportSheet(ctx, req.Actor, id)
	})
}

// sheetsCancelClicked handles « Annuler »: the drop is forgotten, the preview says so and
// loses its buttons.
func (b *Bot) sheetsCancelClicked(ctx context.Context, req ActionRequest) (ActionReply, error) {
	return b.sheetsClicked(ctx, req, func(imp guichet.SheetImporter, id int64) (string, error) {
		return imp.CancelSheet(ctx, req.Actor, id)
	})
}

func (b *Bot) sheetsClicked(ctx context.Context, req ActionRequest, act func(guichet.SheetImporter, int64) (string, error)) (ActionReply, error) {
	imp := b.sheetImporter()
	id, err := strconv.ParseInt(req.Fields["drop"], 10, 64)
	if imp == nil || err != nil || id <= 0 {
		return ActionReply{Ephemeral: b.t(b.locale, "MsgButtonGone")}, nil
	}
	text, err := act(imp, id)
	if err != nil {
		return ActionReply{Ephemeral: b.personError(b.locale, err)}, nil
	}
	update := &model.Post{Id: req.PostID, ChannelId: req.ChannelID, Message: text}
	// Props left nil would keep the post's old ones, the buttons with them.
	update.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{})
	return ActionReply{Update: update}, nil
}

// isDirectWithBot reports whether channelID is a direct message between someone and the bot.
func (c *Client) isDirectWithBot(ctx context.Context, channelID string) (bool, error) {
	me, err := c.me(ctx)
	if err != nil {
		return false, err
	}
	var ch *model.Channel
	err = c.call(ctx, "get channel", func(ctx context.Context) (r *model.Response, err error) {
		ch, r, err = c.api.GetChannel(ctx, channelID)
		return r, err
	})
	if err != nil {
		return false, err
	}
	u1, u2 := ch.GetBothUsersForDM()
	return u1 == me || u2 == me, nil
}

// fileInfo returns what Mattermost knows of an uploaded file: name and size.
func (c *Client) fileInfo(ctx context.Context, fileID string) (*model.FileInfo, error) {
	var info *model.FileInfo
	err := c.call(ctx, "get file info", func(ctx context.Context) (r *model.Response, err error) {
		info, r, err = c.api.GetFileInfo(ctx, fileID)
		return r, err
	})
	return info, err
}

// fileData downloads an uploaded file.
func (c *Client) fileData(ctx context.Context, fileID string) ([]byte, error) {
	var data []byte
	err := c.call(ctx, "get file", func(ctx context.Context) (r *model.Response, err error) {
		data, r, err = c.api.GetFile(ctx, fileID)
		return r, err
	})
	return data, err
}
