package db

import (
	"context"
	"time"
)

// ThrottleStore counts failed sign-in attempts in the database, so every
// replica sees the same counts (the console's password and code throttle).
// Keys are opaque (the console passes a SHA-256 of scope, account or
// address), never an email or address in clear.
type ThrottleStore interface {
	// RecordFailure adds a failure of key at at and drops its failures
	// older than since; it returns how many remain (this one included).
	RecordFailure(ctx context.Context, key []byte, at, since time.Time) (int, error)
	// CountFailures is how many failures key has at or after since.
	CountFailures(ctx context.Context, key []byte, since time.Time) (int, error)
	// ClearFailures forgets key's failures (a successful sign-in).
	ClearFailures(ctx context.Context, key []byte) error
}
