package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/BurntSushi/toml"

	"guichet.dev/guichet/bot"
)

// setup prepares a Mattermost server for the bot (see bot.Setup) and prints, or writes into an
// environment file, the settings `guichet serve` needs. Running it twice changes nothing.
//
// The bot's access token is shown only when this run creates one: when the bot account is
// new, when it has no active token, or with --new-token. Otherwise the token already configured
// stays valid; Mattermost cannot show it again and setup stores nothing of its own.
func init() {
	register("setup", "create the bot account and the /guichet command in Mattermost", runSetup)
}

func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("setup", stderr)
	mmURL := fs.String("mattermost-url", "", "Mattermost's base URL (default: mattermost_url from --config)")
	adminToken := fs.String("admin-token", "", "a system administrator's access token (default: $GUICHET_ADMIN_TOKEN)")
	teams := fs.String("team", "", "team name(s) where /guichet is registered, comma-separated")
	botURL := fs.String("bot-url", "", "the bot's base URL as Mattermost reaches it (default: public_url from --config)")
	configPath := fs.String("config", "", "the bot's configuration file, read for mattermost_url and public_url")
	botUsername := fs.String("bot-username", bot.DefaultBotUsername, "the bot account's username")
	newToken := fs.Bool("new-token", false, "create a new access token for the bot and revoke its older ones (a revoked or expired token)")
	writeEnv := fs.String("write-env", "", "write the settings into this environment file (mode 0600, other lines kept) instead of printing them")
	locale := fs.String("locale", "fr", "language of the command's autocomplete text: fr or en")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: guichet setup --mattermost-url URL --admin-token TOKEN --team NAME[,NAME] --bot-url URL [--config FILE] [--bot-username guichet] [--new-token] [--write-env FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("setup: unexpected argument %q", fs.Arg(0))
	}
	if *configPath != "" {
		var file struct {
			MattermostURL string `toml:"mattermost_url"`
			PublicURL     string `toml:"public_url"`
		}
		if _, err := toml.DecodeFile(*configPath, &file); err != nil {
			return fmt.Errorf("setup: configuration file: %w", err)
		}
		if *mmURL == "" {
			*mmURL = file.MattermostURL
		}
		if *botURL == "" {
			*botURL = file.PublicURL
		}
	}
	if *adminToken == "" {
		*adminToken = os.Getenv("GUICHET_ADMIN_TOKEN")
	}
	if *mmURL == "" || *botURL == "" || *adminToken == "" || *teams == "" {
		fs.Usage()
		return errors.New("setup: --mattermost-url, --admin-token, --team and --bot-url are required (the URLs may come from --config)")
	}
	res, err := bot.Setup(ctx, bot.SetupOptions{
		MattermostURL: *mmURL,
		AdminToken:    *adminToken,
		Teams:         strings.Split(*teams, ","),
		BotURL:        *botURL,
		BotUsername:   *botUsername,
		NewToken:      *newToken,
		Locale:        *locale,
	})
	if err != nil {
		return err
	}
	printSetupSummary(stderr, res)
	if *writeEnv != "" {
		if err := res.WriteEnvFile(*writeEnv); err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		fmt.Fprintf(stderr, "settings written to %s\n", *writeEnv)
		return nil
	}
	_, err = io.WriteString(stdout, res.EnvText())
	return err
}

func printSetupSummary(w io.Writer, res *bot.SetupResult) {
	state := "found"
	if res.BotCreated {
		state = "created"
	}
	fmt.Fprintf(w, "bot @%s (%s): %s\n", res.BotUsername, res.BotUserID, state)
	if res.BotToken != "" {
		fmt.Fprintln(w, "bot access token: created (GUICHET_BOT_TOKEN): give it to the bot (environment or token file) and restart it")
	} else {
		fmt.Fprintln(w, "bot access token: the existing one stays valid (use --new-token to create another)")
	}
	if res.RevokedTokens > 0 {
		fmt.Fprintf(w, "bot access token: older tokens revoked: %d; a bot still running with one is refused until restarted with the new token\n", res.RevokedTokens)
	}
	if line := res.TokenExpiry(); line != "" {
		fmt.Fprintln(w, "bot access token: "+line)
	} else if res.TokenLifetimeDays == 0 {
		fmt.Fprintln(w, "bot access token: does not expire (the server sets no token lifetime)")
	}
	for _, t := range res.Teams {
		fmt.Fprintf(w, "team %s: bot is a member, /%s %s\n", t.TeamName, bot.CommandTrigger, t.Action)
	}
}
