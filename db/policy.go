package db

import (
	"context"
	"time"
)

// MaxPolicyDomains caps a policy's approved domains (R-POL-3). Beyond it
// SetPolicy, ModifyPolicyDomains and PreviewPolicy return ErrInvalid
// "too_many_domains". The cap keeps a dry run's SQL within every database's
// parameter limit (it binds each proposed domain twice) and a policy change's
// audit entry small.
const MaxPolicyDomains = 1000

// PolicyStore is the storage the user role policy needs beyond Store
// (R-POL-1..R-POL-9). Every query about exceptions is computed by the
// database from the team's policy, its approved domains and each user's
// email domain and source, so a team of any size is never loaded into
// memory. Admins are never exceptions and never change type (R-POL-4).
type PolicyStore interface {
	// SetPolicy sets the team's policy mode and its exact list of approved
	// domains in one transaction that touches no user row (R-POL-5). Domain
	// mode needs at least one domain: emptying the list of a domain-mode team
	// is ErrRule "last_domain", switching to domain mode without domains is
	// ErrRule "domain_required" (R-POL-6). Domains must already be normalised
	// (rolepolicy.NormalizeDomain); anything else is ErrInvalid "domain_invalid".
	SetPolicy(ctx context.Context, teamID string, p Policy, by Actor) (Policy, error)
	// ModifyPolicyDomains adds and removes approved domains (R-POL-6) under
	// the same rules as SetPolicy; the mode is unchanged.
	ModifyPolicyDomains(ctx context.Context, teamID string, add, remove []string, by Actor) (Policy, error)
	// PreviewPolicy is a dry run of SetPolicy: it counts the exceptions the
	// proposed policy would have and lists (paged by user id) the users that
	// would become exceptions, without writing anything.
	PreviewPolicy(ctx context.Context, teamID string, p Policy, page Page) (PolicyPreview, error)
	// ListExceptions pages (by user id) through the team's exceptions: users
	// whose type differs from the type the current policy expects (R-POL-7).
	ListExceptions(ctx context.Context, teamID string, q ExceptionQuery) ([]Exception, error)
	// CountExceptions counts the team's exceptions by current type.
	CountExceptions(ctx context.Context, teamID string) (ExceptionCounts, error)
	// ChangeUserTypes sets the type of one or many users to t in one
	// transaction (R-POL-7) and reports, per user, whether the change creates
	// an exception (R-POL-8: a warning, not a refusal) or clears one. Admins
	// are refused (ErrRule "admin_not_classified", R-ADM-9).
	ChangeUserTypes(ctx context.Context, teamID string, userIDs []string, t UserType, by Actor) (TypeChange, error)
	// RevertExceptions sets each given user to the type the policy expects,
	// clearing its exception (R-POL-7); users already matching are unchanged.
	RevertExceptions(ctx context.Context, teamID string, userIDs []string, by Actor) (TypeChange, error)
	// UsageReport streams the team's users ordered by email, one row at a
	// time, with the external flag (R-POL-9). It holds no more than one row
	// in memory; fn's error stops the stream and is returned.
	UsageReport(ctx context.Context, teamID string, fn func(UsageRow) error) error
}

// ExceptionQuery selects a page of exceptions. Type filters on the users'
// current type ("" is all); After and Limit page by user id (Limit <= 0 is
// 100, at most 10000).
type ExceptionQuery struct {
	Type  UserType
	After string
	Limit int
}

// Exception is a user whose current type differs from the expected one.
type Exception struct {
	UserID    string
	Email     string
	FirstName string
	LastName  string
	Source    Source
	Current   UserType
	Expected  UserType
}

// ExceptionCounts counts a team's exceptions by their current type.
type ExceptionCounts struct {
	Total    int
	Standard int // standard users the policy expects to be external
	External int // external users the policy expects to be standard
}

// PolicyPreview is the outcome of a dry run (PreviewPolicy).
type PolicyPreview struct {
	Policy Policy // the proposed policy, normalised
	// Exceptions is how many users would be exceptions under the proposed
	// policy; Becoming of them are not exceptions now; Cleared are exceptions
	// now that would no longer be.
	Exceptions, Becoming, Cleared int
	// Users is a page of the users that would become exceptions.
	Users []Exception
}

// TypeChange is the outcome of ChangeUserTypes and RevertExceptions.
type TypeChange struct {
	Users    []UserTypeChange
	Warnings []Warning
}

// UserTypeChange is one user's part of a TypeChange.
type UserTypeChange struct {
	UserID    string
	Email     string
	From, To  UserType
	Expected  UserType
	Exception bool // the user is an exception after the change
}

// Warning is a non-fatal remark on a change (R-POL-8), with a stable code.
type Warning struct {
	Code    string // "creates_exception"
	UserID  string
	Message string
}

// UsageRow is one line of the usage report (R-POL-9).
type UsageRow struct {
	UserID    string
	Email     string
	FirstName string
	LastName  string
	Status    Status
	Type      UserType
	External  bool
	Source    Source
	AdminRole Role
	Exception bool
	CreatedAt time.Time
	// Products are the product keys the user has access to on any project;
	// ExternalProducts those they hold an external subscription to; Seats
	// those of Products on which they use an internal seat (R-MEM-5). Each
	// sorted.
	Products         []string
	ExternalProducts []string
	Seats            []string
}
