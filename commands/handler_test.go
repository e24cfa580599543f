package commands_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/commands"
	"guichet.dev/guichet/db"
	"guichet.dev/guichet/db/dbtest"
	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/l10n"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fakeChat is a Mattermost with users "u-<username>" for every username it is told about,
// channels "c-<name>", and private channels the bot cannot join.
type fakeChat struct {
	mu       sync.Mutex
	users    map[string]bool
	channels map[string]bool
	private  map[string]bool
	joined   map[string]int
	dialogs  []guichet.Dialog
	failOpen error
}

func newFakeChat() *fakeChat {
	return &fakeChat{users: map[string]bool{}, channels: map[string]bool{}, private: map[string]bool{}, joined: map[string]int{}}
}

func (f *fakeChat) UserByUsername(_ context.Context, username string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := strings.TrimPrefix(username, "@")
	if !f.users[u] {
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrUsername", "Value", u)
	}
	return "u-" + u, nil
}

func (f *fakeChat) ChannelByName(_ context.Context, teamID, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := strings.TrimPrefix(name, "~")
	if teamID != "team" || !f.channels[n] {
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrCannotJoin", "Channel", n)
	}
	return "c-" + n, nil
}

func (f *fakeChat) JoinChannel(_ context.Context, channelID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.private[channelID] {
		return guichet.Errorf(guichet.EFORBIDDEN, "ErrCannotJoin", "Channel", channelID)
	}
	f.joined[channelID]++
	return nil
}

func (f *fakeChat) OpenDialog(_ context.Context, triggerID, userID string, d guichet.Dialog) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOpen != nil {
		return f.failOpen
	}
	if triggerID == "" || userID == "" {
		return errors.New("no trigger")
	}
	f.dialogs = append(f.dialogs, d)
	return nil
}

func (f *fakeChat) lastDialog(t *testing.T) guichet.Dialog {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.dialogs, "no dialog opened")
	return f.dialogs[len(f.dialogs)-1]
}

func (f *fakeChat) addUsers(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range names {
		f.users[n] = true
	}
}

func (f *fakeChat) joinCount(channelID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.joined[channelID]
}

const coordChannel = "c-coordination"

var coord = guichet.Actor{UserID: "u-coord", Username: "coord"}

func member(username string) guichet.Actor {
	return guichet.Actor{UserID: "u-" + username, Username: username}
}

type bundle struct {
	ctx  context.Context
	db   *db.DB
	chat *fakeChat
	h    *commands.Handler
	now  time.Time
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	d := dbtest.New(t)
	chat := newFakeChat()
	chat.addUsers("coord")
	b := &bundle{ctx: context.Background(), db: d, chat: chat, now: time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC)}
	d.Now = func() time.Time { return b.now }
	b.h = commands.New(commands.Deps{
		Store:   d,
		Chat:    chat,
		Access:  guichet.NewAccess(d, coord.UserID),
		Catalog: l10n.New(),
		Sheets:  d,
		Locale:  "fr",
		Now:     func() time.Time { return b.now },
	})
	return b
}

// run types text as actor in channel and returns the private answer.
func (b *bundle) run(t *testing.T, actor guichet.Actor, channelID, text string) string {
	t.Helper()
	reply := b.h.HandleCommand(b.ctx, guichet.CommandRequest{Actor: actor, ChannelID: channelID, TeamID: "team", Text: text, TriggerID: "trigger"})
	require.False(t, reply.InChannel)
	require.NotContains(t, reply.Text, "<no value>", reply.Text)
	require.NotRegexp(t, `^\[[A-Za-z]+\]$`, reply.Text)
	return reply.Text
}

// submit submits a dialog the commands opened.
func (b *bundle) submit(t *testing.T, actor guichet.Actor, channelID string, d guichet.Dialog, fields map[string]any) guichet.DialogReply {
	t.Helper()
	return b.h.HandleDialog(b.ctx, guichet.DialogSubmission{Actor: actor, CallbackID: d.CallbackID, ChannelID: channelID, TeamID: "team", State: d.State, Submission: fields})
}

func (b *bundle) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &n, query, args...))
	return n
}

// notices returns the message ids of the notices queued, in order.
func (b *bundle) notices(t *testing.T) []string {
	t.Helper()
	var ids []string
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &ids, `SELECT payload->>'message_id' FROM outbox WHERE kind = 'notice' ORDER BY id`))
	return ids
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	return string(assises.Read(name))
}

// fixtureUsers makes the fixture's members and channels exist in the fake Mattermost.
func (b *bundle) fixtureUsers(t *testing.T) {
	t.Helper()
	recs, err := commands.ReadSuppliers([]byte(readFixture(t, "suppliers.csv")))
	require.NoError(t, err)
	for _, r := range recs {
		for _, m := range r.Supplier.Members {
			b.chat.addUsers(m.Username)
		}
		b.chat.mu.Lock()
		b.chat.channels[r.Supplier.ChannelName] = true
		b.chat.mu.Unlock()
	}
}

// assises creates the Assises event in the coordination channel and imports the fixture's
// suppliers and lots through the dialogs: two coordinator actions.
func (b *bundle) assises(t *testing.T) {
	t.Helper()
	b.fixtureUsers(t)
	out := b.run(t, coord, coordChannel, `event create assises-2011 2011-04-15 "Assises métropolitaines de la Politique de la Ville" venue="Cité des Congrès, Nantes" client="Nantes Métropole"`)
	require.Contains(t, out, "vendredi 15 avril 2011")
	require.Equal(t, "", b.run(t, coord, coordChannel, "supplier import"))
	reply := b.submit(t, coord, coordChannel, b.chat.lastDialog(t), map[string]any{"csv": readFixture(t, "suppliers.csv")})
	require.Empty(t, reply.Errors)
	require.Equal(t, "", b.run(t, coord, coordChannel, "lot import"))
	d := b.chat.lastDialog(t)
	require.Equal(t, "cmd.lot.import", d.CallbackID)
	require.Equal(t, "assises-2011", d.State)
	reply = b.submit(t, coord, coordChannel, d, map[string]any{"csv": readFixture(t, "lots.csv")})
	require.Empty(t, reply.Errors)
}

func TestAssisesReplay(t *testing.T) {
	b := setup(t)
	b.assises(t)
	require.Equal(t, 1, b.chat.joinCount(coordChannel), "the bot joins the coordination channel")
	require.Equal(t, 19, b.count(t, `SELECT count(*) FROM suppliers WHERE channel_id <> ''`))
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM supplier_members WHERE user_id = ''`))
	require.Equal(t, 1, b.chat.joinCount("c-tak-apres"))
	require.Equal(t, 14, b.count(t, `SELECT count(*) FROM lots`))
	require.Equal(t, []string{"CmdSuppliersImported", "CmdLotsImported"}, b.notices(t), "each dialog's outcome comes as a direct message")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'notice' AND payload->>'user_id' = 'u-coord'`))

	out := b.run(t, coord, coordChannel, "publish")
	require.Contains(t, out, "28 offres de")
	require.NotContains(t, out, "⚠️", "every lot has a reachable supplier")
	posts := b.count(t, `SELECT count(*) FROM offer_posts`)
	require.Greater(t, posts, 14)
	require.Contains(t, b.run(t, coord, coordChannel, "publier"), "Rien de nouveau", "publishing again posts nothing new")
	require.Equal(t, posts, b.count(t, `SELECT count(*) FROM offer_posts`))

	// Each structure's first member claims its 2011 share from the structure's channel.
	recs, err := commands.ReadSuppliers([]byte(readFixture(t, "suppliers.csv")))
	require.NoError(t, err)
	byName := map[string]*guichet.Supplier{}
	for _, r := range recs {
		byName[r.Supplier.Name] = r.Supplier
	}
	rows, err := csv.NewReader(strings.NewReader(readFixture(t, "replay.csv"))).ReadAll()
	require.NoError(t, err)
	for _, row := range rows[1:] {
		s := byName[row[1]]
		require.NotNil(t, s, row[1])
		out := b.run(t, member(s.Members[0].Username), "c-"+s.ChannelName, "prendre "+row[0]+" "+row[2])
		require.Contains(t, out, "prend le lot `"+row[0]+"`", "%s claiming %v", s.Name, row)
	}

	out = b.run(t, coord, coordChannel, "status")
	require.Contains(t, out, "Lots pourvus\u202f: 14/14")
	require.Contains(t, out, "attribué\u202f: 19\u202f210,00\u00a0€ sur 19\u202f210,00\u00a0€")
	require.Equal(t, 26, b.count(t, `SELECT count(*) FROM claims WHERE status = 'awarded'`))
	require.Equal(t, 1921000, b.count(t, `SELECT sum(amount_cents) FROM claims WHERE status = 'awarded'`))
	require.Equal(t, 19, b.count(t, `SELECT count(DISTINCT supplier_id) FROM claims WHERE status = 'awarded'`))

	out = b.run(t, member("takapres.anne"), "c-tak-apres", "meslots")
	for _, code := range []string{"ACC", "DEJ", "PCM", "PCA"} {
		require.Contains(t, out, "assises-2011/"+code)
	}
	require.Contains(t, out, "attribué")

	out = b.run(t, coord, coordChannel, "historique DEJ")
	require.Contains(t, out, "Méli-Mélo d'Oser Forêt Vivante obtient 120 couverts")
	require.Contains(t, out, "@coord ajoute le lot")
}

func TestHelp(t *testing.T) {
	b := setup(t)
	out := b.run(t, member("anyone"), "c-x", "aide")
	require.Contains(t, out, "**Coordination**")
	require.Contains(t, out, "**Structures**")
	// In French, the French words of each command.
	for _, cmd := range []string{"événement créer", "événement liste", "événement voir", "structure ajouter", "structure liste", "structure importer",
		"lot ajouter", "lot liste", "lot annuler", "lot importer", "publier", "statut", "attribuer", "refuser", "rappel", "bilan", "payer",
		"historique", "coordination ajouter",
		"prendre", "libérer", "mes-lots", "aide"} {
		require.Contains(t, out, "`/guichet "+cmd, cmd)
	}
	require.Contains(t, out, "Exemple\u202f: `/guichet lot ajouter DEJ \"Déjeuner\" category=restauration", "the list shows examples")
	require.Less(t, len(out), 16000, "the list fits in one message")
	require.Equal(t, out, b.run(t, member("anyone"), "c-x", ""), "an empty command lists the commands")

	out = b.run(t, member("anyone"), "c-x", "aide prendre")
	require.Contains(t, out, "`/guichet prendre <lot> [quantité]")
	require.Contains(t, out, "Exemple\u202f: `/guichet prendre DEJ 110")
	require.Contains(t, out, "`prendre`")

	out = b.run(t, member("anyone"), "c-x", "aide bilan")
	require.Contains(t, out, "`/guichet bilan [<événement>] [--preview]`")
	require.Contains(t, out, "`bilan`")
	out = b.run(t, member("anyone"), "c-x", "aide payé")
	require.Contains(t, out, "Exemple\u202f: `/guichet payer \"Le Goût des Autres\" 1320,50")
	require.Contains(t, out, "`paiement`")
	require.Contains(t, b.run(t, member("anyone"), "c-x", "aide rappel"), "`/guichet rappel [<événement>] j7|j1 [--preview]`")

	out = b.run(t, member("anyone"), "c-x", "aide lot")
	require.Contains(t, out, "lot ajouter")
	require.NotContains(t, out, "`/guichet prendre")
}

func TestSyntaxErrorsNameTheRightForm(t *testing.T) {
	b := setup(t)
	tests := map[string]struct{ text, want string }{
		"unknown":       {"bonjour", "«\u202fbonjour\u202f» n'est pas une commande de Guichet. Tapez `/guichet aide`"},
		"missing title": {"lot add DEJ category=restauration qty=1 budget=1", "Il manque l'intitulé du lot. Écrivez\u202f: `/guichet lot ajouter [<événement>] <CODE> \"<intitulé>\""},
		"bad amount":    {"lot add DEJ Déjeuner category=r qty=1 budget=12,345", "«\u202f12,345\u202f» a plus de deux chiffres après la virgule"},
		"bad lot":       {"claim 12", "«\u202f12\u202f» n'est pas un lot\u202f: écrivez son code, `DEJ`"},
		"quote":         {`supplier add "Romsi categories=a`, "Un guillemet \" n'est pas refermé"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, b.run(t, coord, coordChannel, tc.text), tc.want)
		})
	}
}

func TestSupplierCannotRunCoordinatorCommands(t *testing.T) {
	b := setup(t)
	b.assises(t)
	events, lots := b.count(t, `SELECT count(*) FROM events`), b.count(t, `SELECT count(*) FROM lots`)
	audit := b.count(t, `SELECT count(*) FROM audit_trail`)
	romsi := member("romsi.ana")
	for _, text := range []string{
		"event create autre 2012-01-01 Autre", "event create", "lot add assises-2011 XYZ Truc category=a qty=1 budget=1",
		"lot cancel assises-2011/DEJ", "publish assises-2011", "award assises-2011/DEJ Romsi", "decline assises-2011/DEJ Romsi",
		"coordinator add @romsi.ana", "coordinator add @romsi.ana assises-2011", "coordinator remove @coord assises-2011", "coordinator list assises-2011",
		"supplier add Romsi categories=restauration", "supplier import", "supplier bind Romsi", "lot import assises-2011",
		"status assises-2011", "history assises-2011/DEJ",
		"remind assises-2011 j1", "remind assises-2011 j7 --preview", "recap assises-2011", "bilan assises-2011 aperçu",
		"paid Romsi 10 assises-2011", "payé «\u202fRomsi\u202f» 10",
	} {
		out := b.run(t, romsi, "c-romsi", text)
		require.Equal(t, "Cette commande est réservée à la coordination. Vous pouvez consulter vos lots avec `/guichet mes-lots`.", out, text)
	}
	require.Len(t, b.chat.dialogs, 2, "no dialog opened for the supplier")
	require.Equal(t, events, b.count(t, `SELECT count(*) FROM events`))
	require.Equal(t, lots, b.count(t, `SELECT count(*) FROM lots`))
	require.Equal(t, audit, b.count(t, `SELECT count(*) FROM audit_trail`), "nothing changed")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM event_coordinators`), "the creator only")

	// A dialog submitted by a supplier (with a state the bot signed for them) changes nothing.
	reply := b.submit(t, romsi, "c-romsi", guichet.Dialog{CallbackID: "cmd.supplier.import"}, map[string]any{"csv": "name,categories\nIntrus,a\n"})
	require.Contains(t, reply.Errors["csv"], "réservée à la coordination")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM suppliers WHERE name = 'Intrus'`))
}

func TestClaimForAnotherStructureIsRefused(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	out := b.run(t, member("romsi.ana"), "c-romsi", `claim DEJ 100 structure="Le Goût des Autres"`)
	require.Equal(t, "Vous n'êtes pas membre de cette structure\u202f: vous ne pouvez pas agir en son nom. Demandez à la coordination de vous ajouter.", out)
	out = b.run(t, member("romsi.ana"), "c-romsi", `release DEJ structure="TAK-APRES"`)
	require.Contains(t, out, "Vous n'êtes pas membre de cette structure")
	out = b.run(t, member("stranger"), "c-x", "claim DEJ 100")
	require.Contains(t, out, "Vous n'êtes membre d'aucune structure")
	out = b.run(t, member("romsi.ana"), "c-romsi", `claim DEJ 100 structure="Personne"`)
	require.Contains(t, out, "Aucune structure «\u202fPersonne\u202f»")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM claims`), "nothing changed")
}

func TestMemberOfSeveralStructuresSaysWhich(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.chat.addUsers("marie")
	b.run(t, coord, coordChannel, `supplier add Kenja categories=tenues,pochettes channel=~kenja members=@kenja.malik,@marie`)
	b.run(t, coord, coordChannel, `supplier add "Regart's" categories=tenues,pochettes channel=~regarts members=@regarts.zoe,@marie`)
	b.run(t, coord, coordChannel, "publish")
	out := b.run(t, member("marie"), "c-kenja", "claim POC 100")
	require.Equal(t, "Vous êtes membre de plusieurs structures («\u202fKenja\u202f», «\u202fRegart's\u202f»)\u202f: dites pour laquelle, par exemple `/guichet claim POC 100 structure=\"Kenja\"`.", out)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM claims`))
	out = b.run(t, member("marie"), "c-kenja", `claim POC 100 structure="regart's"`)
	require.Contains(t, out, "**Regart's** prend le lot `POC`")
	// Releasing needs no structure: only one of hers holds the lot.
	out = b.run(t, member("marie"), "c-kenja", "release POC")
	require.Contains(t, out, "**Regart's** libère le lot `POC`")
}

func TestReviewModeAwardAndDecline(t *testing.T) {
	b := setup(t)
	b.assises(t)
	out := b.run(t, coord, coordChannel, `lot add TRA "Traiteur du soir" category=restauration qty=100 unit=couverts budget="2 000" mode=shared max=2 award=review`)
	require.Contains(t, out, "sur candidature")
	b.run(t, coord, coordChannel, "publish")
	for _, u := range []string{"romsi.ana", "goutdesautres.jo", "melimelo.sami"} {
		out := b.run(t, member(u), "c-x", `claim TRA 50 note="devis joint"`)
		require.Contains(t, out, "Candidature de", u)
	}
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM claims WHERE status = 'pending'`))
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeCandidacy'`))

	out = b.run(t, coord, coordChannel, "attribuer TRA Romsi")
	require.Equal(t, "🎉 Lot `TRA` — Traiteur du soir attribué à **Romsi** (50 couverts, 1\u202f000,00\u00a0€). La structure est prévenue.", out)
	out = b.run(t, coord, coordChannel, `refuser TRA "Méli-Mélo d'Oser Forêt Vivante" motif="Trop loin"`)
	require.Contains(t, out, "refusée")
	require.Contains(t, out, "1 candidature encore en attente")
	out = b.run(t, coord, coordChannel, `award TRA "Le Goût des Autres"`)
	require.Contains(t, out, "attribué à **Le Goût des Autres**")
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeAwarded'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeDeclined' AND payload->'args'->>'Reason' = 'Trop loin'`))
	out = b.run(t, coord, coordChannel, "status")
	require.Contains(t, out, "✅ `TRA` Traiteur du soir — 100/100 couverts — pourvu — Romsi (50, 1\u202f000,00\u00a0€), Le Goût des Autres (50, 1\u202f000,00\u00a0€)")
	out = b.run(t, coord, coordChannel, "award TRA Emoqui")
	require.Contains(t, out, "n'a pas de candidature en attente")
}

func TestWithdrawalReopensAndTellsTheCoordinator(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, `lot add SON "Sonorisation" category=location-materiel qty=1 budget=800 award=review`)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, member("peps.julie"), "c-peps", "claim SON")
	b.run(t, member("mallecreative.hugo"), "c-malle-creative", `claim SON note="en réserve"`)
	b.run(t, coord, coordChannel, `award SON "La Pep's"`)

	out := b.run(t, member("peps.julie"), "c-peps", `libérer SON motif="camion en panne"`)
	require.Equal(t, "↩️ **La Pep's** libère le lot `SON` — Sonorisation (1 ). La coordination est prévenue et le lot de nouveau proposé.", out)
	var payload struct {
		Args    string `db:"args"`
		Channel string `db:"channel"`
	}
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &payload, `SELECT payload->>'args' AS args, payload->>'channel_id' AS channel
		FROM outbox WHERE payload->>'message_id' = 'NoticeWithdrawn'`))
	require.Equal(t, coordChannel, payload.Channel)
	var args map[string]any
	require.NoError(t, json.Unmarshal([]byte(payload.Args), &args))
	notice := l10n.New().T("fr", "NoticeWithdrawn", args)
	require.Contains(t, notice, "Motif\u202f: «\u202fcamion en panne\u202f»")
	require.Contains(t, notice, "1 candidature en attente, la première de **La Malle créative**\u202f: pour lui donner la place, `/guichet attribuer SON \"La Malle créative\"`",
		"the coordinator is offered to give the place to the first waiting candidate")
	st := b.lotState(t, "SON")
	require.Equal(t, guichet.LotOpen, st.Lot.Status)

	// The coordinator confirms: the waiting candidate gets the place.
	out = b.run(t, coord, coordChannel, `award SON "La Malle créative"`)
	require.Contains(t, out, "attribué à **La Malle créative**")
	require.Equal(t, guichet.LotFilled, b.lotState(t, "SON").Lot.Status)

	out = b.run(t, member("peps.julie"), "c-peps", "release SON")
	require.Equal(t, "Votre structure n'a rien sur le lot SON\u202f: rien à libérer.", out)
}

func (b *bundle) lotState(t *testing.T, code string) *guichet.LotState {
	t.Helper()
	e, err := b.db.EventBySlug(b.ctx, "assises-2011")
	require.NoError(t, err)
	l, err := b.db.LotByCode(b.ctx, e.ID, code)
	require.NoError(t, err)
	st, err := b.db.LotState(b.ctx, l.ID)
	require.NoError(t, err)
	return st
}

func TestDeadlineClosesClaims(t *testing.T) {
	b := setup(t)
	b.assises(t)
	out := b.run(t, coord, coordChannel, `lot add BIS "Biscuits" category=pause-cafe qty=10 budget=50 deadline="2011-03-10 18:00"`)
	require.Contains(t, out, "jusqu'au jeudi 10 mars 2011, 18 h 00")
	st := b.lotState(t, "BIS")
	require.Equal(t, time.Date(2011, 3, 10, 17, 0, 0, 0, time.UTC), st.Lot.Deadline.UTC(), "the deadline is Paris time")
	b.run(t, coord, coordChannel, "publish")
	b.now = time.Date(2011, 3, 10, 17, 0, 0, 0, time.UTC)
	out = b.run(t, member("emoqui.tom"), "c-emoqui", "claim BIS")
	require.Equal(t, "Le lot BIS est clos\u202f: la date limite est passée.", out)
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM claims`))
}

func TestCancelTellsClaimants(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, member("emoqui.tom"), "c-emoqui", "claim PCM 150")
	b.run(t, member("napce.lina"), "c-napce", "claim PCM 150")
	out := b.run(t, coord, coordChannel, `lot cancel PCM reason="Pause fournie par la salle"`)
	require.Equal(t, "❌ Lot `PCM` — Pause café du matin annulé. 2 structures concernées sont prévenues. Ses offres sont mises à jour.", out)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeLotCancelled'`))
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM claims WHERE status = 'cancelled'`))
	require.Contains(t, b.run(t, coord, coordChannel, "lot cancel PCM"), "déjà annulé")
	require.Equal(t, "Le lot PCM a été annulé\u202f: il ne peut plus être pris.", b.run(t, member("takapres.anne"), "c-tak-apres", "claim assises-2011/PCM 10"))
}

func TestSupplierChannelsTheBotCannotJoin(t *testing.T) {
	b := setup(t)
	b.run(t, coord, coordChannel, "event create assises-2011 2011-04-15 Assises")
	b.chat.addUsers("ana", "bo")
	b.chat.channels["romsi"] = true
	b.chat.channels["secret"] = true
	b.chat.private["c-secret"] = true

	out := b.run(t, coord, coordChannel, "supplier add Romsi categories=restauration channel=~romsi members=@ana")
	require.Equal(t, "✅ Structure **Romsi** ajoutée — catégories\u202f: restauration — canal ~romsi — membres\u202f: @ana.", out)
	require.Equal(t, 1, b.chat.joinCount("c-romsi"))

	// Updating a structure keeps what the command does not say.
	out = b.run(t, coord, coordChannel, "supplier add Romsi categories=restauration,pause-cafe")
	require.Equal(t, "✅ Structure **Romsi** mise à jour — catégories\u202f: restauration, pause-cafe — canal ~romsi — membres\u202f: @ana.", out)
	s, err := b.db.SupplierByRef(b.ctx, "romsi")
	require.NoError(t, err)
	require.Equal(t, "c-romsi", s.ChannelID)
	require.Equal(t, []guichet.Member{{UserID: "u-ana", Username: "ana"}}, s.Members)

	out = b.run(t, coord, coordChannel, "supplier add Secret categories=restauration channel=~secret members=@bo")
	require.Contains(t, out, "Structure **Secret** ajoutée")
	require.Contains(t, out, "Je ne peux pas rejoindre le canal ~secret (canal privé\u202f?)\u202f: invitez-moi avec `/invite @guichet`")

	out = b.run(t, coord, coordChannel, "supplier add Ailleurs categories=restauration channel=~nulle-part")
	require.Contains(t, out, "Je ne trouve pas le canal ~nulle-part")
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM suppliers`))

	out = b.run(t, coord, coordChannel, "supplier add Fantome categories=restauration members=@inconnu")
	require.Equal(t, "Aucun utilisateur @inconnu sur Mattermost\u202f: vérifiez l'orthographe (c'est le nom après @ dans son profil).", out)
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM suppliers`), "nothing saved")

	// At publication the bot looks again, and says which channels will not get the offers.
	b.run(t, coord, coordChannel, `lot add DEJ Déjeuner category=restauration qty=10 budget=100`)
	b.chat.channels["nulle-part"] = true
	out = b.run(t, coord, coordChannel, "publish")
	require.Contains(t, out, "Je ne peux pas rejoindre le canal ~secret")
	require.NotContains(t, out, "nulle-part", "found now")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM suppliers WHERE channel_id = 'c-nulle-part'`))
	require.Equal(t, 1, b.chat.joinCount("c-nulle-part"))

	out = b.run(t, coord, coordChannel, "lot add CAF Café category=cafe qty=1 budget=1")
	require.Contains(t, out, "Lot `CAF`")
	require.Contains(t, b.run(t, coord, coordChannel, "publish"), "Aucune structure joignable ne sert la catégorie «\u202fcafe\u202f» du lot `CAF`")
}

func TestSupplierImportErrorNamesRowAndColumn(t *testing.T) {
	b := setup(t)
	b.fixtureUsers(t)
	b.run(t, coord, coordChannel, "event create assises-2011 2011-04-15 Assises")
	b.run(t, coord, coordChannel, "supplier import")
	data := strings.Replace(readFixture(t, "suppliers.csv"), "romsi.ana", "romsi.ana;personne.ici", 1)
	reply := b.submit(t, coord, coordChannel, b.chat.lastDialog(t), map[string]any{"csv": data})
	require.Equal(t, "Ligne 9, colonne D «\u202fmembers\u202f»\u202f: Aucun utilisateur @personne.ici sur Mattermost\u202f: vérifiez l'orthographe (c'est le nom après @ dans son profil). Rien n'a été importé\u202f: corrigez et recommencez.", reply.Errors["csv"])
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM suppliers`))
	require.Empty(t, b.notices(t))
}

func TestLotImportOfFortyRowsWithOneBadRowImportsNothing(t *testing.T) {
	b := setup(t)
	b.run(t, coord, coordChannel, "event create assises-2011 2011-04-15 Assises")
	var rows []string
	rows = append(rows, "code;title;category;quantity;unit;budget_eur")
	for i := 0; i < 40; i++ {
		budget := "1 234,50"
		if i == 22 {
			budget = "1 234,567"
		}
		rows = append(rows, fmt.Sprintf("L%d;Lot %d;restauration;10;couverts;%s", i, i, budget))
	}
	b.run(t, coord, coordChannel, "lot import")
	reply := b.submit(t, coord, coordChannel, b.chat.lastDialog(t), map[string]any{"csv": strings.Join(rows, "\n")})
	require.Equal(t, "Ligne 24, colonne F «\u202fbudget_eur\u202f»\u202f: «\u202f1 234,567\u202f» a plus de deux chiffres après la virgule\u202f: un montant s'écrit au centime près, par exemple `12,35`. Rien n'a été importé\u202f: corrigez et recommencez.", reply.Errors["csv"])
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM lots`))

	// A code the event already has is named with its row too.
	b.run(t, coord, coordChannel, "lot add L5 Existant category=r qty=1 budget=1")
	rows[23] = strings.Replace(rows[23], "1 234,567", "1 234,56", 1)
	reply = b.submit(t, coord, coordChannel, b.chat.lastDialog(t), map[string]any{"csv": strings.Join(rows, "\n")})
	require.Contains(t, reply.Errors["csv"], "Ligne 7, colonne A «\u202fcode\u202f»\u202f: Le code `L5` est déjà pris")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM lots`))
	rows[6] = strings.Replace(rows[6], "L5;", "L5B;", 1)
	reply = b.submit(t, coord, coordChannel, b.chat.lastDialog(t), map[string]any{"csv": strings.Join(rows, "\n")})
	require.Empty(t, reply.Errors)
	require.Equal(t, 41, b.count(t, `SELECT count(*) FROM lots`))
}

func TestEventCreateDialog(t *testing.T) {
	b := setup(t)
	require.Equal(t, "", b.run(t, coord, coordChannel, "événement créer"))
	d := b.chat.lastDialog(t)
	require.Equal(t, "cmd.event.create", d.CallbackID)
	require.LessOrEqual(t, len([]rune(d.Title)), 24)
	for _, el := range d.Elements {
		require.LessOrEqual(t, len([]rune(el.DisplayName)), 24, el.Name)
		require.LessOrEqual(t, len([]rune(el.HelpText)), 150, el.Name)
	}
	reply := b.submit(t, coord, coordChannel, d, map[string]any{"slug": "assises-2011", "day": "15/13/2011", "name": "Assises", "locale": "fr"})
	require.Contains(t, reply.Errors["day"], "n'est pas une date")
	reply = b.submit(t, coord, coordChannel, d, map[string]any{"slug": "Assises 2011", "day": "15/04/2011", "name": "Assises", "locale": "fr"})
	require.Contains(t, reply.Errors["slug"], "ne convient pas comme identifiant")
	reply = b.submit(t, coord, coordChannel, d, map[string]any{"slug": "assises-2011", "day": "15/04/2011", "name": "Assises",
		"tz": "Europe/Paris", "reminders": "J-7@09:00,J-1@09:00", "locale": "en", "venue": nil})
	require.Empty(t, reply.Errors)
	e, err := b.db.EventByChannel(b.ctx, coordChannel)
	require.NoError(t, err)
	require.Equal(t, "assises-2011", e.Slug)
	require.Equal(t, "en", e.Locale)
	require.Equal(t, []string{"CmdEventCreatedNotice"}, b.notices(t))
	reply = b.submit(t, coord, coordChannel, d, map[string]any{"slug": "assises-2011", "day": "2011-04-15", "name": "Encore"})
	require.Contains(t, reply.Errors["slug"], "already has the identifier", "the channel's event speaks English now")

	// The supplier and lot import dialogs fit Mattermost's limits too.
	b.run(t, coord, coordChannel, "supplier import")
	b.run(t, coord, coordChannel, "lot import")
	for _, d := range b.chat.dialogs[1:] {
		require.LessOrEqual(t, len([]rune(d.Title)), 24)
		for _, el := range d.Elements {
			require.LessOrEqual(t, len([]rune(el.DisplayName)), 24)
			require.LessOrEqual(t, len([]rune(el.HelpText)), 150)
			require.Equal(t, 3000, el.MaxLength)
		}
	}
}

func TestEnglishEventAnswersInEnglish(t *testing.T) {
	b := setup(t)
	out := b.run(t, coord, coordChannel, `event create conf 2011-04-15 "City conference" locale=en`)
	require.Equal(t, "✅ Event **City conference** (`conf`) created for Friday 15 April 2011 and bound to this channel.\nNext: `/guichet supplier import` for the structures, `/guichet lot import` for the lots, then `/guichet publish`.", out)
	out = b.run(t, coord, coordChannel, "lot add LUN Lunch category=catering qty=100 budget=1234.5")
	require.Contains(t, out, "✅ Lot `LUN` — Lunch added to `conf`: 100  — €1,234.50 — exclusive — category catering.")
	require.Contains(t, b.run(t, coord, coordChannel, "bonjour"), "is not a Guichet command")
	require.Contains(t, b.run(t, coord, "c-elsewhere", "bonjour"), "n'est pas une commande", "outside the event, the default language")
}

func TestLotWithoutEventOutsideTheChannel(t *testing.T) {
	b := setup(t)
	b.run(t, coord, coordChannel, "event create a 2011-04-15 A")
	b.run(t, coord, "c-other", "event create b 2011-05-15 B")
	b.chat.addUsers("ana")
	b.chat.channels["romsi"] = true
	b.run(t, coord, coordChannel, "supplier add Romsi categories=restauration channel=~romsi members=@ana")
	b.run(t, coord, coordChannel, "lot add DEJ Déjeuner category=restauration qty=10 budget=100")
	b.run(t, coord, coordChannel, "publish")
	out := b.run(t, member("ana"), "c-romsi", "claim DEJ")
	require.Contains(t, out, "**Romsi** prend le lot `DEJ`", "only event a has a DEJ")
	b.run(t, coord, "c-other", "lot add DEJ Déjeuner category=restauration qty=10 budget=100")
	b.run(t, coord, "c-other", "publish")
	out = b.run(t, member("ana"), "c-romsi", "release DEJ")
	require.Equal(t, "Plusieurs événements ont un lot `DEJ`\u202f: précisez lequel, `b/DEJ`, `a/DEJ`.", out)
	out = b.run(t, member("ana"), "c-romsi", "release a/DEJ")
	require.Contains(t, out, "libère le lot `DEJ`")
	require.Contains(t, b.run(t, member("ana"), "c-romsi", "claim ZZZ"), "Aucun lot `ZZZ`")
}

func TestListsAndShow(t *testing.T) {
	b := setup(t)
	require.Contains(t, b.run(t, coord, coordChannel, "event list"), "Aucun événement")
	require.Contains(t, b.run(t, coord, coordChannel, "supplier list"), "L'annuaire est vide")
	require.Contains(t, b.run(t, coord, coordChannel, "status"), "Ce canal n'est lié à aucun événement")
	b.assises(t)
	out := b.run(t, coord, coordChannel, "event list")
	require.Contains(t, out, "- `assises-2011` — **Assises métropolitaines de la Politique de la Ville** — vendredi 15 avril 2011 — brouillon — lié à ce canal")
	out = b.run(t, coord, "c-elsewhere", "event show assises-2011")
	require.Contains(t, out, "- Lieu\u202f: Cité des Congrès, Nantes")
	require.Contains(t, out, "- Lots\u202f: 14, budget total 19\u202f210,00\u00a0€")
	require.NotContains(t, out, "Lié à ce canal")
	out = b.run(t, coord, coordChannel, "supplier list")
	require.Contains(t, out, "**Annuaire (19 structures)**")
	require.Contains(t, out, "- **Yves Monteil** — photo — ~yves-monteil — @yves.monteil")
	out = b.run(t, coord, coordChannel, "lot list")
	require.Contains(t, out, "- `DEJ` Déjeuner — 450 couverts — 5\u202f400,00\u00a0€ — partagé (4 structures au plus) — 12:00-14:00 — catégorie restauration — **ouvert** (0/450 pris)")
	require.Contains(t, b.run(t, member("romsi.ana"), "c-romsi", "mylots"), "Vos structures n'ont aucun lot en cours")
}

// fakeChat names its users for display: "u-marie" is @marie.
func (f *fakeChat) Username(_ context.Context, userID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := strings.TrimPrefix(userID, "u-")
	if !f.users[name] {
		return "", guichet.Errorf(guichet.ENOTFOUND, "ErrUserNotFound", "Username", userID)
	}
	return name, nil
}

func TestCoordinatorAddRemoveList(t *testing.T) {
	b := setup(t)
	b.chat.addUsers("marie", "yann")
	b.run(t, coord, coordChannel, "event create assises-2011 2011-04-15 Assises")
	require.Contains(t, b.run(t, coord, coordChannel, "coordinator add @marie"), "@marie coordonne maintenant l'événement **Assises** (`assises-2011`)")
	require.Contains(t, b.run(t, coord, coordChannel, "coordination ajouter @marie assises-2011"), "@marie coordonne déjà")
	marie := member("marie")
	require.Contains(t, b.run(t, marie, coordChannel, "lot add DEJ Déjeuner category=restauration qty=10 budget=100"), "`DEJ`", "marie may now run the event's commands")
	require.Contains(t, b.run(t, marie, "c-marie", "event create autre 2011-05-01 Autre"), "Événement **Autre**", "and create events")
	// marie adds yann to her event; the list names everyone by their current username.
	require.Contains(t, b.run(t, marie, coordChannel, "coordinator add @yann"), "@yann coordonne maintenant")
	out := b.run(t, marie, coordChannel, "coordination liste assises-2011")
	require.Contains(t, out, "- Coordination de l'événement\u202f: @coord, @marie, @yann")
	require.Contains(t, out, "- Administrateurs (tous les événements)\u202f: @coord")
	require.Contains(t, b.run(t, coord, coordChannel, "coordinator add @nobody"), "Aucun utilisateur @nobody")

	// Removing: yann is taken off; he can no longer act on the event.
	require.Contains(t, b.run(t, marie, coordChannel, "coordinator remove @yann assises-2011"), "@yann ne coordonne plus")
	require.Contains(t, b.run(t, member("yann"), coordChannel, "status assises-2011"), "réservée à la coordination")
	require.Contains(t, b.run(t, marie, coordChannel, "coordinator remove @yann assises-2011"), "@yann ne coordonne pas l'événement")
	// The last coordinator stays unless an administrator removes them.
	require.Contains(t, b.run(t, marie, coordChannel, "coordinator remove @coord assises-2011"), "@coord ne coordonne plus")
	require.Contains(t, b.run(t, marie, coordChannel, "coordinator remove @marie assises-2011"), "C'est la dernière personne")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM event_coordinators e JOIN events v ON v.id = e.event_id WHERE v.slug = 'assises-2011'`))
	require.Contains(t, b.run(t, coord, coordChannel, "coordinator remove @marie assises-2011"), "@marie ne coordonne plus")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM event_coordinators e JOIN events v ON v.id = e.event_id WHERE v.slug = 'assises-2011'`))
	require.Contains(t, b.run(t, coord, coordChannel, "coordinator list"), "personne (seuls les administrateurs peuvent y agir)")
	// Every change is audited, with the user id it concerns.
	require.Equal(t, 3, b.count(t, `SELECT count(*) FROM audit WHERE action = 'coordinator.remove'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'coordinator.add' AND detail->>'user_id' = 'u-yann'`))
}

// A coordinator of one event is refused on another, naming it, and nothing changes there.
func TestCoordinatorOfOneEventIsRefusedOnAnother(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	b.run(t, member("romsi.ana"), "c-romsi", "prendre DEJ 100")
	b.chat.addUsers("anne")
	anne := member("anne")
	const other = "c-other"
	b.run(t, coord, other, "event create autre 2011-06-01 Autre")
	require.Contains(t, b.run(t, coord, other, "coordinator add @anne"), "@anne coordonne maintenant")
	require.Contains(t, b.run(t, anne, other, "lot add PCM Pause category=pause-cafe qty=1 budget=10"), "`PCM`")

	events, lots, audit := b.count(t, `SELECT count(*) FROM events`), b.count(t, `SELECT count(*) FROM lots`), b.count(t, `SELECT count(*) FROM audit_trail`)
	outbox := b.count(t, `SELECT count(*) FROM outbox`)
	refused := "Vous ne coordonnez pas l'événement **Assises métropolitaines de la Politique de la Ville** (`assises-2011`)\u202f:"
	for _, text := range []string{
		"paid Romsi 10 assises-2011", "award assises-2011/DEJ Romsi", "recap assises-2011", "lot cancel assises-2011/DEJ",
		"decline assises-2011/DEJ Romsi", "lot add assises-2011 XYZ Truc category=a qty=1 budget=1", "lot list assises-2011",
		"publish assises-2011", "status assises-2011", "remind assises-2011 j1", "recap assises-2011 --preview",
		"history assises-2011/DEJ", "event show assises-2011", "lot import assises-2011",
		"coordinator add @anne assises-2011", "coordinator list assises-2011", "coordinator remove @coord assises-2011",
	} {
		require.Contains(t, b.run(t, anne, other, text), refused, text)
	}
	// In the other event's channel, with the event left out.
	for _, text := range []string{"paid Romsi 10", "award DEJ Romsi", "recap", "lot cancel DEJ", "status", "coordinator add @anne"} {
		require.Contains(t, b.run(t, anne, coordChannel, text), refused, text)
	}
	require.Equal(t, events, b.count(t, `SELECT count(*) FROM events`))
	require.Equal(t, lots, b.count(t, `SELECT count(*) FROM lots`))
	require.Equal(t, audit, b.count(t, `SELECT count(*) FROM audit_trail`), "nothing changed")
	require.Equal(t, outbox, b.count(t, `SELECT count(*) FROM outbox`), "nothing queued")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM payments`))

	// The lot import dialog, opened for her own event, cannot be turned onto another.
	reply := b.submit(t, anne, other, guichet.Dialog{CallbackID: "cmd.lot.import", State: "assises-2011"},
		map[string]any{"csv": "code,title,category,quantity,budget\nXYZ,Truc,a,1,1\n"})
	require.Contains(t, reply.Errors["csv"], "Vous ne coordonnez pas l'événement")
	require.Equal(t, lots, b.count(t, `SELECT count(*) FROM lots`))
	// The administrator acts on every event.
	require.Contains(t, b.run(t, coord, other, "lot list assises-2011"), "`DEJ`")
}

// A member imported without an account stays pending: typing a command under that name binds
// nothing; `supplier bind` binds the account that has the name when a coordinator asks.
func TestPendingMembersAreBoundOnlyByACoordinator(t *testing.T) {
	b := setup(t)
	require.NoError(t, b.db.UpsertSuppliers(b.ctx, coord, []*guichet.Supplier{{Name: "Romsi", Categories: []string{"restauration"},
		Members: []guichet.Member{{Username: "ana"}, {Username: "bea"}}}}))
	mallory := guichet.Actor{UserID: "u-mallory", Username: "ana"}
	require.Contains(t, b.run(t, mallory, "c-romsi", "mylots"), "membre d'aucune structure")
	require.Equal(t, 0, b.count(t, `SELECT count(*) FROM supplier_members WHERE user_id <> ''`), "nobody bound by typing a name")

	b.chat.addUsers("ana")
	require.Contains(t, b.run(t, member("ana"), "c-romsi", "structure lier Romsi"), "réservée à la coordination")
	out := b.run(t, coord, coordChannel, "structure lier Romsi")
	require.Contains(t, out, "1 membre rattaché à son compte Mattermost (@ana)")
	require.Contains(t, out, "Toujours sans compte Mattermost\u202f: @bea")
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM supplier_members WHERE username = 'ana' AND user_id = 'u-ana'`))
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit WHERE action = 'supplier.bind'`))
	require.Contains(t, b.run(t, member("ana"), "c-romsi", "mylots"), "Vos structures n'ont aucun lot en cours")
}

func TestInternalErrorsAreNotShown(t *testing.T) {
	b := setup(t)
	b.chat.failOpen = errors.New("mattermost: connection refused at 127.0.0.1:8065")
	out := b.run(t, coord, coordChannel, "event create")
	require.Equal(t, "Quelque chose s'est mal passé de notre côté. Rien n'a été modifié\u202f; réessayez dans un instant, et prévenez la coordination si cela se répète.", out)
}

func TestClaimTwiceChangesNothing(t *testing.T) {
	b := setup(t)
	b.assises(t)
	b.run(t, coord, coordChannel, "publish")
	first := b.run(t, member("romsi.ana"), "c-romsi", "claim DEJ 110")
	require.Contains(t, first, "110 couverts, 1\u202f320,00\u00a0€")
	out := b.run(t, member("romsi.ana"), "c-romsi", "claim DEJ 50")
	require.Equal(t, "**Romsi** a déjà le lot `DEJ` (110 couverts, attribué)\u202f: rien n'a changé.", out)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims`))
	out = b.run(t, member("goutdesautres.jo"), "c-x", "claim DEJ 400")
	require.Equal(t, "Il ne reste que 340 couverts sur le lot DEJ\u202f: demandez au plus 340.", out)
	out = b.run(t, member("goutdesautres.jo"), "c-x", "claim DEJ")
	require.Contains(t, out, strconv.Itoa(340)+" couverts")
}
