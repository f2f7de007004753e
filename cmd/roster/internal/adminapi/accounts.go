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
	x := &API{a: a}
	base := "/teams/{team}/account"
	a.route("GET", base, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ShowAccount(r.Context(), c))
	})
	a.route("GET", base+"/roles", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.AccountRoles(r.Context(), c))
	})
	a.route("PUT", base+"/roles", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in AccountRoleRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetAccountRole(r.Context(), c, in))
	})
	a.route("POST", base+"/transfer-ownership", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in TransferRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.TransferOwnership(r.Context(), c, in))
	})

	contracts := base + "/contracts"
	a.route("GET", contracts, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListContracts(r.Context(), c))
	})
	a.route("POST", contracts, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in ContractRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.CreateContract(r.Context(), c, in))
	})
	contract := contracts + "/{contract}"
	a.route("GET", contract, AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.GetContract(r.Context(), c, r.PathValue("contract")))
	})
	a.route("PUT", contract+"/manager", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in PersonRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetContractManager(r.Context(), c, r.PathValue("contract"), in))
	})
	a.route("PUT", contract+"/coordinator", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in PersonRequest
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetSoftwareCoordinator(r.Context(), c, r.PathValue("contract"), in))
	})
	a.route("GET", contract+"/users", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ContractUsers(r.Context(), c, r.PathValue("contract")))
	})
	a.route("POST", contract+"/users", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var in struct {
			Email string `json:"email"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := x.AddContractUser(r.Context(), c, r.PathValue("contract"), in.Email); err != nil {
			return err
		}
		WriteJSON(w, http.StatusCreated, map[string]string{"contract": r.PathValue("contract"), "email": in.Email})
		return nil
	})
	a.route("DELETE", contract+"/users/{email}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := x.RemoveContractUser(r.Context(), c, r.PathValue("contract"), r.PathValue("email")); err != nil {
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
