package mmrig

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// Eventually calls cond every 200 ms until it returns nil, and fails the test with what and
// cond's last error (plus the end of the bot's log) when Options.WaitTimeout passes first.
func (r *Rig) Eventually(t testing.TB, what string, cond func(ctx context.Context) error) {
	t.Helper()
	r.EventuallyWithin(t, r.opts.WaitTimeout, what, cond)
}

// EventuallyWithin is Eventually with its own timeout.
func (r *Rig) EventuallyWithin(t testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := cond(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s: %v\n%s", timeout, what, err, r.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// logs returns the end of the bot's and Mattermost's logs, for failure messages.
func (r *Rig) logs() string {
	return fmt.Sprintf("--- last lines of the bot's log (%s) ---\n%s\n--- last lines of Mattermost's log ---\n%s",
		r.bot.logPath, tailFile(r.bot.logPath, 40), tailFile(r.mm.logPath, 10))
}

// Fatalf fails the test with the message and the end of the bot's and Mattermost's logs.
func (r *Rig) Fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatalf(format+"\n%s", append(args, r.logs())...)
}

// Posts returns the channel's latest posts (up to 200), oldest first, as the admin sees them.
// Posts the API returns have their buttons' integrations stripped, their ids and labels kept.
func (r *Rig) Posts(ctx context.Context, channelID string) ([]*model.Post, error) {
	return r.admin.Posts(ctx, channelID)
}

// Posts returns the channel's latest posts (up to 200), oldest first, as the user sees them.
func (u *User) Posts(ctx context.Context, channelID string) ([]*model.Post, error) {
	list, _, err := u.Client.GetPostsForChannel(ctx, channelID, 0, 200, "", false, false)
	if err != nil {
		return nil, fmt.Errorf("posts of channel %s as %s: %w", channelID, u.Username, err)
	}
	out := make([]*model.Post, 0, len(list.Order))
	for i := len(list.Order) - 1; i >= 0; i-- {
		out = append(out, list.Posts[list.Order[i]])
	}
	return out, nil
}

// WaitPost waits until a post of the channel matches, as the admin sees them, and returns it.
func (r *Rig) WaitPost(t testing.TB, channelID string, match func(p *model.Post) bool) *model.Post {
	t.Helper()
	return r.admin.WaitPost(t, channelID, match)
}

// WaitPost waits until a post of the channel matches, as the user sees them, and returns it
// (the oldest one if several match).
func (u *User) WaitPost(t testing.TB, channelID string, match func(p *model.Post) bool) *model.Post {
	t.Helper()
	var found *model.Post
	u.rig.Eventually(t, fmt.Sprintf("a matching post in channel %s (as %s)", u.rig.channelName(channelID), u.Username), func(ctx context.Context) error {
		posts, err := u.Posts(ctx, channelID)
		if err != nil {
			return err
		}
		for _, p := range posts {
			if match(p) {
				found = p
				return nil
			}
		}
		return fmt.Errorf("none among %d posts; the last: %s", len(posts), lastPostText(posts))
	})
	return found
}

// WaitPostByID waits until the post with that id matches (e.g. after a click updated it) and
// returns it.
func (r *Rig) WaitPostByID(t testing.TB, postID string, match func(p *model.Post) bool) *model.Post {
	t.Helper()
	var found *model.Post
	r.Eventually(t, "post "+postID+" to match", func(ctx context.Context) error {
		p, _, err := r.admin.Client.GetPost(ctx, postID, "")
		if err != nil {
			return err
		}
		if !match(p) {
			return fmt.Errorf("it reads: %s", PostText(p))
		}
		found = p
		return nil
	})
	return found
}

// BotPosts returns the channel's posts written by the bot, oldest first.
func (r *Rig) BotPosts(ctx context.Context, channelID string) ([]*model.Post, error) {
	posts, err := r.Posts(ctx, channelID)
	if err != nil {
		return nil, err
	}
	var out []*model.Post
	for _, p := range posts {
		if p.UserId == r.setup.BotUserID {
			out = append(out, p)
		}
	}
	return out, nil
}

func (r *Rig) channelName(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, ch := range r.channels {
		if ch.Id == id {
			return "~" + name
		}
	}
	return id
}

func lastPostText(posts []*model.Post) string {
	if len(posts) == 0 {
		return "(none)"
	}
	return PostText(posts[len(posts)-1])
}

// PostText flattens what a person reads in a post: its message, then each attachment's
// pretext, title, text, fields and buttons' labels (in brackets), one per line.
func PostText(p *model.Post) string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(p.Message)
	for _, a := range p.Attachments() {
		for _, s := range []string{a.Pretext, a.Title, a.Text} {
			if s != "" {
				b.WriteString("\n" + s)
			}
		}
		for _, f := range a.Fields {
			fmt.Fprintf(&b, "\n%s: %v", f.Title, f.Value)
		}
		for _, act := range a.Actions {
			fmt.Fprintf(&b, "\n[%s]", act.Name)
		}
	}
	return b.String()
}

// Button returns the post's button with that label, or nil.
func Button(p *model.Post, label string) *model.PostAction {
	for _, a := range p.Attachments() {
		for _, act := range a.Actions {
			if act.Name == label {
				return act
			}
		}
	}
	return nil
}

// Buttons returns the labels of the post's buttons.
func Buttons(p *model.Post) []string {
	var out []string
	for _, a := range p.Attachments() {
		for _, act := range a.Actions {
			out = append(out, act.Name)
		}
	}
	return out
}

// Command runs a slash command as the user in the channel (text is the whole line, e.g.
// "/guichet aide"), as the web app does, and returns Mattermost's answer.
func (u *User) Command(ctx context.Context, channelID, text string) (*model.CommandResponse, error) {
	resp, _, err := u.Client.ExecuteCommand(ctx, channelID, text)
	if err != nil {
		return nil, fmt.Errorf("%s runs %q: %w", u.Username, text, err)
	}
	return resp, nil
}

// Click clicks the button labelled label on the post, as the user, as the web app does
// (DoPostAction). It fails the test if the post has no such button; it returns Mattermost's
// error when the bot's answer is refused (e.g. a non-200 from the bot).
func (u *User) Click(t testing.TB, postID, label string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	p, _, err := u.Client.GetPost(ctx, postID, "")
	if err != nil {
		u.rig.Fatalf(t, "%s reads post %s: %v", u.Username, postID, err)
	}
	act := Button(p, label)
	if act == nil {
		u.rig.Fatalf(t, "post %s has no button %q; it reads:\n%s", postID, label, PostText(p))
	}
	if _, err := u.Client.DoPostAction(ctx, postID, act.Id); err != nil {
		return fmt.Errorf("%s clicks %q on post %s: %w", u.Username, label, postID, err)
	}
	return nil
}
