package bot

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/mattermost/mattermost/server/public/model"
)

// decodeDialogRequest reads a dialog submission as Mattermost sends it. The values of its
// fields reach the handlers as Mattermost's servers send them, with one difference that this
// function removes: a `text` element of subtype `number` arrives as a JSON string from some
// servers and as a JSON number from others (and a select's value may be either). Every JSON
// number is handed on as the string of its digits exactly as sent ("1234567", "12.5"), never as
// a float64, whose default formatting turns 1234567 into "1.234567e+06". Strings, booleans and
// nulls are kept as they are. This is the one place where submissions are decoded.
func decodeDialogRequest(r io.Reader) (model.SubmitDialogRequest, error) {
	var req model.SubmitDialogRequest
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return req, err
	}
	req.Submission = dialogValues(req.Submission)
	return req, nil
}

// dialogValues returns submission with every json.Number (or float64, for callers that decoded
// without UseNumber) turned into its text; nested values are left alone.
func dialogValues(submission map[string]any) map[string]any {
	for name, v := range submission {
		switch n := v.(type) {
		case json.Number:
			submission[name] = n.String()
		case float64:
			var b bytes.Buffer
			// Encoding a float64 gives the shortest form without an exponent for integers
			// below 1e21, as people type them.
			_ = json.NewEncoder(&b).Encode(n)
			submission[name] = string(bytes.TrimSpace(b.Bytes()))
		}
	}
	return submission
}
