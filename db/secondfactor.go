package db

import (
	"context"
	"time"
)

// LinkSecondFactor is the purpose of the single-use, short-lived link that
// carries a password sign-in from its first step (the password) to its
// second (the authenticator code); it never signs anyone in by itself.
const LinkSecondFactor = "second_factor"

// TOTP is a user's authenticator-app enrolment (RFC 6238) for console
// password sign-in. Sealed is the secret as the console encrypted it
// (AES-256-GCM with the configured console key): the store never sees the
// secret itself. LastStep is the last time step accepted, so a code is
// accepted once, across replicas.
type TOTP struct {
	TeamID      string
	UserID      string
	Sealed      []byte
	ConfirmedAt *time.Time // nil: enrolment started, not confirmed yet
	LastStep    int64
	CreatedAt   time.Time
}

// SecondFactorStore is the storage of console second factors.
type SecondFactorStore interface {
	// StartTOTP stores a new, unconfirmed enrolment with the SHA-256 hashes
	// of its recovery codes (HashToken), replacing an unconfirmed one; a
	// confirmed enrolment must be disabled first (ErrConflict totp_enrolled).
	StartTOTP(ctx context.Context, t TOTP, recoveryHashes [][]byte, by Actor) error
	// GetTOTP is the user's enrolment; ErrNotFound (totp_not_enrolled) if none.
	GetTOTP(ctx context.Context, teamID, userID string) (TOTP, error)
	// ConfirmTOTP marks the enrolment confirmed with the step of the code
	// that proved it, audited as console.totp.enable.
	ConfirmTOTP(ctx context.Context, teamID, userID string, step int64, at time.Time, by Actor) error
	// UseTOTPStep accepts a code's time step once: only when it is later
	// than the last one accepted (one conditional UPDATE); otherwise
	// ErrConflict (totp_replayed).
	UseTOTPStep(ctx context.Context, teamID, userID string, step int64) error
	// UseRecoveryCode spends one unused recovery code of a confirmed
	// enrolment by its hash, audited as console.totp.recovery_code;
	// ErrNotFound (recovery_code_invalid) otherwise.
	UseRecoveryCode(ctx context.Context, teamID, userID string, hash []byte, at time.Time) (remaining int, err error)
	// DeleteTOTP removes the enrolment and its recovery codes, audited as
	// console.totp.disable; ErrNotFound if there is none.
	DeleteTOTP(ctx context.Context, teamID, userID string, by Actor) error
}
