package guichet_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
	"guichet.dev/guichet/l10n"
)

// An amount among an outbox message's arguments comes back from JSON as an amount, so that
// the catalogues write it in the reader's language; other arguments come back as JSON gives
// them.
func TestOutboxPayloadKeepsAmounts(t *testing.T) {
	in := guichet.OutboxPayload{ChannelID: "ch", MessageID: "NoticeAwarded",
		Args: map[string]any{"Amount": guichet.Cents(1234_50), "Quantity": int64(3), "Big": 1000000, "Rate": 5.5, "Title": "Programmes"}}
	raw, err := json.Marshal(in)
	require.NoError(t, err)
	m := &guichet.OutboxMessage{PayloadJSON: raw}
	out, err := m.Payload()
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(1234_50), out.Args["Amount"])
	// Whole numbers come back whole (templates compare them, {{if gt .Revision 1}}, and write
	// 1000000, not 1e+06); others as float64.
	require.Equal(t, int64(3), out.Args["Quantity"])
	require.Equal(t, int64(1000000), out.Args["Big"])
	require.Equal(t, 5.5, out.Args["Rate"])
	require.Equal(t, "Programmes", out.Args["Title"])
	require.Equal(t, "ch", out.ChannelID)

	c := l10n.New()
	require.Contains(t, c.T("fr", "NoticeOrderAccepted", map[string]any{"Supplier": "Coop", "Number": "BC-2027-0001", "Revision": out.Args["Quantity"], "Actor": "anne"}), "(révision 3)")

	// A payload without arguments is written as before.
	raw, err = json.Marshal(guichet.OutboxPayload{LotID: 7})
	require.NoError(t, err)
	require.JSONEq(t, `{"lot_id":7}`, string(raw))
}
