package bot

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// recordingCommands is a CommandHandler that records the requests and answers "done".
type recordingCommands struct {
	mu   sync.Mutex
	reqs []guichet.CommandRequest
}

func (r *recordingCommands) HandleCommand(_ context.Context, req guichet.CommandRequest) guichet.CommandReply {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	return guichet.CommandReply{Text: "done"}
}

func (r *recordingCommands) HandleDialog(context.Context, guichet.DialogSubmission) guichet.DialogReply {
	return guichet.DialogReply{}
}

// A PDF dropped in a direct message to the bot with the invoice's figures is recorded through
// the invoice command, with the PDF as its file, and answered in reply; without figures, the
// person is told how to write them; other posts are left alone.
func TestInvoiceDroppedInADirectMessage(t *testing.T) {
	mm := newFakeMM(t)
	mm.set(func(f *fakeMM) {
		f.users["lea"] = &model.User{Id: "lea-id", Username: "lea"}
		f.channels["dm-lea-id"] = &model.Channel{Id: "dm-lea-id", Name: model.GetDMNameFromIds(f.botID, "lea-id"), Type: model.ChannelTypeDirect}
	})
	mm.addChannel("some-channel", "some-channel", "team")
	client := mm.client(ClientOptions{})
	require.NoError(t, client.Connect(context.Background()))
	b := unitBot(t, nil, client, time.Date(2027, 4, 20, 9, 0, 0, 0, time.UTC))
	cmds := &recordingCommands{}
	b.SetCommands(cmds)
	ctx := context.Background()
	pdf := &model.PostMetadata{Files: []*model.FileInfo{{Id: "file-1", Name: "F-12.pdf", Extension: "pdf", MimeType: "application/pdf"}}}
	png := &model.PostMetadata{Files: []*model.FileInfo{{Id: "file-2", Name: "photo.png", Extension: "png", MimeType: "image/png"}}}

	require.NoError(t, b.observePost(ctx, &model.Post{Id: "p1", UserId: "lea-id", ChannelId: "dm-lea-id",
		Message: "assises-2027 numéro=F-12 montant=1320,50 date=20/04/2027", FileIds: []string{"file-1"}, Metadata: pdf}))
	require.Len(t, cmds.reqs, 1)
	require.Equal(t, guichet.CommandRequest{Actor: guichet.Actor{UserID: "lea-id", Username: "lea"}, ChannelID: "dm-lea-id",
		Text: "facture assises-2027 numéro=F-12 montant=1320,50 date=20/04/2027", FileID: "file-1"}, cmds.reqs[0])
	posts := mm.postsIn("dm-lea-id")
	require.Len(t, posts, 1)
	require.Equal(t, "done", posts[0].Message)
	require.Equal(t, "p1", posts[0].RootId)

	// Without figures: asked for them, nothing recorded.
	require.NoError(t, b.observePost(ctx, &model.Post{Id: "p2", UserId: "lea-id", ChannelId: "dm-lea-id",
		Message: "ma facture", FileIds: []string{"file-1"}, Metadata: pdf}))
	require.Len(t, cmds.reqs, 1)
	posts = mm.postsIn("dm-lea-id")
	require.Len(t, posts, 2)
	require.Contains(t, posts[1].Message, "envoyez-le de nouveau")

	// Not a PDF, not a direct message, no file: none of its business.
	for _, p := range []*model.Post{
		{Id: "p3", UserId: "lea-id", ChannelId: "dm-lea-id", Message: "numéro=F-13 montant=10", FileIds: []string{"file-2"}, Metadata: png},
		{Id: "p4", UserId: "lea-id", ChannelId: "some-channel", Message: "numéro=F-13 montant=10", FileIds: []string{"file-1"}, Metadata: pdf},
		{Id: "p5", UserId: "lea-id", ChannelId: "dm-lea-id", Message: "numéro=F-13 montant=10"},
	} {
		require.NoError(t, b.observePost(ctx, p))
	}
	require.Len(t, cmds.reqs, 1)
	require.Len(t, mm.postsIn("dm-lea-id"), 2)
	require.Zero(t, mm.countCalls("POST /api/v4/channels/direct"), "reading a post opens no conversation")
}
