package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// accountView is the Account page (seeds 000, 001, 003): the owner, the
// account roles and who holds them, and the contracts with their contract
// manager and software coordinator. It offers only what this admin may do
// (db.Authorization through adminapi.MyAccountAccess, R-ADM-6); the
// operations refuse the rest anyway.
type accountView struct {
	Access    adminapi.AccountAccess
	Account   adminapi.AccountView
	Roles     []adminapi.AccountRoleView
	Contracts []contractRow
	Me        string
	Products  []adminapi.ProductView
}

type contractRow struct {
	adminapi.ContractView
	IsManager bool
}

func (c *Console) renderAccount(w http.ResponseWriter, r *http.Request, s session, status int, notice, msg string) error {
	ctx := r.Context()
	v := accountView{Me: s.Caller.Admin.Email}
	var err error
	if v.Access, err = c.Ops.MyAccountAccess(ctx, s.Caller); err != nil {
		return err
	}
	if v.Access.View {
		if v.Account, err = c.Ops.ShowAccount(ctx, s.Caller); err != nil {
			return err
		}
		if v.Roles, err = c.Ops.AccountRoles(ctx, s.Caller); err != nil {
			return err
		}
	}
	ks, err := c.Ops.ListContracts(ctx, s.Caller)
	if err != nil {
		return err
	}
	for _, k := range ks {
		v.Contracts = append(v.Contracts, contractRow{ContractView: k, IsManager: strings.EqualFold(k.ContractManager, s.Caller.Admin.Email)})
	}
	if v.Products, err = c.Ops.ListProducts(ctx, s.Caller); err != nil {
		return err
	}
	c.render(w, r, status, "account", page{Title: "account.title", Nav: "account", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) accountPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderAccount(w, r, s, http.StatusOK, "", "")
}

// accountResult shows the page again with the outcome.
func (c *Console) accountResult(w http.ResponseWriter, r *http.Request, s session, err error, notice string) error {
	return outcome(err, http.StatusOK, notice, func(status int, notice, msg string, _ bool) error {
		return c.renderAccount(w, r, s, status, notice, msg)
	})
}

// setAccountRole is "Change role" on the account ladder: only roles
// strictly below this admin's own (R-HIE-2); the store refuses and audits
// anything else (R-HIE-3).
func (c *Console) setAccountRole(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	m, err := c.Ops.SetAccountRole(r.Context(), s.Caller, adminapi.AccountRoleRequest{Email: strings.TrimSpace(f.Get("email")), Role: f.Get("role")})
	return c.accountResult(w, r, s, err, trf(lang(r), "account.role_saved", m.Email))
}

// transferOwnership hands the account to another person (R-OWN-3); it is
// one of the most sensitive actions, so it needs a recent sign-in.
func (c *Console) transferOwnership(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	if c.Now().Sub(s.CreatedAt) > c.ReauthWithin {
		return c.renderAccount(w, r, s, http.StatusForbidden, "", tr(lang(r), "reauth.needed"))
	}
	f := r.PostForm
	if f.Get("confirm") != "yes" {
		return c.accountResult(w, r, s, invalid("confirm_required", tr(lang(r), "account.transfer_confirm_required")), "")
	}
	a, err := c.Ops.TransferOwnership(r.Context(), s.Caller, adminapi.TransferRequest{To: strings.TrimSpace(f.Get("to"))})
	return c.accountResult(w, r, s, err, trf(lang(r), "account.transferred", a.Owner))
}

func (c *Console) createContract(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	f := r.PostForm
	in := adminapi.ContractRequest{Number: strings.TrimSpace(f.Get("number")), ContractManager: strings.TrimSpace(f.Get("contract_manager")), Products: f["product"]}
	if n := strings.TrimSpace(f.Get("seats")); n != "" {
		seats, err := strconv.Atoi(n)
		if err != nil {
			return c.accountResult(w, r, s, invalid("seats_invalid", tr(lang(r), "seats.seats_invalid")), "")
		}
		in.Seats = seats
	}
	k, err := c.Ops.CreateContract(r.Context(), s.Caller, in)
	return c.accountResult(w, r, s, err, trf(lang(r), "account.contract_created", k.Number))
}

// setContractManager: only the current contract manager hands the role on (R-CLS-2).
func (c *Console) setContractManager(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	k, err := c.Ops.SetContractManager(r.Context(), s.Caller, r.PathValue("contract"), adminapi.PersonRequest{Email: strings.TrimSpace(r.PostForm.Get("email"))})
	return c.accountResult(w, r, s, err, trf(lang(r), "account.manager_saved", k.Number, k.ContractManager))
}

// setCoordinator: the contract manager assigns the software coordinator (R-CLS-3).
func (c *Console) setCoordinator(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	k, err := c.Ops.SetSoftwareCoordinator(r.Context(), s.Caller, r.PathValue("contract"), adminapi.PersonRequest{Email: strings.TrimSpace(r.PostForm.Get("email"))})
	return c.accountResult(w, r, s, err, trf(lang(r), "account.coordinator_saved", k.Number, k.SoftwareCoordinator))
}

// contractView is one contract in the classic view (seed 001): its people,
// and its users for the contract manager and software coordinator, who
// alone list and manage them (R-CLS-3); the users of the team view are not
// among them (R-CLS-4).
type contractView struct {
	Contract  adminapi.ContractView
	MayManage bool
	Users     []adminapi.ContractUserView
}

func (c *Console) renderContract(w http.ResponseWriter, r *http.Request, s session, status int, notice, msg string) error {
	ctx := r.Context()
	k, err := c.Ops.GetContract(ctx, s.Caller, r.PathValue("contract"))
	if err != nil {
		return err
	}
	me := s.Caller.Admin.Email
	v := contractView{Contract: k, MayManage: strings.EqualFold(k.ContractManager, me) || strings.EqualFold(k.SoftwareCoordinator, me)}
	if v.MayManage {
		if v.Users, err = c.Ops.ContractUsers(ctx, s.Caller, k.Number); err != nil {
			return err
		}
	}
	c.render(w, r, status, "contract", page{Title: "contract.title", Nav: "account", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) contractPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderContract(w, r, s, http.StatusOK, "", "")
}

func (c *Console) contractResult(w http.ResponseWriter, r *http.Request, s session, err error, ok int, notice string) error {
	return outcome(err, ok, notice, func(status int, notice, msg string, _ bool) error {
		return c.renderContract(w, r, s, status, notice, msg)
	})
}

func (c *Console) addContractUser(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	err := c.Ops.AddContractUser(r.Context(), s.Caller, r.PathValue("contract"), email)
	return c.contractResult(w, r, s, err, http.StatusCreated, trf(lang(r), "contract.user_added", email))
}

func (c *Console) removeContractUser(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	err := c.Ops.RemoveContractUser(r.Context(), s.Caller, r.PathValue("contract"), email)
	return c.contractResult(w, r, s, err, http.StatusOK, trf(lang(r), "contract.user_removed", email))
}
