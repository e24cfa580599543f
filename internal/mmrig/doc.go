// Package mmrig runs Guichet against a real Mattermost server, on loopback, for the
// end-to-end tests (package e2e) and the demo.
//
// Start builds Mattermost 6.7.2 once into ${GUICHET_CACHE:-~/.cache/guichet} (through
// build-mattermost.sh, beside this package; about 5 minutes on 2 cores the first time, then
// reused), starts a throwaway PostgreSQL cluster (package pgserver) with a database for Mattermost and one for
// Guichet (migrated), starts Mattermost with its configuration, files and logs in a temporary
// folder, and provisions:
//
//   - "admin", the first user, system administrator;
//   - the team (Options.Team, default "assises");
//   - the coordinator (Options.Coordinator, default "coordination") and the coordination
//     channel (Options.CoordChannel, default "coordination");
//   - each supplier's members and its public channel (Options.Suppliers, e.g.
//     ParseSuppliers of the Assises fixture's suppliers.csv, package internal/assises), and
//     Options.ExtraUsers;
//
// then runs bot.Setup (bot account, token, /guichet command), adds the bot to every channel,
// builds ./cmd/guichet and starts `guichet serve` configured by environment only
// (GUICHET_DATABASE_URL, GUICHET_MATTERMOST_URL, GUICHET_BOT_TOKEN, GUICHET_COMMAND_TOKENS,
// GUICHET_LISTEN, GUICHET_OPS_LISTEN, GUICHET_PUBLIC_URL, GUICHET_SIGNING_KEY,
// GUICHET_ADMINISTRATORS, GUICHET_LOG_FORMAT=text, GUICHET_LOG_LEVEL=debug,
// GUICHET_SCHEDULER_TICK=1s, plus Options.BotEnv), and waits for its /readyz on the operators'
// address (r.OpsURL()). Everything listens on 127.0.0.1; Close stops it all and removes the
// folder (GUICHET_E2E_KEEP=1 keeps it, with mattermost.log and guichet.log). Every user's
// password is Password.
//
// # API
//
// Lifecycle and settings:
//
//	r, err := mmrig.Start(ctx, mmrig.Options{Suppliers: s, ExtraUsers: []string{"intrus"}})
//	defer r.Close()
//	r.MattermostURL(), r.BotURL(), r.OpsURL(), r.Team(), r.Setup() // *bot.SetupResult
//	r.BotUserID(), r.CommandToken(), r.SigningKey(), r.BotEnv(), r.Dir(), r.GuichetBinary()
//	r.DB() // *db.DB on the bot's database; r.DatabaseURL()
//	r.ImportSuppliers(ctx)      // writes Options.Suppliers into the directory, with ids
//	r.DirectorySupplier(s)      // one mmrig.Supplier as a *guichet.Supplier, written nowhere
//
// People and channels (each User has a logged-in *model.Client4 acting as them):
//
//	r.Admin(), r.Coordinator(), r.User("kenja.malik") // *mmrig.User{ID, Username, Token, Client}
//	r.CoordChannel(), r.Channel("kenja")              // *model.Channel
//	r.NewUser(ctx, "atelier.ana")                     // a team member, logged in
//	r.NewChannel(ctx, "atelier", "atelier.ana")       // public, with those members and the bot
//
// Acting as people, seeing what they see:
//
//	u.Command(ctx, channelID, "/guichet aide") // ExecuteCommand → *model.CommandResponse
//	u.Click(t, postID, "Je prends")            // DoPostAction on the button with that label
//	w := u.Watch(t)                            // the user's WebSocket, from now on
//	w.Ephemeral(t, match) *model.Post          // waits for a private reply
//	w.Dialog(t, match) *model.OpenDialogRequest // waits for an opened dialog (URL, callback id, state)
//	w.Ephemerals(), w.Events(kind), w.Wait(t, kind, match)
//	u.Posts(ctx, channelID), u.WaitPost(t, channelID, match)
//	r.Posts(ctx, channelID), r.BotPosts(ctx, channelID)
//	r.WaitPost(t, channelID, match), r.WaitPostByID(t, postID, match)
//	mmrig.PostText(p), mmrig.Button(p, label), mmrig.Buttons(p)
//	r.Eventually(t, what, cond), r.EventuallyWithin(t, timeout, what, cond), r.Fatalf(t, …)
//	r.BotHTTP(ctx, "/mattermost/action", "application/json", body) // straight to the bot
//
// Faults:
//
//	r.StopBot(syscall.SIGTERM | syscall.SIGKILL), r.StartBot(ctx), r.RestartBot(ctx, sig)
//	r.SetBotEnv(key, value) // for the next start
//	r.StopMattermost(), r.StartMattermost(ctx) // same port and data; sessions stay valid
//	r.SetMattermostEnv(key, value)             // for its next start, e.g. rate limits on
//	r.Postgres()                               // *pgserver.Server: Restart, StopKeep, StartAgain
//	r.BotLog(n), r.MattermostLog(n)
//
// Waits last Options.WaitTimeout (30 s) and fail the test with what was awaited, what was
// seen instead, and the end of the bot's and Mattermost's logs.
//
// # Sharing one rig
//
// The e2e package starts one rig in TestMain and its tests share it. Tests that only add
// their own events, lots and channels run with t.Parallel(); tests that stop the bot or
// Mattermost must not (Go runs every non-parallel test before releasing the parallel ones),
// and must leave both running. A test that counts posts uses a channel of its own
// (NewChannel), and matches posts by something unique to it (an event or lot title).
// Buttons are found by their label: posts the API returns have their integrations (URL and
// context) stripped, their ids and labels kept.
package mmrig
