package mmrig

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// User is a person of the rig, logged in: Client acts as them, exactly as the web app would.
type User struct {
	ID       string
	Username string
	// Token is the user's session token (Client's).
	Token  string
	Client *model.Client4
	rig    *Rig
}

// clientPatience bounds a request of a user's client: longer than Mattermost's own write
// timeout (ServiceSettings.WriteTimeout, 300 s by default), so that an error a client gets is
// Mattermost's answer, as a member's browser would show it, and not the test giving up first
// while Mattermost and the bot carry on.
const clientPatience = 310 * time.Second

func (r *Rig) newClient() *model.Client4 {
	c := model.NewAPIv4Client(r.mm.url())
	c.HTTPClient = &http.Client{Timeout: clientPatience}
	return c
}

// provision creates the first user (system admin), the team, the coordinator, the suppliers'
// members, the extra users, the coordination channel and the suppliers' channels.
func (r *Rig) provision(ctx context.Context) error {
	// The first user of a server becomes its system administrator.
	anon := r.newClient()
	if _, _, err := anon.CreateUser(ctx, &model.User{Username: "admin", Email: "admin@guichet.test", Password: Password}); err != nil {
		return fmt.Errorf("create the first user (admin): %w", err)
	}
	admin, err := r.login(ctx, "admin")
	if err != nil {
		return err
	}
	r.admin = admin
	r.team, _, err = admin.Client.CreateTeam(ctx, &model.Team{Name: r.opts.Team, DisplayName: r.opts.Team, Type: model.TeamOpen})
	if err != nil {
		return fmt.Errorf("create team %s: %w", r.opts.Team, err)
	}

	names := []string{r.opts.Coordinator}
	for _, s := range r.opts.Suppliers {
		names = append(names, s.Members...)
	}
	names = append(names, r.opts.ExtraUsers...)
	seen := map[string]bool{}
	var todo []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			todo = append(todo, n)
		}
	}
	// Creating and logging in hashes passwords: a few at a time.
	sem := make(chan struct{}, 4)
	errs := make(chan error, len(todo))
	var wg sync.WaitGroup
	for _, n := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := r.NewUser(ctx, n)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}

	if _, err := r.NewChannel(ctx, r.opts.CoordChannel, r.opts.Coordinator); err != nil {
		return err
	}
	for _, s := range r.opts.Suppliers {
		if _, err := r.NewChannel(ctx, s.Channel, s.Members...); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rig) login(ctx context.Context, username string) (*User, error) {
	c := r.newClient()
	u, _, err := c.Login(ctx, username, Password)
	if err != nil {
		return nil, fmt.Errorf("log in as %s: %w", username, err)
	}
	return &User{ID: u.Id, Username: u.Username, Token: c.AuthToken, Client: c, rig: r}, nil
}

// NewUser creates a user (password Password), adds them to the team and logs them in.
func (r *Rig) NewUser(ctx context.Context, username string) (*User, error) {
	mu, _, err := r.admin.Client.CreateUser(ctx, &model.User{
		Username: username, Email: strings.ReplaceAll(username, ".", "-") + "@guichet.test",
		Password: Password, FirstName: username,
	})
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", username, err)
	}
	if _, _, err := r.admin.Client.AddTeamMember(ctx, r.team.Id, mu.Id); err != nil {
		return nil, fmt.Errorf("add %s to team %s: %w", username, r.team.Name, err)
	}
	u, err := r.login(ctx, username)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.users[username] = u
	r.mu.Unlock()
	return u, nil
}

// NewChannel creates a public channel in the team with these members (usernames of rig users)
// and, once the bot exists, the bot. Tests that count posts use a channel of their own.
func (r *Rig) NewChannel(ctx context.Context, name string, members ...string) (*model.Channel, error) {
	ch, _, err := r.admin.Client.CreateChannel(ctx, &model.Channel{TeamId: r.team.Id, Name: name, DisplayName: name, Type: model.ChannelTypeOpen})
	if err != nil {
		return nil, fmt.Errorf("create channel %s: %w", name, err)
	}
	ids := make([]string, 0, len(members)+1)
	for _, m := range members {
		u := r.User(m)
		if u == nil {
			return nil, fmt.Errorf("channel %s: no user %q in the rig", name, m)
		}
		ids = append(ids, u.ID)
	}
	if r.setup != nil {
		ids = append(ids, r.setup.BotUserID)
	}
	for _, id := range ids {
		if _, _, err := r.admin.Client.AddChannelMember(ctx, ch.Id, id); err != nil {
			return nil, fmt.Errorf("add %s to channel %s: %w", id, name, err)
		}
	}
	r.mu.Lock()
	r.channels[name] = ch
	r.mu.Unlock()
	return ch, nil
}

// addBotToChannels makes the bot a member of every channel provisioned before it existed.
func (r *Rig) addBotToChannels(ctx context.Context) error {
	r.mu.Lock()
	chans := make([]*model.Channel, 0, len(r.channels))
	for _, ch := range r.channels {
		chans = append(chans, ch)
	}
	r.mu.Unlock()
	for _, ch := range chans {
		if _, _, err := r.admin.Client.AddChannelMember(ctx, ch.Id, r.setup.BotUserID); err != nil {
			return fmt.Errorf("add the bot to channel %s: %w", ch.Name, err)
		}
	}
	return nil
}

// Admin returns the system administrator ("admin").
func (r *Rig) Admin() *User { return r.admin }

// Coordinator returns the coordinator (Options.Coordinator).
func (r *Rig) Coordinator() *User { return r.User(r.opts.Coordinator) }

// CoordChannel returns the coordination channel (Options.CoordChannel).
func (r *Rig) CoordChannel() *model.Channel { return r.Channel(r.opts.CoordChannel) }

// User returns the rig user with that username, or nil.
func (r *Rig) User(username string) *User {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[strings.TrimPrefix(username, "@")]
}

// Channel returns the channel with that name created by the rig, or nil.
func (r *Rig) Channel(name string) *model.Channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.channels[strings.TrimPrefix(name, "~")]
}

// Suppliers returns the structures the rig was started with.
func (r *Rig) Suppliers() []Supplier { return r.opts.Suppliers }
