// Package db is Guichet's PostgreSQL adapter: sqlx over lib/pq, embedded numbered SQL
// migrations (goose), and one transaction per use case. It implements guichet.Store. The
// rules live in the root package; this package reads what they need, applies them inside
// its transactions and writes what follows.
//
// # How claims are serialised
//
// The lot's row is where the changes of one lot's claims are serialised. Every transaction
// that changes a lot's claims also writes the lot's row: a new claim sets the lot's status
// (claimWriteQuery, even when it is unchanged), a withdrawal or an award recomputes it
// (afterClaimChange), a declined candidacy touches it (touchLot), a cancellation sets it. So
// the row's version (its xmin) stands for the lot's claims: two transactions that saw the
// same version saw the same claims.
//
// The event's status gates the claims (guichet.Event.ClaimsOpen, ClaimChangesOpen), and every
// change of it writes the event's row, so the event's version stands for its status and its
// reminder schedule in the same way.
//
// # Which rows are locked, in which order
//
// Always the lot's row first, then its event's:
//
//   - a new claim locks the lot's row for update, then the event's in share mode, so that
//     claims on different lots of one event do not wait for each other while a change of the
//     event's status or schedule (which updates its row) waits for them;
//   - a withdrawal, an award or a decline (lockLotEvent) locks the lot's row for update and
//     the event's for no-key update, as the resync of the event's reminders that follows them
//     (syncReminders) does: taking a share lock first and that one later would let two such
//     transactions deadlock;
//   - the scheduler's passes lock the rows they work on with SKIP LOCKED (reminders, expired
//     lots) or claim an event once with a conditional update (alerts, recaps, closing the
//     offers of an event that is over), so that any number of schedulers do each job once.
//
// # Why a claim takes two round trips
//
// A click on an offer is the hot path: hundreds of members may click the same lot within a
// second. DB.Claim therefore runs no explicit transaction at first:
//
//  1. it reads, without locks and in one statement (claimReadQuery), the lot, its event and
//     their versions, the member's right to claim for the structure, the lot's claims, the
//     offers out to its waitlist (which hold their quantities; every change of them writes
//     the lot's row) and the structure's reminder rows;
//  2. guichet.LotState.Grant decides on what was read; a refusal, or a claim already there,
//     is answered from the read alone and writes nothing;
//  3. one statement (claimWriteQuery) locks the lot's row and the event's, checks that both
//     are still at the versions read, and writes the claim with everything that follows from
//     it: the lot's status, the claim (its own audit entry), its outbox messages, the other
//     claims' new amounts, the structure's reminder rows, its leaving the lot's waitlist if it
//     was in line. If either version moved, it writes
//     nothing, and the claim is decided again in a transaction that locks the lot before it
//     reads (claimReadQuery with its locks), where the condition holds.
//
// Both statements are prepared once for the pool (DB.prepared), one per combination of the
// write's optional parts (claimWriteParts).
//
// # What the outbox guarantees
//
// Everything a person must be told about a change is written as outbox rows in the
// transaction (or the statement) that makes the change: a change is committed with its
// messages or not at all, and no message tells of a change that did not happen. The rows are
// delivered at least once, by leases (TakeOutbox): a dispatcher that dies leaves its messages
// to another once the lease ends, and a message that reaches several targets records each one
// reached (RecordDeliveredTarget) so that a retry skips them. Transactions that enqueue wake
// the dispatchers with a NOTIFY at commit; a claim does not (it would cost claims a tenth of
// their throughput) and wakes its own process's dispatcher instead (DB.Claimed).
package db
