package db

import (
	"context"
	"time"
)

// Store is the contract every storage backend implements (see db/gormdb) and
// the conformance suite in db/dbtest checks. Every tenant-scoped call takes
// the team explicitly; an id from another team is ErrNotFound.
//
// Write methods take the Actor that made the change; the backend records it in
// the audit log in the same transaction as the change.
type Store interface {
	Ping(ctx context.Context) error
	Close() error

	// CreateTeam creates a team with its primary admin (R-ADM-1) and, if
	// AccountID is empty, a new account for it.
	CreateTeam(ctx context.Context, in NewTeam, by Actor) (Team, User, error)
	GetTeam(ctx context.Context, teamID string) (Team, error)
	ListTeams(ctx context.Context) ([]Team, error)

	// CreateUser adds a user to a team. Unless in.Type is set, the store's
	// Classifier decides the type from the team's policy (R-POL-2, R-POL-3).
	CreateUser(ctx context.Context, teamID string, in NewUser, by Actor) (User, error)
	GetUser(ctx context.Context, teamID, userID string) (User, error)
	// FindUser looks a user up by email, userName or externalId (exactly one set).
	FindUser(ctx context.Context, teamID string, key UserKey) (User, error)
	// ListUsers pages through a team's users ordered by id.
	ListUsers(ctx context.Context, teamID string, page Page) ([]User, error)
	CountUsers(ctx context.Context, teamID string) (int, error)
	// UpdateUser reads the user, lets change modify it and writes it back in
	// one transaction. change may not alter ID, TeamID, Type, Source or
	// AdminRole (those have their own operations). If ifVersion is non-zero
	// and differs from the stored version, it returns ErrStale.
	UpdateUser(ctx context.Context, teamID, userID string, ifVersion int64, by Actor, change func(*User) error) (User, error)
	// DeleteUser removes a user from the team and from its groups. The primary
	// admin cannot be removed (R-ADM-1).
	DeleteUser(ctx context.Context, teamID, userID string, by Actor) error

	// ExpectedTypes returns, for each given user of the team that is not an
	// admin, the type the team's current policy expects (via the Classifier).
	// A user is a role-policy exception when its Type differs (R-POL-5).
	ExpectedTypes(ctx context.Context, teamID string, userIDs []string) (map[string]UserType, error)

	// SetAdminRole gives target the role, acting as the admin actingUserID,
	// enforcing R-ADM-1..R-ADM-5 atomically.
	SetAdminRole(ctx context.Context, teamID, actingUserID, targetUserID string, role Role, by Actor) error
	// ListAdmins lists the team's admins.
	ListAdmins(ctx context.Context, teamID string) ([]User, error)

	CreateGroup(ctx context.Context, teamID string, in NewGroup, by Actor) (Group, error)
	GetGroup(ctx context.Context, teamID, groupID string) (Group, error)
	FindGroup(ctx context.Context, teamID string, key GroupKey) (Group, error)
	ListGroups(ctx context.Context, teamID string, page Page) ([]Group, error)
	// UpdateGroup is UpdateUser for groups; change may not alter members.
	UpdateGroup(ctx context.Context, teamID, groupID string, ifVersion int64, by Actor, change func(*Group) error) (Group, error)
	DeleteGroup(ctx context.Context, teamID, groupID string, by Actor) error
	// ModifyMembers adds and removes members in one transaction, with work
	// proportional to len(add)+len(remove). Every id must be a user of the
	// team (ErrInvalid otherwise, nothing written). Adding a member already
	// present and removing one absent are no-ops.
	ModifyMembers(ctx context.Context, teamID, groupID string, add, remove []string, by Actor) (Group, error)
	// ReplaceMembers makes members the group's exact member set (a diff).
	ReplaceMembers(ctx context.Context, teamID, groupID string, members []string, by Actor) (Group, error)
	// ListMembers pages through a group's member user ids ordered by id.
	ListMembers(ctx context.Context, teamID, groupID string, page Page) ([]Member, error)
	// UserGroups lists the groups a user is a direct member of.
	UserGroups(ctx context.Context, teamID, userID string) ([]Group, error)

	// CreateToken stores a token (its hash); see package tokens in cmd for
	// generating secrets.
	CreateToken(ctx context.Context, t Token, by Actor) (Token, error)
	// TokenByHash finds an unrevoked token by the SHA-256 of its secret.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	ListTokens(ctx context.Context, teamID string) ([]Token, error)
	RevokeToken(ctx context.Context, teamID, tokenID string, by Actor) error
	// TouchToken records a use of the token (at most about once a minute).
	TouchToken(ctx context.Context, tokenID string, at time.Time) error

	// Audit appends an entry for a change made outside the store's own write
	// methods (a setting changed by a feature package).
	Audit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, teamID string, q AuditQuery) ([]AuditEntry, error)
	// ListEvents returns the team's events with an id above after, oldest
	// first, at most limit (1..1000; 0 means 100).
	ListEvents(ctx context.Context, teamID string, after int64, limit int) ([]Event, error)
}

// NewTeam is the input of Store.CreateTeam.
type NewTeam struct {
	AccountID   string // join an existing account; empty creates one
	AccountName string // name of the new account (defaults to the team name)
	Name        string
	// The primary admin (R-ADM-1): the purchaser by default.
	PrimaryEmail, PrimaryFirstName, PrimaryLastName string
	// OwnerEmail is the owner of a new account (R-OWN-1); empty means the
	// primary admin (the purchaser). Ignored when joining an account.
	OwnerEmail string
}

// NewUser is the input of Store.CreateUser.
type NewUser struct {
	Email      string
	UserName   string // defaults to Email
	FirstName  string
	LastName   string
	Status     Status // defaults to active
	Source     Source
	ExternalID string
	Attributes []byte
	// Type, if set, skips classification (an admin choosing the type).
	Type UserType
}

// UserKey selects a user by one unique attribute.
type UserKey struct {
	Email      string // case-insensitive
	UserName   string // case-insensitive
	ExternalID string // case-exact
}

// NewGroup is the input of Store.CreateGroup.
type NewGroup struct {
	DisplayName string
	ExternalID  string
	Source      Source
	Attributes  []byte
	Members     []string // user ids
}

// GroupKey selects a group by one unique attribute.
type GroupKey struct {
	DisplayName string // case-insensitive
	ExternalID  string // case-exact
}

// Member is one member of a group.
type Member struct {
	UserID string
	Email  string
}

// Page is keyset pagination: items with id > After, at most Limit of them
// (Limit <= 0 means a backend default of 100).
type Page struct {
	After string
	Limit int
}

// AuditQuery selects audit entries of a team, newest first.
type AuditQuery struct {
	BeforeID int64 // only entries with ID < BeforeID; 0 = from the newest
	Limit    int   // default 100
}

// Classifier decides the type of a new user from the team's policy, the
// user's email, the path that added it and whether it is an admin. The
// rolepolicy package provides it; cmd/roster wires it into the store.
type Classifier func(p Policy, email string, src Source, isAdmin bool) UserType
