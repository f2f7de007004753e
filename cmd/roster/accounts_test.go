package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// TestCLIAccountContract is issue 12's CLI contract, command by command,
// against one database file (what a running server uses).
func TestCLIAccountContract(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	var tv map[string]any
	c.ok(&tv, "team", "show", "--team", team, "-o", "json")
	acc, _ := tv["account_id"].(string)
	if acc == "" {
		t.Fatalf("team show has no account_id: %v", tv)
	}

	// The purchaser (the primary admin) owns the new account; a team view only.
	var a adminapi.AccountView
	c.ok(&a, "account", "show", "--account", acc, "-o", "json")
	if a.ID != acc || a.Owner != "pat@acme.test" || !slices.Equal(a.Views, []string{"team"}) || a.Hybrid {
		t.Fatalf("account show = %+v", a)
	}
	// --owner names another owner.
	var other struct {
		AccountID string `json:"account_id"`
	}
	c.ok(&other, "team", "create", "--name", "Owned", "--primary-admin", "kim@other.test", "--first-name", "Kim", "--last-name", "Ro", "--owner", "boss@other.test", "-o", "json")
	c.ok(&a, "account", "show", "--account", other.AccountID, "-o", "json")
	if a.Owner != "boss@other.test" {
		t.Fatalf("--owner: owner = %q", a.Owner)
	}

	// Roles (R-HIE-2) through set-role --as.
	c.ok(nil, "account", "set-role", "--account", acc, "--email", "sol@acme.test", "--role", "secondary-owner", "--as", "pat@acme.test")
	c.ok(nil, "account", "set-role", "--account", acc, "--email", "cai@acme.test", "--role", "company-admin", "--as", "sol@acme.test")
	c.fails("R-HIE-2", "account", "set-role", "--account", acc, "--email", "x@acme.test", "--role", "secondary-owner", "--as", "sol@acme.test")
	c.fails("owner role is never assigned", "account", "set-role", "--account", acc, "--email", "x@acme.test", "--role", "owner", "--as", "pat@acme.test")
	c.fails("--role must be", "account", "set-role", "--account", acc, "--email", "x@acme.test", "--role", "king", "--as", "pat@acme.test")
	var roles []map[string]string
	c.ok(&roles, "account", "roles", "--account", acc, "-o", "json")
	want := []map[string]string{{"email": "pat@acme.test", "role": "owner"}, {"email": "sol@acme.test", "role": "secondary-owner"}, {"email": "cai@acme.test", "role": "company-admin"}}
	if len(roles) != len(want) {
		t.Fatalf("account roles = %v", roles)
	}
	for i, w := range want {
		if roles[i]["email"] != w["email"] || roles[i]["role"] != w["role"] {
			t.Fatalf("account roles[%d] = %v, want %v", i, roles[i], w)
		}
	}
	// An inactive member holds no power.
	c.ok(nil, "account", "set-status", "--account", acc, "--email", "cai@acme.test", "--status", "inactive")
	c.fails("holds no power", "account", "set-role", "--account", acc, "--email", "y@acme.test", "--role", "product-user", "--as", "cai@acme.test")

	// Ownership (R-OWN-3).
	c.fails("R-OWN-3", "account", "transfer-ownership", "--account", acc, "--to", "sol@acme.test", "--as", "sol@acme.test")
	c.ok(&a, "account", "transfer-ownership", "--account", acc, "--to", "sol@acme.test", "--as", "pat@acme.test", "-o", "json")
	if a.Owner != "sol@acme.test" {
		t.Fatalf("after transfer: owner = %q", a.Owner)
	}
	c.ok(nil, "contracts", "create", "--account", acc, "--number", "C-0", "--contract-manager", "norole@acme.test")
	c.ok(&roles, "account", "roles", "--account", acc, "-o", "json")
	if len(roles) != 3 {
		t.Fatalf("account roles lists people without a role: %v", roles)
	}
	if roles[0]["email"] != "sol@acme.test" || roles[1]["email"] != "pat@acme.test" || roles[1]["role"] != "secondary-owner" {
		t.Fatalf("after transfer: roles = %v", roles)
	}

	// Contracts (R-CLS-1..4).
	var cv adminapi.ContractView
	c.ok(&cv, "contracts", "create", "--account", acc, "--number", "C-100", "--contract-manager", "pat@acme.test", "--products", "autocad,revit", "--seats", "10", "-o", "json")
	if cv.Number != "C-100" || cv.ContractManager != "pat@acme.test" || cv.SoftwareCoordinator != "" || !slices.Equal(cv.Products, []string{"autocad", "revit"}) || cv.Seats != 10 {
		t.Fatalf("contracts create = %+v", cv)
	}
	c.ok(nil, "contracts", "create", "--account", acc, "--number", "C-200", "--contract-manager", "pat@acme.test")
	c.fails("already exists", "contracts", "create", "--account", acc, "--number", "C-100", "--contract-manager", "pat@acme.test")
	var show map[string]any
	c.ok(&show, "contracts", "show", "--account", acc, "--contract", "C-100", "-o", "json")
	for _, k := range []string{"number", "contract_manager", "software_coordinator", "products", "seats"} {
		if _, ok := show[k]; !ok {
			t.Fatalf("contracts show lacks %q: %v", k, show)
		}
	}
	c.ok(&a, "account", "show", "--account", acc, "-o", "json")
	if !slices.Equal(a.Views, []string{"team", "classic"}) || !a.Hybrid {
		t.Fatalf("hybrid account views = %v", a.Views)
	}
	c.fails("R-CLS-3", "contracts", "set-coordinator", "--account", acc, "--contract", "C-100", "--email", "sol@acme.test", "--as", "sol@acme.test")
	c.ok(&cv, "contracts", "set-coordinator", "--account", acc, "--contract", "C-100", "--email", "sol@acme.test", "--as", "pat@acme.test", "-o", "json")
	if cv.SoftwareCoordinator != "sol@acme.test" {
		t.Fatalf("set-coordinator = %+v", cv)
	}
	c.ok(nil, "contracts", "users", "add", "--account", acc, "--contract", "C-100", "--email", "cu@acme.test", "--as", "sol@acme.test")
	c.fails("R-CLS-3", "contracts", "users", "add", "--account", acc, "--contract", "C-200", "--email", "cu@acme.test", "--as", "sol@acme.test")
	c.fails("R-CLS-3", "contracts", "users", "list", "--account", acc, "--contract", "C-200", "--as", "sol@acme.test")
	var cus []adminapi.ContractUserView
	c.ok(&cus, "contracts", "users", "list", "--account", acc, "--contract", "C-100", "--as", "sol@acme.test", "-o", "json")
	if len(cus) != 1 || cus[0].Email != "cu@acme.test" {
		t.Fatalf("contract users = %+v", cus)
	}
	// R-CLS-4: the classic user is no team user.
	c.fails("no such user", "users", "remove", "--team", team, "--email", "cu@acme.test")
	// R-CLS-2 through the CLI: not the manager, then the manager.
	c.fails("R-CLS-2", "contracts", "set-manager", "--account", acc, "--contract", "C-100", "--email", "new@acme.test", "--as", "sol@acme.test")
	c.ok(&cv, "contracts", "set-manager", "--account", acc, "--contract", "C-100", "--email", "new@acme.test", "--first-name", "Nia", "--last-name", "Ew", "--as", "pat@acme.test", "-o", "json")
	if cv.ContractManager != "new@acme.test" {
		t.Fatalf("set-manager = %+v", cv)
	}
	var admins []adminapi.UserView
	c.ok(&admins, "admin", "list", "--team", team, "-o", "json")
	roleOf := map[string]string{}
	for _, u := range admins {
		roleOf[u.Email] = u.AdminRole
	}
	if roleOf["new@acme.test"] != "secondary" || roleOf["pat@acme.test"] != "primary" {
		t.Fatalf("team admins after the handover = %v", roleOf)
	}
	c.ok(nil, "contracts", "users", "remove", "--account", acc, "--contract", "C-100", "--email", "cu@acme.test")
	var list []adminapi.ContractView
	c.ok(&list, "contracts", "list", "--account", acc, "-o", "json")
	if len(list) != 3 {
		t.Fatalf("contracts list = %+v", list)
	}

	// Notices and the account's audit log: refused attempts are there too.
	var n adminapi.NoticeView
	c.ok(&n, "account", "notify", "--account", acc, "--kind", "renewal", "-o", "json")
	if n.To != "sol@acme.test" {
		t.Fatalf("renewal notice to %q, want the owner", n.To)
	}
	var audit []adminapi.AuditView
	c.ok(&audit, "account", "audit", "--account", acc, "-o", "json")
	seen := map[string]bool{}
	for _, e := range audit {
		seen[e.Action] = true
	}
	for _, w := range []string{"account.create", "account.role.set", "account.role.set.refused", "account.ownership.transfer",
		"account.ownership.transfer.refused", "contract.create", "contract.manager.set", "contract.manager.set.refused",
		"contract.coordinator.set.refused", "contract.user.add.refused", "notice.renewal"} {
		if !seen[w] {
			t.Errorf("account audit lacks %q", w)
		}
	}
	c.fails("does not exist", "account", "show", "--account", "nope")
}

// TestAuthzCommandPrintsTheTable: `roster authz` is db.Authorization.
func TestAuthzCommandPrintsTheTable(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.run("authz", "-o", "json")
	var rows []authzRow
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != len(db.Authorization) {
		t.Fatalf("authz: exit %d, %d rows: %s", code, len(rows), out)
	}
	for i, p := range db.Authorization {
		if rows[i].Action != string(p.Action) || strings.Join(rows[i].Allowed, ",") == "" {
			t.Fatalf("row %d = %+v", i, rows[i])
		}
	}
}

// TestREADMEPrintsTheAuthorizationTable: the README's table is db.Authorization.
func TestREADMEPrintsTheAuthorizationTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := authzMarkdown(); !strings.Contains(string(b), want) {
		t.Fatalf("README.md lacks the authorization table; put this in it:\n%s", want)
	}
}
