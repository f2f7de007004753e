package db

import "context"

// Mutation is one change to a team's users or groups, in the small vocabulary
// every write path speaks (issue 10 #1): SCIM, the admin API, the CLI, SSO
// just-in-time provisioning and directory batches all build mutations and
// hand them to the store's one applier (Writer.Apply). The applier owns
// validation, classification (R-POL-2, R-POL-3), uniqueness, the row lock and
// version compare-and-swap, the email index, the member diff and the audit
// entry, so those rules exist once.
//
// Each mutation carries the Actor recorded in its audit entry.
type Mutation interface{ mutation() }

// UserCreate adds a user. Unless User.Type is set the team's policy
// classifies it. Emails, if non-nil, are the user's indexed emails (SCIM);
// otherwise the primary email is indexed.
type UserCreate struct {
	User   NewUser
	Emails []UserEmail
	By     Actor
}

// UserUpdate is a read-modify-write of one user under a row lock. Change may
// edit the user (not ID, TeamID, Type, Source or AdminRole: those have their
// own operations) and, by setting *emails to a non-nil slice, replace the
// user's indexed emails. If IfVersion is non-zero and differs from the stored
// version the applier returns ErrStale.
type UserUpdate struct {
	UserID    string
	IfVersion int64
	Change    func(u *User, emails *[]UserEmail) error
	By        Actor
}

// UserLink writes the fields an external source of authority owns (a
// directory: email, names, status and, if UserName is set, userName) onto an
// existing user. It is a UserUpdate with a fixed change; a status change of
// the primary admin is refused (R-ADM-1).
type UserLink struct {
	UserID    string
	IfVersion int64
	Email     string
	UserName  string // empty keeps the current userName
	FirstName string
	LastName  string
	Status    Status
	By        Actor
}

// UserDeactivate sets a user inactive (never the primary admin, R-ADM-1).
type UserDeactivate struct {
	UserID    string
	IfVersion int64
	By        Actor
}

// UserDelete removes a user from the team and its groups (never the primary
// admin, R-ADM-1).
type UserDelete struct {
	UserID string
	By     Actor
}

// UserSetTypes sets the type of many users at once (R-POL-7): to Type, or,
// if Revert is set, to the type the team's policy expects of each (an
// exception reverted). Admins are refused (R-ADM-9), as are unknown ids.
// The result's Types says what changed and warns for each new exception
// (R-POL-8).
type UserSetTypes struct {
	UserIDs []string
	Type    UserType
	Revert  bool
	By      Actor
}

// UserSetRole gives a user an admin role (or none), acting as the admin
// ActingUserID, enforcing R-ADM-1..R-ADM-5: making a user primary makes the
// old primary secondary in the same step.
type UserSetRole struct {
	ActingUserID string
	UserID       string
	Role         Role
	By           Actor
}

// GroupCreate adds a group with its initial members.
type GroupCreate struct {
	Group NewGroup
	By    Actor
}

// GroupRename changes a group's attributes. If Change is nil, DisplayName is
// the new name; otherwise Change edits the group (not its members). If
// IfVersion is non-zero and differs from the stored version the applier
// returns ErrStale.
type GroupRename struct {
	GroupID     string
	IfVersion   int64
	DisplayName string
	Change      func(*Group) error
	By          Actor
}

// GroupSetMembers makes Members the group's exact member set (one diff).
type GroupSetMembers struct {
	GroupID string
	Members []string
	By      Actor
}

// GroupModifyMembers adds and removes members (SCIM PATCH), with work
// proportional to len(Add)+len(Remove).
type GroupModifyMembers struct {
	GroupID     string
	Add, Remove []string
	By          Actor
}

// GroupDelete removes a group.
type GroupDelete struct {
	GroupID string
	By      Actor
}

func (UserCreate) mutation()         {}
func (UserUpdate) mutation()         {}
func (UserLink) mutation()           {}
func (UserDeactivate) mutation()     {}
func (UserDelete) mutation()         {}
func (UserSetTypes) mutation()       {}
func (UserSetRole) mutation()        {}
func (GroupCreate) mutation()        {}
func (GroupRename) mutation()        {}
func (GroupSetMembers) mutation()    {}
func (GroupModifyMembers) mutation() {}
func (GroupDelete) mutation()        {}

// Applied is the result of one mutation: the user or group as it now is
// (zero for deletions).
type Applied struct {
	User  User
	Group Group
	Types TypeChange // UserSetTypes
}

// Writer applies mutations to one team in one transaction: all of them or
// none. The result has one entry per mutation.
type Writer interface {
	Apply(ctx context.Context, teamID string, muts ...Mutation) ([]Applied, error)
}
