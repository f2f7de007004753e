package adminapi

import (
	"time"

	"github.com/roster-dev/roster/db"
)

// AccountView is an account as the CLI and the admin API show it (db's
// shape, shared with the event payloads the store writes).
type AccountView = db.AccountInfoView

// AccountViewOf is db.AccountInfoViewOf.
func AccountViewOf(a db.AccountInfo) AccountView { return db.AccountInfoViewOf(a) }

// AccountRoleView is one person's role on the account ladder (db's shape).
type AccountRoleView = db.AccountRoleView

// AccountRoleViewOf is db.AccountRoleViewOf.
func AccountRoleViewOf(m db.AccountMember) AccountRoleView { return db.AccountRoleViewOf(m) }

// AccountRoleViews lists the members who hold an account role, the owner
// first (people known to the account without a role, such as a contract
// manager named by email, are left out).
func AccountRoleViews(ms []db.AccountMember) []AccountRoleView {
	out := []AccountRoleView{}
	for _, m := range ms {
		if m.Role != db.AccountRoleNone {
			out = append(out, AccountRoleViewOf(m))
		}
	}
	return out
}

// ContractView is a contract, people as emails (db's shape).
type ContractView = db.ContractView

// ContractViewOf is db.ContractViewOf.
func ContractViewOf(c db.Contract) ContractView { return db.ContractViewOf(c) }

// ContractUserView is a user of the classic view.
type ContractUserView struct {
	Email   string    `json:"email"`
	AddedAt time.Time `json:"added_at"`
}

// ContractUserViews renders a contract's users.
func ContractUserViews(us []db.ContractUser) []ContractUserView {
	out := make([]ContractUserView, len(us))
	for i, u := range us {
		out[i] = ContractUserView{Email: u.Email, AddedAt: u.AddedAt}
	}
	return out
}

// NoticeView is a notice recorded for delivery.
type NoticeView struct {
	Kind     string `json:"kind"`
	To       string `json:"to"`
	Contract string `json:"contract,omitempty"`
}

// PersonActor is the audit actor of a person acting on the account ladder
// by email (the CLI's --as, an admin token's user).
func PersonActor(email string) db.Actor {
	return db.Actor{Kind: db.ActorAdmin, ID: db.NormalizeEmail(email), Name: email}
}
