package db

import (
	"context"
	"time"
)

// ConsoleSession is a signed-in browser session of the admin console. Only
// the SHA-256 of its cookie secret is stored (HashToken). It ends at
// ExpiresAt (absolute), after the idle timeout without a request, when it
// is revoked, or at once when its user no longer holds power (the console
// checks the user's current state on every request).
type ConsoleSession struct {
	Hash       []byte
	TeamID     string
	UserID     string
	Method     string // how the user signed in: link, sso, password
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// Link purposes.
const (
	LinkSignIn = "signin" // a console sign-in link, for an active admin
	LinkReset  = "reset"  // a password-reset link, for an active user
)

// LoginLink is a single-use console link for one user: a sign-in link
// (admins only) or a password-reset link.
type LoginLink struct {
	Hash      []byte
	TeamID    string
	UserID    string
	Purpose   string // LinkSignIn (default) or LinkReset
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ConsoleSettings are a team's console preferences: where a user lands
// after signing in through SSO. Empty fields mean the console's defaults.
type ConsoleSettings struct {
	TeamID           string
	AdminDestination string // a console path, e.g. /console/users
	UserDestination  string // for users who are not admins, e.g. /console/products
}

// ConsoleStore is the console's storage: sessions, login links, settings.
type ConsoleStore interface {
	// CreateLoginLink stores a link: a sign-in link for an active admin of
	// the team (CheckActingAdmin), a reset link for an active user; it
	// audits console.login_link.create or console.reset_link.create.
	CreateLoginLink(ctx context.Context, l LoginLink, by Actor) error
	// UseLoginLink marks a link of the purpose used and returns it: once
	// only, and only before it expires; otherwise ErrNotFound (code
	// login_link_invalid). A sign-in link's use audits console.sign_in.
	UseLoginLink(ctx context.Context, hash []byte, purpose string, now time.Time) (LoginLink, error)
	// SetConsolePassword stores a user's password hash (an encoded argon2id
	// hash the console computes), audited as console.password.set without it.
	SetConsolePassword(ctx context.Context, teamID, userID, hash string, by Actor) error
	// ConsolePassword is a user's stored password hash; ErrNotFound if none.
	ConsolePassword(ctx context.Context, teamID, userID string) (string, error)
	// AuditConsole appends a console event (a sign-in, a lockout) to the
	// team's audit log, about the user.
	AuditConsole(ctx context.Context, teamID string, by Actor, action, userID string, details map[string]string) error
	// CreateConsoleSession stores a session.
	CreateConsoleSession(ctx context.Context, s ConsoleSession) error
	// TouchConsoleSession finds a live session (not revoked, before its
	// absolute expiry, seen within idle) and records now as its last use;
	// ErrNotFound (session_not_found) otherwise.
	TouchConsoleSession(ctx context.Context, hash []byte, now time.Time, idle time.Duration) (ConsoleSession, error)
	// RevokeConsoleSession ends one session (sign-out).
	RevokeConsoleSession(ctx context.Context, hash []byte, now time.Time) error
	// RevokeUserConsoleSessions ends every session of a user, returning how many.
	RevokeUserConsoleSessions(ctx context.Context, teamID, userID string, now time.Time) (int, error)
	// GetConsoleSettings returns the team's settings (zero fields if unset).
	GetConsoleSettings(ctx context.Context, teamID string) (ConsoleSettings, error)
	// SetConsoleSettings stores the team's settings, audited.
	SetConsoleSettings(ctx context.Context, c ConsoleSettings, by Actor) error
}
