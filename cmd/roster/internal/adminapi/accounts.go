package adminapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/roster-dev/roster/db"
)

// mountAccounts registers the account ladder and classic user management
// under /teams/{team}/account: the team's account, acted on as the token's
// admin, named by email on the account ladder. Authentication is the team's
// (an active admin of the team); what they may do on the account is their
// account or contract role's, by db.Authorization, and the store checks the
// change itself (R-HIE-2, R-OWN-3, R-CLS-2, R-CLS-3) and audits refusals.
func (a *api) mountAccounts() {
	base := "/teams/{team}/account"
	a.route("GET", base, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if _, err := a.accountMember(r.Context(), c, db.ActAccountMembers); err != nil {
			return err
		}
		info, err := a.Store.GetAccount(r.Context(), c.Team.AccountID)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, AccountViewOf(info))
		return nil
	})
	a.route("GET", base+"/roles", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if _, err := a.accountMember(r.Context(), c, db.ActAccountMembers); err != nil {
			return err
		}
		ms, err := a.Store.ListAccountMembers(r.Context(), c.Team.AccountID)
		if err != nil {
			return err
		}
		vs := AccountRoleViews(ms)
		WriteJSON(w, http.StatusOK, vs)
		return nil
	})
	a.route("PUT", base+"/roles", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in struct {
			Email     string `json:"email"`
			Role      string `json:"role"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		role, ok := db.ParseAccountRole(in.Role) // "owner" parses: the store refuses and audits it (R-HIE-2)
		if !ok || strings.TrimSpace(in.Role) == "" {
			return db.Errorf(db.ErrInvalid, "role_invalid", "role must be secondary-owner, company-admin, product-user or none")
		}
		m, err := a.Store.SetAccountRole(r.Context(), c.Team.AccountID, c.Admin.Email,
			db.Person{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName}, role, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, AccountRoleViewOf(m))
		return nil
	})
	a.route("POST", base+"/transfer-ownership", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in struct {
			To        string `json:"to"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		info, err := a.Store.TransferOwnership(r.Context(), c.Team.AccountID, c.Admin.Email,
			db.Person{Email: in.To, FirstName: in.FirstName, LastName: in.LastName}, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, AccountViewOf(info))
		return nil
	})

	contracts := base + "/contracts"
	a.route("GET", contracts, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		cs, err := a.Store.ListContracts(r.Context(), c.Team.AccountID)
		if err != nil {
			return err
		}
		_, all := a.accountMember(r.Context(), c, db.ActAccountMembers)
		vs := []ContractView{}
		for _, k := range cs {
			// A contract manager or coordinator sees their own contracts (R-CLS-3).
			if all == nil || onContract(k, c.Admin.Email) {
				vs = append(vs, ContractViewOf(k))
			}
		}
		WriteJSON(w, http.StatusOK, vs)
		return nil
	})
	a.route("POST", contracts, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in struct {
			Number          string   `json:"number"`
			ContractManager string   `json:"contract_manager"`
			Products        []string `json:"products"`
			Seats           int      `json:"seats"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if _, err := a.accountMember(r.Context(), c, db.ActContractCreate); err != nil {
			return a.auditRefusal(r.Context(), c, "contract.create.refused", "contract", in.Number, err)
		}
		k, err := a.Store.CreateContract(r.Context(), db.NewContract{AccountID: c.Team.AccountID, Number: in.Number,
			ContractManager: db.Person{Email: in.ContractManager}, Products: in.Products, Seats: in.Seats}, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusCreated, ContractViewOf(k))
		return nil
	})
	contract := contracts + "/{contract}"
	a.route("GET", contract, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		k, err := a.Store.GetContract(r.Context(), c.Team.AccountID, r.PathValue("contract"))
		if err != nil {
			return err
		}
		if _, err := a.accountMember(r.Context(), c, db.ActAccountMembers); err != nil && !onContract(k, c.Admin.Email) {
			return err
		}
		WriteJSON(w, http.StatusOK, ContractViewOf(k))
		return nil
	})
	type personIn struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	}
	a.route("PUT", contract+"/manager", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in personIn
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		k, err := a.Store.SetContractManager(r.Context(), c.Team.AccountID, r.PathValue("contract"), c.Admin.Email,
			db.Person{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName}, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, ContractViewOf(k))
		return nil
	})
	a.route("PUT", contract+"/coordinator", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in personIn
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		k, err := a.Store.SetSoftwareCoordinator(r.Context(), c.Team.AccountID, r.PathValue("contract"), c.Admin.Email,
			db.Person{Email: in.Email, FirstName: in.FirstName, LastName: in.LastName}, c.Actor)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, ContractViewOf(k))
		return nil
	})
	a.route("GET", contract+"/users", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		us, err := a.Store.ListContractUsers(r.Context(), c.Team.AccountID, r.PathValue("contract"), c.Admin.Email)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, ContractUserViews(us))
		return nil
	})
	a.route("POST", contract+"/users", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in struct {
			Email string `json:"email"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := a.Store.AddContractUser(r.Context(), c.Team.AccountID, r.PathValue("contract"), c.Admin.Email, in.Email, c.Actor); err != nil {
			return err
		}
		WriteJSON(w, http.StatusCreated, map[string]string{"contract": r.PathValue("contract"), "email": in.Email})
		return nil
	})
	a.route("DELETE", contract+"/users/{email}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := a.Store.RemoveContractUser(r.Context(), c.Team.AccountID, r.PathValue("contract"), c.Admin.Email, r.PathValue("email"), c.Actor); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func onContract(k db.Contract, email string) bool {
	e := db.NormalizeEmail(email)
	return e == db.NormalizeEmail(k.ContractManager) || (k.SoftwareCoordinator != "" && e == db.NormalizeEmail(k.SoftwareCoordinator))
}

// accountMember is the calling admin as a member of the team's account: an
// active member whose account role may do action (db.Authorization).
func (a *api) accountMember(ctx context.Context, c call, action db.Action) (db.AccountMember, error) {
	ms, err := a.Store.ListAccountMembers(ctx, c.Team.AccountID)
	if err != nil {
		return db.AccountMember{}, err
	}
	for _, m := range ms {
		if !strings.EqualFold(strings.TrimSpace(m.Email), strings.TrimSpace(c.Admin.Email)) {
			continue
		}
		if m.Status != db.StatusActive {
			return m, db.Errorf(db.ErrForbidden, "actor_inactive", "%s is %s on the account and holds no power until reactivated", m.Email, m.Status)
		}
		if !db.Can(db.AccountPrincipal(m.Role), action) {
			return m, db.Refusal(m.Email+" ("+m.Role.String()+")", action)
		}
		return m, nil
	}
	return db.AccountMember{}, db.Refusal(c.Admin.Email+" (no account role)", action)
}

// auditRefusal records a change the table refused before it reached the
// store (which audits its own refusals), then returns err.
func (a *api) auditRefusal(ctx context.Context, c call, action, kind, target string, err error) error {
	d, _ := json.Marshal(map[string]string{"code": db.CodeOf(err), "error": clientMessage(err)})
	if aerr := a.Store.Audit(ctx, db.AuditEntry{TeamID: c.Team.AccountID, Actor: c.Actor, Action: action,
		TargetKind: kind, TargetID: target, Details: string(d)}); aerr != nil {
		return aerr
	}
	return err
}
