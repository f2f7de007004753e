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

	// CreateSSOSession stores a session.
	CreateSSOSession(ctx context.Context, s SSOSession) error
	// GetSSOSession finds an unexpired session by hash, ErrNotFound otherwise.
	GetSSOSession(ctx context.Context, hash []byte, now time.Time) (SSOSession, error)
	// DeleteSSOSession ends a session.
	DeleteSSOSession(ctx context.Context, hash []byte) error
	// PurgeSSO deletes expired requests, replay entries and sessions.
	PurgeSSO(ctx context.Context, now time.Time) error
}
