package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/bot"
	"guichet.dev/guichet/internal/mmrig"
)

// Security: whatever reaches the bot — through Mattermost or straight to its port — that the
// bot did not issue, that was changed, that is out of date, that is replayed, that comes from
// the wrong person or that is too big, is refused or answered harmlessly, and nothing changes
// in the database. Counts are taken before and after.

// btnShare is the label of the button that opens the claim dialog of a shared lot.
const btnShare = "Je prends une part"

// snapshot counts the rows a refused request must leave alone, within a world: its event and
// lots, the claims on them, the structures of its category and their members, the audit
// entries about any of these or by its people, the coordinators named after it.
type snapshot map[string]int

func takeSnapshot(t *testing.T, w *world) snapshot {
	t.Helper()
	people := []string{w.observer.ID}
	for _, m := range w.members {
		people = append(people, m.ID)
	}
	scope := `WITH ev AS (SELECT id FROM events WHERE slug LIKE 'e2e-' || $1 || '%' OR coord_channel_id = $2),
		lt AS (SELECT id FROM lots WHERE event_id IN (SELECT id FROM ev) OR category = $3),
		sp AS (SELECT id FROM suppliers WHERE $3 = ANY (categories)),
		pp AS (SELECT unnest($4::text[]) AS id)
		`
	s := snapshot{}
	for table, query := range map[string]string{
		"events":           `SELECT count(*) FROM ev`,
		"lots":             `SELECT count(*) FROM lt`,
		"claims":           `SELECT count(*) FROM claims WHERE lot_id IN (SELECT id FROM lt)`,
		"suppliers":        `SELECT count(*) FROM sp`,
		"supplier_members": `SELECT count(*) FROM supplier_members WHERE supplier_id IN (SELECT id FROM sp)`,
		"audit": `SELECT count(*) FROM audit_trail WHERE event_id IN (SELECT id FROM ev) OR lot_id IN (SELECT id FROM lt)
			OR supplier_id IN (SELECT id FROM sp) OR actor_id IN (SELECT id FROM pp)`,
		"coordinators": `SELECT count(*) FROM event_coordinators WHERE event_id IN (SELECT id FROM ev) OR user_id IN (SELECT id FROM pp)`,
	} {
		s[table] = count(t, scope+query, w.prefix, w.coordChannel.Id, w.category, pq.Array(people))
	}
	return s
}

// decodeState decodes a dialog state the bot signed ("1.<base64 JSON>.<sig>") into its JSON
// envelope, and re-encodes an envelope with a signature: to tamper with states as a client
// who sees them could.
func decodeState(t *testing.T, signed string) (map[string]any, string) {
	t.Helper()
	parts := strings.Split(signed, ".")
	require.Len(t, parts, 3, "a signed dialog state has three parts: %q", signed)
	js, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	env := map[string]any{}
	require.NoError(t, json.Unmarshal(js, &env))
	return env, parts[2]
}

func encodeState(t *testing.T, env map[string]any, sig string) string {
	t.Helper()
	js, err := json.Marshal(env)
	require.NoError(t, err)
	return "1." + base64.RawURLEncoding.EncodeToString(js) + "." + sig
}

// submitRaw submits a dialog through Mattermost as u and returns what Mattermost answered:
// the response, or the error when the bot refused (Mattermost turns a non-200 into an error).
func submitRaw(u *mmrig.User, req model.SubmitDialogRequest) (*model.SubmitDialogResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	req.UserId = u.ID
	req.TeamId = rig.Team().Id
	resp, _, err := u.Client.SubmitInteractiveDialog(ctx, req)
	return resp, err
}

// A claim dialog's state, as Mattermost hands it to the client, changed or replayed in every
// way a client could: each submission through Mattermost is refused or kept open with an
// error, and nothing is claimed; the genuine submission then claims once, and submitting it
// again changes nothing.
func TestSecurityClaimDialogStatesThroughMattermost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "secdlg", "Atelier Sceau Un", "Atelier Sceau Deux")
	lot := w.addLot(t, &guichet.Lot{Code: "VAI", Title: "Vaisselle de la journée", Quantity: 10, Unit: "caisses",
		Budget: 50000, Mode: guichet.Shared, MaxSuppliers: 2})
	other := w.addLot(t, &guichet.Lot{Code: "NAP", Title: "Nappes de la journée", Quantity: 10, Unit: "nappes",
		Budget: 20000, Mode: guichet.Shared, MaxSuppliers: 2})
	w.publish(t, 4)
	m0, m1 := w.members[0], w.members[1]
	post := w.offerPost(t, 0, lot, btnShare)
	w.offerPost(t, 0, other, btnShare)

	watch := m0.Watch(t)
	require.NoError(t, m0.Click(t, post.Id, btnShare))
	d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "bot.claim" })
	env, sig := decodeState(t, d.Dialog.State)
	require.Equal(t, m0.ID, env["u"], "the state is bound to the clicker")

	other0, err := bot.NewSigner([]byte(strings.Repeat("not the bot's key ", 3)))
	require.NoError(t, err)
	good, err := bot.NewSigner([]byte(rig.SigningKey()))
	require.NoError(t, err)
	stateFor := func(lotID int64) string { return fmt.Sprintf(`{"lot":%d}`, lotID) }
	tampered := func(mut func(env map[string]any)) string {
		e, s := decodeState(t, d.Dialog.State)
		mut(e)
		return encodeState(t, e, s)
	}
	before := takeSnapshot(t, w)

	refused := map[string]struct {
		user       *mmrig.User
		callback   string
		state      string
		submission map[string]any
	}{
		"state pointing to another lot": {m0, "bot.claim", tampered(func(e map[string]any) { e["s"] = stateFor(other.ID) }), nil},
		"expiry pushed back":            {m0, "bot.claim", tampered(func(e map[string]any) { e["e"] = float64(time.Now().Add(24 * time.Hour).Unix()) }), nil},
		"rebound to another member":     {m1, "bot.claim", tampered(func(e map[string]any) { e["u"] = m1.ID }), nil},
		"unbound":                       {m1, "bot.claim", tampered(func(e map[string]any) { e["u"] = "" }), nil},
		"submitted by another member":   {m1, "bot.claim", d.Dialog.State, nil},
		"signed with another key":       {m0, "bot.claim", other0.DialogState("bot.claim", m0.ID, stateFor(lot.ID), time.Now().Add(time.Hour)), nil},
		"expired":                       {m0, "bot.claim", good.DialogState("bot.claim", m0.ID, stateFor(lot.ID), time.Now().Add(-time.Minute)), nil},
		"no state":                      {m0, "bot.claim", "", nil},
		"plain state":                   {m0, "bot.claim", stateFor(lot.ID), nil},
		"signature cut":                 {m0, "bot.claim", strings.TrimSuffix(d.Dialog.State, sig[len(sig)-4:]), nil},
		"replayed to the supplier import": {m0, "cmd.supplier.import", d.Dialog.State,
			map[string]any{"csv": "name,categories\nIntruse,cat-secdlg\n"}},
		"replayed to the lot import": {m0, "cmd.lot.import", d.Dialog.State,
			map[string]any{"csv": "code,title,category,quantity,budget\nXXX,Intrus,cat-secdlg,1,1\n"}},
	}
	for name, tc := range refused {
		t.Run(name, func(t *testing.T) {
			sub := tc.submission
			if sub == nil {
				sub = map[string]any{"quantity": "3", "note": "refusé"}
			}
			resp, err := submitRaw(tc.user, model.SubmitDialogRequest{URL: d.URL, CallbackId: tc.callback, State: tc.state,
				ChannelId: w.channels[0].Id, Submission: sub})
			require.Error(t, err, "Mattermost should report the bot's refusal; it answered %+v", resp)
		})
	}

	// Signed and genuine, but asking for what the member may not have: the dialog stays open
	// with the reason under the field.
	kept := map[string]struct {
		submission map[string]any
		field      string
		says       string
	}{
		"another member's structure":   {map[string]any{"quantity": "3", "supplier": strconv.FormatInt(w.suppliers[1].ID, 10)}, "supplier", "vous n'êtes pas membre"},
		"a structure that is nobody's": {map[string]any{"quantity": "3", "supplier": "999999999"}, "supplier", "vous n'êtes pas membre"},
		"more than the lot":            {map[string]any{"quantity": "11"}, "quantity", "reste"},
		"a huge quantity":              {map[string]any{"quantity": strings.Repeat("9", 40)}, "quantity", "nombre entier"},
		"a negative quantity":          {map[string]any{"quantity": "-3"}, "quantity", "nombre entier"},
		"a note of 5,000 characters":   {map[string]any{"quantity": "3", "note": strings.Repeat("é", 5000)}, "note", "trop long"},
	}
	for name, tc := range kept {
		t.Run(name, func(t *testing.T) {
			resp, err := submitRaw(m0, model.SubmitDialogRequest{URL: d.URL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
				ChannelId: w.channels[0].Id, Submission: tc.submission})
			require.NoError(t, err)
			require.Contains(t, strings.ToLower(resp.Errors[tc.field]), tc.says, "errors: %v", resp.Errors)
		})
	}
	require.Equal(t, before, takeSnapshot(t, w), "a refused submission changed the database")

	// A body larger than the bot reads, straight to its port with a valid state: refused whole.
	big, err := json.Marshal(model.SubmitDialogRequest{CallbackId: "bot.claim", State: d.Dialog.State, UserId: m0.ID,
		ChannelId: w.channels[0].Id, TeamId: rig.Team().Id, Submission: map[string]any{"quantity": "3", "note": strings.Repeat("x", 2<<20)}})
	require.NoError(t, err)
	status, _, err := rig.BotHTTP(context.Background(), "/mattermost/dialog", "application/json", string(big))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, before, takeSnapshot(t, w))

	// The genuine submission claims once; the same submission again (a double submit, a
	// replay) changes nothing.
	genuine := model.SubmitDialogRequest{URL: d.URL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
		ChannelId: w.channels[0].Id, Submission: map[string]any{"quantity": "3", "note": "Livrées à 8 h"}}
	for range 3 {
		resp, err := submitRaw(m0, genuine)
		require.NoError(t, err)
		require.Empty(t, resp.Errors)
	}
	cs := claims(t, lot.ID)
	require.Len(t, cs, 1)
	require.Equal(t, w.suppliers[0].ID, cs[0].SupplierID)
	require.EqualValues(t, 3, cs[0].Quantity)
	require.Empty(t, claims(t, other.ID))
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit_trail WHERE lot_id = $1 AND action LIKE 'claim.%'`, lot.ID))
}

// A click's signed context replayed many times at once, straight to the bot's port: one claim,
// one audit entry; replayed after the lot was cancelled: refused, nothing changed.
func TestSecurityReplayedClicks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "secrej", "Atelier Rejeu")
	lot := w.addLot(t, &guichet.Lot{Code: "REJ", Title: "Chaises de la journée", Quantity: 1, Unit: "lot", Budget: 30000, Mode: guichet.Exclusive})
	w.publish(t, 1)
	post := w.offerPost(t, 0, lot, btnClaim)
	good, err := bot.NewSigner([]byte(rig.SigningKey()))
	require.NoError(t, err)
	action := mmrig.Button(post, btnClaim).Id
	clickCtx := good.ButtonContext(action, map[string]string{"lot": strconv.FormatInt(lot.ID, 10)}, "", time.Now().Add(time.Hour))

	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = postAction(t, w.members[0], w.channels[0].Id, post.Id, clickCtx)
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		require.Equal(t, http.StatusOK, s)
	}
	require.Len(t, claims(t, lot.ID), 1)
	require.Equal(t, 1, count(t, `SELECT count(*) FROM audit_trail WHERE lot_id = $1 AND action LIKE 'claim.%'`, lot.ID))

	err = rig.DB().CancelLot(ctx, w.actor(), lot.ID, "Salle équipée")
	require.NoError(t, err)
	before := takeSnapshot(t, w)
	status, body := postAction(t, w.members[0], w.channels[0].Id, post.Id, clickCtx)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "annulé")
	require.Equal(t, before, takeSnapshot(t, w))
}

// A member acts for their own structures only: clicking an offer in another structure's
// channel claims for their own structure or not at all; releasing or claiming in another
// structure's name is refused; someone of no structure is refused.
func TestSecurityMemberActsOnlyForTheirOwnStructure(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "secmbr", "Atelier Mien", "Atelier Autre")
	lot := w.addLot(t, &guichet.Lot{Code: "BAN", Title: "Bancs de la journée", Quantity: 1, Unit: "lot", Budget: 30000, Mode: guichet.Exclusive})
	shared := w.addLot(t, &guichet.Lot{Code: "TAB", Title: "Tables de la journée", Quantity: 10, Unit: "tables", Budget: 30000, Mode: guichet.Shared, MaxSuppliers: 2})
	w.publish(t, 4)
	postOther := w.offerPost(t, 1, lot, btnClaim)
	w.offerPost(t, 1, shared, btnShare)
	ref := w.event.Slug + "/TAB"

	// The other structure takes part of the shared lot.
	out := say(t, w.members[1], w.channels[1].Id, "/guichet claim "+ref+" 4")
	require.Contains(t, out, "Atelier Autre")
	before := takeSnapshot(t, w)

	// Someone of no structure clicks in a structure's channel: refused, nothing changes.
	intruder, err := rig.NewUser(context.Background(), "secmbr.intrus")
	require.NoError(t, err)
	_, _, err = rig.Admin().Client.AddChannelMember(context.Background(), w.channels[1].Id, intruder.ID)
	require.NoError(t, err)
	watch := intruder.Watch(t)
	require.NoError(t, intruder.Click(t, postOther.Id, btnClaim))
	watch.Ephemeral(t, func(p *model.Post) bool { return strings.Contains(p.Message, "membre d'aucune structure") })
	require.Equal(t, before, takeSnapshot(t, w))

	// Commands in another structure's name.
	for _, text := range []string{
		`/guichet release ` + ref + ` structure="Atelier Autre"`,
		`/guichet claim ` + ref + ` 2 structure="Atelier Autre"`,
		`/guichet claim ` + w.event.Slug + `/BAN structure="Atelier Autre"`,
	} {
		require.Contains(t, say(t, w.members[0], w.channels[0].Id, text), "pas membre de cette structure", text)
	}
	require.Equal(t, before, takeSnapshot(t, w))

	// The member of the first structure clicks the copy in the other structure's channel: if
	// Mattermost lets them, the claim is their own structure's.
	if err := w.members[0].Click(t, postOther.Id, btnClaim); err == nil {
		rig.Eventually(t, "the click to be answered", func(ctx context.Context) error {
			if len(claims(t, lot.ID)) == 0 {
				return fmt.Errorf("no claim yet")
			}
			return nil
		})
	}
	for _, c := range claims(t, lot.ID) {
		require.Equal(t, w.suppliers[0].ID, c.SupplierID, "a claim was made in the name of a structure the clicker is not a member of")
	}
	cs := claims(t, shared.ID)
	require.Len(t, cs, 1)
	require.Equal(t, w.suppliers[1].ID, cs[0].SupplierID)
	require.Equal(t, guichet.ClaimAwarded, cs[0].Status)
	require.EqualValues(t, 4, cs[0].Quantity)
}

// A supplier holding the coordinator's dialog (its URL, callback and signed state) cannot
// submit it: the state is bound to the coordinator. Nothing is imported.
func TestSecuritySupplierCannotSubmitTheCoordinatorsDialog(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "seccoo", "Atelier Soumis")
	watch := w.coord.Watch(t)
	say(t, w.coord, w.coordChannel.Id, "/guichet supplier import")
	d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.supplier.import" })
	before := takeSnapshot(t, w)
	csv := "name,categories\nStructure Intruse,cat-seccoo\n"
	for name, u := range map[string]*mmrig.User{"supplier member": w.members[0], "observer": w.observer} {
		t.Run(name, func(t *testing.T) {
			resp, err := submitRaw(u, model.SubmitDialogRequest{URL: d.URL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
				ChannelId: w.coordChannel.Id, Submission: map[string]any{"csv": csv}})
			require.Error(t, err, "answered %+v", resp)
		})
	}
	require.Equal(t, before, takeSnapshot(t, w))
	require.Zero(t, count(t, `SELECT count(*) FROM suppliers WHERE name = 'Structure Intruse'`))

	// The supplier asking for the dialog is refused too (and gets none).
	require.Contains(t, say(t, w.members[0], w.channels[0].Id, "/guichet supplier import"), "réservée à la coordination")
	require.Equal(t, before, takeSnapshot(t, w))
}

// Oversized inputs: a huge command line, a huge pasted CSV, a huge file given to the command
// line; each is refused with a message naming the limit (or a bare 400 when the request itself
// is too big to read), in bounded time, and nothing changes.
func TestSecurityOversizedInputs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "secbig")
	before := takeSnapshot(t, w)

	t.Run("a 60 KB command through Mattermost", func(t *testing.T) {
		title := strings.Repeat("Très long intitulé ", 3000)
		began := time.Now()
		resp, err := w.coord.Command(ctx, w.coordChannel.Id, `/guichet lot add BIG "`+title+`" category=`+w.category+` qty=1 budget=1`)
		if err == nil {
			require.NotContains(t, resp.Text, "ajouté", "the lot was added: %.200s", resp.Text)
		}
		require.Less(t, time.Since(began), 30*time.Second)
	})
	t.Run("a 900 KB command straight to the bot", func(t *testing.T) {
		form := url.Values{"token": {rig.CommandToken()}, "team_id": {rig.Team().Id}, "channel_id": {w.coordChannel.Id},
			"user_id": {w.coord.ID}, "user_name": {w.coord.Username}, "command": {"/guichet"},
			"text": {`lot add BIG "` + strings.Repeat("x", 900<<10) + `" category=` + w.category + ` qty=1 budget=1`}}
		began := time.Now()
		status, body, err := rig.BotHTTP(ctx, bot.CommandPath, "application/x-www-form-urlencoded", form.Encode())
		require.NoError(t, err)
		require.Less(t, time.Since(began), 10*time.Second)
		if status == http.StatusOK {
			var resp model.CommandResponse
			require.NoError(t, json.Unmarshal([]byte(body), &resp))
			require.NotContains(t, resp.Text, "ajouté")
			require.Less(t, len(body), 20000, "the answer echoes the whole input")
		} else {
			require.Equal(t, http.StatusBadRequest, status)
		}
	})
	t.Run("a 2 MB command straight to the bot", func(t *testing.T) {
		form := url.Values{"token": {rig.CommandToken()}, "channel_id": {w.coordChannel.Id}, "user_id": {w.coord.ID},
			"user_name": {w.coord.Username}, "text": {strings.Repeat("aide ", 400<<10)}}
		status, _, err := rig.BotHTTP(ctx, bot.CommandPath, "application/x-www-form-urlencoded", form.Encode())
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, status)
	})
	t.Run("6,000 suppliers pasted in the import dialog", func(t *testing.T) {
		var csv strings.Builder
		csv.WriteString("name,categories\n")
		for i := range 6000 {
			fmt.Fprintf(&csv, "Structure %d,%s\n", i, w.category)
		}
		watch := w.coord.Watch(t)
		say(t, w.coord, w.coordChannel.Id, "/guichet supplier import")
		d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.supplier.import" })
		resp := submitDialog(t, w.coord, w.coordChannel.Id, d, map[string]any{"csv": csv.String()})
		require.Contains(t, resp.Errors["csv"], "5000", "errors: %v", resp.Errors)
	})
	t.Run("a 1.5 MB CSV pasted in the import dialog", func(t *testing.T) {
		watch := w.coord.Watch(t)
		say(t, w.coord, w.coordChannel.Id, "/guichet supplier import")
		d := watch.Dialog(t, func(d *model.OpenDialogRequest) bool { return d.Dialog.CallbackId == "cmd.supplier.import" })
		resp, err := submitRaw(w.coord, model.SubmitDialogRequest{URL: d.URL, CallbackId: d.Dialog.CallbackId, State: d.Dialog.State,
			ChannelId: w.coordChannel.Id, Submission: map[string]any{"csv": "name,categories\n" + strings.Repeat("Structure,"+w.category+"\n", 80000)}})
		if err == nil {
			require.NotEmpty(t, resp.Errors, "a CSV over the limit was accepted")
		}
	})
	t.Run("an 8 MB file given to guichet import", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lots.csv")
		var csv strings.Builder
		csv.WriteString("code,title,category,quantity,budget\n")
		for i := 0; csv.Len() < 8<<20; i++ {
			fmt.Fprintf(&csv, "L%d,Lot numéro %d à importer,%s,1,1\n", i, i, w.category)
		}
		require.NoError(t, os.WriteFile(path, []byte(csv.String()), 0o644))
		cmd := exec.CommandContext(ctx, rig.GuichetBinary(), "import", "lots", "--event", w.event.Slug, path)
		cmd.Env = append(os.Environ(), "GUICHET_DATABASE_URL="+rig.DatabaseURL())
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "the import succeeded: %s", out)
		require.Contains(t, string(out), "Ko", "the refusal names the limit: %s", out)
	})
	require.Equal(t, before, takeSnapshot(t, w), "an oversized input changed the database")
}

// Names typed by coordinators and notes typed by suppliers that look like SQL, Markdown or
// channel-wide mentions are stored and shown as typed, the tables survive, and nobody is
// notified by a mention hidden in them.
func TestSecurityHostileNamesShownHarmlessly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t, "secnom")
	coord := w.coord
	member, err := rig.NewUser(ctx, "secnom.bob")
	require.NoError(t, err)
	ch, err := rig.NewChannel(ctx, "secnom-bob", member.Username)
	require.NoError(t, err)

	type person struct {
		u         *mmrig.User
		channelID string
	}
	mentionsBefore := map[person]int64{}
	for _, who := range []person{{member, ch.Id}, {coord, w.coordChannel.Id}, {w.observer, w.coordChannel.Id}} {
		mentionsBefore[who] = mentionCounter(t, who.u, who.channelID)
	}

	const supplierName = `Robert'); DROP TABLE lots;--`
	const title = `**[x](javascript:alert(1))** @channel @all @here`
	before := takeSnapshot(t, w)
	out := say(t, coord, w.coordChannel.Id, `/guichet supplier add "`+supplierName+`" categories=`+w.category+` channel=~`+ch.Name+` members=@`+member.Username)
	require.Contains(t, out, supplierName)
	out = say(t, coord, w.coordChannel.Id, `/guichet lot add BOB "`+title+`" category=`+w.category+` qty=1 budget=100 award=review description="<script>alert(1)</script> @channel"`)
	require.Contains(t, out, "BOB")
	out = say(t, coord, w.coordChannel.Id, "/guichet publish")
	require.Contains(t, out, w.event.Name)

	// The offer shows the title and description as typed; the tables are all there.
	offer := member.WaitPost(t, ch.Id, func(p *model.Post) bool {
		return p.UserId == rig.BotUserID() && strings.Contains(visible(mmrig.PostText(p)), "**[x](javascript:alert(1))**")
	})
	text := visible(mmrig.PostText(offer))
	require.Contains(t, text, title)
	require.Contains(t, text, "<script>alert(1)</script> @channel")
	after := takeSnapshot(t, w)
	require.Equal(t, before["lots"]+1, after["lots"])
	require.Equal(t, before["suppliers"]+1, after["suppliers"])
	var name string
	require.NoError(t, rig.DB().SQL().GetContext(ctx, &name, `SELECT name FROM suppliers WHERE channel_id = $1`, ch.Id))
	require.Equal(t, supplierName, name)

	// A candidacy with a note full of mentions: the coordination is told, the note shown.
	notes := "@channel @all on arrive\u202f! **gras** [lien](javascript:alert(1))"
	out = say(t, member, ch.Id, `/guichet claim `+w.event.Slug+`/BOB note="`+notes+`"`)
	require.Contains(t, out, supplierName)
	notice := botPostContaining(t, w.coordChannel.Id, "BOB", "candidate")
	require.Contains(t, visible(mmrig.PostText(notice)), supplierName)

	// Nobody was notified by the mentions hidden in them: the only mention since is the
	// control one.
	for who, before := range mentionsBefore {
		require.Equal(t, before+1, mentionCounter(t, who.u, who.channelID), "%s was notified in %s", who.u.Username, who.channelID)
	}
}

// visible removes the invisible characters the bot may put in a text to defuse mentions.
func visible(s string) string { return strings.ReplaceAll(s, "\u200b", "") }

// mentionCounter counts a person's mentions in a channel, settled: it posts, as the admin, a
// message mentioning them (a control), waits until Mattermost has counted it and a moment
// more (so that the notifications of earlier posts are done), and returns the count. Two such
// counts differ by one when nothing but the second control mentioned them in between.
func mentionCounter(t *testing.T, u *mmrig.User, channelID string) int64 {
	t.Helper()
	ctx := context.Background()
	mentions := func(ctx context.Context) int64 {
		m, _, err := u.Client.GetChannelMember(ctx, channelID, u.ID, "")
		require.NoError(t, err)
		return m.MentionCount
	}
	start := mentions(ctx)
	_, _, err := rig.Admin().Client.CreatePost(ctx, &model.Post{ChannelId: channelID, Message: "@" + u.Username + " contrôle"})
	require.NoError(t, err)
	rig.Eventually(t, "the control mention to be counted", func(ctx context.Context) error {
		if mentions(ctx) <= start {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	time.Sleep(time.Second)
	return mentions(ctx)
}
