package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet/internal/mmrig"
)

// dropSheet drops the file name with data in the channel as u, the way the web app posts a
// dropped file (UploadFile, then CreatePost with its id), waits for the bot's preview in the
// post's thread and clicks « Importer » on it. rows is the file's data rows, for the
// transcript.
func (s *session) dropSheet(ctx context.Context, u *mmrig.User, channelID, name string, data []byte, rows int) error {
	at := time.Now()
	up, _, err := u.Client.UploadFile(ctx, data, channelID, name)
	if err != nil {
		return fmt.Errorf("%s uploads %s: %w", u.Username, name, err)
	}
	if len(up.FileInfos) != 1 {
		return fmt.Errorf("%s uploads %s: %d files in the answer", u.Username, name, len(up.FileInfos))
	}
	post, _, err := u.Client.CreatePost(ctx, &model.Post{ChannelId: channelID, FileIds: model.StringArray{up.FileInfos[0].Id}})
	if err != nil {
		return fmt.Errorf("%s drops %s: %w", u.Username, name, err)
	}
	s.tr.action(at, u.Username, s.where(channelID), s.t("CmdSheetsDemoDropped", "File", name, "Rows", rows))
	label := s.cat.T(s.locale, "BtnSheetsImport", nil)
	var preview *model.Post
	if err := s.until(ctx, waitMessages, "the preview of "+name, func(ctx context.Context) error {
		posts, err := s.posts(ctx, u, channelID)
		if err != nil {
			return err
		}
		for _, p := range posts {
			if p.RootId == post.Id && p.UserId == s.rig.BotUserID() {
				if mmrig.Button(p, label) == nil {
					return fmt.Errorf("the preview of %s offers no import:\n%s", name, p.Message)
				}
				preview = p
				return nil
			}
		}
		return fmt.Errorf("no preview of %s yet", name)
	}); err != nil {
		return err
	}
	return s.click(ctx, u, preview, label, s.t("CmdSheetsDemoPreview", "File", name))
}
