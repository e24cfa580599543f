package report_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
	"guichet.dev/guichet/report"
)

var cat = l10n.New()

// expectedShares computes, from the fixture alone, what each structure should get: every lot's
// budget split over its claims in proportion to their quantities.
func (a *assises) expectedShares() map[string]guichet.Cents {
	out := map[string]guichet.Cents{}
	byLot := map[string][]replayRow{}
	var order []string
	for _, r := range a.replay {
		if byLot[r.Lot] == nil {
			order = append(order, r.Lot)
		}
		byLot[r.Lot] = append(byLot[r.Lot], r)
	}
	for _, code := range order {
		var qty []int64
		for _, r := range byLot[code] {
			qty = append(qty, r.Quantity)
		}
		for i, amount := range guichet.LotAmounts(a.lots[code], qty) {
			out[byLot[code][i].Supplier] += amount
		}
	}
	return out
}

func TestAssisesRecapNamesThe19StructuresAndAddsUpToTheBudgets(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)

	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)

	var names []string
	for _, s := range r.Suppliers {
		names = append(names, s.Name)
	}
	var want []string
	for name := range a.suppliers {
		want = append(want, name)
	}
	require.Len(t, want, 19)
	require.ElementsMatch(t, want, names)
	require.Equal(t, 19, r.SupplierCount())

	require.Equal(t, guichet.Cents(19_210_00), a.budgets(), "the fixture's budgets add up to 19 210 €")
	require.Equal(t, a.budgets(), r.Agreed, "to the cent")
	shares := a.expectedShares()
	for _, s := range r.Suppliers {
		require.Equal(t, shares[s.Name], s.Agreed, s.Name)
		var sum guichet.Cents
		for _, it := range s.Items {
			sum += it.Amount
		}
		require.Equal(t, s.Agreed, sum, s.Name)
		require.Equal(t, s.Agreed, s.Remaining(), "nothing paid yet")
	}
	for i := 1; i < len(r.Suppliers); i++ {
		require.GreaterOrEqual(t, r.Suppliers[i-1].Agreed, r.Suppliers[i].Agreed, "largest first")
	}
	require.Equal(t, 14, r.LotsFilled)
	require.Zero(t, r.LotsUnfilled)
	require.Zero(t, r.LotsCancelled)
	require.Len(t, r.Claims(), len(a.replay))

	fr := report.Markdown(cat, r, "")
	require.Contains(t, fr, "### Bilan — Assises métropolitaines de la Politique de la Ville")
	require.Contains(t, fr, "vendredi 15 avril 2011 · Cité des Congrès, Nantes · pour Nantes Métropole")
	require.Contains(t, fr, "**"+l10n.Money(a.budgets(), "fr")+"** pour le réseau, répartis entre **19** structures.")
	require.Contains(t, fr, "Lots pourvus\u202f: **14** sur 14")
	require.Contains(t, fr, "19\u202f210,00\u00a0€")
	for _, name := range want {
		require.Contains(t, fr, "| "+name+" | ")
	}
	require.Contains(t, fr, "**DEJ** Déjeuner (120 couverts, "+l10n.Money(shares["Méli-Mélo d'Oser Forêt Vivante"], "fr")+")")
	require.LessOrEqual(t, utf8.RuneCountInString(fr), report.MaxMessage)

	en := report.Markdown(cat, r, "en")
	require.Contains(t, en, "### Recap — Assises")
	require.Contains(t, en, "Friday 15 April 2011")
	require.Contains(t, en, "to the network, shared among **19** structures")
}

func TestAssisesChart(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)

	spec := report.ChartOf(cat, r, "")
	require.Equal(t, "Montants convenus par structure — Assises métropolitaines de la Politique de la Ville ("+l10n.Money(r.Agreed, "fr")+")", spec.Title)
	require.Equal(t, "Montant convenu", spec.AxisLabel)
	require.Len(t, spec.Names, 19)
	for i, s := range r.Suppliers {
		require.Equal(t, s.Name, spec.Names[i])
		require.Equal(t, s.Agreed, spec.Amounts[i])
		require.Equal(t, l10n.Money(s.Agreed, "fr"), spec.Labels[i])
		require.Regexp(t, `^[0-9\x{202f}]+,[0-9]{2}\x{a0}€$`, spec.Labels[i], "French amounts")
	}
	require.Contains(t, spec.Names, "Méli-Mélo d'Oser Forêt Vivante")
	require.Contains(t, spec.Names, "L'Équipage")

	data, err := spec.PNG()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, 1200, img.Bounds().Dx())

	lengths := barLengths(t, img)
	require.Len(t, lengths, 19, "one bar per structure")
	// Top to bottom, the bars follow the structures, their lengths in proportion to the
	// amounts (within two pixels of rounding).
	for i := range lengths {
		want := float64(lengths[0]) * float64(spec.Amounts[i]) / float64(spec.Amounts[0])
		require.InDelta(t, want, float64(lengths[i]), 2.5, "bar %d (%s)", i, spec.Names[i])
	}

	_, err = report.ChartOf(cat, &report.Recap{Event: a.event}, "").PNG()
	require.ErrorIs(t, err, report.ErrNothingToChart)
}

// barLengths finds the bars in the image: in the pixel column just right of where the bars
// start, every run of the bar colour is a bar; its length is measured along its middle row.
func barLengths(t *testing.T, img image.Image) []int {
	t.Helper()
	b := img.Bounds()
	isBar := func(x, y int) bool {
		r, g, bl, al := img.At(x, y).RGBA()
		c := report.BarColor
		return r>>8 == uint32(c.R) && g>>8 == uint32(c.G) && bl>>8 == uint32(c.B) && al>>8 == 0xff
	}
	minX := b.Max.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < minX; x++ {
			if isBar(x, y) {
				minX = x
				break
			}
		}
	}
	require.Less(t, minX, b.Max.X, "no bar colour in the image")
	x0 := minX + 3
	var lengths []int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if !isBar(x0, y) {
			continue
		}
		top := y
		for y < b.Max.Y && isBar(x0, y) {
			y++
		}
		mid := (top + y) / 2
		x := x0
		for x < b.Max.X && isBar(x, mid) {
			x++
		}
		lengths = append(lengths, x-minX)
	}
	return lengths
}

// readCSVOut reads a CSV written by the report package: BOM, semicolons.
func readCSVOut(t *testing.T, data []byte) [][]string {
	t.Helper()
	require.True(t, bytes.HasPrefix(data, []byte("\ufeff")), "UTF-8 byte-order mark")
	require.Contains(t, string(data), "\r\n")
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	require.NoError(t, err)
	return recs
}

func TestAssisesClaimsCSVReadsBackToTheSameFigures(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, report.ClaimsCSV(&buf, cat, r, ""))
	recs := readCSVOut(t, buf.Bytes())
	require.Equal(t, []string{"Événement", "Lot", "Intitulé", "Structure", "Quantité", "Unité",
		"Montant (€)", "Montant (centimes)", "Statut"}, recs[0])
	rows := recs[1:]
	require.Len(t, rows, len(a.replay))

	var total guichet.Cents
	perStructure := map[string]guichet.Cents{}
	taken := map[string]int64{}
	for _, row := range rows {
		require.Equal(t, a.event.Name, row[0])
		require.Equal(t, a.lots[row[1]].Title, row[2])
		cents, err := strconv.ParseInt(row[7], 10, 64)
		require.NoError(t, err)
		euros, err := guichet.ParseEuros(row[6])
		require.NoError(t, err)
		require.Equal(t, guichet.Cents(cents), euros, "the euro column says the same as the cents column")
		require.Regexp(t, `^[0-9]+,[0-9]{2}$`, row[6])
		require.Equal(t, "attribué", row[8])
		total += euros
		perStructure[row[3]] += euros
		qty, err := strconv.ParseInt(row[4], 10, 64)
		require.NoError(t, err)
		taken[row[1]+"/"+row[3]] += qty
		require.Equal(t, a.lots[row[1]].Unit, row[5])
	}
	require.Equal(t, a.budgets(), total)
	for _, s := range r.Suppliers {
		require.Equal(t, s.Agreed, perStructure[s.Name], s.Name)
	}
	for _, rp := range a.replay {
		require.Equal(t, rp.Quantity, taken[rp.Lot+"/"+rp.Supplier])
	}
}

func TestPreviewChangesNothing(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	tables := []string{"events", "lots", "claims", "reminders", "outbox", "audit", "payments", "recap_posts", "offer_posts"}
	snapshot := func() string {
		var parts []string
		for _, tbl := range tables {
			parts = append(parts, fmt.Sprintf("%s=%d", tbl, a.count(t, `SELECT count(*) FROM `+tbl)))
		}
		var status string
		require.NoError(t, a.db.SQL().GetContext(a.ctx, &status, `SELECT status FROM events WHERE id = $1`, a.event.ID))
		var undelivered int
		require.NoError(t, a.db.SQL().GetContext(a.ctx, &undelivered, `SELECT count(*) FROM outbox WHERE delivered_at IS NULL`))
		return strings.Join(parts, " ") + " status=" + status + fmt.Sprintf(" undelivered=%d", undelivered)
	}
	before := snapshot()

	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)
	text := report.Preview(cat, r, "")
	require.True(t, strings.HasPrefix(text, "👁️ **Aperçu**\u202f: rien n'a été publié ni modifié."))
	require.Contains(t, text, "`/guichet bilan assises-2011`")
	_, err = report.Chart(cat, r, "")
	require.NoError(t, err)
	require.NoError(t, report.ClaimsCSV(&bytes.Buffer{}, cat, r, ""))

	require.Equal(t, before, snapshot())
}

func TestPaymentsShowAgreedPaidAndRemaining(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	kenja := a.suppliers["Kenja"]
	agreed := a.expectedShares()["Kenja"]
	require.Positive(t, agreed)

	bal, err := a.db.RecordPayment(a.ctx, coordinator, a.event.ID, kenja.ID, 100_00, "acompte")
	require.NoError(t, err)
	require.Equal(t, agreed, bal.Agreed)
	require.Equal(t, guichet.Cents(100_00), bal.Paid)
	require.Equal(t, agreed-100_00, bal.Remaining())
	reply := report.PaymentReply(cat, "fr", 100_00, bal)
	require.Contains(t, reply, "Paiement de **100,00\u00a0€** enregistré pour **Kenja** (assises-2011)")
	require.Contains(t, reply, "reste dû\u202f: **"+l10n.Money(agreed-100_00, "fr")+"**")

	tests := map[string]struct {
		supplier *guichet.Supplier
		amount   guichet.Cents
		code     string
		msg      string
	}{
		"more than due":  {kenja, agreed - 100_00 + 1, guichet.ECONFLICT, "ErrPaymentTooMuch"},
		"zero":           {kenja, 0, guichet.EINVALID, "ErrPaymentAmount"},
		"negative":       {kenja, -5_00, guichet.EINVALID, "ErrPaymentAmount"},
		"nothing agreed": {a.newSupplier(t, "Nouvelle structure"), 10_00, guichet.EINVALID, "ErrPaymentNothingAgreed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := a.db.RecordPayment(a.ctx, coordinator, a.event.ID, tc.supplier.ID, tc.amount, "")
			e := guichet.AsError(err)
			require.NotNil(t, e, "got %v", err)
			require.Equal(t, tc.code, e.Code)
			require.Equal(t, tc.msg, e.MessageID)
			require.NotContains(t, cat.Error("fr", err), "[Err", "the message exists")
		})
	}
	require.Equal(t, 1, a.count(t, `SELECT count(*) FROM payments`), "refused payments record nothing")
	require.Equal(t, 1, a.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'payment.record' AND supplier_id = $1`, kenja.ID))

	_, err = a.db.RecordPayment(a.ctx, coordinator, a.event.ID, kenja.ID, agreed-100_00, "solde")
	require.NoError(t, err, "paying exactly what remains")

	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)
	require.Equal(t, agreed, r.Paid)
	require.Equal(t, r.Agreed-agreed, r.Remaining())
	for _, s := range r.Suppliers {
		if s.Name == "Kenja" {
			require.Equal(t, agreed, s.Paid)
			require.Zero(t, s.Remaining())
		} else {
			require.Zero(t, s.Paid)
		}
	}
	md := report.Markdown(cat, r, "fr")
	require.Contains(t, md, "Déjà payé\u202f: "+l10n.Money(agreed, "fr")+" · reste dû\u202f: "+l10n.Money(r.Agreed-agreed, "fr"))
	require.Contains(t, md, "| "+l10n.Money(agreed, "fr")+" | "+l10n.Money(agreed, "fr")+" | "+l10n.Money(0, "fr")+" |", "Kenja's row: agreed, paid, nothing due")
}

func (a *assises) newSupplier(t *testing.T, name string) *guichet.Supplier {
	t.Helper()
	s := &guichet.Supplier{Name: name, Categories: []string{"accueil"}}
	require.NoError(t, a.db.UpsertSuppliers(a.ctx, coordinator, []*guichet.Supplier{s}))
	return s
}

func TestUnfilledCancelledLotsAndConfirmations(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	// Only part of 2011 happens: two of the four lunch caterers come (220 covers of 450), the
	// scenography is cancelled after Ecos took it, the rest as in 2011.
	var kept []replayRow
	for _, r := range a.replay {
		if r.Lot == "DEJ" && r.Supplier != "Romsi" && r.Supplier != "TAK-APRES" {
			continue
		}
		kept = append(kept, r)
	}
	a.replay = kept
	a.claimAll(t)
	require.NoError(t, a.db.CancelLot(a.ctx, coordinator, a.lots["SCE"].ID, "salle indisponible"))

	// J-1: Napce confirms, Emoqui reports a problem, the others do not answer.
	_, err := a.db.SQL().ExecContext(a.ctx, `UPDATE reminders SET status = 'sent', sent_at = now() WHERE event_id = $1 AND kind = 'j1'`, a.event.ID)
	require.NoError(t, err)
	_, err = a.db.SQL().ExecContext(a.ctx, `UPDATE reminders SET confirmed_at = now(), confirmed_by = 'u-napce.lina'
		WHERE event_id = $1 AND kind = 'j1' AND supplier_id = $2`, a.event.ID, a.suppliers["Napce"].ID)
	require.NoError(t, err)
	_, err = a.db.SQL().ExecContext(a.ctx, `UPDATE reminders SET problem = 'camion en panne'
		WHERE event_id = $1 AND kind = 'j1' AND supplier_id = $2`, a.event.ID, a.suppliers["Emoqui"].ID)
	require.NoError(t, err)

	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)
	require.Equal(t, 12, r.LotsFilled)
	require.Equal(t, 1, r.LotsUnfilled)
	require.Equal(t, 1, r.LotsCancelled)
	require.Equal(t, 16, r.SupplierCount(), "Ecos, Méli-Mélo and Le Goût des Autres are out")
	require.Equal(t, a.budgets()-a.lots["SCE"].Budget-a.lots["DEJ"].Budget*230/450, r.Agreed,
		"a cancelled lot counts nothing; the 230 covers nobody took keep their share of the budget")
	require.Equal(t, 16, r.ConfirmAsked)
	require.Equal(t, 1, r.Confirmed)
	require.Equal(t, 1, r.Problems)

	md := report.Markdown(cat, r, "fr")
	require.Contains(t, md, "Lots pourvus\u202f: **12** sur 14 · non pourvus\u202f: 1 · annulés\u202f: 1")
	require.Contains(t, md, "Confirmations J-1\u202f: **1** sur 16 · problèmes signalés\u202f: 1")
	require.Contains(t, md, "- Non pourvu\u202f: **DEJ** Déjeuner — 230 couverts sur 450 sans structure.")
	require.Contains(t, md, "- Annulé\u202f: **SCE** Scénographie de la journée — motif\u202f: «\u202fsalle indisponible\u202f».")
	require.Contains(t, md, "| Napce | ")
	require.Contains(t, md, "✅ confirmé |")
	require.Contains(t, md, "⚠️ problème |")
	require.Contains(t, md, "sans réponse |")
	require.NotContains(t, md, "Ecos")
}

func TestAuditTrailExport(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	lines, err := a.db.AuditTrail(a.ctx, a.event.ID, 0)
	require.NoError(t, err)
	awards := 0
	for _, l := range lines {
		if l.Action == "claim.award" {
			awards++
			require.NotEmpty(t, l.LotCode)
			require.NotEmpty(t, l.SupplierName)
		}
	}
	require.Equal(t, len(a.replay), awards)

	dej, err := a.db.AuditTrail(a.ctx, a.event.ID, a.lots["DEJ"].ID)
	require.NoError(t, err)
	require.Len(t, dej, 5, "the lot added, then four shares")
	for _, l := range dej {
		require.Equal(t, "DEJ", l.LotCode)
	}

	var buf bytes.Buffer
	require.NoError(t, report.AuditCSV(&buf, cat, a.event, dej, ""))
	recs := readCSVOut(t, buf.Bytes())
	require.Equal(t, []string{"N°", "Date et heure", "Personne", "Action", "Lot", "Structure", "Détail"}, recs[0])
	require.Len(t, recs, 6)
	require.Equal(t, "lot.add", recs[1][3])
	require.Equal(t, "claim.award", recs[2][3])
	require.Equal(t, "Méli-Mélo d'Oser Forêt Vivante", recs[2][5])
	require.Equal(t, "takapres.anne", recs[4][2])
	require.Contains(t, recs[2][6], `"quantity": 120`)

	// A lot of another event is not this event's lot.
	other := &guichet.Event{Slug: "autre", Name: "Autre", Day: a.event.Day}
	require.NoError(t, a.db.CreateEvent(a.ctx, coordinator, other))
	foreign := &guichet.Lot{Code: "DEJ", Title: "Déjeuner", Category: "restauration", Quantity: 1}
	require.NoError(t, a.db.AddLots(a.ctx, coordinator, other.ID, []*guichet.Lot{foreign}))
	_, err = a.db.AuditTrail(a.ctx, a.event.ID, foreign.ID)
	require.Equal(t, "ErrLotNotFound", guichet.AsError(err).MessageID)
}

func TestConfirmationsFollowTheLastReminder(t *testing.T) {
	t.Parallel()
	a := loadAssises(t)
	a.claimAll(t)
	e, err := a.db.Event(a.ctx, a.event.ID)
	require.NoError(t, err)
	e.Reminders = "J-7@09:00,J-2@10:00"
	require.NoError(t, a.db.UpdateEvent(a.ctx, coordinator, e))
	_, err = a.db.SQL().ExecContext(a.ctx, `UPDATE reminders SET status = 'sent', sent_at = now(), confirmed_at = now()
		WHERE event_id = $1 AND kind = 'j2' AND supplier_id = $2`, a.event.ID, a.suppliers["Romsi"].ID)
	require.NoError(t, err)

	r, err := report.Build(a.ctx, a.db, a.event.ID)
	require.NoError(t, err)
	require.Equal(t, "J-2", r.ConfirmReminder)
	require.Equal(t, 19, r.ConfirmAsked)
	require.Equal(t, 1, r.Confirmed)
	md := report.Markdown(cat, r, "fr")
	require.Contains(t, md, "Confirmations J-2\u202f: **1** sur 19")
	require.Contains(t, md, "| Reste dû | J-2 |")
	require.Contains(t, md, "| Romsi | ")
}
