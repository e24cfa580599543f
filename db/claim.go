package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guichet.dev/guichet"
)

// Claim implements guichet.ClaimStore. How claims are serialised, and why a claim takes two
// round trips, is told in the package's documentation (doc.go).
//
// It reads the lot, its event and its claims without locks (readForClaim), lets
// guichet.LotState.Grant decide, and writes a new claim with everything that follows from it in
// one statement, on condition that neither the lot's row nor its event's changed since the
// read (decideAndWriteClaim). A refusal or a claim already there is answered from the read
// alone. If the write found that something changed, the claim is decided again in a
// transaction that locks the lot first (claimUnderLock). A new claim then wakes its process's
// dispatcher (DB.Claimed).
func (d *DB) Claim(ctx context.Context, req guichet.ClaimRequest, now time.Time) (*guichet.ClaimResult, error) {
	if err := checkClaimRequest(&req); err != nil {
		return nil, err
	}
	st, err := d.claimStatements(ctx)
	if err != nil {
		return nil, err
	}
	var told *structureContacts
	if req.OnBehalf {
		if told, err = d.structureContacts(ctx, req.SupplierID); err != nil {
			return nil, err
		}
	}
	v, err := readForClaim(ctx, nil, st.read, req)
	if err != nil {
		return nil, err
	}
	res, err := decideAndWriteClaim(ctx, st, v, req, told, now, func(s *sqlx.Stmt) *sqlx.Stmt { return s })
	if err == errClaimMoved {
		res, err = d.claimUnderLock(ctx, st, req, told, now)
	}
	if err == nil && !res.Existing && d.Claimed != nil {
		d.Claimed(guichet.OutboxWakeGathered)
	}
	return res, err
}

// claimUnderLock decides and writes a claim in a transaction that locks the lot first, where
// the write's condition holds.
func (d *DB) claimUnderLock(ctx context.Context, st *claimStatements, req guichet.ClaimRequest, told *structureContacts, now time.Time) (*guichet.ClaimResult, error) {
	var res *guichet.ClaimResult
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		inTx := func(s *sqlx.Stmt) *sqlx.Stmt { return tx.StmtxContext(ctx, s) }
		v, err := readForClaim(ctx, tx, inTx(st.readLocked), req)
		if err != nil {
			return err
		}
		res, err = decideAndWriteClaim(ctx, st, v, req, told, now, inTx)
		if err == errClaimMoved {
			return fmt.Errorf("claim on lot %d: the lot or its event changed under their locks", req.LotID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// checkClaimRequest refuses a quantity out of range (EINVALID "ErrQuantity") or a note too
// long (guichet.ClaimNote), and trims the note.
func checkClaimRequest(req *guichet.ClaimRequest) error {
	if req.Quantity < 0 || req.Quantity > guichet.MaxQuantity {
		return guichet.Errorf(guichet.EINVALID, "ErrQuantity", "Value", req.Quantity, "Max", guichet.MaxQuantity)
	}
	req.Note = strings.TrimSpace(req.Note)
	return guichet.ClaimNote.Check(req.Note)
}

// claimStatements are a claim's statements, prepared once for the pool.
type claimStatements struct {
	// read and readLocked are claimReadQuery without locks and with them.
	read, readLocked *sqlx.Stmt
	// write holds claimWriteQuery for each combination of its optional parts.
	write map[claimWriteParts]*sqlx.Stmt
}

// claimWriteParts are the optional parts of a claim's write.
type claimWriteParts struct {
	// amounts: the new amounts of the lot's other claims, when some change.
	amounts bool
	// reminders: the structure's reminder rows, on an award that may be its first on the event.
	reminders bool
}

// claimStatements returns the claim's statements, preparing them all on first use.
func (d *DB) claimStatements(ctx context.Context) (*claimStatements, error) {
	if st := d.stmts.claim.Load(); st != nil {
		return st, nil
	}
	read, err := d.prepared(ctx, claimReadSQL)
	if err != nil {
		return nil, err
	}
	readLocked, err := d.prepared(ctx, claimReadLockedSQL)
	if err != nil {
		return nil, err
	}
	st := &claimStatements{read: read, readLocked: readLocked, write: make(map[claimWriteParts]*sqlx.Stmt, len(claimWriteSQL))}
	for parts, query := range claimWriteSQL {
		if st.write[parts], err = d.prepared(ctx, query); err != nil {
			return nil, err
		}
	}
	d.stmts.claim.Store(st)
	return st, nil
}

// The claim's statements.
var (
	claimReadSQL       = claimReadQuery(false)
	claimReadLockedSQL = claimReadQuery(true)
	claimWriteSQL      = map[claimWriteParts]string{
		{}:                               claimWriteQuery(claimWriteParts{}),
		{reminders: true}:                claimWriteQuery(claimWriteParts{reminders: true}),
		{amounts: true}:                  claimWriteQuery(claimWriteParts{amounts: true}),
		{amounts: true, reminders: true}: claimWriteQuery(claimWriteParts{amounts: true, reminders: true}),
	}
)

// errClaimMoved says that the claim's write found the lot or its event changed since its read.
var errClaimMoved = errors.New("the lot or its event changed since it was read")

// decideAndWriteClaim decides the claim on what v says (membership, then
// guichet.LotState.Grant) and, for a new claim, writes it and all that follows with st's
// statements, each bound by bindStatement (to the transaction, or left as is). A claim made
// OnBehalf skips the membership check and tells the structure through told. It returns
// errClaimMoved, having written nothing, if the lot or its event changed since v was read.
func decideAndWriteClaim(ctx context.Context, st *claimStatements, v *claimView, req guichet.ClaimRequest, told *structureContacts,
	now time.Time, bindStatement func(*sqlx.Stmt) *sqlx.Stmt) (*guichet.ClaimResult, error) {
	lot := &v.lot
	if !v.member && !req.OnBehalf {
		return nil, guichet.Errorf(guichet.EFORBIDDEN, "ErrNotMember")
	}
	// The write's condition on the lot's and the event's versions keeps the decision true at
	// commit: every change of the lot's claims writes the lot's row, every change of the
	// event's status the event's.
	lotState := &guichet.LotState{Lot: lot, Claims: v.claims, Waitlist: v.waitlist}
	decision, err := lotState.Grant(&v.event, req.SupplierID, req.Quantity, now)
	if err != nil {
		return nil, err
	}
	c := decision.Claim
	if decision.Existing {
		return &guichet.ClaimResult{Claim: c, Lot: lot, Existing: true, Locale: v.event.Locale}, nil
	}
	c.ClickedBy, c.Note, c.SupplierName = req.Actor.UserID, req.Note, v.supplierName
	action, notice := "claim.award", "NoticeClaimed"
	if c.Status == guichet.ClaimPending {
		action, notice = "claim.candidacy", "NoticeCandidacy"
	}

	// One outbox message stands for the offer's refresh, the board's and the coordinator's
	// notice (guichet.OutboxClaimed); a second one, when asked, is the member's confirmation.
	claimed := guichet.OutboxPayload{LotID: lot.ID, EventID: lot.EventID}
	if v.event.CoordChannelID != "" {
		claimed.ChannelID, claimed.MessageID, claimed.Locale = v.event.CoordChannelID, notice, v.event.Locale
		claimed.Args = map[string]any{"Code": lot.Code, "Title": lot.Title, "Supplier": c.SupplierName, "Quantity": c.Quantity,
			"Unit": lot.Unit, "Note": c.Note}
	}
	if req.OnBehalf {
		action, claimed.MessageID = "claim.behalf", "NoticeOnbehalfClaimed"
		if c.Status == guichet.ClaimPending {
			action, claimed.MessageID = "claim.behalf.candidacy", "NoticeOnbehalfCandidacy"
		}
		if claimed.Args != nil {
			claimed.Args["Actor"] = req.Actor.Username
		}
	}
	messages := []outboxRow{{Kind: guichet.OutboxClaimed, Payload: claimed}}
	if req.OnBehalf {
		messages = append(messages, told.notices(lot, c, req.Actor, v.event.Locale)...)
	}
	if req.Confirm && req.Actor.UserID != "" {
		res := &guichet.ClaimResult{Claim: c, Lot: lot}
		// The confirmation carries « Libérer », with which the structure gives the claim back.
		messages = append(messages, outboxRow{Kind: guichet.OutboxNotice, Payload: guichet.OutboxPayload{
			UserID: req.Actor.UserID, EventID: lot.EventID, LotID: lot.ID, ReleaseSupplierID: req.SupplierID,
			Locale: v.event.Locale, MessageID: res.MessageID(), Args: res.MessageArgs()}})
	}
	outbox, err := jsonArg(messages)
	if err != nil {
		return nil, err
	}
	args := []any{lot.ID, req.SupplierID, c.Quantity, int64(c.Amount), c.ClickedBy, c.Note, string(c.Status),
		string(decision.LotStatus), outbox, req.Actor.Username, action, lot.EventID, v.lotVersion, v.eventVersion}

	// A claim only ever adds a reminder recipient (an award), so it does not resync the whole
	// event's reminders, which would serialize every claim on the event's row; and a structure
	// that already has its rows (another of its awards on the event) needs none.
	var parts claimWriteParts
	if c.Status == guichet.ClaimAwarded {
		kinds, dues, missing, err := v.missingReminders()
		if err != nil {
			return nil, err
		}
		if missing {
			parts.reminders = true
			args = append(args, kinds, dues, ownDay(&v.event, lot.OnDay(&v.event)))
		}
	}
	if len(decision.Amounts) > 0 {
		// In the claims' order, as the lot's rows are read.
		ids, cents := make([]int64, 0, len(decision.Amounts)), make([]int64, 0, len(decision.Amounts))
		for _, o := range v.claims {
			if a, ok := decision.Amounts[o.ID]; ok {
				ids, cents = append(ids, o.ID), append(cents, int64(a))
			}
		}
		parts.amounts = true
		args = append(args, pqInts(ids), pqInts(cents))
	}
	err = bindStatement(st.write[parts]).QueryRowContext(ctx, args...).Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errClaimMoved
	}
	if err != nil {
		return nil, fmt.Errorf("write claim: %w", err)
	}
	lot.Status = decision.LotStatus
	return &guichet.ClaimResult{Claim: c, Lot: lot, Locale: v.event.Locale}, nil
}

// claimReadQuery returns the statement that reads, in one snapshot, the lot ($1) and its
// event with their rows' versions (xmin), and what the rules need: whether the clicking user
// ($3) is a member of the supplier ($2), the supplier's name, the lot's claims, and the kinds
// of the structure's reminder rows for the event. The claims are those of the lot's version,
// and the reminder rows those of the event's (syncReminders, the only statement that removes
// reminder rows, writes the event's row).
//
// With lock, it locks the lot for update and its event in share mode. The snapshot is then
// taken before the lock is granted, so the claims miss the changes of a transaction that held
// the lock meanwhile; such a change wrote the lot's row, which then shows a newer version than
// the snapshot's: "stale" is true and readForClaim reads the claims again.
func claimReadQuery(lock bool) string {
	stale, locking := "false", ""
	if lock {
		stale, locking = "l.ctid <> (SELECT ctid FROM lots WHERE id = $1)", `
	-- The lot's row first, as every transaction that changes its claims; its event's so that
	-- its status cannot change before commit.
	FOR UPDATE OF l FOR SHARE OF e`
	}
	return `
	SELECT
		-- The lot (guichet.Lot).
		l.id, l.event_id, l.code, l.title, l.category, l.description, l.quantity, l.unit, l.budget_cents,
		l.slot_start, l.slot_end, l.place, l.mode, l.max_suppliers, l.award, l.deadline, l.status,
		l.cancel_reason, l.created_at, l.day,
		-- What the rules and the messages need of its event.
		e.day, e.time_zone, e.coord_channel_id, e.status, e.reminders, e.locale, e.first_lot_day, e.last_lot_day,
		-- The rows' versions, which the write checks.
		l.xmin::text, e.xmin::text,
		-- Whether the clicking user is a member of the supplier, and its name.
		EXISTS (SELECT 1 FROM supplier_members m WHERE m.supplier_id = $2 AND m.user_id = $3 AND m.user_id <> ''),
		coalesce((SELECT name FROM suppliers WHERE id = $2), ''),
		-- The lot's claims, all statuses, with their structures' names, as JSON in id order.
		(SELECT json_agg(json_build_object('id', c.id, 'lot_id', c.lot_id, 'supplier_id', c.supplier_id,
				'quantity', c.quantity, 'amount_cents', c.amount_cents, 'clicked_by', c.clicked_by, 'note', c.note,
				'status', c.status, 'reason', c.reason, 'created_at', c.created_at, 'updated_at', c.updated_at,
				'supplier_name', s.name) ORDER BY c.id)
			FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.lot_id = $1),
		-- The kinds of the structure's reminder rows for the event.
		ARRAY(SELECT r.kind FROM reminders r WHERE r.event_id = l.event_id AND coalesce(r.supplier_id, 0) = $2),
		-- The offers out to the lot's waitlist, which hold their quantities (guichet.LotState.Grant).
		-- Every change of them writes the lot's row (offerNext, ExpireWaitlistOffers).
		(SELECT json_agg(json_build_object('id', w.id, 'lot_id', w.lot_id, 'supplier_id', w.supplier_id,
				'status', w.status, 'offer_quantity', w.offer_quantity, 'offer_expires_at', w.offer_expires_at) ORDER BY w.id)
			FROM waitlist w WHERE w.lot_id = $1 AND w.status = 'offered'),
		-- Under the lock: whether the lot's row changed since the snapshot was taken.
		` + stale + ` AS stale
	FROM lots l JOIN events e ON e.id = l.event_id
	WHERE l.id = $1` + locking
}

// claimWriteQuery returns the statement that writes a new claim and all that follows from it
// at once (but the dispatchers' wake-up: see DB.Claimed), on condition that the lot's row and
// its event's are still at the versions read: else it writes nothing and returns no row. Its
// parameters are decideAndWriteClaim's args, in the order the comments name them; parts adds
// the reminders' two arrays and the lot's day, then the amounts' two arrays. It returns the
// claim's id and times.
func claimWriteQuery(parts claimWriteParts) string {
	n := 14
	next := func() string { n++; return "$" + strconv.Itoa(n) }
	reminders, amounts := "", ""
	if parts.reminders {
		kindsParam, duesParam, dayParam := next(), next(), next()
		reminders = `,
	-- The structure's reminder rows for the event (kinds, due times), those it lacks.
	-- On an event whose lots fall on several days, the lot's day (a date, NULL for the event's)
	-- moves the structure's due rows earlier when it is earlier than the one they count from.
	reminders AS (
		INSERT INTO reminders (event_id, kind, supplier_id, due_at, day)
		SELECT $12, r.kind, $2, r.due_at, ` + dayParam + `::date
		FROM claim, unnest(` + kindsParam + `::text[], ` + duesParam + `::timestamptz[]) AS r(kind, due_at)
		ON CONFLICT (event_id, kind, coalesce(supplier_id, 0)) DO UPDATE SET due_at = EXCLUDED.due_at, day = EXCLUDED.day
		WHERE reminders.status = 'due' AND EXCLUDED.due_at < reminders.due_at
	)`
	}
	if parts.amounts {
		amounts = `,
	-- The new amounts of the lot's other claims (ids, amounts).
	amounts AS (
		UPDATE claims c SET amount_cents = a.amount
		FROM claim n, unnest(` + next() + `::bigint[], ` + next() + `::bigint[]) AS a(id, amount) WHERE c.id = a.id
	)`
	}
	return `
	WITH
	-- Lock the lot's row ($1) for update, if it is still at the version read ($13)…
	lot AS (
		SELECT l.id FROM lots l WHERE l.id = $1 AND l.xmin = $13::xid FOR UPDATE
	),
	-- …then its event's ($12) in share mode, if it is still at the version read ($14).
	event AS (
		SELECT e.id FROM events e, lot WHERE e.id = $12 AND e.xmin = $14::xid FOR SHARE OF e
	),
	-- The lot's status after the claim ($8), written even when unchanged: the row's new version
	-- tells other claims that the lot's claims changed.
	status AS (
		UPDATE lots l SET status = $8 FROM event WHERE l.id = $1
	),
	-- The claim: supplier $2, quantity $3, amount $4, clicked by $5, note $6, status $7; it is
	-- its own audit entry, with the clicker's name $10 and the action $11 (see the audit_trail
	-- view).
	claim AS (
		INSERT INTO claims (lot_id, supplier_id, quantity, amount_cents, clicked_by, note, status, clicked_by_name, action)
		SELECT $1::bigint, $2::bigint, $3::bigint, $4::bigint, $5::text, $6::text, $7::text, $10::text, $11::text FROM event
		RETURNING id, created_at, updated_at
	),
	-- A structure that takes the lot leaves its line (an offer taken with « Je prends »).
	line AS (
		UPDATE waitlist w SET status = 'accepted', offer_expires_at = NULL, updated_at = now()
		FROM claim WHERE w.lot_id = $1 AND w.supplier_id = $2 AND w.status IN ('waiting', 'offered')
	),
	-- Its outbox messages ($9, a JSON array of outboxRow), in the order of their ids.
	outbox AS (
		INSERT INTO outbox (kind, payload)
		SELECT m.value->>'kind', m.value->'payload'
		FROM claim, jsonb_array_elements($9::jsonb) WITH ORDINALITY AS m ORDER BY m.ordinality
	)` + reminders + amounts + `
	SELECT claim.id, claim.created_at, claim.updated_at FROM claim`
}

// outboxRow is an outbox message as claimWriteQuery inserts it.
type outboxRow struct {
	Kind    guichet.OutboxKind    `json:"kind"`
	Payload guichet.OutboxPayload `json:"payload"`
}

// claimView is what claimReadQuery returns.
type claimView struct {
	lot                      guichet.Lot
	event                    guichet.Event // the columns claimReadQuery reads
	lotVersion, eventVersion string        // their rows' xmin
	member                   bool
	supplierName             string
	claims                   []*guichet.Claim
	// waitlist holds the offers out to the lot's line (without the structures' names).
	waitlist []*guichet.WaitlistEntry
	// reminderKinds are the kinds of the structure's reminder rows for the event, as read
	// without locks (nil when read under them: see missingReminders).
	reminderKinds []string
	locked        bool
}

// missingReminders returns the reminder rows the structure gets with an award (reminderRows,
// counted back from the lot's day) and whether it must write them: always when v was read
// under the lot's lock (the read's snapshot may predate a change by the transaction that held
// it) or when the event's lots fall on several days (the rows may have to move earlier), else
// when one of their kinds is not among v.reminderKinds.
func (v *claimView) missingReminders() (kinds, dues string, missing bool, err error) {
	if kinds, dues, err = reminderRows(&v.event, v.lot.OnDay(&v.event)); err != nil || kinds == "{}" {
		return kinds, dues, false, err
	}
	if v.locked || v.event.FirstLotDay != nil || v.event.LastLotDay != nil {
		return kinds, dues, true, nil
	}
	for _, k := range strings.Split(strings.Trim(kinds, "{}"), ",") {
		if !slices.Contains(v.reminderKinds, k) {
			return kinds, dues, true, nil
		}
	}
	return kinds, dues, false, nil
}

// claimJSON is a claim as claimReadQuery aggregates it.
type claimJSON struct {
	ID           int64               `json:"id"`
	LotID        int64               `json:"lot_id"`
	SupplierID   int64               `json:"supplier_id"`
	Quantity     int64               `json:"quantity"`
	Amount       guichet.Cents       `json:"amount_cents"`
	ClickedBy    string              `json:"clicked_by"`
	Note         string              `json:"note"`
	Status       guichet.ClaimStatus `json:"status"`
	Reason       string              `json:"reason"`
	CreatedAt    time.Time           `json:"created_at"`
	UpdatedAt    time.Time           `json:"updated_at"`
	SupplierName string              `json:"supplier_name"`
}

// offerJSON is an offer out to a lot's line as claimReadQuery aggregates it.
type offerJSON struct {
	ID             int64                  `json:"id"`
	LotID          int64                  `json:"lot_id"`
	SupplierID     int64                  `json:"supplier_id"`
	Status         guichet.WaitlistStatus `json:"status"`
	OfferQuantity  int64                  `json:"offer_quantity"`
	OfferExpiresAt *time.Time             `json:"offer_expires_at"`
}

// readForClaim runs claimReadQuery (prepared as read; in tx if it locks), and reads the lot's
// claims again if they were stale.
func readForClaim(ctx context.Context, tx *sqlx.Tx, read *sqlx.Stmt, req guichet.ClaimRequest) (*claimView, error) {
	v := &claimView{}
	l, e := &v.lot, &v.event
	var claims, offers []byte
	var kinds pq.StringArray
	var stale bool
	err := read.QueryRowContext(ctx, req.LotID, req.SupplierID, req.Actor.UserID).Scan(
		&l.ID, &l.EventID, &l.Code, &l.Title, &l.Category, &l.Description, &l.Quantity, &l.Unit, &l.Budget,
		&l.SlotStart, &l.SlotEnd, &l.Place, &l.Mode, &l.MaxSuppliers, &l.Award, &l.Deadline, &l.Status,
		&l.CancelReason, &l.CreatedAt, &l.Day,
		&e.Day, &e.TimeZone, &e.CoordChannelID, &e.Status, &e.Reminders, &e.Locale, &e.FirstLotDay, &e.LastLotDay,
		&v.lotVersion, &v.eventVersion, &v.member, &v.supplierName, &claims, &kinds, &offers, &stale)
	if err != nil {
		return nil, notFound(err, "ErrLotNotFound", "Code", req.LotID)
	}
	e.ID = l.EventID
	v.locked = tx != nil
	if !v.locked {
		v.reminderKinds = kinds
	}
	if !v.member && !req.OnBehalf {
		return v, nil
	}
	if stale {
		if v.claims, err = lockedClaims(ctx, tx, l.ID); err != nil {
			return nil, err
		}
		v.waitlist, err = lockedLine(ctx, tx, l.ID)
		return v, err
	}
	if offers != nil {
		var rows []offerJSON
		if err := json.Unmarshal(offers, &rows); err != nil {
			return nil, fmt.Errorf("lot offers: %w", err)
		}
		for _, r := range rows {
			v.waitlist = append(v.waitlist, &guichet.WaitlistEntry{ID: r.ID, LotID: r.LotID, SupplierID: r.SupplierID,
				Status: r.Status, OfferQuantity: r.OfferQuantity, OfferExpiresAt: r.OfferExpiresAt})
		}
	}
	if claims == nil {
		return v, nil
	}
	var rows []claimJSON
	if err := json.Unmarshal(claims, &rows); err != nil {
		return nil, fmt.Errorf("lot claims: %w", err)
	}
	v.claims = make([]*guichet.Claim, len(rows))
	for i, r := range rows {
		v.claims[i] = &guichet.Claim{ID: r.ID, LotID: r.LotID, SupplierID: r.SupplierID, Quantity: r.Quantity, Amount: r.Amount,
			ClickedBy: r.ClickedBy, Note: r.Note, Status: r.Status, Reason: r.Reason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			SupplierName: r.SupplierName}
	}
	return v, nil
}

// lockedClaims returns the lot's claims with the supplier names; the caller holds the lot lock.
func lockedClaims(ctx context.Context, tx *sqlx.Tx, lotID int64) ([]*guichet.Claim, error) {
	var claims []*guichet.Claim
	if err := tx.SelectContext(ctx, &claims, `SELECT `+claimColumns+`
		FROM claims c JOIN suppliers s ON s.id = c.supplier_id WHERE c.lot_id = $1 ORDER BY c.id`, lotID); err != nil {
		return nil, fmt.Errorf("lot claims: %w", err)
	}
	return claims, nil
}

// afterClaimChange recomputes the awarded claims' amounts, sets the lot's status from its
// awards (filled when full, open again when not) and queues the refresh of every offer copy.
// The caller holds the lot lock. It writes the lot's row even when its status is unchanged
// (see Claim).
func afterClaimChange(ctx context.Context, tx *sqlx.Tx, lot *guichet.Lot) error {
	var awarded []*guichet.Claim
	if err := tx.SelectContext(ctx, &awarded, `SELECT id, quantity, status FROM claims
		WHERE lot_id = $1 AND status = 'awarded' ORDER BY id`, lot.ID); err != nil {
		return fmt.Errorf("awarded claims: %w", err)
	}
	amounts, next := (&guichet.LotState{Lot: lot, Claims: awarded}).Settle()
	for i, a := range awarded {
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET amount_cents = $2 WHERE id = $1`, a.ID, amounts[i]); err != nil {
			return fmt.Errorf("claim amount: %w", err)
		}
	}
	// Claims no longer awarded hold no money.
	if _, err := tx.ExecContext(ctx, `UPDATE claims SET amount_cents = 0 WHERE lot_id = $1 AND status <> 'awarded' AND amount_cents <> 0`, lot.ID); err != nil {
		return fmt.Errorf("reset amounts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE lots SET status = $2 WHERE id = $1`, lot.ID, next); err != nil {
		return fmt.Errorf("lot status: %w", err)
	}
	lot.Status = next
	return enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID})
}

// touchLot writes the lot's row unchanged, for a transaction that changes the lot's claims
// without afterClaimChange (see Claim).
func touchLot(ctx context.Context, tx *sqlx.Tx, lotID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE lots SET status = status WHERE id = $1`, lotID); err != nil {
		return fmt.Errorf("touch lot: %w", err)
	}
	return nil
}

// lockActiveClaim locks the lot and its event (lockLotEvent) and returns the lot with its
// claims and the supplier's active claim (nil when it has none), once the event's state lets
// claims change at now (guichet.Event.ClaimChangesOpen): ECONFLICT "ErrEventPast" otherwise.
func lockActiveClaim(ctx context.Context, tx *sqlx.Tx, lotID, supplierID int64, now time.Time) (*guichet.LotState, *guichet.Claim, error) {
	lot, ev, err := lockLotEvent(ctx, tx, lotID)
	if err != nil {
		return nil, nil, err
	}
	if err := ev.ClaimChangesOpen(now); err != nil {
		return nil, nil, err
	}
	claims, err := lockedClaims(ctx, tx, lotID)
	if err != nil {
		return nil, nil, err
	}
	st := &guichet.LotState{Lot: lot, Claims: claims}
	return st, st.ActiveClaim(supplierID), nil
}

// lockLotEvent reads the lot with a row lock held until the transaction ends (every change to
// a lot's claims takes this lock first, which serialises concurrent changes on one lot) and,
// in the same statement, the state of its event (day, time zone, status), locked so that the
// event's status cannot change before the transaction ends; lot then event, the order of
// locks of a claim (claimReadQuery). The event is locked as the update that every
// change to a lot's claims makes of it (syncReminders) locks it: taking a share lock first
// and that one later would deadlock two such transactions.
func lockLotEvent(ctx context.Context, tx *sqlx.Tx, lotID int64) (*guichet.Lot, *guichet.Event, error) {
	var row struct {
		guichet.Lot
		EventDay      time.Time           `db:"event_day"`
		EventTimeZone string              `db:"event_time_zone"`
		EventStatus   guichet.EventStatus `db:"event_status"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT `+prefixed("l.", lotColumns)+`,
			e.day AS event_day, e.time_zone AS event_time_zone, e.status AS event_status
		FROM lots l JOIN events e ON e.id = l.event_id
		WHERE l.id = $1 FOR UPDATE OF l FOR NO KEY UPDATE OF e`, lotID); err != nil {
		return nil, nil, notFound(err, "ErrLotNotFound", "Code", lotID)
	}
	lot := row.Lot
	return &lot, &guichet.Event{ID: lot.EventID, Day: row.EventDay, TimeZone: row.EventTimeZone, Status: row.EventStatus}, nil
}

// Withdraw implements guichet.ClaimStore.
func (d *DB) Withdraw(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, reason string) (*guichet.Claim, error) {
	if err := guichet.ReleaseReason.Check(reason); err != nil {
		return nil, err
	}
	var out *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		st, c, err := lockActiveClaim(ctx, tx, lotID, supplierID, d.now())
		if err != nil {
			return err
		}
		lot := st.Lot
		if c == nil {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrNoClaim", "Code", lot.Code)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET status = 'withdrawn', reason = $2, updated_at = now() WHERE id = $1`, c.ID, reason); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		wasAwarded := c.Status == guichet.ClaimAwarded
		c.Status = guichet.ClaimWithdrawn
		c.Reason = reason
		if err := afterClaimChange(ctx, tx, lot); err != nil {
			return err
		}
		// The first waiting candidate is named, so that the coordinator can give them the
		// place with one command.
		var waiting int
		var next string
		for _, o := range st.Claims {
			if o.Status == guichet.ClaimPending && o.ID != c.ID {
				if waiting == 0 {
					next = o.SupplierName
				}
				waiting++
			}
		}
		if err := noticeCoordinator(ctx, tx, lot.EventID, "NoticeWithdrawn", map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Supplier": c.SupplierName, "Quantity": c.Quantity,
			"Unit": lot.Unit, "Reason": reason, "Waiting": waiting, "Next": next, "WasAwarded": wasAwarded}); err != nil {
			return err
		}
		// Only a share given back is late news: a candidacy withdrawn leaves nothing to place.
		late := false
		if wasAwarded {
			if late, err = flagLateRelease(ctx, tx, lot, c, d.now()); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, actor, "claim.withdraw", lot.EventID, lot.ID, supplierID, map[string]any{
			"quantity": c.Quantity, "reason": reason, "late": late}); err != nil {
			return err
		}
		// What was freed goes to the first structure in the lot's line, if any.
		if err := d.offerNext(ctx, tx, lot.ID, d.now()); err != nil {
			return err
		}
		out = c
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}

// Award implements guichet.ClaimStore.
func (d *DB) Award(ctx context.Context, actor guichet.Actor, lotID, supplierID int64) (*guichet.Claim, error) {
	var out *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		st, _, err := lockActiveClaim(ctx, tx, lotID, supplierID, d.now())
		if err != nil {
			return err
		}
		lot := st.Lot
		c, already, err := st.Award(supplierID)
		if err != nil {
			return err
		}
		if already {
			out = c
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET status = 'awarded', updated_at = now() WHERE id = $1`, c.ID); err != nil {
			return fmt.Errorf("award: %w", err)
		}
		c.Status = guichet.ClaimAwarded
		if err := afterClaimChange(ctx, tx, lot); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &c.Amount, `SELECT amount_cents FROM claims WHERE id = $1`, c.ID); err != nil {
			return err
		}
		if err := noticeSupplier(ctx, tx, supplierID, "NoticeAwarded", map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Quantity": c.Quantity, "Unit": lot.Unit, "Amount": c.Amount}); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, "claim.award", lot.EventID, lot.ID, supplierID, map[string]any{"quantity": c.Quantity}); err != nil {
			return err
		}
		out = c
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}

// Decline implements guichet.ClaimStore.
func (d *DB) Decline(ctx context.Context, actor guichet.Actor, lotID, supplierID int64, reason string) (*guichet.Claim, error) {
	if err := guichet.DeclineReason.Check(reason); err != nil {
		return nil, err
	}
	var out *guichet.Claim
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		st, c, err := lockActiveClaim(ctx, tx, lotID, supplierID, d.now())
		if err != nil {
			return err
		}
		lot := st.Lot
		if c == nil || c.Status != guichet.ClaimPending {
			return guichet.Errorf(guichet.ENOTFOUND, "ErrNoCandidacy", "Code", lot.Code)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE claims SET status = 'declined', reason = $2, updated_at = now() WHERE id = $1`, c.ID, reason); err != nil {
			return fmt.Errorf("decline: %w", err)
		}
		c.Status, c.Reason = guichet.ClaimDeclined, reason
		if err := touchLot(ctx, tx, lot.ID); err != nil {
			return err
		}
		if err := noticeSupplier(ctx, tx, supplierID, "NoticeDeclined", map[string]any{
			"Code": lot.Code, "Title": lot.Title, "Reason": reason}); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, guichet.OutboxRefreshOffer, guichet.OutboxPayload{LotID: lot.ID}); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, "claim.decline", lot.EventID, lot.ID, supplierID, map[string]any{"reason": reason}); err != nil {
			return err
		}
		out = c
		return d.afterEventChange(ctx, tx, lot.EventID)
	})
	return out, err
}
