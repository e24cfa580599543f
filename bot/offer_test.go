package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

var renderNow = time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC)

func sceLot() *guichet.Lot {
	return &guichet.Lot{ID: 4, EventID: 1, Code: "SCE", Title: "Scénographie de la journée", Category: "scenographie",
		Description: "Avec acteurs culturels et habitants des quartiers", Quantity: 1, Unit: "forfait",
		Budget: 350000, Mode: guichet.Exclusive, MaxSuppliers: 1, Award: guichet.FirstCome, Status: guichet.LotOpen}
}

func dejLot() *guichet.Lot {
	return &guichet.Lot{ID: 5, EventID: 1, Code: "DEJ", Title: "Déjeuner", Category: "restauration",
		Description: "Buffet chaud", Quantity: 450, Unit: "couverts", Budget: 540000, SlotStart: "12:00", SlotEnd: "14:00",
		Place: "Cité des Congrès", Mode: guichet.Shared, MaxSuppliers: 4, Award: guichet.FirstCome, Status: guichet.LotOpen}
}

// attachmentOf returns the post's one attachment after a JSON round trip, as Mattermost
// stores it.
func attachmentOf(t *testing.T, p *model.Post) *model.MessageAttachment {
	t.Helper()
	js, err := json.Marshal(p)
	require.NoError(t, err)
	var back model.Post
	require.NoError(t, json.Unmarshal(js, &back))
	atts := back.Attachments()
	require.Len(t, atts, 1)
	return atts[0]
}

func fieldsOf(a *model.MessageAttachment) map[string]string {
	out := map[string]string{}
	for _, f := range a.Fields {
		out[f.Title] = f.Value.(string)
	}
	return out
}

func actionIDs(a *model.MessageAttachment) []string {
	var ids []string
	for _, act := range a.Actions {
		ids = append(ids, act.Id)
	}
	return ids
}

func TestOfferOpenExclusive(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	post := b.OfferPost(&guichet.LotState{Lot: sceLot()}, assisesEvent(), "tak-channel")
	require.Equal(t, "tak-channel", post.ChannelId)
	a := attachmentOf(t, post)
	require.Equal(t, "SCE — Scénographie de la journée", a.Title)
	require.Contains(t, a.Pretext, "Assises métropolitaines")
	require.Contains(t, a.Pretext, "vendredi 15 avril 2011")
	require.Contains(t, a.Text, "Avec acteurs culturels")
	f := fieldsOf(a)
	require.Equal(t, "1 forfait", f["Quantité"])
	require.Equal(t, "vendredi 15 avril 2011", f["Quand"])
	require.Equal(t, "3\u202f500,00\u00a0€", f["Budget"])
	require.Equal(t, "Tout le lot", f["Reste à prendre"])
	require.Contains(t, f["Attribution"], "Une seule structure")
	require.NotContains(t, f, "Attribué à")
	require.NotContains(t, f, "Lieu", "no place, no field")

	require.Equal(t, []string{"claim", "pass", "question"}, actionIDs(a))
	require.Equal(t, "Je prends", a.Actions[0].Name)
	require.Equal(t, "Pas pour nous", a.Actions[1].Name)
	for _, act := range a.Actions {
		require.Regexp(t, `^[A-Za-z0-9]+$`, act.Id)
		require.Equal(t, testPublicURL+"/mattermost/action", act.Integration.URL)
		action, fields, err := b.signer.VerifyButton(act.Integration.Context, "any-user", renderNow.Add(24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, act.Id, action)
		require.Equal(t, map[string]string{"lot": "4"}, fields)
	}
}

func TestOfferSharedPartlyTaken(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	st := &guichet.LotState{Lot: dejLot(), Claims: []*guichet.Claim{
		{SupplierID: 1, SupplierName: "Tak'Après", Quantity: 120, Amount: 144000, Status: guichet.ClaimAwarded},
		{SupplierID: 2, SupplierName: "Ancien", Quantity: 50, Status: guichet.ClaimWithdrawn},
		{SupplierID: 3, SupplierName: "Kenja", Quantity: 100, Amount: 120000, Status: guichet.ClaimAwarded},
	}}
	a := attachmentOf(t, b.OfferPost(st, assisesEvent(), "c"))
	f := fieldsOf(a)
	require.Equal(t, "450 couverts", f["Quantité"])
	require.Equal(t, "vendredi 15 avril 2011, 12 h 00 – 14 h 00", f["Quand"])
	require.Equal(t, "Cité des Congrès", f["Lieu"])
	require.Equal(t, "5\u202f400,00\u00a0€ au total, soit 12,00\u00a0€ l'unité\u202f: chaque structure reçoit la part de sa quantité", f["Budget"])
	require.Equal(t, "230 couverts sur 450 (encore 2 structures au plus)", f["Reste à prendre"])
	require.Equal(t, "Tak'Après — 120 couverts, 1\u202f440,00\u00a0€\nKenja — 100 couverts, 1\u202f200,00\u00a0€", f["Attribué à"])
	require.NotContains(t, f["Attribué à"], "Ancien", "a withdrawn claim holds nothing")
	require.Equal(t, []string{"share", "pass", "question"}, actionIDs(a))
	require.Equal(t, "Je prends une part", a.Actions[0].Name)
	require.Equal(t, colorOpen, a.Color)
}

func TestOfferAfterAward(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	lot := sceLot()
	lot.Status = guichet.LotFilled
	st := &guichet.LotState{Lot: lot, Claims: []*guichet.Claim{
		{SupplierID: 1, SupplierName: "Métisse Cité", Quantity: 1, Amount: 350000, Status: guichet.ClaimAwarded}}}
	a := attachmentOf(t, b.OfferPost(st, assisesEvent(), "c"))
	require.Equal(t, []string{"waitjoin", "question"}, actionIDs(a), "once the lot is awarded, only the waitlist's button")
	require.Equal(t, "good", a.Color)
	f := fieldsOf(a)
	require.Equal(t, "Métisse Cité — 1 forfait, 3\u202f500,00\u00a0€", f["Attribué à"])
	require.Equal(t, "Plus rien", f["Reste à prendre"])
	require.Contains(t, a.Text, "Ce lot est attribué")
	require.Contains(t, a.Fallback, "Métisse Cité")
}

func TestOfferWithoutButtons(t *testing.T) {
	t.Parallel()
	deadline := renderNow.Add(-time.Minute)
	later := renderNow.Add(48 * time.Hour)
	cases := map[string]struct {
		lot      func() *guichet.Lot
		claims   []*guichet.Claim
		text     string
		buttons  []string
		deadline string
	}{
		"cancelled": {lot: func() *guichet.Lot {
			l := sceLot()
			l.Status, l.CancelReason = guichet.LotCancelled, "budget supprimé"
			return l
		}, text: "Motif\u202f: «\u202fbudget supprimé\u202f»"},
		"closed": {lot: func() *guichet.Lot {
			l := sceLot()
			l.Status = guichet.LotClosed
			return l
		}, text: "Cette offre est close"},
		"past its deadline": {lot: func() *guichet.Lot {
			l := sceLot()
			l.Deadline = &deadline
			return l
		}, text: "Cette offre est close"},
		"before its deadline": {lot: func() *guichet.Lot {
			l := sceLot()
			l.Deadline = &later
			return l
		}, buttons: []string{"claim", "pass", "question"}, deadline: "jeudi 3 mars 2011, 11 h 00"},
		"shared with every place taken": {lot: func() *guichet.Lot {
			l := dejLot()
			l.MaxSuppliers = 2
			return l
		}, claims: []*guichet.Claim{
			{SupplierName: "A", Quantity: 100, Status: guichet.ClaimAwarded},
			{SupplierName: "B", Quantity: 100, Status: guichet.ClaimAwarded},
		}, buttons: []string{"waitjoin", "question"}},
		"review lot with candidacies": {lot: func() *guichet.Lot {
			l := sceLot()
			l.Award = guichet.Review
			return l
		}, claims: []*guichet.Claim{{SupplierName: "A", Quantity: 1, Status: guichet.ClaimPending}},
			buttons: []string{"claim", "pass", "question"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := unitBot(t, nil, nil, renderNow)
			a := attachmentOf(t, b.OfferPost(&guichet.LotState{Lot: tc.lot(), Claims: tc.claims}, assisesEvent(), "c"))
			require.Equal(t, tc.buttons, actionIDs(a))
			if tc.text != "" {
				require.Contains(t, a.Text, tc.text)
			}
			if tc.deadline != "" {
				require.Equal(t, tc.deadline, fieldsOf(a)["Répondre avant"])
			}
		})
	}
}

func TestOfferInEnglish(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	ev := assisesEvent()
	ev.Locale = "en"
	a := attachmentOf(t, b.OfferPost(&guichet.LotState{Lot: dejLot()}, ev, "c"))
	f := fieldsOf(a)
	require.Equal(t, "Friday 15 April 2011, 12:00 – 14:00", f["When"])
	require.Equal(t, "I take a share", a.Actions[0].Name)
	require.Equal(t, "Not for us", a.Actions[1].Name)
}

func TestOfferUnevenShare(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	lot := dejLot()
	lot.Quantity, lot.Budget = 3, 1000
	f := fieldsOf(attachmentOf(t, b.OfferPost(&guichet.LotState{Lot: lot}, assisesEvent(), "c")))
	require.True(t, strings.HasPrefix(f["Budget"], "10,00\u00a0€ au total, soit environ 3,33\u00a0€ l'unité"), f["Budget"])
}

// Every message an offer shows comes from the catalogues.
func TestOfferHasNoMissingMessage(t *testing.T) {
	t.Parallel()
	b := unitBot(t, nil, nil, renderNow)
	for _, loc := range []string{"fr", "en"} {
		ev := assisesEvent()
		ev.Locale = loc
		js, err := json.Marshal(b.OfferPost(&guichet.LotState{Lot: dejLot(), Claims: []*guichet.Claim{
			{SupplierName: "A", Quantity: 10, Status: guichet.ClaimAwarded},
			{SupplierName: "B", Quantity: 10, Status: guichet.ClaimPending}}}, ev, "c"))
		require.NoError(t, err)
		require.NotContains(t, string(js), "[Offer")
		require.NotContains(t, string(js), "[Btn")
		require.NotContains(t, string(js), "<no value>")
	}
}
