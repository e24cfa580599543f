package db_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// effects is what a claim left behind it: outbox messages, audit entries and reminder rows
// written after a mark.
type effects struct {
	Outbox    []string // "kind payload", payload as PostgreSQL normalises jsonb
	Audit     []string // "actor_id actor_name action event lot supplier detail"
	Reminders []string // "kind supplier due_at"
}

type mark struct{ outbox, audit, reminders int64 }

func (b *bundle) mark(t *testing.T) mark {
	t.Helper()
	var m mark
	require.NoError(t, b.db.SQL().QueryRowxContext(b.ctx, `SELECT
		(SELECT coalesce(max(id), 0) FROM outbox), (SELECT coalesce(max(id), 0) FROM audit_trail),
		(SELECT coalesce(max(id), 0) FROM reminders)`).Scan(&m.outbox, &m.audit, &m.reminders))
	return m
}

func (b *bundle) since(t *testing.T, m mark) effects {
	t.Helper()
	var e effects
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &e.Outbox,
		`SELECT kind || ' ' || payload::text FROM outbox WHERE id > $1 ORDER BY id`, m.outbox))
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &e.Audit, `SELECT concat_ws(' ', actor_id, actor_name, action,
		event_id, lot_id, supplier_id, detail::text) FROM audit_trail WHERE id > $1 ORDER BY id`, m.audit))
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &e.Reminders, `SELECT concat_ws(' ', kind, supplier_id,
		to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"')) FROM reminders WHERE id > $1 ORDER BY kind, supplier_id`, m.reminders))
	return e
}

// jsonb returns v as PostgreSQL prints it once stored as jsonb.
func (b *bundle) jsonb(t *testing.T, v any) string {
	t.Helper()
	js, err := json.Marshal(v)
	require.NoError(t, err)
	var out string
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &out, `SELECT $1::jsonb::text`, string(js)))
	return out
}

// A claim writes exactly: one outbox message (the offer's refresh, the board's and the
// coordinator's notice), one audit entry and, for a structure's first award on a published
// event, its reminder rows; its amount and the other claims' follow the lot's budget; a second
// click changes nothing.
func TestClaimWritesItsEffects(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 3, "loc", "location-materiel")
	lot := b.lot(t, &guichet.Lot{Code: "LOC", Title: "Location", Category: "location-materiel", Quantity: 60, Unit: "chaises",
		Budget: 70000, Mode: guichet.Shared, MaxSuppliers: 3})
	_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)
	ev := b.event.ID

	m := b.mark(t)
	first, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID, Quantity: 40, Note: "  livrées la veille "}, time.Now())
	require.NoError(t, err)
	require.False(t, first.Existing)
	require.Equal(t, "fr", first.Locale)
	c := first.Claim
	require.NotZero(t, c.ID)
	require.Equal(t, lot.ID, c.LotID)
	require.Equal(t, sups[0].ID, c.SupplierID)
	require.Equal(t, int64(40), c.Quantity)
	require.Equal(t, guichet.Cents(46667), c.Amount, "40 of 60 hold two thirds of the budget")
	require.Equal(t, "livrées la veille", c.Note)
	require.Equal(t, sups[0].Members[0].UserID, c.ClickedBy)
	require.Equal(t, guichet.ClaimAwarded, c.Status)
	require.Equal(t, "loc 0", c.SupplierName)
	require.False(t, c.CreatedAt.IsZero())
	require.Equal(t, guichet.LotOpen, first.Lot.Status)
	require.Equal(t, "LOC", first.Lot.Code)
	require.Equal(t, effects{
		Outbox: []string{
			"claimed " + b.jsonb(t, guichet.OutboxPayload{LotID: lot.ID, ChannelID: "coord-channel", EventID: ev, MessageID: "NoticeClaimed",
				Args:   map[string]any{"Code": "LOC", "Title": "Location", "Supplier": "loc 0", "Quantity": 40, "Unit": "chaises", "Note": "livrées la veille"},
				Locale: "fr"}),
		},
		Audit: []string{fmt.Sprintf("loc0-user loc0 claim.award %d %d %d %s", ev, lot.ID, sups[0].ID,
			b.jsonb(t, map[string]any{"quantity": 40, "note": "livrées la veille"}))},
		Reminders: []string{
			fmt.Sprintf("j1 %d 2027-04-14T07:00Z", sups[0].ID),
			fmt.Sprintf("j7 %d 2027-04-08T07:00Z", sups[0].ID),
		},
	}, b.since(t, m))
	var stored guichet.Claim
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &stored, `SELECT id, lot_id, supplier_id, quantity, amount_cents,
		clicked_by, note, status, reason, created_at, updated_at FROM claims WHERE id = $1`, c.ID))
	stored.SupplierName = c.SupplierName
	require.True(t, stored.CreatedAt.Equal(c.CreatedAt))
	require.True(t, stored.UpdatedAt.Equal(c.UpdatedAt))
	stored.CreatedAt, stored.UpdatedAt = c.CreatedAt, c.UpdatedAt
	require.Equal(t, *c, stored, "the result is the stored claim")

	// The rest of the lot fills it: the first claim's amount follows, to the cent.
	m = b.mark(t)
	second, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[1].ID}, time.Now())
	require.NoError(t, err)
	require.Equal(t, int64(20), second.Claim.Quantity)
	require.Equal(t, guichet.Cents(23333), second.Claim.Amount)
	require.Equal(t, guichet.LotFilled, second.Lot.Status)
	st, err := b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.LotFilled, st.Lot.Status)
	require.Equal(t, []guichet.Cents{46667, 23333}, []guichet.Cents{st.Awarded()[0].Amount, st.Awarded()[1].Amount})
	got := b.since(t, m)
	require.Len(t, got.Outbox, 1)
	require.Len(t, got.Audit, 1)
	require.Len(t, got.Reminders, 2)

	// A structure's second award on the event finds its reminder rows there.
	other := b.lot(t, &guichet.Lot{Code: "TAB", Title: "Tables", Category: "location-materiel", Quantity: 1, Budget: 5000})
	_, err = b.db.Publish(b.ctx, coordinator, ev)
	require.NoError(t, err)
	m = b.mark(t)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: other.ID, SupplierID: sups[1].ID}, time.Now())
	require.NoError(t, err)
	got = b.since(t, m)
	require.Len(t, got.Outbox, 1)
	require.Len(t, got.Audit, 1)
	require.Empty(t, got.Reminders)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE supplier_id = $1`, sups[1].ID))

	// A second click returns the claim as it is and writes nothing.
	m = b.mark(t)
	again, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[1].ID, Quantity: 5}, time.Now())
	require.NoError(t, err)
	require.True(t, again.Existing)
	require.Equal(t, "fr", again.Locale)
	require.Equal(t, second.Claim.ID, again.Claim.ID)
	require.Equal(t, int64(20), again.Claim.Quantity)
	require.Equal(t, guichet.Cents(23333), again.Claim.Amount)
	require.Equal(t, "loc 1", again.Claim.SupplierName)
	require.True(t, again.Claim.CreatedAt.Equal(second.Claim.CreatedAt))
	require.Equal(t, guichet.LotFilled, again.Lot.Status)
	require.Equal(t, effects{}, b.since(t, m))

	// Full: refused, nothing written.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[2]), LotID: lot.ID, SupplierID: sups[2].ID}, time.Now())
	requireError(t, err, guichet.ECONFLICT, "ErrLotFull", map[string]any{"Code": "LOC"})
	require.Equal(t, effects{}, b.since(t, m))

	// A withdrawal reopens the lot; the next claim takes what is left and the amounts follow.
	_, err = b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
	require.NoError(t, err)
	third, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[2]), LotID: lot.ID, SupplierID: sups[2].ID, Quantity: 30}, time.Now())
	require.NoError(t, err)
	require.Equal(t, guichet.LotOpen, third.Lot.Status)
	require.Equal(t, guichet.Cents(35000), third.Claim.Amount)
	st, err = b.db.LotState(b.ctx, lot.ID)
	require.NoError(t, err)
	amounts := map[int64]guichet.Cents{}
	for _, c := range st.Claims {
		amounts[c.SupplierID] = c.Amount
	}
	require.Equal(t, map[int64]guichet.Cents{sups[0].ID: 0, sups[1].ID: 23333, sups[2].ID: 35000}, amounts)
}

// A claim that asks for its confirmation (a dialog's) writes it with the claim, as a second
// outbox message: a direct message to the member who clicked, saying what the claim did. A
// claim already there and a refusal write nothing, the confirmation included.
func TestClaimQueuesItsConfirmationWhenAsked(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "loc", "location-materiel")
	lot := b.lot(t, &guichet.Lot{Code: "LOC", Title: "Location", Category: "location-materiel", Quantity: 60, Unit: "chaises",
		Budget: 70000, Mode: guichet.Shared, MaxSuppliers: 3})
	review := b.lot(t, &guichet.Lot{Code: "SCE", Title: "Scénographie", Category: "location-materiel", Quantity: 1,
		Budget: 90000, Award: guichet.Review})
	ev := b.event.ID
	userID := sups[0].Members[0].UserID

	m := b.mark(t)
	res, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID,
		Quantity: 40, Confirm: true}, time.Now())
	require.NoError(t, err)
	require.Equal(t, "MsgClaimed", res.MessageID())
	require.Equal(t, []string{
		"claimed " + b.jsonb(t, guichet.OutboxPayload{LotID: lot.ID, ChannelID: "coord-channel", EventID: ev, MessageID: "NoticeClaimed",
			Args:   map[string]any{"Code": "LOC", "Title": "Location", "Supplier": "loc 0", "Quantity": 40, "Unit": "chaises", "Note": ""},
			Locale: "fr"}),
		"notice " + b.jsonb(t, guichet.OutboxPayload{UserID: userID, EventID: ev, LotID: lot.ID, ReleaseSupplierID: sups[0].ID,
			MessageID: "MsgClaimed", Locale: "fr",
			Args: map[string]any{"Code": "LOC", "Title": "Location", "Supplier": "loc 0", "Quantity": 40, "Unit": "chaises",
				"Amount": guichet.Cents(46667)}}),
	}, b.since(t, m).Outbox)

	m = b.mark(t)
	res, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: review.ID, SupplierID: sups[0].ID, Confirm: true}, time.Now())
	require.NoError(t, err)
	got := b.since(t, m).Outbox
	require.Len(t, got, 2)
	require.Equal(t, "notice "+b.jsonb(t, guichet.OutboxPayload{UserID: userID, EventID: ev, LotID: review.ID, ReleaseSupplierID: sups[0].ID,
		MessageID: "MsgCandidacy", Locale: "fr",
		Args: res.MessageArgs()}), got[1], "a candidacy is confirmed as a candidacy")

	m = b.mark(t)
	again, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID, Confirm: true}, time.Now())
	require.NoError(t, err)
	require.True(t, again.Existing)
	require.Equal(t, "MsgAlreadyHeld", again.MessageID())
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[0].ID, Confirm: true}, time.Now())
	require.Equal(t, guichet.EFORBIDDEN, guichet.ErrorCode(err))
	require.Empty(t, b.since(t, m).Outbox, "nothing queued for a claim already there or refused")
}

// DB.Claimed hears of every new claim or candidacy once it is committed, and of nothing else.
func TestClaimWakesItsProcess(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "son", "sonorisation")
	lot := b.lot(t, &guichet.Lot{Code: "SON", Title: "Sonorisation", Category: "sonorisation", Quantity: 1, Budget: 1000})
	var wakes []string
	b.db.Claimed = func(wake string) {
		require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE kind = 'claimed'`), "committed before the wake-up")
		wakes = append(wakes, wake)
	}
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	require.Equal(t, []string{guichet.OutboxWakeGathered}, wakes)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err, "a second click finds the claim")
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: lot.ID, SupplierID: sups[1].ID}, time.Now())
	requireError(t, err, guichet.ECONFLICT, "ErrLotTaken", map[string]any{"Code": "SON", "Supplier": "son 0"})
	require.Len(t, wakes, 1, "nothing new, no wake-up")
}

// A candidacy on a review lot is pending: no money, no reminders, the coordinator is told of a
// candidacy; an event in English answers in English; without a coordination channel no notice.
func TestCandidacyWritesItsEffects(t *testing.T) {
	b := setup(t)
	e := &guichet.Event{Slug: "forum", Name: "Forum", Day: time.Date(2027, 6, 10, 0, 0, 0, 0, time.UTC), Locale: "en"}
	require.NoError(t, b.db.CreateEvent(b.ctx, coordinator, e))
	sups := b.suppliers(t, 1, "imp", "impression")
	lots := []*guichet.Lot{{Code: "IMP", Title: "Impression", Category: "impression", Quantity: 1, Budget: 120000, Award: guichet.Review}}
	require.NoError(t, b.db.AddLots(b.ctx, coordinator, e.ID, lots))
	_, err := b.db.Publish(b.ctx, coordinator, e.ID)
	require.NoError(t, err)

	m := b.mark(t)
	r, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lots[0].ID, SupplierID: sups[0].ID, Note: "devis"}, time.Now())
	require.NoError(t, err)
	require.Equal(t, "en", r.Locale)
	require.Equal(t, guichet.ClaimPending, r.Claim.Status)
	require.Equal(t, guichet.Cents(0), r.Claim.Amount)
	require.Equal(t, guichet.LotOpen, r.Lot.Status)
	require.Equal(t, effects{
		Outbox: []string{"claimed " + b.jsonb(t, guichet.OutboxPayload{LotID: lots[0].ID, EventID: e.ID})},
		Audit: []string{fmt.Sprintf("imp0-user imp0 claim.candidacy %d %d %d %s", e.ID, lots[0].ID, sups[0].ID,
			b.jsonb(t, map[string]any{"quantity": 1, "note": "devis"}))},
	}, b.since(t, m))

	again, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lots[0].ID, SupplierID: sups[0].ID}, time.Now())
	require.NoError(t, err)
	require.True(t, again.Existing)
	require.Equal(t, "en", again.Locale)
	require.Equal(t, r.Claim.ID, again.Claim.ID)
	require.Equal(t, "devis", again.Claim.Note)

	// Awarded by the coordinator, the structure gets its reminders.
	_, err = b.db.Award(b.ctx, coordinator, lots[0].ID, sups[0].ID)
	require.NoError(t, err)
	require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND supplier_id = $2`, e.ID, sups[0].ID))
}

func requireError(t *testing.T, err error, code, id string, args map[string]any) {
	t.Helper()
	e := guichet.AsError(err)
	require.NotNil(t, e, "want %s, got %v", id, err)
	require.Equal(t, code, e.Code)
	require.Equal(t, id, e.MessageID)
	for k, v := range args {
		require.EqualValues(t, v, e.Args[k], "argument %s of %s", k, id)
	}
}

// Every refusal names what was wrong and writes nothing.
func TestClaimRefusals(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 2, "ref", "refus")
	deadline := time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC)
	excl := b.lot(t, &guichet.Lot{Code: "EXC", Title: "Exclusif", Category: "refus", Quantity: 3, Unit: "jours", Budget: 30000, Deadline: &deadline})
	shared := b.lot(t, &guichet.Lot{Code: "PAR", Title: "Partagé", Category: "refus", Quantity: 10, Unit: "repas", Budget: 1000, Mode: guichet.Shared, MaxSuppliers: 5})
	gone := b.lot(t, &guichet.Lot{Code: "ANN", Title: "Annulé", Category: "refus", Quantity: 1, Budget: 100})
	require.NoError(t, b.db.CancelLot(b.ctx, coordinator, gone.ID, "plus besoin"))
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: shared.ID, SupplierID: sups[0].ID, Quantity: 4}, time.Now())
	require.NoError(t, err)
	before := deadline.Add(-time.Hour)
	m := b.mark(t)
	claims := b.count(t, `SELECT count(*) FROM claims`)

	for name, tc := range map[string]struct {
		req  guichet.ClaimRequest
		now  time.Time
		code string
		id   string
		args map[string]any
	}{
		"negative quantity": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: shared.ID, SupplierID: sups[1].ID, Quantity: -1},
			code: guichet.EINVALID, id: "ErrQuantity", args: map[string]any{"Value": -1, "Max": guichet.MaxQuantity}},
		"note too long": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: shared.ID, SupplierID: sups[1].ID, Note: string(make([]byte, 1001))},
			code: guichet.EINVALID, id: string(guichet.ClaimNote), args: map[string]any{"Length": 1001, "Max": guichet.MaxNoteLength}},
		"no such lot": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: 987654, SupplierID: sups[1].ID},
			code: guichet.ENOTFOUND, id: "ErrLotNotFound", args: map[string]any{"Code": 987654}},
		"not a member": {req: guichet.ClaimRequest{Actor: member(sups[0]), LotID: shared.ID, SupplierID: sups[1].ID},
			code: guichet.EFORBIDDEN, id: "ErrNotMember"},
		"no such supplier": {req: guichet.ClaimRequest{Actor: member(sups[0]), LotID: shared.ID, SupplierID: 987654},
			code: guichet.EFORBIDDEN, id: "ErrNotMember"},
		"cancelled": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: gone.ID, SupplierID: sups[1].ID},
			code: guichet.ECONFLICT, id: "ErrLotCancelled", args: map[string]any{"Code": "ANN"}},
		"past the deadline": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: excl.ID, SupplierID: sups[1].ID}, now: deadline,
			code: guichet.ECONFLICT, id: "ErrLotClosed", args: map[string]any{"Code": "EXC"}},
		"part of an exclusive lot": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: excl.ID, SupplierID: sups[1].ID, Quantity: 2}, now: before,
			code: guichet.EINVALID, id: "ErrExclusiveQuantity", args: map[string]any{"Code": "EXC", "Quantity": 3}},
		"share too big": {req: guichet.ClaimRequest{Actor: member(sups[1]), LotID: shared.ID, SupplierID: sups[1].ID, Quantity: 7},
			code: guichet.ECONFLICT, id: "ErrShareTooBig", args: map[string]any{"Code": "PAR", "Remaining": 6, "Unit": "repas"}},
	} {
		t.Run(name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = time.Now()
			}
			_, err := b.db.Claim(b.ctx, tc.req, now)
			requireError(t, err, tc.code, tc.id, tc.args)
		})
	}
	require.Equal(t, effects{}, b.since(t, m))
	require.Equal(t, claims, b.count(t, `SELECT count(*) FROM claims`))

	// Taken: the error names who holds it.
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: excl.ID, SupplierID: sups[0].ID}, before)
	require.NoError(t, err)
	_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: excl.ID, SupplierID: sups[1].ID}, before)
	requireError(t, err, guichet.ECONFLICT, "ErrLotTaken", map[string]any{"Code": "EXC", "Supplier": "ref 0"})
}

// Claims, withdrawals, awards and declines racing on one shared lot leave it consistent: never
// more than its quantity or its number of structures, and every amount is what the lot's budget
// split over its awarded claims gives, the status filled exactly when it is full.
func TestClaimsAndWithdrawalsRacingOnOneLot(t *testing.T) {
	b := setup(t)
	sups := b.suppliers(t, 12, "race", "course")
	lot := b.lot(t, &guichet.Lot{Code: "RAC", Title: "Course", Category: "course", Quantity: 50, Budget: 100003, Mode: guichet.Shared, MaxSuppliers: 6})
	review := b.lot(t, &guichet.Lot{Code: "REV", Title: "Sur dossier", Category: "course", Quantity: 50, Budget: 100003,
		Mode: guichet.Shared, MaxSuppliers: 6, Award: guichet.Review})
	_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for i, s := range sups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for range 25 {
				var err error
				switch rng.IntN(6) {
				case 0, 1, 2:
					_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID, Quantity: 1 + rng.Int64N(15)}, time.Now())
				case 3:
					_, err = b.db.Withdraw(b.ctx, member(s), lot.ID, s.ID, "")
				case 4:
					_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: review.ID, SupplierID: s.ID, Quantity: 1 + rng.Int64N(15)}, time.Now())
				case 5:
					if rng.IntN(2) == 0 {
						_, err = b.db.Award(b.ctx, coordinator, review.ID, s.ID)
					} else {
						_, err = b.db.Decline(b.ctx, coordinator, review.ID, s.ID, "non")
					}
				}
				if err != nil {
					require.Contains(t, []string{guichet.ECONFLICT, guichet.ENOTFOUND, guichet.EINVALID}, guichet.ErrorCode(err), "%v", err)
				}
			}
		}()
	}
	wg.Wait()

	for _, l := range []*guichet.Lot{lot, review} {
		st, err := b.db.LotState(b.ctx, l.ID)
		require.NoError(t, err)
		var qty []int64
		var total int64
		for _, c := range st.Awarded() {
			qty = append(qty, c.Quantity)
			total += c.Quantity
		}
		require.LessOrEqual(t, total, l.Quantity)
		require.LessOrEqual(t, len(qty), l.MaxSuppliers)
		want := guichet.LotAmounts(st.Lot, qty)
		for i, c := range st.Awarded() {
			require.Equal(t, want[i], c.Amount, "claim %d of %s", c.ID, l.Code)
		}
		for _, c := range st.Claims {
			if c.Status != guichet.ClaimAwarded {
				require.Zero(t, c.Amount, "claim %d of %s holds no money", c.ID, l.Code)
			}
		}
		full := total >= l.Quantity || len(qty) >= l.MaxSuppliers
		require.Equal(t, full, st.Lot.Status == guichet.LotFilled, "%s: status %s with %d of %d", l.Code, st.Lot.Status, total, l.Quantity)
		active := map[int64]int{}
		for _, c := range st.Claims {
			if c.Status.Active() {
				active[c.SupplierID]++
				require.Equal(t, 1, active[c.SupplierID], "one active claim per structure")
			}
		}
	}
}

// A claim that meets another transaction changing the lot's claims (withdrawal, award,
// decline) or its event (a new day) decides on what that transaction left once it committed,
// whether it first read without locks (Claim) or locked the lot before reading (ClaimLocked).
// Without locks, a claim reads what was committed: a candidacy whose decline is not committed
// yet is still there.
func TestClaimSeesChangesMadeWhileItWaited(t *testing.T) {
	t.Parallel()
	newDay := time.Date(2027, 5, 20, 0, 0, 0, 0, time.UTC)
	// firstApplies has the first structure apply for the lot (a review lot).
	firstApplies := func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) {
		_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[0]), LotID: lot.ID, SupplierID: sups[0].ID}, time.Now())
		require.NoError(t, err)
	}
	for name, tc := range map[string]struct {
		lot guichet.Lot
		// before runs first; change is the transaction the claim meets, stopped before it
		// commits by a lock that hold takes.
		before func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier)
		hold   string
		change func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) error
		// claimer claims (quantity 0) while change waits; check sees the outcome, for each way
		// of claiming.
		claimer int
		check   func(t *testing.T, b *bundle, locked bool, r *guichet.ClaimResult, err error)
	}{
		"withdrawal": {
			lot: guichet.Lot{Code: "RET", Title: "Retrait", Category: "attente", Quantity: 10, Budget: 1000, Mode: guichet.Shared, MaxSuppliers: 5},
			before: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) {
				for i, q := range []int64{4, 2} {
					_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[i]), LotID: lot.ID, SupplierID: sups[i].ID, Quantity: q}, time.Now())
					require.NoError(t, err)
				}
			},
			hold: `SELECT 1 FROM events WHERE id = $1 FOR SHARE`,
			change: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) error {
				_, err := b.db.Withdraw(b.ctx, member(sups[0]), lot.ID, sups[0].ID, "")
				return err
			},
			claimer: 2,
			check: func(t *testing.T, b *bundle, locked bool, r *guichet.ClaimResult, err error) {
				require.NoError(t, err)
				require.Equal(t, int64(8), r.Claim.Quantity, "what is left once the withdrawal is counted")
				require.Equal(t, guichet.Cents(800), r.Claim.Amount)
				require.Equal(t, guichet.LotFilled, r.Lot.Status)
			},
		},
		"award": {
			lot:    guichet.Lot{Code: "ATT", Title: "Attribution", Category: "attente", Quantity: 1, Budget: 1000, Award: guichet.Review},
			before: firstApplies,
			hold:   `SELECT 1 FROM events WHERE id = $1 FOR SHARE`,
			change: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) error {
				_, err := b.db.Award(b.ctx, coordinator, lot.ID, sups[0].ID)
				return err
			},
			claimer: 1,
			check: func(t *testing.T, b *bundle, locked bool, r *guichet.ClaimResult, err error) {
				requireError(t, err, guichet.ECONFLICT, "ErrLotTaken", map[string]any{"Code": "ATT", "Supplier": "attente 0"})
			},
		},
		"decline": {
			lot:    guichet.Lot{Code: "REF", Title: "Refus", Category: "attente", Quantity: 1, Budget: 1000, Award: guichet.Review},
			before: firstApplies,
			hold:   `SELECT 1 FROM events WHERE id = $1 FOR SHARE`,
			change: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) error {
				_, err := b.db.Decline(b.ctx, coordinator, lot.ID, sups[0].ID, "non")
				return err
			},
			claimer: 0,
			check: func(t *testing.T, b *bundle, locked bool, r *guichet.ClaimResult, err error) {
				require.NoError(t, err)
				if !locked {
					require.True(t, r.Existing, "the decline was not committed when the claim read")
					return
				}
				require.False(t, r.Existing, "the declined candidacy is over: this is a new one")
				require.Equal(t, guichet.ClaimPending, r.Claim.Status)
			},
		},
		"last other award withdrawn": {
			// The claimer holds another lot of the event, so its reminder rows are there when
			// the claim reads; the withdrawal of that award removes them before the claim
			// writes, which must then write them again.
			lot: guichet.Lot{Code: "SUITE", Title: "Suite", Category: "attente", Quantity: 1, Budget: 1000},
			before: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) {
				other := b.lot(t, &guichet.Lot{Code: "AUTRE", Title: "Autre", Category: "attente", Quantity: 1, Budget: 500})
				_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
				require.NoError(t, err)
				_, err = b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(sups[1]), LotID: other.ID, SupplierID: sups[1].ID}, time.Now())
				require.NoError(t, err)
				require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE supplier_id = $1`, sups[1].ID))
			},
			// The withdrawal stops at the coordinator's J-7 reminder, after it wrote the event
			// and before it removed the structure's rows.
			hold: `SELECT 1 FROM reminders WHERE event_id = $1 AND supplier_id IS NULL AND kind = 'j7' FOR UPDATE`,
			change: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) error {
				var other int64
				if err := b.db.SQL().GetContext(b.ctx, &other, `SELECT id FROM lots WHERE event_id = $1 AND code = 'AUTRE'`, b.event.ID); err != nil {
					return err
				}
				_, err := b.db.Withdraw(b.ctx, member(sups[1]), other, sups[1].ID, "")
				return err
			},
			claimer: 1,
			check: func(t *testing.T, b *bundle, locked bool, r *guichet.ClaimResult, err error) {
				require.NoError(t, err)
				require.Equal(t, guichet.ClaimAwarded, r.Claim.Status)
				require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE supplier_id = $1 AND status = 'due'`, r.Claim.SupplierID),
					"the structure still holds a lot: it keeps its reminders")
			},
		},
		"new day": {
			lot: guichet.Lot{Code: "JOUR", Title: "Jour", Category: "attente", Quantity: 1, Budget: 1000},
			before: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) {
				_, err := b.db.Publish(b.ctx, coordinator, b.event.ID)
				require.NoError(t, err)
			},
			// The change stops at the coordinator's J-7 reminder, after it wrote the event.
			hold: `SELECT 1 FROM reminders WHERE event_id = $1 AND supplier_id IS NULL AND kind = 'j7' FOR UPDATE`,
			change: func(b *bundle, lot *guichet.Lot, sups []*guichet.Supplier) error {
				e, err := b.db.Event(b.ctx, b.event.ID)
				if err != nil {
					return err
				}
				e.Day = newDay
				return b.db.UpdateEvent(b.ctx, coordinator, e)
			},
			claimer: 1,
			check: func(t *testing.T, b *bundle, locked bool, r *guichet.ClaimResult, err error) {
				require.NoError(t, err)
				require.Equal(t, guichet.LotFilled, r.Lot.Status)
				require.Equal(t, 2, b.count(t, `SELECT count(*) FROM reminders WHERE supplier_id = $1`, r.Claim.SupplierID))
				require.Equal(t, 4, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1`, b.event.ID))
				require.Zero(t, b.count(t, `SELECT count(*) FROM reminders WHERE event_id = $1 AND due_at NOT IN
					(timestamptz '2027-05-19 09:00 Europe/Paris', timestamptz '2027-05-13 09:00 Europe/Paris')`, b.event.ID),
					"every reminder follows the new day")
				require.Equal(t, 1, b.count(t, `SELECT count(*) FROM claims`))
				require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'claim.award'`))
				require.Equal(t, 1, b.count(t, `SELECT count(*) FROM outbox WHERE payload->>'message_id' = 'NoticeClaimed'`))
			},
		},
	} {
		for _, locked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/locked=%v", name, locked), func(t *testing.T) {
				b := setup(t)
				sups := b.suppliers(t, 3, "attente", "attente")
				lot := tc.lot
				b.lot(t, &lot)
				tc.before(b, &lot, sups)

				hold, err := b.db.SQL().BeginTxx(b.ctx, nil)
				require.NoError(t, err)
				defer hold.Rollback()
				_, err = hold.ExecContext(b.ctx, tc.hold, b.event.ID)
				require.NoError(t, err)
				changed := make(chan error, 1)
				go func() { changed <- tc.change(b, &lot, sups) }()
				b.waitForLockWaits(t, 1, nil)
				type outcome struct {
					r   *guichet.ClaimResult
					err error
				}
				claimed := make(chan outcome, 1)
				go func() {
					s := sups[tc.claimer]
					claim := b.db.Claim
					if locked {
						claim = b.db.ClaimLocked
					}
					r, err := claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID}, time.Now())
					claimed <- outcome{r, err}
				}()
				// The claim waits for the change, or has answered from what was committed.
				var o *outcome
				b.waitForLockWaits(t, 2, func() bool {
					select {
					case got := <-claimed:
						o = &got
						return true
					default:
						return false
					}
				})
				require.NoError(t, hold.Rollback())
				require.NoError(t, <-changed)
				if o == nil {
					got := <-claimed
					o = &got
				}
				tc.check(t, b, locked, o.r, o.err)
			})
		}
	}
}

// waitForLockWaits waits until n sessions of the test's database wait for a lock, or done
// (if not nil) reports true.
func (b *bundle) waitForLockWaits(t *testing.T, n int, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := b.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
		if got >= n || done != nil && done() {
			return
		}
		require.True(t, time.Now().Before(deadline), "%d sessions wait for a lock, want %d", got, n)
		time.Sleep(5 * time.Millisecond)
	}
}
