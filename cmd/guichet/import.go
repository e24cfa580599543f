package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/l10n"
)

// The CLI twins of `/guichet supplier import` and `/guichet lot import`, for scripting:
//
//	guichet import suppliers [--config FILE] [--team NAME] FILE
//	guichet import lots --event SLUG [--config FILE] FILE
//
// FILE is a CSV in the same format as the dialogs take, in any encoding and separator an
// office saves, or an .xlsx workbook whose sheet of that kind is read ("-" reads standard
// input); the import is all or nothing, and an error names the row and the column.
//
// Suppliers' members are Mattermost usernames. When mattermost_url and the bot token are
// configured, they are resolved to user ids (an unknown username stops the import), and with
// --team the channels are resolved too. Otherwise members are saved as usernames with empty
// user ids: each gets its id the first time that person types a /guichet command, and the
// channels are looked up again by `/guichet publish` in the team it is typed in.
func init() {
	register("import", "import suppliers or lots from CSV (guichet import suppliers|lots --help)", runImport)
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: guichet import suppliers [--config FILE] [--team NAME] FILE\n       guichet import lots --event SLUG [--config FILE] FILE")
		return errors.New("import: say what to import: suppliers or lots")
	}
	switch args[0] {
	case "suppliers", "structures", "fournisseurs":
		return importSuppliersCLI(ctx, args[1:], stdout, stderr)
	case "lots":
		return importLotsCLI(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("import: unknown kind %q: suppliers or lots", args[0])
}

// importEnv is what both imports need: the configuration's locale, the catalogue and the
// database.
type importEnv struct {
	cat    *l10n.Catalog
	locale string
	db     *db.DB
	mmURL  string
	token  string
}

func openImport(ctx context.Context, conf *configFlag) (*importEnv, error) {
	cfg, err := conf.load()
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, cfg.DatabaseDSN())
	if err != nil {
		return nil, err
	}
	return &importEnv{cat: l10n.New(), locale: cfg.Locale, db: d, mmURL: cfg.MattermostURL, token: cfg.BotToken}, nil
}

// personError renders an error meant for a person in the configured language; other errors
// are returned as they are, for the operator.
func (e *importEnv) personError(err error) error {
	if guichet.AsError(err) != nil {
		return errors.New(commands.Message(e.cat, e.locale, err))
	}
	return err
}

// cliActor is who the audit trail records for a CLI import.
func cliActor() guichet.Actor {
	name := os.Getenv("USER")
	if name == "" {
		name = "operator"
	}
	return guichet.Actor{UserID: "cli", Username: "cli:" + name}
}

func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(stdin, commands.MaxCSVBytes+1))
	}
	return os.ReadFile(path)
}

func importSuppliersCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import suppliers", stderr)
	conf := addConfigFlag(fs, configUsage)
	team := fs.String("team", "", "Mattermost team whose channels the suppliers' channels are (needs mattermost_url and the bot token)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import suppliers: give one CSV file (or - for standard input)")
	}
	data, err := readInput(fs.Arg(0), os.Stdin)
	if err != nil {
		return err
	}
	env, err := openImport(ctx, conf)
	if err != nil {
		return err
	}
	defer env.db.Close()
	recs, err := commands.ReadSuppliers(data)
	if err != nil {
		return env.personError(err)
	}
	if err := commands.KeepExisting(ctx, env.db, recs); err != nil {
		return env.personError(err)
	}
	var notFound []string
	if env.mmURL != "" && env.token != "" {
		client := bot.NewClient(env.mmURL, env.token, bot.ClientOptions{})
		teamID := ""
		if *team != "" {
			if teamID, err = teamByName(ctx, env.mmURL, env.token, *team); err != nil {
				return err
			}
		}
		if notFound, err = commands.ResolveSuppliers(ctx, client, teamID, recs); err != nil {
			return env.personError(err)
		}
	} else if *team != "" {
		return errors.New("import suppliers: --team needs mattermost_url and the bot token in the configuration")
	}
	suppliers := make([]*guichet.Supplier, len(recs))
	unbound := 0
	for i, r := range recs {
		suppliers[i] = r.Supplier
		for _, m := range r.Supplier.Members {
			if m.UserID == "" {
				unbound++
			}
		}
	}
	if err := env.db.UpsertSuppliers(ctx, cliActor(), suppliers); err != nil {
		return env.personError(err)
	}
	fmt.Fprintln(stdout, env.cat.T(env.locale, "CmdImportedSuppliersCLI", map[string]any{"N": len(suppliers), "Unbound": unbound}))
	for _, name := range notFound {
		fmt.Fprintln(stdout, env.cat.T(env.locale, "CmdChannelNotFound", map[string]any{"Channel": name}))
	}
	return nil
}

// teamByName returns the id of the team with that name.
func teamByName(ctx context.Context, mmURL, token, name string) (string, error) {
	api := model.NewAPIv4Client(strings.TrimRight(mmURL, "/"))
	api.SetToken(token)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t, _, err := api.GetTeamByName(cctx, name, "")
	if err != nil {
		return "", fmt.Errorf("team %q: %w", name, err)
	}
	return t.Id, nil
}

func importLotsCLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import lots", stderr)
	conf := addConfigFlag(fs, configUsage)
	slug := fs.String("event", "", "the event's identifier (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" || fs.NArg() != 1 {
		return errors.New("import lots: give --event SLUG and one CSV file (or - for standard input)")
	}
	data, err := readInput(fs.Arg(0), os.Stdin)
	if err != nil {
		return err
	}
	env, err := openImport(ctx, conf)
	if err != nil {
		return err
	}
	defer env.db.Close()
	e, err := env.db.EventBySlug(ctx, *slug)
	if err != nil {
		return env.personError(err)
	}
	loc, err := e.Location()
	if err != nil {
		return env.personError(err)
	}
	recs, err := commands.ReadLots(data, loc)
	if err != nil {
		return env.personError(err)
	}
	if err := commands.CheckNewCodes(ctx, env.db, e.ID, recs); err != nil {
		return env.personError(err)
	}
	lots := make([]*guichet.Lot, len(recs))
	for i, r := range recs {
		lots[i] = r.Lot
	}
	if err := env.db.AddLots(ctx, cliActor(), e.ID, lots); err != nil {
		return env.personError(err)
	}
	fmt.Fprintln(stdout, env.cat.T(env.locale, "CmdImportedLotsCLI", map[string]any{"N": len(lots), "Name": e.Name, "Slug": e.Slug}))
	return nil
}
