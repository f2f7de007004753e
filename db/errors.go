package db

import "errors"

// Sentinel errors. Backends translate their driver errors into these at their
// edge; callers branch with errors.Is and never on error text.
var (
	// ErrNotFound: the object does not exist in the caller's team (or at all).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule was violated (email, userName, group name).
	ErrConflict = errors.New("already exists")
	// ErrStale: a compare-and-swap lost to a concurrent writer or an If-Match
	// version no longer matches.
	ErrStale = errors.New("changed concurrently")
	// ErrInvalid: the input breaks a field rule (missing name, malformed email).
	ErrInvalid = errors.New("invalid input")
	// ErrForbidden: the acting admin's role does not allow the change (R-ADM-4,
	// R-ADM-6, R-ADM-7).
	ErrForbidden = errors.New("not allowed")
	// ErrRule: the change would break a domain rule (R-ADM-1, R-ADM-2, R-ADM-5,
	// R-POL-6).
	ErrRule = errors.New("breaks a rule")
	// ErrUnavailable: the database could not be reached.
	ErrUnavailable = errors.New("database unavailable")
)

// Error is a domain error with a stable code, a message meant for the client,
// and the sentinel it wraps. Transports map Kind to a status code and show
// Message; the cause, if any, stays in the log.
type Error struct {
	Kind    error  // one of the sentinels above
	Code    string // stable machine-readable code, e.g. "last_primary_admin"
	Message string // a precise, human-readable explanation safe to show to the client
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is(err, db.ErrRule) work on an *Error.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf builds an *Error of the given kind and code.
func Errorf(kind error, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: sprintf(format, args...)}
}

// CodeOf returns the stable code of err: the *Error's Code if there is one,
// otherwise a code derived from the sentinel it wraps, or "internal".
func CodeOf(err error) string {
	var de *Error
	if errors.As(err, &de) && de.Code != "" {
		return de.Code
	}
	switch {
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrConflict):
		return "conflict"
	case errors.Is(err, ErrStale):
		return "stale"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrRule):
		return "rule_violation"
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	}
	return "internal"
}

// IsClientError reports whether err is the client's mistake (a 4xx), as
// opposed to an internal failure whose text must not reach the client.
func IsClientError(err error) bool {
	for _, s := range []error{ErrNotFound, ErrConflict, ErrStale, ErrInvalid, ErrForbidden, ErrRule} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
