// Package guichet holds Guichet's domain: the types, the rules that keep them consistent, the
// error codes that reach people, and the interfaces that the adapters (db, bot, commands,
// scheduler, report) implement or use. It imports no adapter.
package guichet

import (
	"errors"
	"fmt"
)

// Error codes. Every error meant for a person carries one of them; adapters map codes to
// transport statuses in one place each.
const (
	EINVALID      = "invalid"      // the input is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // the thing named does not exist
	ECONFLICT     = "conflict"     // the change clashes with the current state (taken, full, duplicate code)
	EFORBIDDEN    = "forbidden"    // the person may not do this
	EUNAUTHORIZED = "unauthorized" // the request could not be authenticated
	EINTERNAL     = "internal"     // anything else; details are logged, never shown
)

// Error is an error meant to be shown to a person. MessageID names a message in the
// catalogues (see package l10n) and Args fills its template; Code classifies it.
type Error struct {
	Code      string
	MessageID string
	Args      map[string]any
}

// Error returns a stable English rendering for logs: the code, the message id and its arguments.
func (e *Error) Error() string {
	if len(e.Args) == 0 {
		return fmt.Sprintf("guichet %s: %s", e.Code, e.MessageID)
	}
	return fmt.Sprintf("guichet %s: %s %v", e.Code, e.MessageID, e.Args)
}

// Errorf returns an *Error with the given code, catalogue message id and arguments, given as
// alternating key, value pairs.
func Errorf(code, messageID string, kv ...any) *Error {
	e := &Error{Code: code, MessageID: messageID}
	if len(kv) > 0 {
		e.Args = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Args[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return e
}

// Is reports whether target is an *Error of the same kind: the same code and message id,
// whatever the arguments. errors.Is(err, ErrSlug) thus tells an invalid slug from any other
// error (see errorkinds.go), without comparing message ids by hand.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.MessageID == e.MessageID
}

// ErrorCode returns the code of err if it is or wraps an *Error, EINTERNAL otherwise and ""
// for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// AsError returns the *Error inside err, or nil when err carries no message for a person.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
