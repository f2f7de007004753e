package db

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Account is the customer organisation. It holds teams and contracts.
type Account struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Team is the unit of user management inside an account.
type Team struct {
	ID            string
	AccountID     string
	Name          string
	PrimaryUserID string // the user holding the primary admin role (R-ADM-1)
	Policy        Policy // the user role policy (R-POL-1)
	CreatedAt     time.Time
}

// PolicyMode selects how the role policy classifies new users (R-POL-1).
type PolicyMode string

// The two policy modes of R-POL-1.
const (
	PolicyDefault PolicyMode = "default"
	PolicyDomain  PolicyMode = "domain"
)

// Policy is a team's user role policy: the mode and, in domain mode, the
// approved email domains (normalised, see rolepolicy.NormalizeDomain).
type Policy struct {
	Mode    PolicyMode
	Domains []string
}

// Status is a user's lifecycle state (seed 002).
type Status string

// User statuses.
const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
	StatusPending  Status = "pending"
)

// UserType is the role-policy classification of a user (R-POL).
type UserType string

// User types.
const (
	TypeStandard UserType = "standard"
	TypeExternal UserType = "external"
)

// Source is the path that added a user.
type Source string

// Sources a user can come from.
const (
	SourceSCIM      Source = "scim"
	SourceDirectory Source = "directory"
	SourceSSO       Source = "sso"
	SourceAdmin     Source = "admin"
	SourceProduct   Source = "product"
)

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool {
	switch s {
	case SourceSCIM, SourceDirectory, SourceSSO, SourceAdmin, SourceProduct:
		return true
	}
	return false
}

// Role is an admin role within a team (R-ADM). The empty role is "not an admin".
type Role string

// Admin roles.
const (
	RoleNone      Role = ""
	RolePrimary   Role = "primary"
	RoleSecondary Role = "secondary"
	RoleSSO       Role = "sso"
)

// ParseRole accepts the CLI/API spellings of a role ("none" is RoleNone).
func ParseRole(s string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "primary":
		return RolePrimary, true
	case "secondary":
		return RoleSecondary, true
	case "sso":
		return RoleSSO, true
	case "none", "":
		return RoleNone, true
	}
	return RoleNone, false
}

// IsAdmin reports whether r is any admin role.
func (r Role) IsAdmin() bool { return r != RoleNone }

// CheckActingAdmin is the one rule for "may u act as an admin now": u must
// hold an admin role and be active (DOMAIN.md: an active status is part of
// every role), so deactivating an admin takes their power away at once on
// every path that resolves an acting admin (admin API tokens, CLI --as, SSO
// configuration, sessions). It returns ErrForbidden (not_admin or
// admin_inactive) otherwise; which roles may do what is the caller's table.
func CheckActingAdmin(u User) error {
	if !u.AdminRole.IsAdmin() {
		return Errorf(ErrForbidden, "not_admin", "%s is not an admin of this team", u.Email)
	}
	if u.Status != StatusActive {
		return Errorf(ErrForbidden, "admin_inactive", "%s is %s and holds no admin power until reactivated", u.Email, u.Status)
	}
	return nil
}

// PrimaryInactiveError is the refusal to deactivate a team's primary admin
// (R-ADM-1: a team always has a working primary admin).
func PrimaryInactiveError(email string) *Error {
	return Errorf(ErrRule, "primary_admin_inactive", "R-ADM-1: %s is the team's primary admin and must stay active; make another secondary admin primary first (the primary role moves, and %s becomes a secondary admin), then deactivate", email, email)
}

// User is a named person in a team. Email is the login identity and is unique
// within the team, compared case-insensitively.
type User struct {
	ID         string
	TeamID     string
	UserName   string // SCIM userName; defaults to Email; unique per team, case-insensitive
	Email      string
	FirstName  string
	LastName   string
	Status     Status
	Type       UserType
	Source     Source
	AdminRole  Role
	ExternalID string // the provisioning client's id (SCIM externalId); case-exact
	// Attributes holds the remaining SCIM attributes as JSON (phone numbers,
	// enterprise extension, ...), owned by the scim package.
	Attributes []byte
	Version    int64 // bumped on every change; SCIM's meta.version
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Exception reports whether the user's type differs from expected. Admins are
// never exceptions (R-POL-4, R-ADM-9).
func (u User) Exception(expected UserType) bool {
	return !u.AdminRole.IsAdmin() && expected != "" && u.Type != expected
}

// NormalizeEmail trims and lower-cases an email for comparison and unique
// indexes (emails compare case-insensitively, DOMAIN.md "User").
func NormalizeEmail(email string) string {
	if !utf8.ValidString(email) {
		return email // as is, so CheckText still rejects it (ToLower would hide the bad bytes)
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// EmailDomain returns the part after the last '@', lower-cased.
func EmailDomain(email string) string {
	e := NormalizeEmail(email)
	if i := strings.LastIndexByte(e, '@'); i >= 0 {
		return strings.TrimSuffix(e[i+1:], ".")
	}
	return ""
}

// ValidateEmail checks that email is a single plain address.
func ValidateEmail(email string) error {
	e := strings.TrimSpace(email)
	if e == "" {
		return Errorf(ErrInvalid, "email_required", "email is required")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return Errorf(ErrInvalid, "email_invalid", "email %q is not a valid address", email)
	}
	return nil
}

// Actor says who made a change, for authorization and the audit log.
type Actor struct {
	Kind ActorKind
	ID   string // user id, token id, directory connection id, ...
	Name string // a human-readable label (an email, a token prefix); never a secret
}

// ActorKind classifies who made a change.
type ActorKind string

// Kinds of actors recorded in the audit log.
const (
	ActorAdmin     ActorKind = "admin"     // an admin via the API or CLI (--as)
	ActorSCIMToken ActorKind = "scim"      // a SCIM bearer token
	ActorDirectory ActorKind = "directory" // a directory sync connection
	ActorSSO       ActorKind = "sso"       // a SAML sign-in (JIT provisioning)
	ActorOperator  ActorKind = "operator"  // the CLI run by an operator on the database directly
	ActorProduct   ActorKind = "product"   // a collaboration product adding a user
)

// Group is a set of a team's users.
type Group struct {
	ID          string
	TeamID      string
	DisplayName string // unique per team, case-insensitive
	ExternalID  string
	Source      Source
	Attributes  []byte // extra SCIM attributes as JSON
	MemberCount int
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TokenKind says what a bearer token grants.
type TokenKind string

// Token kinds.
const (
	TokenSCIM  TokenKind = "scim"  // SCIM provisioning for one team
	TokenAdmin TokenKind = "admin" // the admin API, acting as one admin user
)

// Token is a stored bearer token. Only a hash of the secret is stored; the
// secret is shown once at creation.
type Token struct {
	ID         string
	TeamID     string
	Kind       TokenKind
	UserID     string // for admin tokens: the admin it acts as
	Prefix     string // first characters of the secret, to recognise it in lists
	Hash       []byte // SHA-256 of the secret
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// AuditEntry records one change: who, what, when.
type AuditEntry struct {
	ID         int64
	TeamID     string
	At         time.Time
	Actor      Actor
	Action     string // e.g. "user.create", "admin.set", "team.create"
	TargetKind string // "user", "group", "team", "token", "policy", ...
	TargetID   string
	Details    string // a short JSON object; never a secret
}

// Event is one audited change as other systems consume it (issue 14 #4):
// written by the store in the transaction of its audit entry (a
// transactional outbox), so every audit entry has exactly one event.
type Event struct {
	ID         int64
	TeamID     string
	At         time.Time
	Type       string // e.g. "user.created", "group.deleted", "role.changed"
	AuditID    int64
	TargetKind string
	TargetID   string
	Payload    string // JSON: {"target":{...},"actor":{...},"details":{...}}
}

// Contract is a classic-user-management contract of an account (R-CLS-1):
// one contract manager (the purchaser: renewal and billing), at most one
// software coordinator, its products and seats. It is kept apart from admin
// roles: changing one never changes the other (R-ADM-8).
type Contract struct {
	ID                  string
	AccountID           string
	Number              string // unique per account
	ContractManager     string // email
	SoftwareCoordinator string // email; empty until the contract manager assigns one
	Products            []string
	Seats               int
	CreatedAt           time.Time
}
