package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file is the one place where requests that reach the bot are authenticated. Mattermost
// signs nothing it sends: slash commands carry the command's token, and button clicks and
// dialog submissions carry back whatever context or state the bot gave them. So the token is
// compared in constant time with the configured ones, and every context and state the bot hands
// out carries an HMAC-SHA256 signature over its fields, the action or callback it is for, the
// user it is bound to (if any) and an expiry. Anything else is refused before a handler runs.

// MinSigningKey is the shortest signing key accepted, in bytes.
const MinSigningKey = 32

// Refusal is why a request was refused; Status is the HTTP status to answer with: 401 when the
// request carries no credential or a wrong command token, 403 when a signed context or state
// does not hold (forged, tampered, expired, for another user or callback).
type Refusal struct {
	Status int
	Reason string
}

func (r *Refusal) Error() string { return "refused: " + r.Reason }

// The refusals, by cause. Reasons go to logs only.
var (
	ErrUnsigned     = &Refusal{Status: http.StatusUnauthorized, Reason: "no signature"}
	ErrBadSignature = &Refusal{Status: http.StatusForbidden, Reason: "bad signature"}
	ErrExpired      = &Refusal{Status: http.StatusForbidden, Reason: "expired"}
	ErrWrongUser    = &Refusal{Status: http.StatusForbidden, Reason: "bound to another user"}
	ErrWrongTarget  = &Refusal{Status: http.StatusForbidden, Reason: "issued for another callback"}
	ErrNoToken      = &Refusal{Status: http.StatusUnauthorized, Reason: "no command token"}
	ErrBadToken     = &Refusal{Status: http.StatusUnauthorized, Reason: "wrong command token"}
)

// Signer signs and verifies button contexts and dialog states with HMAC-SHA256. It is safe for
// concurrent use.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer using key, which must be at least MinSigningKey bytes long.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinSigningKey {
		return nil, fmt.Errorf("signing key: %d bytes, at least %d needed", len(key), MinSigningKey)
	}
	return &Signer{key: append([]byte(nil), key...)}, nil
}

// Seal is what one signature covers.
type Seal struct {
	// Purpose says what the signed thing is for: "action:<name>" or "dialog:<callback id>", so
	// that a context issued for one action is worthless for another.
	Purpose string
	// UserID, when not empty, is the only Mattermost user who may use it.
	UserID string
	// Expires is when it stops being accepted (second precision).
	Expires time.Time
	// Fields are the values the handler will trust.
	Fields map[string]string
}

// Sign returns the signature of seal (43 characters of base64url).
func (s *Signer) Sign(seal Seal) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(seal))
}

// Verify checks sig against seal: ErrUnsigned when sig is empty, ErrBadSignature when it does
// not match, ErrExpired from the expiry on, ErrWrongUser when seal is bound to a user other
// than userID.
func (s *Signer) Verify(seal Seal, sig, userID string, now time.Time) error {
	if sig == "" {
		return ErrUnsigned
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(seal)) {
		return ErrBadSignature
	}
	if !now.Before(seal.Expires.Truncate(time.Second)) {
		return ErrExpired
	}
	if seal.UserID != "" && seal.UserID != userID {
		return ErrWrongUser
	}
	return nil
}

// mac is HMAC-SHA256 over a canonical encoding of seal: every part length-prefixed, fields
// sorted by name, so that no two different seals encode alike.
func (s *Signer) mac(seal Seal) []byte {
	h := hmac.New(sha256.New, s.key)
	put := func(v string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(v)))
		h.Write(n[:])
		h.Write([]byte(v))
	}
	put("guichet-seal-v1")
	put(seal.Purpose)
	put(seal.UserID)
	put(strconv.FormatInt(seal.Expires.Unix(), 10))
	names := make([]string, 0, len(seal.Fields))
	for k := range seal.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	put(strconv.Itoa(len(names)))
	for _, k := range names {
		put(k)
		put(seal.Fields[k])
	}
	return h.Sum(nil)
}

// Keys of a signed button context.
const (
	ctxAction = "action"
	ctxUser   = "user"
	ctxExpiry = "exp"
	ctxFields = "fields"
	ctxSig    = "sig"
)

// ButtonContext returns the Integration.Context of a button for action, carrying fields, bound
// to userID when it is not empty, valid until expires.
func (s *Signer) ButtonContext(action string, fields map[string]string, userID string, expires time.Time) map[string]any {
	if fields == nil {
		fields = map[string]string{}
	}
	seal := Seal{Purpose: "action:" + action, UserID: userID, Expires: expires, Fields: fields}
	f := make(map[string]any, len(fields))
	for k, v := range fields {
		f[k] = v
	}
	return map[string]any{
		ctxAction: action,
		ctxUser:   userID,
		ctxExpiry: strconv.FormatInt(expires.Unix(), 10),
		ctxFields: f,
		ctxSig:    s.Sign(seal),
	}
}

// VerifyButton checks the context of a click by userID and returns the action and the fields
// it was issued with. Keys the bot did not put there (Mattermost adds "selected_option" to
// menus) are ignored: only signed values are returned.
func (s *Signer) VerifyButton(context map[string]any, userID string, now time.Time) (action string, fields map[string]string, err error) {
	sig, _ := context[ctxSig].(string)
	if sig == "" {
		return "", nil, ErrUnsigned
	}
	action, ok1 := context[ctxAction].(string)
	bound, ok2 := context[ctxUser].(string)
	expRaw, ok3 := context[ctxExpiry].(string)
	rawFields, ok4 := context[ctxFields].(map[string]any)
	if context[ctxFields] == nil {
		rawFields, ok4 = map[string]any{}, true
	}
	exp, err := strconv.ParseInt(expRaw, 10, 64)
	if !ok1 || !ok2 || !ok3 || !ok4 || err != nil || action == "" {
		return "", nil, ErrBadSignature
	}
	fields = make(map[string]string, len(rawFields))
	for k, v := range rawFields {
		str, ok := v.(string)
		if !ok {
			return "", nil, ErrBadSignature
		}
		fields[k] = str
	}
	seal := Seal{Purpose: "action:" + action, UserID: bound, Expires: time.Unix(exp, 0), Fields: fields}
	if err := s.Verify(seal, sig, userID, now); err != nil {
		return "", nil, err
	}
	return action, fields, nil
}

// dialogState is the signed envelope of a dialog's state.
type dialogState struct {
	Callback string `json:"c"`
	User     string `json:"u"`
	Expires  int64  `json:"e"`
	State    string `json:"s"`
}

// DialogState wraps state for a dialog with callbackID opened for userID, valid until expires:
// "1.<base64url JSON>.<signature>". Mattermost shows it to the client; it is read back by
// VerifyDialog.
func (s *Signer) DialogState(callbackID, userID, state string, expires time.Time) string {
	env := dialogState{Callback: callbackID, User: userID, Expires: expires.Unix(), State: state}
	js, _ := json.Marshal(env)
	return "1." + base64.RawURLEncoding.EncodeToString(js) + "." + s.Sign(env.seal())
}

func (d dialogState) seal() Seal {
	return Seal{Purpose: "dialog:" + d.Callback, UserID: d.User, Expires: time.Unix(d.Expires, 0),
		Fields: map[string]string{"state": d.State}}
}

// VerifyDialog checks the signed state of a dialog submitted by userID under callbackID and
// returns the state it wraps. A state issued for another callback is ErrWrongTarget, for
// another user ErrWrongUser.
func (s *Signer) VerifyDialog(signed, callbackID, userID string, now time.Time) (string, error) {
	if signed == "" {
		return "", ErrUnsigned
	}
	parts := strings.Split(signed, ".")
	if len(parts) != 3 || parts[0] != "1" {
		return "", ErrBadSignature
	}
	js, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", ErrBadSignature
	}
	var env dialogState
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return "", ErrBadSignature
	}
	if err := s.Verify(env.seal(), parts[2], userID, now); err != nil {
		return "", err
	}
	if env.Callback != callbackID {
		return "", ErrWrongTarget
	}
	return env.State, nil
}

// CheckCommandToken compares got, the token a slash command request carries, with each of the
// configured tokens in constant time (empty configured tokens never match). ErrNoToken when got
// is empty, ErrBadToken when it matches none.
func CheckCommandToken(got string, tokens []string) error {
	if got == "" {
		return ErrNoToken
	}
	// Hashing first makes the comparison independent of the tokens' lengths too.
	gh := sha256.Sum256([]byte(got))
	match := 0
	for _, t := range tokens {
		if t == "" {
			continue
		}
		th := sha256.Sum256([]byte(t))
		match |= subtle.ConstantTimeCompare(gh[:], th[:])
	}
	if match != 1 {
		return ErrBadToken
	}
	return nil
}

// commandToken returns the token of a slash command request: the form's "token", or the
// "Authorization: Token …" header Mattermost also sends.
func commandToken(r *http.Request) string {
	if t := r.PostFormValue("token"); t != "" {
		return t
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Token ") {
		return strings.TrimSpace(strings.TrimPrefix(h, "Token "))
	}
	return ""
}

// refuse answers a refused request with its status and logs why (never the token or the
// signature); it returns the outcome to count. Nothing was changed: refusals happen before any
// handler runs.
func (b *Bot) refuse(w http.ResponseWriter, r *http.Request, endpoint, userID string, err error) string {
	var ref *Refusal
	if !errors.As(err, &ref) {
		ref = ErrBadSignature
	}
	b.logger.Warn("request refused", "endpoint", endpoint, "reason", ref.Reason,
		"user_id", userID, "remote", r.RemoteAddr)
	http.Error(w, http.StatusText(ref.Status), ref.Status)
	return "refused"
}
