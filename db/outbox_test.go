package db_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// Released messages are due again when asked, with their cause; a message delivered or parked
// meanwhile stays so, and messages not named are untouched.
func TestReleaseOutbox(t *testing.T) {
	b := setup(t)
	for i := 0; i < 4; i++ {
		require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: b.event.ID}))
	}
	now := time.Now()
	msgs, err := b.db.TakeOutbox(b.ctx, now, 10, time.Hour)
	require.NoError(t, err)
	var ids []int64
	for _, m := range msgs {
		if m.Kind == guichet.OutboxRefreshBoard {
			ids = append(ids, m.ID)
		}
	}
	require.GreaterOrEqual(t, len(ids), 4)
	ids = ids[len(ids)-4:]
	token := msgs[0].LeaseToken
	require.NoError(t, b.db.MarkDelivered(b.ctx, ids[0], token, "post-0", now))
	require.NoError(t, b.db.Park(b.ctx, ids[1], token, "refused", now))

	at := now.Add(90 * time.Second).Truncate(time.Millisecond)
	require.NoError(t, b.db.ReleaseOutbox(b.ctx, ids[:3], token, "not attempted: Mattermost did not answer", at))
	type row struct {
		Next      time.Time `db:"next_attempt_at"`
		LastError string    `db:"last_error"`
	}
	get := func(id int64) row {
		var r row
		require.NoError(t, b.db.SQL().GetContext(b.ctx, &r, `SELECT next_attempt_at, last_error FROM outbox WHERE id = $1`, id))
		return r
	}
	require.Equal(t, "", get(ids[0]).LastError, "delivered meanwhile: left as it is")
	require.Equal(t, "refused", get(ids[1]).LastError, "parked meanwhile: left as it is")
	released := get(ids[2])
	require.True(t, released.Next.Equal(at), "due again at %v, not %v", at, released.Next)
	require.Equal(t, "not attempted: Mattermost did not answer", released.LastError)
	untouched := get(ids[3])
	require.Equal(t, "", untouched.LastError)
	require.True(t, untouched.Next.After(now.Add(30*time.Minute)), "not named: still leased")

	require.NoError(t, b.db.ReleaseOutbox(b.ctx, nil, token, "nothing", at))
}

// take takes every due message and returns each one's fencing token.
func (b *bundle) take(t *testing.T) map[int64]int64 {
	t.Helper()
	msgs, err := b.db.TakeOutbox(b.ctx, time.Now(), 100, time.Hour)
	require.NoError(t, err)
	tokens := map[int64]int64{}
	for _, m := range msgs {
		tokens[m.ID] = m.LeaseToken
	}
	return tokens
}

// notices queues n notices and returns their ids.
func (b *bundle) notices(t *testing.T, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := 0; i < n; i++ {
		require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxNotice, guichet.OutboxPayload{ChannelID: "ch", MessageID: "MsgPassed",
			Args: map[string]any{"Code": i}}))
	}
	require.NoError(t, b.db.SQL().SelectContext(b.ctx, &ids, `SELECT id FROM outbox WHERE kind = 'notice' ORDER BY id`))
	require.Len(t, ids, n)
	return ids
}

// takeOnly takes the due messages at now for lease and returns those of ids, in order, checking
// that they share one fencing token.
func (b *bundle) takeOnly(t *testing.T, now time.Time, lease time.Duration, ids []int64) []*guichet.OutboxMessage {
	t.Helper()
	msgs, err := b.db.TakeOutbox(b.ctx, now, 100, lease)
	require.NoError(t, err)
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var out []*guichet.OutboxMessage
	for _, m := range msgs {
		require.Positive(t, m.LeaseToken)
		require.Equal(t, msgs[0].LeaseToken, m.LeaseToken, "one token per take")
		if want[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

// A message taken by A whose lease ended and that B took: whatever A records for it is
// refused (ErrOutboxLeaseLost) and changes nothing; B's records apply, once.
func TestOutboxRecordsOnlyTheHoldersOutcome(t *testing.T) {
	b := setup(t)
	ids := b.notices(t, 3)
	// A second ahead: the messages were stamped due by the database's clock, which the
	// test's, cut to the millisecond, may trail.
	now := time.Now().Add(time.Second).Truncate(time.Millisecond)
	byA := b.takeOnly(t, now, time.Minute, ids)
	require.Len(t, byA, 3)
	require.Empty(t, b.takeOnly(t, now.Add(30*time.Second), time.Minute, ids), "leased to A")
	byB := b.takeOnly(t, now.Add(2*time.Minute), time.Minute, ids)
	require.Len(t, byB, 3, "A's lease ended: B takes them")
	tokenA, tokenB := byA[0].LeaseToken, byB[0].LeaseToken
	require.Greater(t, tokenB, tokenA, "a later take has a greater token")
	require.Equal(t, 2, byB[0].Attempts)

	type row struct {
		Delivered *time.Time `db:"delivered_at"`
		Parked    *time.Time `db:"parked_at"`
		Next      time.Time  `db:"next_attempt_at"`
		LastError string     `db:"last_error"`
		PostID    string     `db:"post_id"`
		Token     *int64     `db:"lease_token"`
	}
	get := func(id int64) row {
		t.Helper()
		var r row
		require.NoError(t, b.db.SQL().GetContext(b.ctx, &r, `SELECT delivered_at, parked_at, next_attempt_at, last_error, post_id,
			lease_token FROM outbox WHERE id = $1`, id))
		return r
	}
	before := map[int64]row{}
	for _, id := range ids {
		before[id] = get(id)
	}

	lost := guichet.ErrOutboxLeaseLost
	require.ErrorIs(t, b.db.MarkDelivered(b.ctx, ids[0], tokenA, "post-by-a", now), lost)
	require.ErrorIs(t, b.db.MarkFailed(b.ctx, ids[1], tokenA, "failed for A", now.Add(time.Hour)), lost)
	require.ErrorIs(t, b.db.Park(b.ctx, ids[2], tokenA, "refused to A", now), lost)
	_, err := b.db.RecordOfferDelivered(b.ctx, ids[0], tokenA, guichet.OfferPost{LotID: 1, ChannelID: "ch", PostID: "post-by-a"}, now, "")
	require.ErrorIs(t, err, lost)
	require.NoError(t, b.db.ReleaseOutbox(b.ctx, ids, tokenA, "A shuts down", now))
	held, err := b.db.RenewOutbox(b.ctx, ids, tokenA, now.Add(time.Hour))
	require.NoError(t, err)
	require.Empty(t, held, "A holds none of them")
	for _, id := range ids {
		require.Equal(t, before[id], get(id), "A changed nothing")
	}
	require.Zero(t, b.count(t, `SELECT count(*) FROM offer_posts`), "A recorded no copy")

	require.NoError(t, b.db.MarkDelivered(b.ctx, ids[0], tokenB, "post-by-b", now))
	require.NoError(t, b.db.MarkFailed(b.ctx, ids[1], tokenB, "failed for B", now.Add(time.Hour)))
	require.NoError(t, b.db.Park(b.ctx, ids[2], tokenB, "refused to B", now))
	delivered := get(ids[0])
	require.NotNil(t, delivered.Delivered)
	require.Equal(t, "post-by-b", delivered.PostID)
	require.Nil(t, delivered.Token, "finished: held by nobody")
	require.Equal(t, "failed for B", get(ids[1]).LastError)
	require.True(t, get(ids[1]).Next.Equal(now.Add(time.Hour)))
	require.NotNil(t, get(ids[2]).Parked)

	// Finished, a message takes no second outcome, even from its last holder; a message never
	// taken takes none without a token.
	require.ErrorIs(t, b.db.MarkDelivered(b.ctx, ids[0], tokenB, "again", now), lost)
	require.ErrorIs(t, b.db.MarkDelivered(b.ctx, ids[1], tokenB, "again", now), lost)
	require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxRefreshBoard, guichet.OutboxPayload{EventID: b.event.ID}))
	var untaken int64
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &untaken, `SELECT max(id) FROM outbox WHERE attempts = 0`))
	require.ErrorIs(t, b.db.MarkDelivered(b.ctx, untaken, 0, "", now), lost)
}

// A holder that renews its lease keeps its messages from other takers past the first lease's
// end; a lease that ended without anyone taking the messages is renewed too.
func TestOutboxRenewalKeepsMessagesFromOthers(t *testing.T) {
	b := setup(t)
	ids := b.notices(t, 2)
	// A second ahead: the messages were stamped due by the database's clock, which the
	// test's, cut to the millisecond, may trail.
	now := time.Now().Add(time.Second).Truncate(time.Millisecond)
	byA := b.takeOnly(t, now, time.Minute, ids)
	require.Len(t, byA, 2)
	held, err := b.db.RenewOutbox(b.ctx, ids, byA[0].LeaseToken, now.Add(50*time.Second+time.Minute))
	require.NoError(t, err)
	require.ElementsMatch(t, ids, held)
	require.Empty(t, b.takeOnly(t, now.Add(90*time.Second), time.Minute, ids), "renewed: still A's")
	byB := b.takeOnly(t, now.Add(2*time.Minute), time.Minute, ids)
	require.Len(t, byB, 2, "the renewed lease ended")

	// B's lease ends at now+3m, and nobody takes them: B may still renew.
	held, err = b.db.RenewOutbox(b.ctx, ids, byB[0].LeaseToken, now.Add(5*time.Minute))
	require.NoError(t, err)
	require.ElementsMatch(t, ids, held)
	require.Empty(t, b.takeOnly(t, now.Add(4*time.Minute), time.Minute, ids))

	// Renewed for one message only: the other goes to the next taker.
	require.NoError(t, b.db.MarkDelivered(b.ctx, ids[0], byB[0].LeaseToken, "post", now))
	held, err = b.db.RenewOutbox(b.ctx, ids, byB[0].LeaseToken, now.Add(10*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []int64{ids[1]}, held, "a delivered message is not renewed")
}

// A gathered message is queued once while one like it waits untaken; once that one is taken,
// the next is queued again; another payload is another message.
func TestEnqueueGathered(t *testing.T) {
	b := setup(t)
	lot := guichet.OutboxPayload{LotID: 4242, Gathered: true}
	count := func(p guichet.OutboxPayload) int {
		t.Helper()
		js, err := json.Marshal(p)
		require.NoError(t, err)
		var n int
		require.NoError(t, b.db.SQL().GetContext(b.ctx, &n, `SELECT count(*) FROM outbox
			WHERE kind = 'refresh_offer' AND delivered_at IS NULL AND payload = $1::jsonb`, string(js)))
		return n
	}
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, lot, at))
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, lot, at.Add(time.Minute)))
	require.Equal(t, 1, count(lot), "the one waiting stands for the second")
	var due time.Time
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &due, `SELECT next_attempt_at FROM outbox WHERE kind = 'refresh_offer'
		AND payload @> '{"lot_id": 4242}'`))
	require.True(t, due.Equal(at), "due at %v, not %v", at, due)

	other := guichet.OutboxPayload{LotID: 4243, Gathered: true}
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, other, at))
	require.Equal(t, 1, count(other))
	full := guichet.OutboxPayload{LotID: 4242}
	require.NoError(t, b.db.Enqueue(b.ctx, guichet.OutboxRefreshOffer, full))
	require.Equal(t, 1, count(full), "a full refresh is not a gathered one")

	// Taken (its rendering may have read the database already): a new one is queued.
	msgs, err := b.db.TakeOutbox(b.ctx, at.Add(time.Second), 50, time.Minute)
	require.NoError(t, err)
	require.NotEmpty(t, msgs)
	require.NoError(t, b.db.EnqueueGathered(b.ctx, guichet.OutboxRefreshOffer, lot, at.Add(time.Minute)))
	require.Equal(t, 2, count(lot))
}
