package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/internal/assises"
	"guichet.dev/guichet/internal/mmrig"
	"guichet.dev/guichet/l10n"
)

// The coordinator's and suppliers' workflows, typed in Mattermost as people would: slash
// commands through ExecuteCommand, dialogs through SubmitInteractiveDialog, private answers
// read from the command's response, what the bot posts read from the channels.

// say runs a /guichet command as u in the channel and returns the private answer.
func say(t *testing.T, u *mmrig.User, channelID, text string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	resp, err := u.Command(ctx, channelID, text)
	require.NoError(t, err)
	require.NotEqual(t, model.CommandResponseTypeInChannel, resp.ResponseType, "%q must be answered privately", text)
	require.NotContains(t, resp.Text, "<no value>")
	return resp.Text
}

// submitDialog submits an opened dialog as u, from the channel, with these fields.
func submitDialog(t *testing.T, u *mmrig.User, channelID string, d *model.OpenDialogRequest, fields map[string]any) *model.SubmitDialogResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	resp, _, err := u.Client.SubmitInteractiveDialog(ctx, model.SubmitDialogRequest{
		URL: d.URL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State, UserId: u.ID,
		ChannelId: channelID, TeamId: rig.Team().Id, Submission: fields,
	})
	require.NoError(t, err, "%s submits dialog %s", u.Username, d.Dialog.CallbackId)
	return resp
}

// directChannel returns the id of u's direct channel with the bot.
func directChannel(t *testing.T, u *mmrig.User) string {
	t.Helper()
	ch, _, err := u.Client.CreateDirectChannel(context.Background(), u.ID, rig.BotUserID())
	require.NoError(t, err)
	return ch.Id
}

// botPostContaining waits for a post of the bot in the channel whose text holds every part.
func botPostContaining(t *testing.T, channelID string, parts ...string) *model.Post {
	t.Helper()
	return rig.WaitPost(t, channelID, func(p *model.Post) bool {
		if p.UserId != rig.BotUserID() {
			return false
		}
		text := mmrig.PostText(p)
		for _, part := range parts {
			if !strings.Contains(text, part) {
				return false
			}
		}
		return true
	})
}

func fixtureText(t *testing.T, name string) string {
	t.Helper()
	return string(assises.Read(name))
}

// The Assises 2011 case carried end to end from chat: the event created in its coordination
// channel, the structures and the lots imported in two coordinator actions (one dialog each),
// the offers published, every structure claiming what it took in 2011 from its own channel;
// the answer to status and the board post show every lot filled and the amounts adding up to
// the budgets.
func TestAssisesReplayedFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	coord := rig.Coordinator()
	ch, err := rig.NewChannel(ctx, "wf-assises", coord.Username)
	require.NoError(t, err)
	const slug = "wf-assises"

	out := say(t, coord, ch.Id, `/guichet event create `+slug+` 2031-04-15 "Assises métropolitaines de la Politique de la Ville" venue="Cité des Congrès, Nantes" client="Nantes Métropole"`)
	require.Contains(t, out, "Événement **Assises métropolitaines de la Politique de la Ville** (`"+slug+"`) créé pour le mardi 15 avril 2031")

	watch := coord.Watch(t)
	say(t, coord, ch.Id, "/guichet supplier import")
	d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.supplier.import" })
	resp := submitDialog(t, coord, ch.Id, d, map[string]any{"csv": fixtureText(t, "suppliers.csv")})
	require.Empty(t, resp.Errors)
	say(t, coord, ch.Id, "/guichet lot import")
	d = watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.lot.import" })
	require.NotEmpty(t, d.Dialog.State, "the dialog carries the event, signed")
	resp = submitDialog(t, coord, ch.Id, d, map[string]any{"csv": fixtureText(t, "lots.csv")})
	require.Empty(t, resp.Errors)
	dm := directChannel(t, coord)
	botPostContaining(t, dm, "19 structures importées")
	botPostContaining(t, dm, "14 lots importés")

	out = say(t, coord, ch.Id, "/guichet publish")
	require.Contains(t, out, "offres de **Assises")
	require.NotContains(t, out, "⚠️", "every lot has a structure the bot can reach")

	e, err := rig.DB().EventBySlug(ctx, slug)
	require.NoError(t, err)
	// When the last offer is out, the coordinator who published is told once, by direct
	// message, how many went where.
	ended := botPostContaining(t, dm, "Publication de **"+e.Name+"** terminée")
	posted := count(t, `SELECT count(*) FROM offer_posts o JOIN lots l ON l.id = o.lot_id WHERE l.event_id = $1 AND o.post_id <> ''`, e.ID)
	channels := count(t, `SELECT count(DISTINCT o.channel_id) FROM offer_posts o JOIN lots l ON l.id = o.lot_id
		WHERE l.event_id = $1 AND o.post_id <> ''`, e.ID)
	require.Equal(t, 19, channels, "one channel per structure")
	require.Contains(t, ended.Message, fmt.Sprintf("%d offres publiées dans 19 canaux.", posted))
	require.NotContains(t, ended.Message, "refusée")
	var budgets guichet.Cents
	lots, err := rig.DB().Lots(ctx, e.ID)
	require.NoError(t, err)
	require.Len(t, lots, 14)
	for _, l := range lots {
		budgets += l.Budget
	}
	require.Equal(t, guichet.Cents(1921000), budgets)

	channelOf := map[string]*model.Channel{}
	memberOf := map[string]*mmrig.User{}
	for _, s := range rig.Suppliers() {
		channelOf[s.Name] = rig.Channel(s.Channel)
		memberOf[s.Name] = rig.User(s.Members[0])
	}
	for _, row := range readFixture(t, "replay.csv") {
		name := row["supplier"]
		require.NotNil(t, memberOf[name], name)
		out := say(t, memberOf[name], channelOf[name].Id, "/guichet prendre "+slug+"/"+row["lot"]+" "+row["quantity"])
		require.Contains(t, out, "**"+name+"** prend le lot `"+row["lot"]+"`", "%s claims %s", name, row["lot"])
	}

	total := l10n.Money(budgets, "fr")
	out = say(t, coord, ch.Id, "/guichet status")
	require.Contains(t, out, "Lots pourvus\u202f: 14/14")
	require.Contains(t, out, "attribué\u202f: "+total+" sur "+total)
	require.Equal(t, 19, count(t, `SELECT count(DISTINCT c.supplier_id) FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.status = 'awarded'`, e.ID))
	require.Equal(t, int(budgets), count(t, `SELECT sum(c.amount_cents) FROM claims c JOIN lots l ON l.id = c.lot_id
		WHERE l.event_id = $1 AND c.status = 'awarded'`, e.ID))

	// The board the bot keeps in the coordination channel says the same.
	summary := l10n.New().T("fr", "BoardSummary", map[string]any{"Lots": 14, "Filled": 14, "Open": 0, "Closed": 0,
		"Cancelled": 0, "Awarded": total, "Budget": total})
	botPostContaining(t, ch.Id, summary)

	// A member sees their structure's lots.
	out = say(t, rig.User("takapres.anne"), rig.Channel("tak-apres").Id, "/guichet meslots")
	for _, code := range []string{"ACC", "DEJ", "PCM", "PCA"} {
		require.Contains(t, out, "`"+slug+"/"+code+"`")
	}
}

// Review mode: candidacies with a note, the coordinator awards or declines with a reason, and
// every candidate is told in its channel.
func TestReviewModeFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "wfrev", "Cuisine Nord", "Cuisine Sud", "Cuisine Est")
	out := say(t, w.coord, w.coordChannel.Id, `/guichet lot add TRA "Traiteur du soir" category=`+w.category+` qty=100 unit=couverts budget="2 000" mode=shared max=2 award=review`)
	require.Contains(t, out, "sur candidature")
	require.Contains(t, say(t, w.coord, w.coordChannel.Id, "/guichet publish"), "3 offres")
	ref := w.event.Slug + "/TRA"
	for i := range w.members {
		out := say(t, w.members[i], w.channels[i].Id, `/guichet claim `+ref+` 50 note="devis n°`+fmt.Sprint(i+1)+`"`)
		require.Contains(t, out, "Candidature de **"+w.suppliers[i].Name+"** enregistrée")
	}
	botPostContaining(t, w.coordChannel.Id, "Cuisine Sud", "devis n°2")

	out = say(t, w.coord, w.coordChannel.Id, `/guichet attribuer TRA "Cuisine Nord"`)
	require.Contains(t, out, "attribué à **Cuisine Nord** (50 couverts, 1\u202f000,00\u00a0€)")
	out = say(t, w.coord, w.coordChannel.Id, `/guichet refuser TRA "Cuisine Sud" motif="Trop loin de la salle"`)
	require.Contains(t, out, "refusée")
	out = say(t, w.coord, w.coordChannel.Id, `/guichet award TRA "Cuisine Est"`)
	require.Contains(t, out, "attribué à **Cuisine Est**")

	botPostContaining(t, w.channels[0].Id, "vous est attribué", "1\u202f000,00\u00a0€")
	botPostContaining(t, w.channels[1].Id, "n'a pas été retenue", "Trop loin de la salle")
	botPostContaining(t, w.channels[2].Id, "vous est attribué")

	out = say(t, w.coord, w.coordChannel.Id, "/guichet status")
	require.Contains(t, out, "`TRA` Traiteur du soir — 100/100 couverts — pourvu — Cuisine Nord (50, 1\u202f000,00\u00a0€), Cuisine Est (50, 1\u202f000,00\u00a0€)")
}

// Withdrawal reopens the lot, tells the coordinator with the first waiting candidate, and the
// coordinator gives them the place with the command the notice shows.
func TestWithdrawalAndReofferFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "wfwd", "Son Lumière", "Sono Plus")
	say(t, w.coord, w.coordChannel.Id, `/guichet lot add SON "Sonorisation" category=`+w.category+` qty=1 unit=forfait budget=800 award=review`)
	say(t, w.coord, w.coordChannel.Id, "/guichet publish")
	ref := w.event.Slug + "/SON"
	say(t, w.members[0], w.channels[0].Id, "/guichet claim "+ref)
	say(t, w.members[1], w.channels[1].Id, `/guichet claim `+ref+` note="matériel disponible"`)
	require.Contains(t, say(t, w.coord, w.coordChannel.Id, `/guichet award SON "Son Lumière"`), "attribué à **Son Lumière**")
	l, err := rig.DB().LotByCode(ctx, w.event.ID, "SON")
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, l.Status)

	out := say(t, w.members[0], w.channels[0].Id, `/guichet libérer `+ref+` motif="camion en panne"`)
	require.Contains(t, out, "**Son Lumière** libère le lot `SON`")
	notice := botPostContaining(t, w.coordChannel.Id, "Son Lumière", "camion en panne")
	require.Contains(t, mmrig.PostText(notice), "`/guichet attribuer SON \"Sono Plus\"`", "the notice offers the place to the first waiting candidate")
	l, err = rig.DB().LotByCode(ctx, w.event.ID, "SON")
	require.NoError(t, err)
	require.Equal(t, guichet.LotOpen, l.Status, "the lot is open again")

	// The coordinator confirms with the command the notice gives.
	require.Contains(t, say(t, w.coord, w.coordChannel.Id, `/guichet award SON "Sono Plus"`), "attribué à **Sono Plus**")
	botPostContaining(t, w.channels[1].Id, "vous est attribué")
	l, err = rig.DB().LotByCode(ctx, w.event.ID, "SON")
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, l.Status)
	out = say(t, w.coord, w.coordChannel.Id, "/guichet historique SON")
	require.Contains(t, out, "Son Lumière libère 1 forfait («\u202fcamion en panne\u202f»)")
	require.Contains(t, out, "Sono Plus obtient 1 forfait")
}

// A claim deadline closes the offer: its posts lose their buttons and a late claim is refused.
func TestDeadlineClosesTheOfferFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "wfdl", "Biscuiterie")
	deadline := time.Now().Add(6 * time.Second)
	lot := w.addLot(t, &guichet.Lot{Code: "BIS", Title: "Biscuits de la pause", Quantity: 10, Unit: "boîtes", Budget: 5000, Deadline: &deadline})
	say(t, w.coord, w.coordChannel.Id, "/guichet publish")
	offer := w.offerPost(t, 0, lot, btnClaim)

	rig.Eventually(t, "the lot closes at its deadline", func(ctx context.Context) error {
		l, err := rig.DB().Lot(ctx, lot.ID)
		if err != nil {
			return err
		}
		if l.Status != guichet.LotClosed {
			return fmt.Errorf("lot %s is %s", l.Code, l.Status)
		}
		return nil
	})
	rig.WaitPostByID(t, offer.Id, func(p *model.Post) bool { return mmrig.Button(p, btnClaim) == nil })
	out := say(t, w.members[0], w.channels[0].Id, "/guichet claim "+w.event.Slug+"/BIS")
	require.Equal(t, "Le lot BIS est clos\u202f: la date limite est passée.", out)
	require.Empty(t, claims(t, lot.ID))
}

// A cancelled lot tells its claimants in their channels, and can no longer be taken.
func TestCancelTellsClaimantsFromChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "wfcan", "Café Rond", "Café Carré")
	say(t, w.coord, w.coordChannel.Id, `/guichet lot add PCM "Pause café du matin" category=`+w.category+` qty=450 unit=personnes budget=900 mode=shared max=3`)
	say(t, w.coord, w.coordChannel.Id, "/guichet publish")
	ref := w.event.Slug + "/PCM"
	for i := range w.members {
		require.Contains(t, say(t, w.members[i], w.channels[i].Id, "/guichet prendre "+ref+" 150"), "prend le lot `PCM`")
	}
	out := say(t, w.coord, w.coordChannel.Id, `/guichet lot annuler PCM motif="Pause fournie par la salle"`)
	require.Contains(t, out, "annulé. 2 structures concernées sont prévenues")
	for i := range w.channels {
		botPostContaining(t, w.channels[i].Id, "Pause café du matin", "est annulé", "Pause fournie par la salle")
	}
	require.Equal(t, 2, count(t, `SELECT count(*) FROM claims c JOIN lots l ON l.id = c.lot_id WHERE l.event_id = $1 AND c.status = 'cancelled'`, w.event.ID))
	require.Equal(t, "Le lot PCM a été annulé\u202f: il ne peut plus être pris.", say(t, w.members[0], w.channels[0].Id, "/guichet claim "+ref))
}

// A supplier trying a coordinator command, or claiming for a structure it is not a member of,
// is refused with a clear message, and nothing changes.
func TestSupplierRefusedFromChat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "wfref", "Atelier Un", "Atelier Deux")
	lot := w.addLot(t, &guichet.Lot{Code: "ATE", Title: "Atelier", Quantity: 2, Unit: "jours", Budget: 40000, Mode: guichet.Shared, MaxSuppliers: 2})
	w.publish(t, 2)
	auditBefore := count(t, `SELECT count(*) FROM audit_trail WHERE event_id = $1`, w.event.ID)

	cat := l10n.New()
	notCoordinator := cat.Error("fr", guichet.Errorf(guichet.EFORBIDDEN, "ErrNotCoordinator"))
	m := w.members[0]
	for _, text := range []string{
		"/guichet publish " + w.event.Slug,
		"/guichet lot add " + w.event.Slug + " XYZ Truc category=" + w.category + " qty=1 budget=1",
		"/guichet lot cancel " + w.event.Slug + "/ATE",
		`/guichet award ` + w.event.Slug + `/ATE "Atelier Un"`,
		"/guichet coordinator add @" + m.Username,
		"/guichet status " + w.event.Slug,
	} {
		require.Equal(t, notCoordinator, say(t, m, w.channels[0].Id, text), text)
	}
	out := say(t, m, w.channels[0].Id, `/guichet claim `+w.event.Slug+`/ATE 1 structure="Atelier Deux"`)
	require.Equal(t, cat.Error("fr", guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember")), out)
	open, err := rig.NewChannel(ctx, "wfref-open", "intrus")
	require.NoError(t, err)
	out = say(t, rig.User("intrus"), open.Id, "/guichet claim "+w.event.Slug+"/ATE 1")
	require.Contains(t, out, "Vous n'êtes membre d'aucune structure")

	require.Empty(t, claims(t, lot.ID), "nothing changed")
	require.Equal(t, auditBefore, count(t, `SELECT count(*) FROM audit_trail WHERE event_id = $1`, w.event.ID))
	require.Equal(t, 1, count(t, `SELECT count(*) FROM event_coordinators WHERE event_id = $1`, w.event.ID), "the creator only")
	require.Zero(t, count(t, `SELECT count(*) FROM event_coordinators WHERE user_id = $1`, m.ID))
	l, err := rig.DB().LotByCode(ctx, w.event.ID, "XYZ")
	require.Nil(t, l)
	require.Equal(t, guichet.ENOTFOUND, guichet.ErrorCode(err))
}

// Wrong or incomplete commands answer with what was wrong and the right form.
func TestWrongCommandsShowTheRightForm(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "wfsyn")
	out := say(t, w.coord, w.coordChannel.Id, "/guichet lot add DEJ category=restauration qty=450 budget=5400")
	require.Contains(t, out, "Il manque l'intitulé du lot. Écrivez\u202f: `/guichet lot ajouter [<événement>] <CODE> \"<intitulé>\"")
	out = say(t, w.coord, w.coordChannel.Id, "/guichet bonjour")
	require.Contains(t, out, "«\u202fbonjour\u202f» n'est pas une commande de Guichet")
	out = say(t, w.coord, w.coordChannel.Id, "/guichet lot add DEJ Déjeuner category=restauration qty=450 budget=12,345")
	require.Contains(t, out, "«\u202f12,345\u202f» a plus de deux chiffres après la virgule")
}
