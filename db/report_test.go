package db_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// awardedSupplier returns a supplier holding a whole lot of budget cents.
func (b *bundle) awardedSupplier(t *testing.T, code string, budget guichet.Cents) *guichet.Supplier {
	t.Helper()
	s := b.suppliers(t, 1, "sup"+code, "impression")[0]
	lot := b.lot(t, &guichet.Lot{Code: code, Title: "Impression " + code, Category: "impression", Quantity: 1, Budget: budget})
	_, err := b.db.Claim(b.ctx, guichet.ClaimRequest{Actor: member(s), LotID: lot.ID, SupplierID: s.ID}, time.Now())
	require.NoError(t, err)
	return s
}

func TestConcurrentPaymentsNeverExceedWhatIsDue(t *testing.T) {
	b := setup(t)
	s := b.awardedSupplier(t, "IMP", 1000_00)

	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = b.db.RecordPayment(b.ctx, coordinator, b.event.ID, s.ID, 200_00, "virement")
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.Equal(t, "ErrPaymentTooMuch", guichet.AsError(err).MessageID, "got %v", err)
	}
	require.Equal(t, 5, ok, "five payments of 200 € pay 1 000 €, no more")
	bal, err := b.db.Balance(b.ctx, b.event.ID, s.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(1000_00), bal.Agreed)
	require.Equal(t, guichet.Cents(1000_00), bal.Paid)
	require.Zero(t, bal.Remaining())
	require.Equal(t, 5, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'payment.record'`), "one audit entry per payment")
}

func TestPaymentErrors(t *testing.T) {
	b := setup(t)
	s := b.awardedSupplier(t, "IMP", 1000_00)
	tests := map[string]struct {
		eventID, supplierID int64
		note                string
		msg                 string
	}{
		"unknown event":    {b.event.ID + 100, s.ID, "", "ErrEventNotFound"},
		"unknown supplier": {b.event.ID, s.ID + 100, "", "ErrSupplierNotFound"},
		"note too long":    {b.event.ID, s.ID, string(make([]byte, 1001)), string(guichet.PaymentNote)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := b.db.RecordPayment(b.ctx, coordinator, tc.eventID, tc.supplierID, 10_00, tc.note)
			require.Equal(t, tc.msg, guichet.AsError(err).MessageID, "got %v", err)
		})
	}
	require.Zero(t, b.count(t, `SELECT count(*) FROM payments`))
}

func TestRecapPostsAreRecordedOnce(t *testing.T) {
	b := setup(t)
	b.awardedSupplier(t, "IMP", 1000_00)

	require.NoError(t, b.db.QueueRecap(b.ctx, coordinator, b.event.ID))
	var payload string
	require.NoError(t, b.db.SQL().GetContext(b.ctx, &payload, `SELECT payload::text FROM outbox WHERE kind = 'recap'`))
	require.JSONEq(t, `{"event_id": `+strconv.FormatInt(b.event.ID, 10)+`, "locale": "fr"}`, payload)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'recap.publish'`))
	err := b.db.QueueRecap(b.ctx, coordinator, b.event.ID+100)
	require.Equal(t, "ErrEventNotFound", guichet.AsError(err).MessageID)

	post, err := b.db.RecapPostOf(b.ctx, 42, "coord-channel")
	require.NoError(t, err)
	require.Empty(t, post)

	p := guichet.RecapPost{OutboxID: 42, EventID: b.event.ID, ChannelID: "coord-channel", PostID: "post-1", FileIDs: []string{"f1", "f2"}}
	require.NoError(t, b.db.RecordRecapPost(b.ctx, p))
	p.PostID = "post-2"
	require.NoError(t, b.db.RecordRecapPost(b.ctx, p), "recording again changes nothing")
	post, err = b.db.RecapPostOf(b.ctx, 42, "coord-channel")
	require.NoError(t, err)
	require.Equal(t, "post-1", post)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM audit_trail WHERE action = 'recap.post'`))

	e, err := b.db.Event(b.ctx, b.event.ID)
	require.NoError(t, err)
	require.Equal(t, guichet.EventRecapped, e.Status)
}
