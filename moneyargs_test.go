package guichet_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// An amount among an outbox message's arguments comes back from JSON as an amount, so that
// the catalogues write it in the reader's language; other arguments come back as JSON gives
// them.
func TestOutboxPayloadKeepsAmounts(t *testing.T) {
	in := guichet.OutboxPayload{ChannelID: "ch", MessageID: "NoticeAwarded",
		Args: map[string]any{"Amount": guichet.Cents(1234_50), "Quantity": int64(3), "Title": "Programmes"}}
	raw, err := json.Marshal(in)
	require.NoError(t, err)
	m := &guichet.OutboxMessage{PayloadJSON: raw}
	out, err := m.Payload()
	require.NoError(t, err)
	require.Equal(t, guichet.Cents(1234_50), out.Args["Amount"])
	require.Equal(t, float64(3), out.Args["Quantity"])
	require.Equal(t, "Programmes", out.Args["Title"])
	require.Equal(t, "ch", out.ChannelID)

	// A payload without arguments is written as before.
	raw, err = json.Marshal(guichet.OutboxPayload{LotID: 7})
	require.NoError(t, err)
	require.JSONEq(t, `{"lot_id":7}`, string(raw))
}
