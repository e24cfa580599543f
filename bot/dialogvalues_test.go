package bot

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// A number field reaches the handlers as the text that was sent, whether Mattermost sent it as
// a JSON number or as a JSON string.
func TestDialogNumberFieldsAsNumbersOrStrings(t *testing.T) {
	sb := setupServer(t, nil)
	var got map[string]any
	sb.bot.HandleDialog("test.", func(_ context.Context, sub guichet.DialogSubmission) guichet.DialogReply {
		got = sub.Submission
		return guichet.DialogReply{}
	})
	state := sb.bot.signer.DialogState("test.qty", "marie-id", "", sb.now.Add(time.Hour))
	cases := map[string]struct {
		sent any
		want any
	}{
		"number":          {1234567, "1234567"},
		"string":          {"1234567", "1234567"},
		"decimal number":  {12.5, "12.5"},
		"large number":    {100000000000000000, "100000000000000000"},
		"boolean kept":    {true, true},
		"text kept as is": {" 12 ", " 12 "},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, _ := sb.postJSON(t, "/mattermost/dialog", &model.SubmitDialogRequest{CallbackId: "test.qty",
				State: state, UserId: "marie-id", ChannelId: "ch", Submission: map[string]any{"qty": tc.sent}})
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, tc.want, got["qty"])
		})
	}
}

// dialogValues also mends a submission decoded without json.Decoder.UseNumber.
func TestDialogValuesTurnsFloatsIntoText(t *testing.T) {
	require.Equal(t, map[string]any{"a": "1234567", "b": "0.25", "c": "x"},
		dialogValues(map[string]any{"a": float64(1234567), "b": 0.25, "c": "x"}))
}
