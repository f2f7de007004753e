package db

import (
	"context"
	"strings"
	"time"
)

// AccountRole is a role on the account (subscription) ladder (003, 000's
// subscription owner): owner > secondary owner > company admin > product user
// (R-HIE-2). The empty role is a person known to the account without a role.
// This ladder is independent of the team admin roles (R-ADM-8).
type AccountRole string

// Account roles, highest first.
const (
	AccountRoleNone       AccountRole = ""
	AccountOwner          AccountRole = "owner"
	AccountSecondaryOwner AccountRole = "secondary-owner"
	AccountCompanyAdmin   AccountRole = "company-admin"
	AccountProductUser    AccountRole = "product-user"
)

// Level is the role's rank on the ladder: owner 4 … product user 1, none 0.
func (r AccountRole) Level() int {
	switch r {
	case AccountOwner:
		return 4
	case AccountSecondaryOwner:
		return 3
	case AccountCompanyAdmin:
		return 2
	case AccountProductUser:
		return 1
	}
	return 0
}

// AssignableAccountRoles are the roles a member holding actor may give by a
// role change (R-HIE-2): every role strictly below actor's own, and none;
// never the owner. The store's SetAccountRole applies the same ranks.
func AssignableAccountRoles(actor AccountRole) []AccountRole {
	var out []AccountRole
	for _, r := range []AccountRole{AccountSecondaryOwner, AccountCompanyAdmin, AccountProductUser} {
		if r.Level() < actor.Level() {
			out = append(out, r)
		}
	}
	if len(out) > 0 {
		out = append(out, AccountRoleNone)
	}
	return out
}

// ParseAccountRole accepts the CLI/API spellings ("none" is AccountRoleNone).
func ParseAccountRole(s string) (AccountRole, bool) {
	switch r := AccountRole(strings.ToLower(strings.TrimSpace(s))); r {
	case AccountOwner, AccountSecondaryOwner, AccountCompanyAdmin, AccountProductUser:
		return r, true
	case "none":
		return AccountRoleNone, true
	}
	return AccountRoleNone, false
}

// String is the role's spelling, "none" for the empty role.
func (r AccountRole) String() string {
	if r == AccountRoleNone {
		return "none"
	}
	return string(r)
}

// AccountView names the views an account has (R-CLS-4): "team" when it has
// teams (user management by user or product), "classic" when it has
// contracts; both make it hybrid.
type AccountView string

// The two user-management views.
const (
	ViewTeam    AccountView = "team"
	ViewClassic AccountView = "classic"
)

// AccountInfo is an account with its owner (R-OWN-1) and its views (R-CLS-4).
type AccountInfo struct {
	Account
	Owner string // the owner's email
	Views []AccountView
}

// Hybrid reports whether the account has both views (R-CLS-4).
func (a AccountInfo) Hybrid() bool { return len(a.Views) == 2 }

// AccountMember is a person known to an account, with their role on the
// account ladder. People are identified by email (case-insensitive).
type AccountMember struct {
	AccountID string
	Email     string
	FirstName string
	LastName  string
	Role      AccountRole
	Status    Status // an inactive member holds no power on any ladder
}

// Person names someone a command refers to by email; the names are used when
// the person has to be created (003: every member is a named person).
type Person struct {
	Email     string
	FirstName string
	LastName  string
}

// NewContract is the input of AccountStore.CreateContract.
type NewContract struct {
	AccountID       string
	Number          string
	ContractManager Person
	Products        []string
	Seats           int
}

// ContractUser is a user added in the classic view (R-CLS-4): a member of a
// contract, not a team user.
type ContractUser struct {
	Email   string
	AddedAt time.Time
}

// NoticeKind is the kind of a notice Roster addresses to a person: renewal
// and invoice notices go to the account owner only (R-OWN-1, R-OWN-2);
// release/update notices go to a contract's software coordinator (001).
type NoticeKind string

// Notice kinds.
const (
	NoticeRenewal NoticeKind = "renewal"
	NoticeInvoice NoticeKind = "invoice"
	NoticeRelease NoticeKind = "release"
)

// Notice is one notice recorded for delivery: the audit action
// "notice.<kind>" addressed to To (the events outbox delivers it).
type Notice struct {
	AccountID string
	Kind      NoticeKind
	To        string // email
	Contract  string // the contract number, for release notices
}

// AccountStore is the account (subscription) ladder and classic user
// management (R-OWN-1..3, R-HIE-1..3, R-CLS-1..4). The acting person is named
// by email (the CLI's --as, the admin API token's user); every change and
// every refused attempt is audited under the account id (R-HIE-3).
type AccountStore interface {
	GetAccount(ctx context.Context, accountID string) (AccountInfo, error)
	ListAccountMembers(ctx context.Context, accountID string) ([]AccountMember, error)
	// SetAccountRole gives target a role strictly below the actor's own;
	// never owner (R-HIE-1, R-HIE-2).
	SetAccountRole(ctx context.Context, accountID, actingEmail string, target Person, role AccountRole, by Actor) (AccountMember, error)
	// TransferOwnership moves ownership from the current owner (the actor)
	// to another person, who becomes owner while the former owner becomes a
	// secondary owner, atomically (R-OWN-3).
	TransferOwnership(ctx context.Context, accountID, actingEmail string, to Person, by Actor) (AccountInfo, error)
	// SetAccountMemberStatus activates or deactivates a person on the
	// account ladder (an operator's change).
	SetAccountMemberStatus(ctx context.Context, accountID, email string, st Status, by Actor) (AccountMember, error)
	// Notify records a notice addressed to whoever the rules name now: the
	// owner for renewal and invoice, the contract's software coordinator for
	// release.
	Notify(ctx context.Context, accountID string, kind NoticeKind, contract string, by Actor) (Notice, error)

	CreateContract(ctx context.Context, in NewContract, by Actor) (Contract, error)
	ListContracts(ctx context.Context, accountID string) ([]Contract, error)
	GetContract(ctx context.Context, accountID, number string) (Contract, error)
	// SetContractManager hands the role from the current contract manager
	// (the actor) to next, who is also made a secondary admin of the teams the
	// contract serves; the former keeps their team roles (R-CLS-2, R-ADM-8).
	SetContractManager(ctx context.Context, accountID, number, actingEmail string, next Person, by Actor) (Contract, error)
	// SetSoftwareCoordinator is the contract manager's (R-CLS-3); it changes
	// no team admin role (R-CLS-4).
	SetSoftwareCoordinator(ctx context.Context, accountID, number, actingEmail string, coord Person, by Actor) (Contract, error)
	// Contract users: actingEmail "" is the operator; otherwise the actor
	// must be the contract's manager or software coordinator (R-CLS-3).
	AddContractUser(ctx context.Context, accountID, number, actingEmail, email string, by Actor) error
	RemoveContractUser(ctx context.Context, accountID, number, actingEmail, email string, by Actor) error
	ListContractUsers(ctx context.Context, accountID, number, actingEmail string) ([]ContractUser, error)
}
