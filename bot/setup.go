package bot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet/l10n"
)

// CommandTrigger is the slash command's trigger word: people type /guichet.
const CommandTrigger = "guichet"

// DefaultBotUsername is the bot account's username unless SetupOptions says otherwise.
const DefaultBotUsername = "guichet"

// CommandPath is the path of the slash-command endpoint under the bot's public URL.
const CommandPath = "/mattermost/command"

// SetupOptions says which Mattermost server to prepare and how Mattermost reaches the bot.
type SetupOptions struct {
	// MattermostURL is the server's base URL, e.g. https://chat.example.org.
	MattermostURL string
	// AdminToken is a system administrator's session or personal access token.
	AdminToken string
	// Teams are the names (URL names, e.g. "assises") of the teams where /guichet is
	// registered and the bot is a member. At least one.
	Teams []string
	// BotURL is the bot's base URL as Mattermost reaches it (the public_url setting); the
	// command posts to BotURL + CommandPath.
	BotURL string
	// BotUsername is the bot account's username. Default DefaultBotUsername.
	BotUsername string
	// NewToken asks for a new access token for an existing bot, and revokes the bot's other
	// tokens once the new one is made (a bot running with an old token is refused until it is
	// given the new one and restarted). A bot created by this run, or one that has no active
	// token, always gets one.
	NewToken bool
	// Locale is the language of the command's autocomplete text and of the bot's description:
	// "fr" (default) or "en".
	Locale string
	// HTTPClient, when set, is used for every request; by default each request times out
	// after 30 s.
	HTTPClient *http.Client
}

// SetupResult says what Setup found and did, and holds the settings the bot needs.
type SetupResult struct {
	MattermostURL string
	// PublicURL is the bot's base URL as given in SetupOptions.BotURL.
	PublicURL   string
	BotUserID   string
	BotUsername string
	// BotCreated is true when this run created the bot account (or re-enabled a disabled one).
	BotCreated bool
	// BotToken is the access token created by this run; empty when an existing token was kept
	// (Mattermost never shows a token again, so the one already configured stays in use).
	BotToken string
	// TokenExpiresAt is when the token created by this run expires, or, when the existing
	// token was kept, when the first of the bot's active tokens expires; zero when it does not
	// expire.
	TokenExpiresAt time.Time
	// TokenLifetimeDays is the server's ServiceSettings.MaximumPersonalAccessTokenLifetimeDays
	// (Mattermost 11 and later): 0 when the server sets no limit, or is older and has no such
	// setting.
	TokenLifetimeDays int
	// RevokedTokens is how many of the bot's older tokens a --new-token run revoked.
	RevokedTokens int
	Teams         []SetupTeam
}

// SetupTeam is the /guichet command of one team.
type SetupTeam struct {
	TeamID       string
	TeamName     string
	CommandID    string
	CommandToken string
	// Action is "created", "updated" or "unchanged".
	Action string
}

// CommandTokens returns the commands' tokens, one per team, in the order of the teams.
func (r *SetupResult) CommandTokens() []string {
	out := make([]string, 0, len(r.Teams))
	for _, t := range r.Teams {
		out = append(out, t.CommandToken)
	}
	return out
}

// Env returns the environment variables `guichet serve` needs, in a stable order:
// GUICHET_MATTERMOST_URL, GUICHET_BOT_TOKEN (only when this run created a token),
// GUICHET_COMMAND_TOKENS (comma-separated) and GUICHET_PUBLIC_URL.
func (r *SetupResult) Env() [][2]string {
	env := [][2]string{{"GUICHET_MATTERMOST_URL", r.MattermostURL}}
	if r.BotToken != "" {
		env = append(env, [2]string{"GUICHET_BOT_TOKEN", r.BotToken})
	}
	env = append(env,
		[2]string{"GUICHET_COMMAND_TOKENS", strings.Join(r.CommandTokens(), ",")},
		[2]string{"GUICHET_PUBLIC_URL", r.PublicURL})
	return env
}

// EnvText renders Env as the lines of an environment file (KEY=value), with a comment when the
// bot's existing token was kept.
func (r *SetupResult) EnvText() string {
	var b strings.Builder
	for _, kv := range r.Env() {
		fmt.Fprintf(&b, "%s=%s\n", kv[0], kv[1])
	}
	if r.BotToken == "" {
		b.WriteString("# GUICHET_BOT_TOKEN is unchanged: the bot's existing token stays valid (setup --new-token creates another).\n")
	}
	if line := r.TokenExpiry(); line != "" {
		b.WriteString("# " + line + "\n")
	}
	return b.String()
}

// TokenExpiry says in one line when the bot's token expires and what to do before then, or
// "" when it does not expire.
func (r *SetupResult) TokenExpiry() string {
	if r.TokenExpiresAt.IsZero() {
		return ""
	}
	return fmt.Sprintf("the bot's token expires on %s (the server keeps tokens at most %d days): run `guichet setup --new-token` before then",
		r.TokenExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), r.TokenLifetimeDays)
}

// WriteEnvFile merges Env into the environment file at path, created with mode 0600 when
// missing: a line setting one of these variables is replaced where it stands, variables not in
// the file yet are appended, every other line is kept (so a GUICHET_BOT_TOKEN written by an
// earlier run stays when this run kept the existing token). Writing the same result twice
// leaves the file as it was. The file is replaced atomically.
func (r *SetupResult) WriteEnvFile(path string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	env := r.Env()
	value := map[string]string{}
	for _, kv := range env {
		value[kv[0]] = kv[1]
	}
	written := map[string]bool{}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	for sc.Scan() {
		line := sc.Text()
		key, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		key = strings.TrimSpace(key)
		if v, ours := value[key]; ok && ours {
			if !written[key] {
				fmt.Fprintf(&out, "%s=%s\n", key, v)
				written[key] = true
			}
			continue
		}
		out.WriteString(line + "\n")
	}
	for _, kv := range env {
		if !written[kv[0]] {
			fmt.Fprintf(&out, "%s=%s\n", kv[0], kv[1])
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".guichet-env-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(out.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Setup prepares a Mattermost server for the bot, idempotently:
//
//  1. finds the bot account by username, re-enables it if it was disabled, or creates it;
//  2. creates an access token for it when the bot was just created, has no active token, or
//     opts.NewToken is set; otherwise the existing token stays in use (Mattermost cannot show
//     it again, and nothing is stored locally), and SetupResult.BotToken is empty;
//  3. adds the bot to each team;
//  4. creates the /guichet command in each team, or updates it when its settings differ
//     (ListCommands then UpdateCommand, which keeps the command's id and token); a command
//     already as wanted is left untouched.
//
// Running Setup twice with the same options changes nothing the second time. Errors name the
// step that failed and Mattermost's answer.
func Setup(ctx context.Context, opts SetupOptions) (*SetupResult, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	mm := model.NewAPIv4Client(opts.MattermostURL)
	mm.SetToken(opts.AdminToken)
	mm.HTTPClient = opts.HTTPClient
	if mm.HTTPClient == nil {
		mm.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	cat := l10n.New()
	locale := l10n.Locale(opts.Locale)
	res := &SetupResult{
		MattermostURL: strings.TrimRight(opts.MattermostURL, "/"),
		PublicURL:     strings.TrimRight(opts.BotURL, "/"),
		BotUsername:   opts.BotUsername,
	}

	me, resp, err := mm.GetMe(ctx, "")
	if err != nil {
		return nil, setupErr("check the admin token", resp, err)
	}
	if !strings.Contains(" "+me.Roles+" ", " "+model.SystemAdminRoleId+" ") {
		return nil, fmt.Errorf("setup: the admin token belongs to @%s, who is not a system administrator", me.Username)
	}

	botUser, created, err := setupBotAccount(ctx, mm, opts.BotUsername, cat.T(locale, "HelpSetupBotDescription", nil))
	if err != nil {
		return nil, err
	}
	res.BotUserID, res.BotCreated = botUser, created

	if res.TokenLifetimeDays, err = setupTokenLifetime(ctx, mm); err != nil {
		return nil, err
	}
	tokens, err := setupActiveTokens(ctx, mm, botUser)
	if err != nil {
		return nil, err
	}
	if created || opts.NewToken || len(tokens) == 0 {
		made, err := setupCreateToken(ctx, mm, botUser, res.TokenLifetimeDays)
		if err != nil {
			return nil, err
		}
		res.BotToken = made.Token
		res.TokenExpiresAt = millisTime(made.ExpiresAt)
		if opts.NewToken {
			for _, old := range tokens {
				if resp, err := mm.RevokeUserAccessToken(ctx, old.Id); err != nil {
					return nil, setupErr("revoke the bot's older token "+old.Id+" (the new one is made; run setup --new-token again)", resp, err)
				}
				res.RevokedTokens++
			}
		}
	} else {
		for _, t := range tokens {
			if at := millisTime(t.ExpiresAt); !at.IsZero() && (res.TokenExpiresAt.IsZero() || at.Before(res.TokenExpiresAt)) {
				res.TokenExpiresAt = at
			}
		}
	}

	want := &model.Command{
		Trigger:          CommandTrigger,
		Method:           model.CommandMethodPost,
		URL:              res.PublicURL + CommandPath,
		AutoComplete:     true,
		AutoCompleteDesc: cat.T(locale, "HelpSetupAutocompleteDesc", nil),
		AutoCompleteHint: cat.T(locale, "HelpSetupAutocompleteHint", nil),
		DisplayName:      cat.T(locale, "HelpSetupCommandName", nil),
		Description:      cat.T(locale, "HelpSetupCommandDescription", nil),
	}
	for _, name := range opts.Teams {
		team, resp, err := mm.GetTeamByName(ctx, name, "")
		if err != nil {
			return nil, setupErr(fmt.Sprintf("find team %q", name), resp, err)
		}
		if _, resp, err := mm.AddTeamMember(ctx, team.Id, botUser); err != nil {
			return nil, setupErr(fmt.Sprintf("add the bot to team %q", name), resp, err)
		}
		st, err := setupCommand(ctx, mm, team, want)
		if err != nil {
			return nil, err
		}
		res.Teams = append(res.Teams, st)
	}
	return res, nil
}

func (o *SetupOptions) validate() error {
	for _, u := range []struct{ name, val string }{{"Mattermost URL", o.MattermostURL}, {"bot URL", o.BotURL}} {
		p, err := url.Parse(u.val)
		if u.val == "" || err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("setup: the %s must be an http(s) URL, e.g. http://localhost:8065; got %q", u.name, u.val)
		}
	}
	if o.AdminToken == "" {
		return errors.New("setup: missing the admin token (a system administrator's personal access token)")
	}
	var teams []string
	for _, t := range o.Teams {
		if t = strings.TrimSpace(t); t != "" {
			teams = append(teams, t)
		}
	}
	if len(teams) == 0 {
		return errors.New("setup: name at least one team, e.g. --team assises")
	}
	o.Teams = teams
	o.BotUsername = strings.TrimPrefix(strings.TrimSpace(o.BotUsername), "@")
	if o.BotUsername == "" {
		o.BotUsername = DefaultBotUsername
	}
	if !model.IsValidUsername(o.BotUsername) {
		return fmt.Errorf("setup: %q is not a valid Mattermost username (lowercase letters, digits, '.', '-', '_', starting with a letter)", o.BotUsername)
	}
	return nil
}

// setupBotAccount returns the bot's user id, and whether the account was created or enabled.
func setupBotAccount(ctx context.Context, mm *model.Client4, username, description string) (string, bool, error) {
	user, resp, err := mm.GetUserByUsername(ctx, username, "")
	if err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
		return "", false, setupErr("look up @"+username, resp, err)
	}
	if err == nil {
		if !user.IsBot {
			return "", false, fmt.Errorf("setup: @%s is a person's account, not a bot: choose another --bot-username", username)
		}
		b, resp, err := mm.GetBotIncludeDeleted(ctx, user.Id, "")
		if err != nil {
			return "", false, setupErr("read bot @"+username, resp, err)
		}
		if b.DeleteAt != 0 {
			if _, resp, err := mm.EnableBot(ctx, user.Id); err != nil {
				return "", false, setupErr("re-enable bot @"+username, resp, err)
			}
			return user.Id, true, nil
		}
		return user.Id, false, nil
	}
	b, resp, err := mm.CreateBot(ctx, &model.Bot{Username: username, DisplayName: "Guichet", Description: description})
	if err != nil {
		return "", false, setupErr("create bot @"+username+" (is ServiceSettings.EnableBotAccountCreation on?)", resp, err)
	}
	return b.UserId, true, nil
}

// setupActiveTokens returns the bot's tokens that Mattermost still accepts: active and not
// expired.
func setupActiveTokens(ctx context.Context, mm *model.Client4, botUserID string) ([]*model.UserAccessToken, error) {
	tokens, resp, err := mm.GetUserAccessTokensForUser(ctx, botUserID, 0, 200)
	if err != nil {
		return nil, setupErr("list the bot's tokens", resp, err)
	}
	var out []*model.UserAccessToken
	for _, t := range tokens {
		if t.IsActive && !t.IsExpired() {
			out = append(out, t)
		}
	}
	return out, nil
}

// setupTokenLifetime reads the server's longest token lifetime in days
// (ServiceSettings.MaximumPersonalAccessTokenLifetimeDays, in the client configuration since
// Mattermost 11); 0 when there is none (older servers do not have the setting).
func setupTokenLifetime(ctx context.Context, mm *model.Client4) (int, error) {
	// GetClientConfig's newer form answers 501 on Mattermost 6; the old format is on every
	// version.
	r, err := mm.DoAPIGet(ctx, "/config/client?format=old", "")
	if err != nil {
		return 0, setupErr("read the server's configuration", model.BuildResponse(r), err)
	}
	defer r.Body.Close()
	var cfg map[string]string
	if err := json.NewDecoder(r.Body).Decode(&cfg); err != nil {
		return 0, fmt.Errorf("setup: read the server's configuration: %w", err)
	}
	days, err := strconv.Atoi(strings.TrimSpace(cfg["MaximumPersonalAccessTokenLifetimeDays"]))
	if err != nil || days < 0 {
		return 0, nil
	}
	return days, nil
}

// tokenExpiryMargin keeps a new token's expiry a little inside the server's limit, which the
// server computes from its own clock a moment later.
const tokenExpiryMargin = time.Hour

// setupTokenExpiry returns the expires_at (Unix milliseconds) to ask for a token made at now
// under a lifetime limit of days: 0 (never) without a limit.
func setupTokenExpiry(now time.Time, days int) int64 {
	if days <= 0 {
		return 0
	}
	return now.Add(time.Duration(days)*24*time.Hour - tokenExpiryMargin).UnixMilli()
}

func setupCreateToken(ctx context.Context, mm *model.Client4, botUserID string, lifetimeDays int) (*model.UserAccessToken, error) {
	now := time.Now()
	desc := "guichet setup " + now.UTC().Format("2006-01-02 15:04")
	tok, resp, err := mm.CreateUserAccessToken(ctx, botUserID, desc, setupTokenExpiry(now, lifetimeDays))
	if err != nil {
		return nil, setupErr("create the bot's access token (is ServiceSettings.EnableUserAccessTokens on?)", resp, err)
	}
	return tok, nil
}

// millisTime returns the time of Unix milliseconds ms, zero for 0.
func millisTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// setupCommand creates or updates the team's /guichet command so that it matches want.
func setupCommand(ctx context.Context, mm *model.Client4, team *model.Team, want *model.Command) (SetupTeam, error) {
	st := SetupTeam{TeamID: team.Id, TeamName: team.Name}
	cmds, resp, err := mm.ListCommands(ctx, team.Id, true)
	if err != nil {
		return st, setupErr(fmt.Sprintf("list the commands of team %q (is ServiceSettings.EnableCommands on?)", team.Name), resp, err)
	}
	var have *model.Command
	for _, c := range cmds {
		if c.Trigger == want.Trigger && c.DeleteAt == 0 {
			have = c
			break
		}
	}
	if have == nil {
		c := *want
		c.TeamId = team.Id
		made, resp, err := mm.CreateCommand(ctx, &c)
		if err != nil {
			return st, setupErr(fmt.Sprintf("create /%s in team %q", want.Trigger, team.Name), resp, err)
		}
		st.CommandID, st.CommandToken, st.Action = made.Id, made.Token, "created"
		return st, nil
	}
	st.CommandID, st.CommandToken, st.Action = have.Id, have.Token, "unchanged"
	if setupSameCommand(have, want) {
		return st, nil
	}
	upd := *have
	upd.Method, upd.URL = want.Method, want.URL
	upd.AutoComplete, upd.AutoCompleteDesc, upd.AutoCompleteHint = want.AutoComplete, want.AutoCompleteDesc, want.AutoCompleteHint
	upd.DisplayName, upd.Description = want.DisplayName, want.Description
	upd.Username, upd.IconURL = want.Username, want.IconURL
	made, resp, err := mm.UpdateCommand(ctx, &upd)
	if err != nil {
		return st, setupErr(fmt.Sprintf("update /%s in team %q", want.Trigger, team.Name), resp, err)
	}
	st.CommandToken, st.Action = made.Token, "updated"
	return st, nil
}

func setupSameCommand(a, b *model.Command) bool {
	return a.Method == b.Method && a.URL == b.URL && a.AutoComplete == b.AutoComplete &&
		a.AutoCompleteDesc == b.AutoCompleteDesc && a.AutoCompleteHint == b.AutoCompleteHint &&
		a.DisplayName == b.DisplayName && a.Description == b.Description &&
		a.Username == b.Username && a.IconURL == b.IconURL
}

// setupErr names the step and Mattermost's answer.
func setupErr(step string, resp *model.Response, err error) error {
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var appErr *model.AppError
	if errors.As(err, &appErr) && appErr.Message != "" {
		return fmt.Errorf("setup: %s: Mattermost answered %d: %s (%s)", step, status, appErr.Message, appErr.Id)
	}
	if status != 0 {
		return fmt.Errorf("setup: %s: Mattermost answered %d: %w", step, status, err)
	}
	return fmt.Errorf("setup: %s: %w", step, err)
}
