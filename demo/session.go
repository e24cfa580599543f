package demo

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// session is one replay: the rig, the fixture, the simulated clock, the people's WebSockets and
// the transcript.
type session struct {
	rig      *mmrig.Rig
	fx       *fixture
	cat      *l10n.Catalog
	locale   string
	progress *progress
	clock    *simClock
	tr       *transcript
	event    *guichet.Event
	// lots maps the fixture's lot codes to their ids once imported.
	lots    map[string]int64
	watches map[string]*watch
	// dms maps usernames to their direct channel with the bot.
	dms map[string]string
	// newInPhase counts, per direct channel, the bot's posts that appeared in each phase.
	newInPhase map[int]map[string]int
	// phaseOf and kindOf give the transcript's phase number and the reminder kind of the
	// first and last reminders' phases.
	phaseOf map[string]int
	kindOf  map[string]guichet.ReminderKind
	// second is what the second act (act2.go) changed, once it has begun.
	second *secondActState
}

// The bot's dialog callback ids the demo submits (as the web app would, from the open_dialog
// event): the claim dialog of "Je prends une part" and the commands' import dialogs.
const (
	claimDialog          = "bot.claim"
	supplierImportDialog = "cmd.supplier.import"
	lotImportDialog      = "cmd.lot.import"
)

// Timeouts of the demo's waits.
const (
	waitMessages = 90 * time.Second // messages the bot queues, reminders the scheduler takes
	waitDialog   = 15 * time.Second // a dialog opened by a click or a command
	waitReply    = 3 * time.Second  // a private reply to a click
)

func (s *session) t(id string, kv ...any) string { return s.tr.tr(id, kv...) }

func (s *session) coordinator() *mmrig.User { return s.rig.Coordinator() }

// watchOf returns the person's WebSocket, opened on first use.
func (s *session) watchOf(ctx context.Context, u *mmrig.User) (*watch, error) {
	if w, ok := s.watches[u.Username]; ok {
		return w, nil
	}
	w, err := openWatch(ctx, s.rig.MattermostURL(), u.Token)
	if err != nil {
		return nil, fmt.Errorf("%s's WebSocket: %w", u.Username, err)
	}
	s.watches[u.Username] = w
	return w, nil
}

func (s *session) closeWatches() {
	for _, w := range s.watches {
		w.close()
	}
}

// where names a channel as people see it: ~name, or "direct messages with @bot".
func (s *session) where(channelID string) string {
	if s.rig.CoordChannel().Id == channelID {
		return s.t("CmdDemoIn", "Channel", s.rig.CoordChannel().Name)
	}
	for _, sup := range s.fx.suppliers {
		if ch := s.rig.Channel(sup.Channel); ch != nil && ch.Id == channelID {
			return s.t("CmdDemoIn", "Channel", ch.Name)
		}
	}
	return s.t("CmdDemoInDirect", "Bot", s.rig.Setup().BotUsername)
}

// command runs a slash command as u in the channel, as the web app does, records it with the
// private answer, and returns the answer.
func (s *session) command(ctx context.Context, u *mmrig.User, channelID, text string) (string, error) {
	at := time.Now()
	resp, err := u.Command(ctx, channelID, text)
	if err != nil {
		return "", err
	}
	answer := ""
	if resp.Text != "" {
		answer = s.t("CmdDemoPrivate", "Text", resp.Text)
	}
	s.tr.action(at, u.Username, s.where(channelID), "`"+text+"`", answer)
	return resp.Text, nil
}

// commandDialog runs a slash command that opens a dialog, then fills the dialog and submits it
// as u, as the web app does. It fails if the dialog comes back with errors.
func (s *session) commandDialog(ctx context.Context, u *mmrig.User, channelID, text, callbackID string, fields map[string]any, shown string) error {
	w, err := s.watchOf(ctx, u)
	if err != nil {
		return err
	}
	mark := w.mark()
	answer, err := s.command(ctx, u, channelID, text)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, waitDialog)
	defer cancel()
	d, err := w.dialog(dctx, mark, callbackID)
	if err != nil {
		return fmt.Errorf("%q opened no dialog (%w); the answer was: %s", text, err, answer)
	}
	return s.submit(ctx, u, channelID, d, fields, shown)
}

// submit submits an opened dialog as u from the channel, and records it.
func (s *session) submit(ctx context.Context, u *mmrig.User, channelID string, d *model.OpenDialogRequest, fields map[string]any, shown string) error {
	at := time.Now()
	resp, _, err := u.Client.SubmitInteractiveDialog(ctx, model.SubmitDialogRequest{
		URL: d.URL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State, UserId: u.ID,
		ChannelId: channelID, TeamId: s.rig.Team().Id, Submission: fields,
	})
	if err != nil {
		return fmt.Errorf("%s submits the dialog %q: %w", u.Username, d.Dialog.Title, err)
	}
	s.tr.action(at, u.Username, s.where(channelID), s.t("CmdDemoDialog", "Title", d.Dialog.Title, "Fields", shown))
	if len(resp.Errors) > 0 {
		return fmt.Errorf("%s submits the dialog %q: it stays open with %v", u.Username, d.Dialog.Title, resp.Errors)
	}
	return nil
}

// click clicks the button labelled label on the post as u, as the web app does
// (DoPostAction), and records it with the private reply, if one comes. what names the post
// for the transcript.
func (s *session) click(ctx context.Context, u *mmrig.User, p *model.Post, label, what string) error {
	w, err := s.watchOf(ctx, u)
	if err != nil {
		return err
	}
	act := mmrig.Button(p, label)
	if act == nil {
		return fmt.Errorf("the post %s has no button %q; it reads:\n%s", p.Id, label, mmrig.PostText(p))
	}
	mark := w.mark()
	at := time.Now()
	if _, err := u.Client.DoPostAction(ctx, p.Id, act.Id); err != nil {
		return fmt.Errorf("%s clicks %q on %s: %w", u.Username, label, what, err)
	}
	rctx, cancel := context.WithTimeout(ctx, waitReply)
	defer cancel()
	answer := ""
	if eph, err := w.ephemeral(rctx, mark, p.ChannelId); err == nil {
		answer = s.t("CmdDemoPrivate", "Text", eph.Message)
	}
	s.tr.action(at, u.Username, s.where(p.ChannelId), s.t("CmdDemoClick", "Button", label, "Post", what), answer)
	return nil
}

// clickDialog clicks a button that opens a dialog and returns the dialog.
func (s *session) clickDialog(ctx context.Context, u *mmrig.User, p *model.Post, label, what, callbackID string) (*model.OpenDialogRequest, error) {
	w, err := s.watchOf(ctx, u)
	if err != nil {
		return nil, err
	}
	act := mmrig.Button(p, label)
	if act == nil {
		return nil, fmt.Errorf("the post %s has no button %q; it reads:\n%s", p.Id, label, mmrig.PostText(p))
	}
	mark := w.mark()
	at := time.Now()
	if _, err := u.Client.DoPostAction(ctx, p.Id, act.Id); err != nil {
		return nil, fmt.Errorf("%s clicks %q on %s: %w", u.Username, label, what, err)
	}
	s.tr.action(at, u.Username, s.where(p.ChannelId), s.t("CmdDemoClick", "Button", label, "Post", what))
	dctx, cancel := context.WithTimeout(ctx, waitDialog)
	defer cancel()
	d, err := w.dialog(dctx, mark, callbackID)
	if err != nil {
		return nil, fmt.Errorf("%s clicked %q on %s and no dialog opened: %w", u.Username, label, what, err)
	}
	return d, nil
}

// posts returns all the channel's posts as u reads them, oldest first.
func (s *session) posts(ctx context.Context, u *mmrig.User, channelID string) ([]*model.Post, error) {
	const perPage = 200
	var out []*model.Post
	for page := 0; ; page++ {
		list, _, err := u.Client.GetPostsForChannel(ctx, channelID, page, perPage, "", false, false)
		if err != nil {
			return nil, fmt.Errorf("posts of %s as %s: %w", s.where(channelID), u.Username, err)
		}
		for _, id := range list.Order {
			out = append(out, list.Posts[id])
		}
		if len(list.Order) < perPage {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// waitPost waits until a post of the channel, as u reads it, matches, and returns it.
func (s *session) waitPost(ctx context.Context, u *mmrig.User, channelID, what string, match func(*model.Post) bool) (*model.Post, error) {
	var found *model.Post
	err := s.until(ctx, waitMessages, what, func(ctx context.Context) error {
		posts, err := s.posts(ctx, u, channelID)
		if err != nil {
			return err
		}
		for _, p := range posts {
			if match(p) {
				found = p
				return nil
			}
		}
		return fmt.Errorf("not among the %d posts of %s", len(posts), s.where(channelID))
	})
	return found, err
}

// until calls cond every 300 ms until it returns nil, and fails with what was awaited, cond's
// last error and the end of the bot's log once timeout has passed.
func (s *session) until(ctx context.Context, timeout time.Duration, what string, cond func(ctx context.Context) error) error {
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := cond(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s: %v\n--- the bot's log ---\n%s", timeout, what, err, s.rig.BotLog(30))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// delivered waits until the bot has posted every message it queued: no outbox row is left
// to deliver. It fails on a parked row (a message Mattermost refused for good).
func (s *session) delivered(ctx context.Context) error {
	return s.until(ctx, waitMessages, "the bot to post every message it queued", func(ctx context.Context) error {
		pending, parked, err := s.rig.DB().OutboxCounts(ctx)
		if err != nil {
			return err
		}
		if parked > 0 {
			return fmt.Errorf("%d message(s) parked: Mattermost refused them", parked)
		}
		if pending > 0 {
			return fmt.Errorf("%d message(s) still to post", pending)
		}
		return nil
	})
}

// travel restarts the bot with its clock set to at (GUICHET_CLOCK_OFFSET), as if the bot had
// been running until then, and waits until it is ready.
func (s *session) travel(ctx context.Context, at time.Time) error {
	s.progress.step("bot clock → %s", at.In(s.tr.zone).Format("Mon 2 Jan 2006 15:04:05 MST"))
	if err := s.rig.StopBot(syscall.SIGTERM); err != nil {
		return err
	}
	offset := time.Until(at).Round(time.Millisecond)
	s.rig.SetBotEnv("GUICHET_CLOCK_OFFSET", offset.String())
	s.clock.set(offset)
	return s.rig.StartBot(ctx)
}

// views returns what each person reads, in the transcript's order: the coordination channel
// and the coordinator's direct messages, then for each structure its channel (as its first
// member reads it) and each member's direct messages with the bot.
func (s *session) views(ctx context.Context) ([]view, error) {
	coord := s.coordinator()
	var out []view
	add := func(u *mmrig.User, channelID, heading string) error {
		posts, err := s.posts(ctx, u, channelID)
		if err != nil {
			return err
		}
		out = append(out, view{heading: heading, posts: posts})
		return nil
	}
	direct := func(u *mmrig.User) error {
		dm, err := s.dm(ctx, u)
		if err != nil {
			return err
		}
		return add(u, dm, s.t("CmdDemoDirect", "Bot", s.rig.Setup().BotUsername, "User", u.Username))
	}
	if err := add(coord, s.rig.CoordChannel().Id, s.t("CmdDemoChannel", "Channel", s.rig.CoordChannel().Name, "Viewer", coord.Username)); err != nil {
		return nil, err
	}
	if err := direct(coord); err != nil {
		return nil, err
	}
	for _, sup := range s.fx.suppliers {
		first := s.rig.User(sup.Members[0])
		ch := s.rig.Channel(sup.Channel)
		if err := add(first, ch.Id, s.t("CmdDemoChannel", "Channel", ch.Name, "Viewer", first.Username)); err != nil {
			return nil, err
		}
		for _, m := range sup.Members {
			if err := direct(s.rig.User(m)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// dm returns u's direct channel with the bot (Mattermost creates it on first ask, as when
// someone opens it).
func (s *session) dm(ctx context.Context, u *mmrig.User) (string, error) {
	if id, ok := s.dms[u.Username]; ok {
		return id, nil
	}
	ch, _, err := u.Client.CreateDirectChannel(ctx, u.ID, s.rig.BotUserID())
	if err != nil {
		return "", fmt.Errorf("direct channel of %s with the bot: %w", u.Username, err)
	}
	s.dms[u.Username] = ch.Id
	return ch.Id, nil
}

// botPostsIn returns the bot's posts in the channel as u reads them.
func (s *session) botPostsIn(ctx context.Context, u *mmrig.User, channelID string) ([]*model.Post, error) {
	posts, err := s.posts(ctx, u, channelID)
	if err != nil {
		return nil, err
	}
	var out []*model.Post
	for _, p := range posts {
		if p.UserId == s.rig.BotUserID() {
			out = append(out, p)
		}
	}
	return out, nil
}

// newBotPosts returns the bot's posts in u's direct messages that the transcript has not
// shown yet.
func (s *session) newBotPosts(ctx context.Context, u *mmrig.User) ([]*model.Post, error) {
	dm, err := s.dm(ctx, u)
	if err != nil {
		return nil, err
	}
	posts, err := s.botPostsIn(ctx, u, dm)
	if err != nil {
		return nil, err
	}
	var out []*model.Post
	for _, p := range posts {
		if _, seen := s.tr.seen[p.Id]; !seen {
			out = append(out, p)
		}
	}
	return out, nil
}

// endPhase writes the phase into the transcript and counts, per member, the bot's direct
// messages that appeared in it.
func (s *session) endPhase(ctx context.Context) error {
	if err := s.delivered(ctx); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, sup := range s.fx.suppliers {
		for _, m := range sup.Members {
			posts, err := s.newBotPosts(ctx, s.rig.User(m))
			if err != nil {
				return err
			}
			counts[m] = len(posts)
		}
	}
	s.newInPhase[s.tr.phase] = counts
	views, err := s.views(ctx)
	if err != nil {
		return err
	}
	s.tr.endPhase(views)
	return nil
}

// offerTitle is the title of a lot's offer as the bot writes it.
func (s *session) offerTitle(l *fixtureLot) string {
	return s.cat.T(s.locale, "OfferTitle", map[string]any{"Code": l.Code, "Title": l.Title})
}

// isOffer reports whether p is the bot's offer of the lot.
func (s *session) isOffer(p *model.Post, l *fixtureLot) bool {
	if p.UserId != s.rig.BotUserID() {
		return false
	}
	for _, a := range p.Attachments() {
		if strings.TrimSpace(a.Title) == s.offerTitle(l) {
			return true
		}
	}
	return false
}
