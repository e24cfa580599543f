package bot

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testKey = []byte("0123456789abcdef0123456789abcdef-test-key")

func testSigner(t *testing.T) *Signer {
	t.Helper()
	s, err := NewSigner(testKey)
	require.NoError(t, err)
	return s
}

// roundTrip passes a context through JSON, as Mattermost stores and sends it back.
func roundTrip(t *testing.T, ctx map[string]any) map[string]any {
	t.Helper()
	js, err := json.Marshal(ctx)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(js, &out))
	return out
}

func TestNewSignerRefusesShortKeys(t *testing.T) {
	t.Parallel()
	_, err := NewSigner([]byte("short"))
	require.Error(t, err)
	_, err = NewSigner(nil)
	require.Error(t, err)
}

func TestButtonContextAcceptsWhatItIssued(t *testing.T) {
	t.Parallel()
	s := testSigner(t)
	now := time.Unix(1_700_000_000, 0)
	ctx := roundTrip(t, s.ButtonContext("claim", map[string]string{"lot": "42"}, "", now.Add(time.Hour)))
	ctx["selected_option"] = "ignored: Mattermost adds it to menus"
	action, fields, err := s.VerifyButton(ctx, "anyone", now)
	require.NoError(t, err)
	require.Equal(t, "claim", action)
	require.Equal(t, map[string]string{"lot": "42"}, fields)

	bound := roundTrip(t, s.ButtonContext("confirm", map[string]string{"reminder": "7"}, "user-a", now.Add(time.Hour)))
	_, _, err = s.VerifyButton(bound, "user-a", now)
	require.NoError(t, err)

	empty := roundTrip(t, s.ButtonContext("pass", nil, "", now.Add(time.Hour)))
	action, fields, err = s.VerifyButton(empty, "u", now)
	require.NoError(t, err)
	require.Equal(t, "pass", action)
	require.Empty(t, fields)
}

func TestButtonContextRefusals(t *testing.T) {
	t.Parallel()
	s := testSigner(t)
	other, err := NewSigner([]byte("another-key-another-key-another-key!"))
	require.NoError(t, err)
	now := time.Unix(1_700_000_000, 0)
	valid := func() map[string]any {
		return roundTrip(t, s.ButtonContext("claim", map[string]string{"lot": "42"}, "user-a", now.Add(time.Hour)))
	}
	cases := map[string]struct {
		ctx  func() map[string]any
		user string
		at   time.Time
		want *Refusal
	}{
		"missing context": {ctx: func() map[string]any { return nil }, user: "user-a", at: now, want: ErrUnsigned},
		"missing signature": {ctx: func() map[string]any {
			c := valid()
			delete(c, "sig")
			return c
		}, user: "user-a", at: now, want: ErrUnsigned},
		"empty signature": {ctx: func() map[string]any {
			c := valid()
			c["sig"] = ""
			return c
		}, user: "user-a", at: now, want: ErrUnsigned},
		"forged signature": {ctx: func() map[string]any {
			c := valid()
			c["sig"] = base64.RawURLEncoding.EncodeToString(make([]byte, 32))
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"signature not base64": {ctx: func() map[string]any {
			c := valid()
			c["sig"] = "%%%"
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"signed with another key": {ctx: func() map[string]any {
			return roundTrip(t, other.ButtonContext("claim", map[string]string{"lot": "42"}, "user-a", now.Add(time.Hour)))
		}, user: "user-a", at: now, want: ErrBadSignature},
		"tampered field": {ctx: func() map[string]any {
			c := valid()
			c["fields"].(map[string]any)["lot"] = "43"
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"added field": {ctx: func() map[string]any {
			c := valid()
			c["fields"].(map[string]any)["supplier"] = "7"
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"removed field": {ctx: func() map[string]any {
			c := valid()
			delete(c["fields"].(map[string]any), "lot")
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"field of another type": {ctx: func() map[string]any {
			c := valid()
			c["fields"].(map[string]any)["lot"] = 42.0
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"fields not an object": {ctx: func() map[string]any {
			c := valid()
			c["fields"] = "lot=42"
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"expiry pushed back": {ctx: func() map[string]any {
			c := valid()
			c["exp"] = "9999999999"
			return c
		}, user: "user-a", at: now.Add(2 * time.Hour), want: ErrBadSignature},
		"binding removed": {ctx: func() map[string]any {
			c := valid()
			c["user"] = ""
			return c
		}, user: "user-b", at: now, want: ErrBadSignature},
		"binding moved to the clicker": {ctx: func() map[string]any {
			c := valid()
			c["user"] = "user-b"
			return c
		}, user: "user-b", at: now, want: ErrBadSignature},
		"wrong user":       {ctx: valid, user: "user-b", at: now, want: ErrWrongUser},
		"no user":          {ctx: valid, user: "", at: now, want: ErrWrongUser},
		"expired":          {ctx: valid, user: "user-a", at: now.Add(time.Hour), want: ErrExpired},
		"expired long ago": {ctx: valid, user: "user-a", at: now.Add(1000 * time.Hour), want: ErrExpired},
		"replayed to another action": {ctx: func() map[string]any {
			c := valid()
			c["action"] = "withdraw"
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
		"no action": {ctx: func() map[string]any {
			c := valid()
			delete(c, "action")
			return c
		}, user: "user-a", at: now, want: ErrBadSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			action, fields, err := s.VerifyButton(tc.ctx(), tc.user, tc.at)
			require.ErrorIs(t, err, tc.want)
			require.Empty(t, action)
			require.Nil(t, fields)
		})
	}
}

// The encoding cannot be shifted: moving bytes between a field's name and its value, or
// between fields, changes the signature.
func TestSealEncodingIsUnambiguous(t *testing.T) {
	t.Parallel()
	s := testSigner(t)
	exp := time.Unix(1_800_000_000, 0)
	seals := []Seal{
		{Purpose: "action:claim", Expires: exp, Fields: map[string]string{"ab": "c"}},
		{Purpose: "action:claim", Expires: exp, Fields: map[string]string{"a": "bc"}},
		{Purpose: "action:claim", Expires: exp, Fields: map[string]string{"a": "b", "c": ""}},
		{Purpose: "action:clai", Expires: exp, Fields: map[string]string{"ma": "b"}},
		{Purpose: "action:claim", UserID: "u", Expires: exp},
		{Purpose: "action:claimu", Expires: exp},
		{Purpose: "action:claim", Expires: exp.Add(time.Second)},
	}
	seen := map[string]int{}
	for i, seal := range seals {
		sig := s.Sign(seal)
		if j, dup := seen[sig]; dup {
			t.Fatalf("seals %d and %d have the same signature", j, i)
		}
		seen[sig] = i
		for j, other := range seals {
			if i != j {
				require.ErrorIs(t, s.Verify(other, sig, "u", exp.Add(-time.Hour)), ErrBadSignature, "seal %d's signature accepted for seal %d", i, j)
			}
		}
	}
}

func TestDialogState(t *testing.T) {
	t.Parallel()
	s := testSigner(t)
	now := time.Unix(1_700_000_000, 0)
	signed := s.DialogState("bot.share", "user-a", `{"lot":42}`, now.Add(time.Hour))
	state, err := s.VerifyDialog(signed, "bot.share", "user-a", now)
	require.NoError(t, err)
	require.Equal(t, `{"lot":42}`, state)

	empty := s.DialogState("cmd.event", "user-a", "", now.Add(time.Hour))
	state, err = s.VerifyDialog(empty, "cmd.event", "user-a", now)
	require.NoError(t, err)
	require.Empty(t, state)

	parts := strings.Split(signed, ".")
	require.Len(t, parts, 3)
	tamper := func(mut func(d *dialogState)) string {
		js, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		var d dialogState
		require.NoError(t, json.Unmarshal(js, &d))
		mut(&d)
		js, err = json.Marshal(d)
		require.NoError(t, err)
		return "1." + base64.RawURLEncoding.EncodeToString(js) + "." + parts[2]
	}
	other, err := NewSigner([]byte("another-key-another-key-another-key!"))
	require.NoError(t, err)

	cases := map[string]struct {
		signed, callback, user string
		at                     time.Time
		want                   *Refusal
	}{
		"missing":                    {signed: "", callback: "bot.share", user: "user-a", at: now, want: ErrUnsigned},
		"plain state":                {signed: `{"lot":42}`, callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"no signature":               {signed: parts[0] + "." + parts[1] + ".", callback: "bot.share", user: "user-a", at: now, want: ErrUnsigned},
		"forged signature":           {signed: parts[0] + "." + parts[1] + "." + strings.Repeat("A", 43), callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"other key":                  {signed: other.DialogState("bot.share", "user-a", `{"lot":42}`, now.Add(time.Hour)), callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"unknown version":            {signed: "2." + parts[1] + "." + parts[2], callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"extra part":                 {signed: signed + ".x", callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"body not base64":            {signed: "1.%%%." + parts[2], callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"tampered state":             {signed: tamper(func(d *dialogState) { d.State = `{"lot":43}` }), callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"tampered user":              {signed: tamper(func(d *dialogState) { d.User = "user-b" }), callback: "bot.share", user: "user-b", at: now, want: ErrBadSignature},
		"tampered expiry":            {signed: tamper(func(d *dialogState) { d.Expires += 3600 }), callback: "bot.share", user: "user-a", at: now, want: ErrBadSignature},
		"tampered callback":          {signed: tamper(func(d *dialogState) { d.Callback = "cmd.award" }), callback: "cmd.award", user: "user-a", at: now, want: ErrBadSignature},
		"wrong user":                 {signed: signed, callback: "bot.share", user: "user-b", at: now, want: ErrWrongUser},
		"expired":                    {signed: signed, callback: "bot.share", user: "user-a", at: now.Add(time.Hour), want: ErrExpired},
		"replayed to other callback": {signed: signed, callback: "cmd.award", user: "user-a", at: now, want: ErrWrongTarget},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			state, err := s.VerifyDialog(tc.signed, tc.callback, tc.user, tc.at)
			require.ErrorIs(t, err, tc.want)
			require.Empty(t, state)
		})
	}
}

func TestCheckCommandToken(t *testing.T) {
	t.Parallel()
	tokens := []string{"tok-one-aaaaaaaaaaaaaaaaaaaa", "tok-two-bbbbbbbbbbbbbbbbbbbb"}
	cases := map[string]struct {
		got    string
		tokens []string
		want   error
	}{
		"first token":          {got: tokens[0], tokens: tokens, want: nil},
		"second token":         {got: tokens[1], tokens: tokens, want: nil},
		"wrong token":          {got: "tok-three-cccccccccccccccccc", tokens: tokens, want: ErrBadToken},
		"prefix of a token":    {got: tokens[0][:10], tokens: tokens, want: ErrBadToken},
		"token with more":      {got: tokens[0] + "x", tokens: tokens, want: ErrBadToken},
		"other case":           {got: strings.ToUpper(tokens[0]), tokens: tokens, want: ErrBadToken},
		"empty token":          {got: "", tokens: tokens, want: ErrNoToken},
		"empty configured":     {got: "", tokens: []string{""}, want: ErrNoToken},
		"none configured":      {got: "anything", tokens: nil, want: ErrBadToken},
		"blank configured":     {got: "x", tokens: []string{"", "y"}, want: ErrBadToken},
		"two tokens glued":     {got: tokens[0] + "," + tokens[1], tokens: tokens, want: ErrBadToken},
		"space around a token": {got: " " + tokens[0], tokens: tokens, want: ErrBadToken},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := CheckCommandToken(tc.got, tc.tokens)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}
