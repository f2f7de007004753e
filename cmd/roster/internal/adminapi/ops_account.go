package adminapi

import (
	"context"
	"strings"

	"github.com/roster-dev/roster/db"
)

// The account-ladder and contract operations (issue 12): the cores of the
// JSON handlers in accounts.go, which the console calls too. Authorization
// is db.Authorization's (accountMember), and the store checks each change
// itself (R-HIE-2, R-OWN-3, R-CLS-2, R-CLS-3) and audits refusals.

// PersonRequest names a person on the account ladder by email.
type PersonRequest struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

func (p PersonRequest) person() db.Person {
	return db.Person{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName}
}

// AccountRoleRequest gives a person a role on the account ladder.
type AccountRoleRequest struct {
	Email     string `json:"email"`
	Role      string `json:"role"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// TransferRequest hands the account's ownership to a person (R-OWN-3).
type TransferRequest struct {
	To        string `json:"to"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// ContractRequest creates a contract.
type ContractRequest struct {
	Number          string   `json:"number"`
	ContractManager string   `json:"contract_manager"`
	Products        []string `json:"products"`
	Seats           int      `json:"seats"`
}

// AccountAccess is what the calling admin may do on the team's account, by
// db.Authorization: their account role (none without one) and, for that
// role, whether they may see the account, change roles (and to which) and
// transfer ownership or create contracts. The console offers only these;
// the operations refuse the rest anyway.
type AccountAccess struct {
	Role           string   `json:"role"`
	Active         bool     `json:"active"`
	View           bool     `json:"view"`
	SetRole        bool     `json:"set_role"`
	AssignRoles    []string `json:"assign_roles"` // R-HIE-2: strictly below the caller's own, never owner
	Transfer       bool     `json:"transfer"`
	CreateContract bool     `json:"create_contract"`
}

// MyAccountAccess is the calling admin's AccountAccess.
func (x *API) MyAccountAccess(ctx context.Context, c Caller) (AccountAccess, error) {
	m, err := x.a.accountMember(ctx, c, db.ActAccountProducts)
	if err != nil && statusOf(err) >= 500 {
		return AccountAccess{}, err
	}
	acc := AccountAccess{Role: m.Role.String(), Active: m.Email != "" && m.Status == db.StatusActive, AssignRoles: []string{}}
	if !acc.Active {
		return acc, nil
	}
	p := db.AccountPrincipal(m.Role)
	acc.View = db.Can(p, db.ActAccountMembers)
	acc.SetRole = db.Can(p, db.ActAccountSetRole)
	acc.Transfer = db.Can(p, db.ActAccountTransfer)
	acc.CreateContract = db.Can(p, db.ActContractCreate)
	if acc.SetRole {
		for _, r := range db.AssignableAccountRoles(m.Role) {
			acc.AssignRoles = append(acc.AssignRoles, r.String())
		}
	}
	return acc, nil
}

// ShowAccount is the team's account: owner and views (R-OWN-1, R-CLS-4).
func (x *API) ShowAccount(ctx context.Context, c Caller) (AccountView, error) {
	if _, err := x.a.accountMember(ctx, c, db.ActAccountMembers); err != nil {
		return AccountView{}, err
	}
	info, err := x.a.Store.GetAccount(ctx, c.Team.AccountID)
	if err != nil {
		return AccountView{}, err
	}
	return AccountViewOf(info), nil
}

// AccountRoles lists who holds which account role, the owner first.
func (x *API) AccountRoles(ctx context.Context, c Caller) ([]AccountRoleView, error) {
	if _, err := x.a.accountMember(ctx, c, db.ActAccountMembers); err != nil {
		return nil, err
	}
	ms, err := x.a.Store.ListAccountMembers(ctx, c.Team.AccountID)
	if err != nil {
		return nil, err
	}
	return AccountRoleViews(ms), nil
}

// SetAccountRole gives a person a role strictly below the caller's own
// (R-HIE-2); the store refuses and audits anything else (R-HIE-3).
func (x *API) SetAccountRole(ctx context.Context, c Caller, in AccountRoleRequest) (AccountRoleView, error) {
	role, ok := db.ParseAccountRole(in.Role) // "owner" parses: the store refuses and audits it (R-HIE-2)
	if !ok || strings.TrimSpace(in.Role) == "" {
		return AccountRoleView{}, db.Errorf(db.ErrInvalid, "role_invalid", "role must be secondary-owner, company-admin, product-user or none")
	}
	m, err := x.a.Store.SetAccountRole(ctx, c.Team.AccountID, c.Admin.Email,
		db.Person{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName}, role, c.Actor)
	if err != nil {
		return AccountRoleView{}, err
	}
	return AccountRoleViewOf(m), nil
}

// TransferOwnership moves the account's ownership from the caller (the
// owner) to another person; the former owner becomes a secondary owner in
// the same change (R-OWN-3).
func (x *API) TransferOwnership(ctx context.Context, c Caller, in TransferRequest) (AccountView, error) {
	info, err := x.a.Store.TransferOwnership(ctx, c.Team.AccountID, c.Admin.Email,
		db.Person{Email: in.To, FirstName: in.FirstName, LastName: in.LastName}, c.Actor)
	if err != nil {
		return AccountView{}, err
	}
	return AccountViewOf(info), nil
}

// ListContracts lists the account's contracts: all of them for an account
// member who may see members, otherwise only the caller's own (R-CLS-3).
func (x *API) ListContracts(ctx context.Context, c Caller) ([]ContractView, error) {
	cs, err := x.a.Store.ListContracts(ctx, c.Team.AccountID)
	if err != nil {
		return nil, err
	}
	_, all := x.a.accountMember(ctx, c, db.ActAccountMembers)
	vs := []ContractView{}
	for _, k := range cs {
		if all == nil || onContract(k, c.Admin.Email) {
			vs = append(vs, ContractViewOf(k))
		}
	}
	return vs, nil
}

// CreateContract creates a contract with its contract manager; refusals by
// the authorization table are audited.
func (x *API) CreateContract(ctx context.Context, c Caller, in ContractRequest) (ContractView, error) {
	if _, err := x.a.accountMember(ctx, c, db.ActContractCreate); err != nil {
		return ContractView{}, x.a.auditRefusal(ctx, c, "contract.create.refused", "contract", in.Number, err)
	}
	k, err := x.a.Store.CreateContract(ctx, db.NewContract{AccountID: c.Team.AccountID, Number: in.Number,
		ContractManager: db.Person{Email: in.ContractManager}, Products: in.Products, Seats: in.Seats}, c.Actor)
	if err != nil {
		return ContractView{}, err
	}
	return ContractViewOf(k), nil
}

// GetContract is one contract, for an account member who may see members or
// a person on the contract.
func (x *API) GetContract(ctx context.Context, c Caller, number string) (ContractView, error) {
	k, err := x.a.Store.GetContract(ctx, c.Team.AccountID, number)
	if err != nil {
		return ContractView{}, err
	}
	if _, err := x.a.accountMember(ctx, c, db.ActAccountMembers); err != nil && !onContract(k, c.Admin.Email) {
		return ContractView{}, err
	}
	return ContractViewOf(k), nil
}

// SetContractManager hands the contract manager role on; only the current
// contract manager may (R-CLS-2).
func (x *API) SetContractManager(ctx context.Context, c Caller, number string, to PersonRequest) (ContractView, error) {
	k, err := x.a.Store.SetContractManager(ctx, c.Team.AccountID, number, c.Admin.Email, to.person(), c.Actor)
	if err != nil {
		return ContractView{}, err
	}
	return ContractViewOf(k), nil
}

// SetSoftwareCoordinator assigns the contract's software coordinator; only
// the contract manager may (R-CLS-3).
func (x *API) SetSoftwareCoordinator(ctx context.Context, c Caller, number string, to PersonRequest) (ContractView, error) {
	k, err := x.a.Store.SetSoftwareCoordinator(ctx, c.Team.AccountID, number, c.Admin.Email, to.person(), c.Actor)
	if err != nil {
		return ContractView{}, err
	}
	return ContractViewOf(k), nil
}

// ContractUsers lists a contract's classic-view users (R-CLS-3, R-CLS-4).
func (x *API) ContractUsers(ctx context.Context, c Caller, number string) ([]ContractUserView, error) {
	us, err := x.a.Store.ListContractUsers(ctx, c.Team.AccountID, number, c.Admin.Email)
	if err != nil {
		return nil, err
	}
	return ContractUserViews(us), nil
}

// AddContractUser adds a user to a contract in the classic view.
func (x *API) AddContractUser(ctx context.Context, c Caller, number, email string) error {
	return x.a.Store.AddContractUser(ctx, c.Team.AccountID, number, c.Admin.Email, email, c.Actor)
}

// RemoveContractUser removes a user from a contract in the classic view.
func (x *API) RemoveContractUser(ctx context.Context, c Caller, number, email string) error {
	return x.a.Store.RemoveContractUser(ctx, c.Team.AccountID, number, c.Admin.Email, email, c.Actor)
}
