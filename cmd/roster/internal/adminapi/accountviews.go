package adminapi

import (
	"time"

	"github.com/roster-dev/roster/db"
)

// AccountView is an account as the CLI and the admin API show it: its owner
// (R-OWN-1) and which user-management views it has (R-CLS-4).
type AccountView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Owner  string   `json:"owner"`
	Views  []string `json:"views"`
	Hybrid bool     `json:"hybrid"`
}

// AccountViewOf renders an account.
func AccountViewOf(a db.AccountInfo) AccountView {
	vs := make([]string, len(a.Views))
	for i, v := range a.Views {
		vs[i] = string(v)
	}
	return AccountView{ID: a.ID, Name: a.Name, Owner: a.Owner, Views: vs, Hybrid: a.Hybrid()}
}

// AccountRoleView is one person's role on the account ladder.
type AccountRoleView struct {
	Email     string `json:"email"`
	Role      string `json:"role"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Status    string `json:"status"`
}

// AccountRoleViewOf renders an account member.
func AccountRoleViewOf(m db.AccountMember) AccountRoleView {
	return AccountRoleView{Email: m.Email, Role: m.Role.String(), FirstName: m.FirstName, LastName: m.LastName, Status: string(m.Status)}
}

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

// ContractView is a contract, people as emails.
type ContractView struct {
	Number              string   `json:"number"`
	ContractManager     string   `json:"contract_manager"`
	SoftwareCoordinator string   `json:"software_coordinator"`
	Products            []string `json:"products"`
	Seats               int      `json:"seats"`
}

// ContractViewOf renders a contract.
func ContractViewOf(c db.Contract) ContractView {
	p := c.Products
	if p == nil {
		p = []string{}
	}
	return ContractView{Number: c.Number, ContractManager: c.ContractManager, SoftwareCoordinator: c.SoftwareCoordinator, Products: p, Seats: c.Seats}
}

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
