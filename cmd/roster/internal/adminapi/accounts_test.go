package adminapi_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// TestAdminAPIAccounts: the account and contract routes, in order (each
// step builds on the last): a precise 4xx with a stable code for every bad
// request, nothing changed, the refusal audited (issue 12 "Bad input").
func TestAdminAPIAccounts(t *testing.T) {
	e := newAPIEnv(t, nil, nil)
	e.createTeam(e.store)
	ctx := context.Background()
	sec, err := e.store.CreateUser(ctx, e.team.ID, db.NewUser{Email: "sec@acme.example", FirstName: "Se", LastName: "C", Source: db.SourceAdmin}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAdminRole(ctx, e.team.ID, e.owner.ID, sec.ID, db.RoleSecondary, operator); err != nil {
		t.Fatal(err)
	}
	boss := e.token(e.store, db.TokenAdmin, e.owner.ID)
	secTok := e.token(e.store, db.TokenAdmin, sec.ID)
	acc := "/teams/" + e.team.ID + "/account"
	steps := []struct {
		name, token, method, path, body string
		want                            reply
	}{
		{"owner reads the account", boss, "GET", acc, "", reply{200, ""}},
		{"a team admin without an account role does not", secTok, "GET", acc, "", reply{403, "not_allowed"}},
		{"nor changes roles", secTok, "PUT", acc + "/roles", `{"email":"x@acme.example","role":"product-user"}`, reply{403, "not_account_member"}},
		{"owner through set-role", boss, "PUT", acc + "/roles", `{"email":"x@acme.example","role":"owner"}`, reply{422, "owner_not_assignable"}},
		{"unknown role", boss, "PUT", acc + "/roles", `{"email":"x@acme.example","role":"king"}`, reply{400, "role_invalid"}},
		{"owner makes sec a company admin", boss, "PUT", acc + "/roles", `{"email":"sec@acme.example","role":"company-admin"}`, reply{200, ""}},
		{"company admin reads roles", secTok, "GET", acc + "/roles", "", reply{200, ""}},
		{"company admin assigns an equal role", secTok, "PUT", acc + "/roles", `{"email":"y@acme.example","role":"company-admin"}`, reply{403, "role_not_lower"}},
		{"company admin transfers ownership", secTok, "POST", acc + "/transfer-ownership", `{"to":"sec@acme.example"}`, reply{403, "not_owner"}},
		{"company admin creates a contract", secTok, "POST", acc + "/contracts", `{"number":"C1","contract_manager":"boss@acme.example"}`, reply{403, "not_allowed"}},
		{"owner creates a contract", boss, "POST", acc + "/contracts", `{"number":"C1","contract_manager":"boss@acme.example","products":["autocad"],"seats":3}`, reply{201, ""}},
		{"owner creates another", boss, "POST", acc + "/contracts", `{"number":"C2","contract_manager":"boss@acme.example"}`, reply{201, ""}},
		{"duplicate number", boss, "POST", acc + "/contracts", `{"number":"C1","contract_manager":"boss@acme.example"}`, reply{409, "contract_exists"}},
		{"non-manager hands over", secTok, "PUT", acc + "/contracts/C1/manager", `{"email":"sec@acme.example"}`, reply{403, "not_contract_manager"}},
		{"non-manager assigns the coordinator", secTok, "PUT", acc + "/contracts/C1/coordinator", `{"email":"sec@acme.example"}`, reply{403, "not_contract_manager"}},
		{"manager assigns the coordinator", boss, "PUT", acc + "/contracts/C1/coordinator", `{"email":"sec@acme.example"}`, reply{200, ""}},
		{"coordinator adds a user", secTok, "POST", acc + "/contracts/C1/users", `{"email":"cu@acme.example"}`, reply{201, ""}},
		{"coordinator lists the users", secTok, "GET", acc + "/contracts/C1/users", "", reply{200, ""}},
		{"coordinator outside their contract", secTok, "POST", acc + "/contracts/C2/users", `{"email":"cu@acme.example"}`, reply{403, "outside_contract"}},
		{"unknown contract", boss, "GET", acc + "/contracts/C9", "", reply{404, "contract_not_found"}},
		{"coordinator removes the user", secTok, "DELETE", acc + "/contracts/C1/users/cu@acme.example", "", reply{204, ""}},
		{"manager hands over", boss, "PUT", acc + "/contracts/C1/manager", `{"email":"sec@acme.example"}`, reply{200, ""}},
		{"owner transfers ownership", boss, "POST", acc + "/transfer-ownership", `{"to":"sec@acme.example"}`, reply{200, ""}},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, e.do(s.token, s.method, s.path, s.body)); diff != "" {
			t.Fatalf("%s: %s %s (-want +got):\n%s", s.name, s.method, s.path, diff)
		}
	}
	info, err := e.store.GetAccount(ctx, e.team.AccountID)
	if err != nil || info.Owner != "sec@acme.example" || !info.Hybrid() {
		t.Fatalf("account = %+v, %v", info, err)
	}
	k, _ := e.store.GetContract(ctx, e.team.AccountID, "C1")
	if k.ContractManager != "sec@acme.example" || k.SoftwareCoordinator != "sec@acme.example" {
		t.Fatalf("contract = %+v", k)
	}
	// Refused requests changed nothing and are audited with the token's admin.
	es, _ := e.store.ListAudit(ctx, e.team.AccountID, db.AuditQuery{Limit: 1000})
	refused := map[string]int{}
	for _, a := range es {
		if a.Actor.Name == "sec@acme.example" {
			refused[a.Action]++
		}
	}
	for _, w := range []string{"account.role.set.refused", "account.ownership.transfer.refused", "contract.manager.set.refused",
		"contract.coordinator.set.refused", "contract.user.add.refused", "contract.create.refused"} { // all sec's
		if refused[w] == 0 {
			t.Errorf("no %s audit entry (have %v)", w, refused)
		}
	}
	// An inactive member holds no power through the API either.
	if _, err := e.store.SetAccountMemberStatus(ctx, e.team.AccountID, "boss@acme.example", db.StatusInactive, operator); err != nil {
		t.Fatal(err)
	}
	if got := e.do(boss, "GET", acc, ""); got != (reply{403, "actor_inactive"}) {
		t.Fatalf("inactive member reads the account: %+v", got)
	}
}
