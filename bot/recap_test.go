package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// recapFakeStore holds one event's recap data and the recap posts recorded.
type recapFakeStore struct {
	nilStore
	data  *guichet.RecapData
	mu    sync.Mutex
	posts map[string]guichet.RecapPost
}

func (s *recapFakeStore) RecapData(ctx context.Context, eventID int64) (*guichet.RecapData, error) {
	if eventID != s.data.Board.Event.ID {
		return nil, guichet.Errorf(guichet.ENOTFOUND, "ErrEventNotFound", "Slug", eventID)
	}
	return s.data, nil
}

func (s *recapFakeStore) RecapPostOf(ctx context.Context, outboxID int64, channelID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts[fmt.Sprint(outboxID, channelID)].PostID, nil
}

func (s *recapFakeStore) RecordRecapPost(ctx context.Context, p guichet.RecapPost) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.posts[fmt.Sprint(p.OutboxID, p.ChannelID)]; !ok {
		s.posts[fmt.Sprint(p.OutboxID, p.ChannelID)] = p
	}
	return nil
}

// fakeMattermost answers the calls a recap makes: who the bot is, file uploads (refused with
// 403 in channels named "refusing") and posts.
type fakeMattermost struct {
	mu      sync.Mutex
	uploads map[string]string // file id → channel id
	names   map[string]string // file id → file name
	posts   []*model.Post
}

func newFakeMattermost(t *testing.T) (*fakeMattermost, *Client) {
	f := &fakeMattermost{uploads: map[string]string{}, names: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v4/users/me":
			json.NewEncoder(w).Encode(model.User{Id: "botuserid", Username: "guichet"})
		case r.Method == http.MethodPost && r.URL.Path == "/api/v4/files":
			if err := r.ParseMultipartForm(1 << 24); err != nil || len(r.MultipartForm.File["files"]) != 1 {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			channel := r.FormValue("channel_id")
			if channel == "refusing" {
				w.WriteHeader(http.StatusForbidden)
				json.NewEncoder(w).Encode(model.AppError{Id: "api.context.permissions.app_error", StatusCode: 403})
				return
			}
			fh := r.MultipartForm.File["files"][0]
			id := fmt.Sprintf("file%d", len(f.uploads)+1)
			f.uploads[id] = channel
			f.names[id] = fh.Filename
			json.NewEncoder(w).Encode(model.FileUploadResponse{FileInfos: []*model.FileInfo{{Id: id, ChannelId: channel, Name: fh.Filename}}})
		case r.Method == http.MethodPost && r.URL.Path == "/api/v4/posts":
			var p model.Post
			if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			p.Id = fmt.Sprintf("post%d", len(f.posts)+1)
			f.posts = append(f.posts, &p)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(&p)
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(model.AppError{Id: "not.found", StatusCode: 404})
		}
	}))
	t.Cleanup(srv.Close)
	return f, NewClient(srv.URL, "bot-token", ClientOptions{Logger: quietLogger()})
}

func (f *fakeMattermost) postsIn(channelID string) []*model.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*model.Post
	for _, p := range f.posts {
		if p.ChannelId == channelID {
			out = append(out, p)
		}
	}
	return out
}

// recapData is a small event: Ecos took the scenography, Napce and Emoqui share a coffee break.
func recapData(recapChannel string) *guichet.RecapData {
	e := assisesEvent()
	e.RecapChannelID = recapChannel
	sce, pcm := sceLot(), &guichet.Lot{ID: 6, EventID: 1, Code: "PCM", Title: "Pause café du matin", Category: "pause-cafe",
		Quantity: 450, Unit: "personnes", Budget: 90000, Mode: guichet.Shared, MaxSuppliers: 3, Status: guichet.LotFilled}
	sce.Status = guichet.LotFilled
	return &guichet.RecapData{Board: &guichet.Board{Event: e, Lots: []*guichet.LotState{
		{Lot: sce, Claims: []*guichet.Claim{{ID: 1, LotID: 4, SupplierID: 10, SupplierName: "Ecos", Quantity: 1, Amount: 350000, Status: guichet.ClaimAwarded}}},
		{Lot: pcm, Claims: []*guichet.Claim{
			{ID: 2, LotID: 6, SupplierID: 11, SupplierName: "Napce", Quantity: 300, Amount: 60000, Status: guichet.ClaimAwarded},
			{ID: 3, LotID: 6, SupplierID: 12, SupplierName: "Emoqui", Quantity: 150, Amount: 30000, Status: guichet.ClaimAwarded}}},
	}}}
}

func deliverRecapMessage(t *testing.T, b *Bot, msgID int64) (string, error) {
	t.Helper()
	h := b.outbox[guichet.OutboxRecap]
	require.NotNil(t, h, "recap handler registered")
	msg := &guichet.OutboxMessage{ID: msgID, Kind: guichet.OutboxRecap}
	return h(context.Background(), msg, guichet.OutboxPayload{EventID: 1})
}

func TestRecapPostedWithItsFilesInEachChannelOnce(t *testing.T) {
	t.Parallel()
	mm, client := newFakeMattermost(t)
	store := &recapFakeStore{data: recapData("client-channel"), posts: map[string]guichet.RecapPost{}}
	b := unitBot(t, store, client, renderNow)

	postID, err := deliverRecapMessage(t, b, 7)
	require.NoError(t, err)
	for _, ch := range []string{"coord-channel", "client-channel"} {
		posts := mm.postsIn(ch)
		require.Len(t, posts, 1, ch)
		p := posts[0]
		require.True(t, strings.HasPrefix(p.Message, "### Bilan — Assises métropolitaines"), p.Message)
		require.Contains(t, p.Message, "**4\u202f400,00\u00a0€** pour le réseau, répartis entre **3** structures.")
		require.Len(t, p.FileIds, 2, "chart and CSV")
		var names []string
		for _, id := range p.FileIds {
			require.Equal(t, ch, mm.uploads[id], "each file uploaded into the channel of its post")
			names = append(names, mm.names[id])
		}
		require.Equal(t, []string{"bilan-assises-2011.png", "bilan-assises-2011.csv"}, names)
		require.Equal(t, PendingPostID("botuserid", "recap:7:"+ch), p.PendingPostId)
		require.Equal(t, p.Id, store.posts[fmt.Sprint(7, ch)].PostID)
	}
	require.Equal(t, mm.postsIn("coord-channel")[0].Id, postID)

	// A replay of the same message posts nothing more.
	again, err := deliverRecapMessage(t, b, 7)
	require.NoError(t, err)
	require.Equal(t, postID, again)
	require.Len(t, mm.posts, 2)
	require.Len(t, mm.uploads, 4)
}

func TestRecapRefusedByTheClientChannelIsToldToTheCoordinator(t *testing.T) {
	t.Parallel()
	mm, client := newFakeMattermost(t)
	store := &recapFakeStore{data: recapData("refusing"), posts: map[string]guichet.RecapPost{}}
	b := unitBot(t, store, client, renderNow)

	_, err := deliverRecapMessage(t, b, 8)
	require.NoError(t, err, "the recap is delivered where it could be")
	posts := mm.postsIn("coord-channel")
	require.Len(t, posts, 2)
	require.Contains(t, posts[1].Message, "je n'ai pas pu le publier dans le canal client")
	require.Len(t, store.posts, 1)
}

func TestRecapWithoutAwardsHasOnlyTheCSV(t *testing.T) {
	t.Parallel()
	mm, client := newFakeMattermost(t)
	data := recapData("")
	for _, l := range data.Board.Lots {
		l.Claims = nil
		l.Lot.Status = guichet.LotOpen
	}
	store := &recapFakeStore{data: data, posts: map[string]guichet.RecapPost{}}
	b := unitBot(t, store, client, time.Now())

	_, err := deliverRecapMessage(t, b, 9)
	require.NoError(t, err)
	posts := mm.postsIn("coord-channel")
	require.Len(t, posts, 1)
	require.Contains(t, posts[0].Message, "Aucun lot n'a été attribué")
	require.Len(t, posts[0].FileIds, 1)
	require.Equal(t, "bilan-assises-2011.csv", mm.names[posts[0].FileIds[0]])

	_, err = b.outbox[guichet.OutboxRecap](context.Background(), &guichet.OutboxMessage{ID: 10}, guichet.OutboxPayload{EventID: 99})
	require.True(t, Permanent(err), "an unknown event is parked, not retried: %v", err)
}
