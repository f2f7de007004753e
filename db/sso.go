package db

import (
	"context"
	"time"
)

// SSOConfig is a team's SAML single sign-on connection (R-ADM-7): the
// identity provider it trusts and how sign-ins through it are handled.
type SSOConfig struct {
	TeamID string
	// IdPMetadataXML is the last good IdP metadata (uploaded or fetched).
	IdPMetadataXML string
	// IdPMetadataURL, if set, is where the metadata is refreshed from.
	IdPMetadataURL string
	// IdPEntityID is the entity ID read from the metadata.
	IdPEntityID string
	// MetadataRefreshedAt is the last successful fetch of IdPMetadataURL.
	MetadataRefreshedAt *time.Time
	// MetadataError is the last failed refresh's reason ("" after a success).
	MetadataError   string
	MetadataErrorAt *time.Time
	// TrustedCerts are the IdP signing certificates trusted at once, so a
	// rollover never breaks sign-in.
	TrustedCerts []SSOCert
	// Domains are the connection's email domains; asserted emails must be in
	// one of them when any are set. Enforcement applies to verified ones.
	Domains []SSODomain
	// AttributePreset is "generic", "entra" or "okta"; Attributes override it.
	AttributePreset string
	Attributes      SSOAttributeMap
	// JIT creates unknown users at their first sign-in.
	JIT bool
	// AllowIdPInitiated accepts unsolicited responses (off by default).
	AllowIdPInitiated bool
	// EnforceSSO refuses other sign-in paths for verified domains, except
	// for the primary admin (break-glass).
	EnforceSSO bool
	// AllowSHA1 accepts RSA-SHA1 signatures (off by default).
	AllowSHA1 bool
	// ClockSkew is the tolerated clock difference with the IdP.
	ClockSkew time.Duration
	Version   int64
	UpdatedAt time.Time
}

// SSOCert is one trusted IdP signing certificate.
type SSOCert struct {
	PEM         string
	Fingerprint string // hex SHA-256 of the DER
	Subject     string
	NotAfter    time.Time
	// FromMetadata is true for certificates read from the IdP metadata (and
	// replaced when it changes), false for ones an admin added by hand.
	FromMetadata bool
}

// SSODomain is an email domain of a connection and its DNS TXT verification.
type SSODomain struct {
	Name       string
	Token      string // the value expected in a TXT record
	VerifiedAt *time.Time
}

// SSOAttributeMap names the SAML attributes holding a user's email and
// names; an empty field falls back to the preset.
type SSOAttributeMap struct {
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// SSOKey is one of a team's service-provider key pairs. The newest is used
// for signing; older ones stay published and usable for decryption until
// retired, so a rotation overlaps.
type SSOKey struct {
	ID            string
	TeamID        string
	PrivateKeyPEM string // PKCS#8; a secret, never logged or shown
	CertPEM       string
	CreatedAt     time.Time
}

// SSORequest is an AuthnRequest in flight, keyed by the RelayState sent with
// it. It is single-use and expires.
type SSORequest struct {
	RelayState string
	TeamID     string
	RequestID  string
	ReturnTo   string // a path on Roster
	// TestBy, if set, is the admin who started a test-mode sign-in.
	TestBy    string
	ExpiresAt time.Time
}

// SSOSession is a signed-in browser session. Only the SHA-256 of the
// cookie's secret is stored.
type SSOSession struct {
	Hash      []byte
	TeamID    string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SSOStamp names the version of a team's SSO configuration and SP keys:
// when it is unchanged, a configuration built from them is still current.
type SSOStamp struct {
	Version int64
	KeyIDs  []string // newest first
}

// SSOUse is a replay-cache key a sign-in consumes (an assertion ID, or
// "request:<ID>" for a state cookie's AuthnRequest) and until when it is
// kept.
type SSOUse struct {
	Key       string
	ExpiresAt time.Time
}

// SSOSignIn is the database side of one verified sign-in, done in one
// transaction (issue 15): record the replay keys, find the user by email,
// let Match decide, create the user just in time if it says so (through the
// one writer, audited), and start the session (a pending member's first
// session makes them active, R-MEM-3).
type SSOSignIn struct {
	TeamID string
	Email  string
	Now    time.Time
	Used   []SSOUse
	// Match sees the user with Email (found false if there is none) and
	// returns nil to sign that user in, a user to create (JIT) with the
	// actor to audit, or an error refusing the sign-in, which rolls the
	// whole transaction back. It may run more than once (group commit) and
	// must not keep state between runs.
	Match func(u User, found bool) (create *NewUser, by Actor, err error)
	// Session is the session to start; its TeamID and UserID are filled in.
	Session SSOSession
}

// SSOSignedIn is what a committed SSOSignIn did.
type SSOSignedIn struct {
	User    User // as it is after the sign-in (a pending member is now active)
	Created bool // Match asked for the user and it was created
}

// SSOStore is the storage the sso package needs beyond Store.
type SSOStore interface {
	// GetSSOConfig returns the team's configuration, ErrNotFound if none.
	GetSSOConfig(ctx context.Context, teamID string) (SSOConfig, error)
	// PutSSOConfig creates or replaces the configuration and audits the
	// change as action with details. If ifVersion is non-zero and differs
	// from the stored version, it returns ErrStale.
	PutSSOConfig(ctx context.Context, c SSOConfig, ifVersion int64, by Actor, action string, details any) (SSOConfig, error)
	// DeleteSSOConfig removes the configuration (audited).
	DeleteSSOConfig(ctx context.Context, teamID string, by Actor) error
	// ListSSOConfigs lists every team's configuration (for refreshes).
	ListSSOConfigs(ctx context.Context) ([]SSOConfig, error)

	// SSOStamp returns the version of the team's configuration and the ids
	// of its SP keys in one round trip, ErrNotFound if it has no
	// configuration.
	SSOStamp(ctx context.Context, teamID string) (SSOStamp, error)
	// SSOKeys lists the team's SP keys, newest first.
	SSOKeys(ctx context.Context, teamID string) ([]SSOKey, error)
	// AddSSOKey stores a new key pair (audited).
	AddSSOKey(ctx context.Context, k SSOKey, by Actor) error
	// DeleteSSOKey retires a key (audited); the last key cannot be removed.
	DeleteSSOKey(ctx context.Context, teamID, keyID string, by Actor) error

	// PutSSORequest records an AuthnRequest in flight.
	PutSSORequest(ctx context.Context, r SSORequest) error
	// TakeSSORequest removes and returns the request for relayState, once;
	// ErrNotFound if there is none or it expired before now.
	TakeSSORequest(ctx context.Context, teamID, relayState string, now time.Time) (SSORequest, error)
	// MarkSSOAssertion records that an assertion ID was used, until
	// expiresAt. It returns ErrConflict if it was already recorded: a replay.
	MarkSSOAssertion(ctx context.Context, teamID, assertionID string, expiresAt, now time.Time) error

	// SignInSSO records a verified sign-in in one transaction (SSOSignIn).
	// It returns ErrConflict ("assertion_replayed") and writes nothing if a
	// replay key is already recorded and unexpired; Match's error, and
	// writes nothing, when Match refuses; ErrConflict (not a replay) or
	// ErrStale (a deadlock) when a concurrent sign-in created the same user
	// first, after which it may be run again: nothing of it was written.
	SignInSSO(ctx context.Context, in SSOSignIn) (SSOSignedIn, error)
	// CreateSSOSession stores a session.
	CreateSSOSession(ctx context.Context, s SSOSession) error
	// GetSSOSession finds an unexpired session by hash, ErrNotFound otherwise.
	GetSSOSession(ctx context.Context, hash []byte, now time.Time) (SSOSession, error)
	// DeleteSSOSession ends a session.
	DeleteSSOSession(ctx context.Context, hash []byte) error
	// PurgeSSO deletes expired requests, replay entries and sessions.
	PurgeSSO(ctx context.Context, now time.Time) error
}
