package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/internal/mmrig"
)

// Texts people type — notes, reasons — are posted by the bot where others read them: they
// page nobody and make nobody's client (nor Mattermost) fetch anything.

// goOnline sets u's status to online, so that @here would notify them.
func goOnline(t *testing.T, u *mmrig.User) {
	t.Helper()
	_, _, err := u.Client.UpdateUserStatus(context.Background(), u.ID, &model.Status{UserId: u.ID, Status: model.StatusOnline})
	require.NoError(t, err)
}

// postedMentions waits for the "posted" event of postID on w and returns the ids of the
// users Mattermost counted as mentioned by it.
func postedMentions(t *testing.T, w *mmrig.Watch, postID string) []string {
	t.Helper()
	ev := w.Wait(t, model.WebsocketEventPosted, func(ev *model.WebSocketEvent) bool {
		p, err := mmrig.EventPost(ev)
		return err == nil && p.Id == postID
	})
	raw, _ := ev.GetData()["mentions"].(string)
	var ids []string
	if raw != "" {
		require.NoError(t, json.Unmarshal([]byte(raw), &ids))
	}
	return ids
}

// Each way of writing a channel-wide mention that Mattermost 6.7.2 reads as one notifies the
// channel when a person posts it, and nobody when the bot posts it; the ways Mattermost does
// not read as one notify nobody either way (and the bot leaves them as they are).
func TestTextMentionFormsPageNobodyThroughTheBot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "txtmen")
	reader := w.observer
	goOnline(t, reader)
	watch := reader.Watch(t, model.WebsocketEventPosted)
	client := bot.NewClient(rig.MattermostURL(), rig.Setup().BotToken, bot.ClientOptions{})

	pages := []string{"@all_", "@all__", "@here.", "@channel:", "@channel-", "@all._-:", "@ALL", "_@all", ".@here",
		"fin.@all", "x-@here-y", "(@channel)", "@here’s", "**@channel**", "&#64;all", "&#x40;channel", `\@all`, `@all\_`}
	pagesNot := []string{"anne@all.fr", "@alliance", "x@all", "@all-x", "@channel_team"}
	for _, form := range append(slices.Clone(pages), pagesNot...) {
		pages := slices.Contains(pages, form)
		msg := "Note de test\u202f: " + form + " fin"
		raw, _, err := rig.Admin().Client.CreatePost(ctx, &model.Post{ChannelId: w.coordChannel.Id, Message: msg})
		require.NoError(t, err)
		require.Equal(t, pages, slices.Contains(postedMentions(t, watch, raw.Id), reader.ID),
			"Mattermost reads %q as a channel-wide mention: %v (the test's list is wrong)", form, !pages)

		posted, err := client.CreatePost(ctx, &model.Post{ChannelId: w.coordChannel.Id, Message: msg}, "")
		require.NoError(t, err)
		require.Empty(t, postedMentions(t, watch, posted.Id), "%q posted by the bot notified someone", form)
		require.Equal(t, msg, visible(posted.Message), "the text reads as typed")
		if !pages {
			require.Equal(t, msg, posted.Message, "%q was changed though it pages nobody", form)
		}
	}
}

// A structure's candidacy note and release reason with channel-wide mentions and a Markdown
// image reach the coordination channel, shown as typed: the readers' mention counts do not
// move, the stored posts hold no image or link Markdown, and neither Mattermost nor anyone
// fetches the image's URL.
func TestTextNoteWithMentionsAndImageReachesTheCoordinationHarmlessly(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	pixel := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		rw.Header().Set("Content-Type", "image/gif")
		rw.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	}))
	t.Cleanup(pixel.Close)

	w := newWorld(t, "txtnote", "Atelier Texte")
	member, channel := w.members[0], w.channels[0]
	w.addLot(t, &guichet.Lot{Code: "ACC", Title: "Accueil des délégués", Quantity: 1, Unit: "équipe", Budget: 50000, Award: guichet.Review})
	w.publish(t, 1)
	goOnline(t, w.observer)
	goOnline(t, w.coord)
	readers := []*mmrig.User{w.observer, w.coord}
	before := map[*mmrig.User]int64{}
	for _, u := range readers {
		before[u] = mentionCounter(t, u, w.coordChannel.Id)
	}

	note := fmt.Sprintf("@all_ on arrive @here. @channel: ![](%s/px-note) [le devis](%s/devis)", pixel.URL, pixel.URL)
	out := say(t, member, channel.Id, fmt.Sprintf(`/guichet claim %s/ACC note="%s"`, w.event.Slug, note))
	require.Contains(t, out, "Atelier Texte")
	candidacy := botPostContaining(t, w.coordChannel.Id, "ACC", "candidate")

	reason := fmt.Sprintf("@all_ empêchés @here. ![](%s/px-reason)", pixel.URL)
	say(t, member, channel.Id, fmt.Sprintf(`/guichet release %s/ACC reason="%s"`, w.event.Slug, reason))
	release := botPostContaining(t, w.coordChannel.Id, "ACC", "libère")

	for typed, p := range map[string]*model.Post{note: candidacy, reason: release} {
		require.Contains(t, visible(p.Message), typed, "the text is shown as typed")
		require.NotContains(t, p.Message, "![", "an image is stored in the post")
		require.NotContains(t, p.Message, "](", "an image or a link is stored in the post")
		if p.Metadata != nil {
			require.Empty(t, p.Metadata.Images, "Mattermost made an image of the post")
		}
	}
	for _, u := range readers {
		require.Equal(t, before[u]+1, mentionCounter(t, u, w.coordChannel.Id), "%s was notified by a note or a reason", u.Username)
	}
	// mentionCounter waited a second after the posts' notifications were done.
	time.Sleep(time.Second)
	require.Zero(t, hits.Load(), "the image's URL was fetched")
}
