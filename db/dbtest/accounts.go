package dbtest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testAccounts is the account ladder and classic user management: R-OWN-1..3,
// R-HIE-1..3, R-CLS-1..4 and R-ADM-8.
func testAccounts(t *testing.T, st db.Store) {
	s, ok := st.(interface {
		db.Store
		db.AccountStore
	})
	if !ok {
		missing(t, "db.AccountStore")
		return
	}
	person := func(local string) db.Person {
		return db.Person{Email: Email(local, "acme.test"), FirstName: strings.ToUpper(local[:1]) + local[1:], LastName: "Test"}
	}
	role := func(t *testing.T, accountID, email string) db.AccountRole {
		t.Helper()
		ms, err := s.ListAccountMembers(ctx, accountID)
		WantErr(t, err, nil, "")
		for _, m := range ms {
			if db.NormalizeEmail(m.Email) == db.NormalizeEmail(email) {
				return m.Role
			}
		}
		t.Fatalf("%s is not a member of the account", email)
		return ""
	}
	owners := func(t *testing.T, accountID string) []string {
		t.Helper()
		ms, err := s.ListAccountMembers(ctx, accountID)
		WantErr(t, err, nil, "")
		var out []string
		for _, m := range ms {
			if m.Role == db.AccountOwner {
				out = append(out, m.Email)
			}
		}
		return out
	}
	wantOwner := func(t *testing.T, accountID, email string) {
		t.Helper()
		if got := owners(t, accountID); len(got) != 1 || got[0] != email {
			t.Fatalf("owners = %v, want exactly [%s] (R-OWN-1)", got, email)
		}
		a, err := s.GetAccount(ctx, accountID)
		WantErr(t, err, nil, "")
		if a.Owner != email {
			t.Fatalf("account owner = %q, want %q", a.Owner, email)
		}
	}
	// audited returns the account's audit entries with the action, newest first.
	audited := func(t *testing.T, accountID, action string) []db.AuditEntry {
		t.Helper()
		es, err := s.ListAudit(ctx, accountID, db.AuditQuery{Limit: 1000})
		WantErr(t, err, nil, "")
		var out []db.AuditEntry
		for _, e := range es {
			if e.Action == action {
				out = append(out, e)
			}
		}
		return out
	}
	detail := func(t *testing.T, e db.AuditEntry, key string) string {
		t.Helper()
		var m map[string]string
		if err := json.Unmarshal([]byte(e.Details), &m); err != nil {
			t.Fatalf("details %q: %v", e.Details, err)
		}
		return m[key]
	}
	// withRole adds a person to the account with the role, as the owner.
	withRole := func(t *testing.T, accountID, ownerEmail string, r db.AccountRole) db.Person {
		t.Helper()
		p := person("none")
		if r != db.AccountRoleNone {
			p = person(string(r)[:4])
		}
		_, err := s.SetAccountRole(ctx, accountID, ownerEmail, p, r, Operator)
		WantErr(t, err, nil, "")
		return p
	}

	t.Run("R-OWN-1 each account has exactly one owner, by default the purchaser", func(t *testing.T) {
		// R-OWN-1
		team, p := NewTeam(t, s, "")
		wantOwner(t, team.AccountID, p.Email)
		// A second team of the account leaves the owner as it is.
		_, p2 := NewTeam(t, s, team.AccountID)
		wantOwner(t, team.AccountID, p.Email)
		if r := role(t, team.AccountID, p.Email); r != db.AccountOwner {
			t.Fatalf("role = %q", r)
		}
		// --owner names another owner for a new account.
		o := Email("owner", "acme.test")
		t2, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "owned", PrimaryEmail: Email("pa", "acme.test"), PrimaryFirstName: "P", PrimaryLastName: "A", OwnerEmail: o}, Operator)
		WantErr(t, err, nil, "")
		wantOwner(t, t2.AccountID, o)
		// Changing the primary admin never changes the owner (R-ADM-8).
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		WantErr(t, s.SetAdminRole(ctx, team.ID, sec.ID, sec.ID, db.RolePrimary, Operator), nil, "")
		wantOwner(t, team.AccountID, p.Email)
		_ = p2
		// Renewal and invoice notices are addressed to the owner only.
		so := withRole(t, team.AccountID, p.Email, db.AccountSecondaryOwner)
		for _, k := range []db.NoticeKind{db.NoticeRenewal, db.NoticeInvoice} {
			n, err := s.Notify(ctx, team.AccountID, k, "", Operator)
			WantErr(t, err, nil, "")
			if n.To != p.Email {
				t.Fatalf("%s notice to %q, want the owner %q", k, n.To, p.Email)
			}
			es := audited(t, team.AccountID, "notice."+string(k))
			if len(es) != 1 || detail(t, es[0], "to") != p.Email {
				t.Fatalf("notice.%s audit entries %+v, want one to the owner", k, es)
			}
		}
		_ = so
	})
	t.Run("R-OWN-2 sections per account role", func(t *testing.T) {
		// R-OWN-2: the table of 003, and the secondary owner gets no notices.
		want := map[db.Principal][]db.Action{
			db.PrincipalOwner:          {db.ActAccountProducts, db.ActAccountMembers, db.ActAccountPlanView, db.ActAccountPlanEdit, db.ActAccountBilling, db.ActAccountPayments, db.ActAccountNotices},
			db.PrincipalSecondaryOwner: {db.ActAccountProducts, db.ActAccountMembers, db.ActAccountPlanView, db.ActAccountPlanEdit, db.ActAccountBilling},
			db.PrincipalCompanyAdmin:   {db.ActAccountProducts, db.ActAccountMembers, db.ActAccountPlanView},
			db.PrincipalProductUser:    {db.ActAccountProducts},
		}
		sections := []db.Action{db.ActAccountProducts, db.ActAccountMembers, db.ActAccountPlanView, db.ActAccountPlanEdit, db.ActAccountBilling, db.ActAccountPayments, db.ActAccountNotices}
		for p, allowed := range want {
			for _, a := range sections {
				in := false
				for _, x := range allowed {
					in = in || x == a
				}
				if db.Can(p, a) != in {
					t.Errorf("Can(%s, %s) = %v, want %v", p, a, !in, in)
				}
			}
		}
		team, o := NewTeam(t, s, "")
		so := withRole(t, team.AccountID, o.Email, db.AccountSecondaryOwner)
		n, err := s.Notify(ctx, team.AccountID, db.NoticeInvoice, "", Operator)
		WantErr(t, err, nil, "")
		if n.To == so.Email {
			t.Fatal("an invoice went to the secondary owner")
		}
	})
	t.Run("R-OWN-3 ownership moves only by the owner's transfer", func(t *testing.T) {
		// R-OWN-3
		team, o := NewTeam(t, s, "")
		so := withRole(t, team.AccountID, o.Email, db.AccountSecondaryOwner)
		// A secondary owner cannot take or give ownership.
		_, err := s.TransferOwnership(ctx, team.AccountID, so.Email, so, Operator)
		WantErr(t, err, db.ErrForbidden, "not_owner")
		if es := audited(t, team.AccountID, "account.ownership.transfer.refused"); len(es) != 1 || detail(t, es[0], "code") != "not_owner" {
			t.Fatalf("refused transfer audit = %+v", es)
		}
		wantOwner(t, team.AccountID, o.Email)
		// The owner transfers to a person not yet known: they are created.
		next := person("next")
		a, err := s.TransferOwnership(ctx, team.AccountID, upper(o.Email), next, Operator)
		WantErr(t, err, nil, "")
		if a.Owner != next.Email {
			t.Fatalf("owner after transfer = %q", a.Owner)
		}
		wantOwner(t, team.AccountID, next.Email)
		if r := role(t, team.AccountID, o.Email); r != db.AccountSecondaryOwner {
			t.Fatalf("former owner's role = %q, want secondary-owner", r)
		}
		// The former owner has no power to transfer any more.
		_, err = s.TransferOwnership(ctx, team.AccountID, o.Email, so, Operator)
		WantErr(t, err, db.ErrForbidden, "not_owner")
		// Renewal notices follow the owner.
		n, _ := s.Notify(ctx, team.AccountID, db.NoticeRenewal, "", Operator)
		if n.To != next.Email {
			t.Fatalf("renewal to %q after the transfer, want %q", n.To, next.Email)
		}
	})
	t.Run("R-OWN-3 concurrent transfers: one wins, one owner", func(t *testing.T) {
		// R-OWN-3, R-OWN-1
		team, o := NewTeam(t, s, "")
		targets := []db.Person{withRole(t, team.AccountID, o.Email, db.AccountCompanyAdmin), withRole(t, team.AccountID, o.Email, db.AccountProductUser), person("third")}
		var wg sync.WaitGroup
		errs := make([]error, len(targets))
		for i, p := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.TransferOwnership(ctx, team.AccountID, o.Email, p, Operator)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else if !db.IsClientError(err) {
				t.Fatalf("a losing transfer failed with %v, want a precise refusal", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d transfers won (%v), want exactly 1", wins, errs)
		}
		if got := owners(t, team.AccountID); len(got) != 1 {
			t.Fatalf("owners = %v", got)
		}
		if r := role(t, team.AccountID, o.Email); r != db.AccountSecondaryOwner {
			t.Fatalf("former owner = %q", r)
		}
	})
	t.Run("R-HIE-1 R-HIE-2 only roles strictly below one's own, never owner", func(t *testing.T) {
		// R-HIE-1, R-HIE-2
		team, o := NewTeam(t, s, "")
		acc := team.AccountID
		actors := map[db.AccountRole]db.Person{db.AccountOwner: {Email: o.Email}}
		for _, r := range []db.AccountRole{db.AccountSecondaryOwner, db.AccountCompanyAdmin, db.AccountProductUser} {
			actors[r] = withRole(t, acc, o.Email, r)
		}
		roles := []db.AccountRole{db.AccountOwner, db.AccountSecondaryOwner, db.AccountCompanyAdmin, db.AccountProductUser, db.AccountRoleNone}
		for _, actor := range []db.AccountRole{db.AccountOwner, db.AccountSecondaryOwner, db.AccountCompanyAdmin, db.AccountProductUser} {
			for _, to := range roles {
				target := person("t")
				_, err := s.SetAccountRole(ctx, acc, actors[actor].Email, target, to, Operator)
				switch {
				case to == db.AccountOwner:
					WantErr(t, err, db.ErrRule, "owner_not_assignable")
				case actor == db.AccountProductUser:
					WantErr(t, err, db.ErrForbidden, "not_allowed")
				case to.Level() >= actor.Level():
					WantErr(t, err, db.ErrForbidden, "role_not_lower")
				default:
					WantErr(t, err, nil, "")
					if got := role(t, acc, target.Email); got != to {
						t.Fatalf("%s gave %s: role = %q", actor, to, got)
					}
				}
				if err != nil {
					// Refused: nothing changed (a created person would have role none).
					ms, _ := s.ListAccountMembers(ctx, acc)
					for _, m := range ms {
						if m.Email == target.Email {
							t.Fatalf("%s assigning %s was refused but left %s in the account", actor, to, target.Email)
						}
					}
				}
			}
		}
		// Nobody changes the role of someone at or above their own, nor the owner's.
		_, err := s.SetAccountRole(ctx, acc, actors[db.AccountSecondaryOwner].Email, actors[db.AccountSecondaryOwner], db.AccountProductUser, Operator)
		WantErr(t, err, db.ErrForbidden, "role_not_lower")
		_, err = s.SetAccountRole(ctx, acc, o.Email, db.Person{Email: o.Email}, db.AccountCompanyAdmin, Operator)
		WantErr(t, err, db.ErrRule, "owner_role_fixed")
		wantOwner(t, acc, o.Email)
		// An inactive person holds no power.
		_, err = s.SetAccountMemberStatus(ctx, acc, actors[db.AccountSecondaryOwner].Email, db.StatusInactive, Operator)
		WantErr(t, err, nil, "")
		_, err = s.SetAccountRole(ctx, acc, actors[db.AccountSecondaryOwner].Email, person("x"), db.AccountProductUser, Operator)
		WantErr(t, err, db.ErrForbidden, "actor_inactive")
		_, err = s.SetAccountMemberStatus(ctx, acc, o.Email, db.StatusInactive, Operator)
		WantErr(t, err, db.ErrRule, "owner_must_stay_active")
		// The account ladder's status is its own (README "Limits"): a team
		// user deactivated in the team keeps their account role's power.
		tu := NewUser(t, s, team.ID, "tu", "acme.test", db.SourceAdmin)
		_, err = s.SetAccountRole(ctx, acc, o.Email, db.Person{Email: tu.Email}, db.AccountCompanyAdmin, Operator)
		WantErr(t, err, nil, "")
		_, err = s.UpdateUser(ctx, team.ID, tu.ID, 0, Operator, func(u *db.User) error { u.Status = db.StatusInactive; return nil })
		WantErr(t, err, nil, "")
		_, err = s.SetAccountRole(ctx, acc, tu.Email, person("pu"), db.AccountProductUser, Operator)
		WantErr(t, err, nil, "")
	})
	t.Run("R-HIE-3 every role change, allowed or refused, is audited with the actor", func(t *testing.T) {
		// R-HIE-3
		team, o := NewTeam(t, s, "")
		by := db.Actor{Kind: db.ActorAdmin, ID: "actor-1", Name: o.Email}
		ca := person("ca")
		_, err := s.SetAccountRole(ctx, team.AccountID, o.Email, ca, db.AccountCompanyAdmin, by)
		WantErr(t, err, nil, "")
		_, err = s.SetAccountRole(ctx, team.AccountID, ca.Email, person("x"), db.AccountCompanyAdmin, by)
		WantErr(t, err, db.ErrForbidden, "role_not_lower")
		ok := audited(t, team.AccountID, "account.role.set")
		refused := audited(t, team.AccountID, "account.role.set.refused")
		if len(ok) != 1 || ok[0].Actor != by || detail(t, ok[0], "role") != "company-admin" || detail(t, ok[0], "as") != o.Email {
			t.Fatalf("allowed change audit = %+v", ok)
		}
		if len(refused) != 1 || refused[0].Actor != by || detail(t, refused[0], "code") != "role_not_lower" || detail(t, refused[0], "as") != ca.Email {
			t.Fatalf("refused change audit = %+v", refused)
		}
	})

	t.Run("R-CLS-1 one contract manager, at most one software coordinator, one person on several contracts", func(t *testing.T) {
		// R-CLS-1
		team, p := NewTeam(t, s, "")
		acc := team.AccountID
		cm := person("cm") // not yet known to the account: created
		c1, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "C-1", ContractManager: cm, Products: []string{"autocad", "revit", "autocad"}, Seats: 5}, Operator)
		WantErr(t, err, nil, "")
		if c1.ContractManager != cm.Email || c1.SoftwareCoordinator != "" || strings.Join(c1.Products, ",") != "autocad,revit" || c1.Seats != 5 {
			t.Fatalf("contract = %+v", c1)
		}
		if r := role(t, acc, cm.Email); r != db.AccountRoleNone {
			t.Fatalf("the named contract manager got account role %q; the ladders are independent", r)
		}
		c2, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "C-2", ContractManager: cm}, Operator)
		WantErr(t, err, nil, "")
		_, err = s.SetSoftwareCoordinator(ctx, acc, "C-1", cm.Email, db.Person{Email: p.Email}, Operator)
		WantErr(t, err, nil, "")
		_, err = s.SetSoftwareCoordinator(ctx, acc, "C-2", cm.Email, db.Person{Email: p.Email}, Operator)
		WantErr(t, err, nil, "")
		cs, err := s.ListContracts(ctx, acc)
		WantErr(t, err, nil, "")
		if len(cs) != 2 || cs[0].Number != "C-1" || cs[1].Number != "C-2" || cs[0].SoftwareCoordinator != p.Email || cs[1].SoftwareCoordinator != p.Email || cs[1].ContractManager != cm.Email {
			t.Fatalf("contracts = %+v", cs)
		}
		_ = c2
		_, err = s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "C-1", ContractManager: cm}, Operator)
		WantErr(t, err, db.ErrConflict, "contract_exists")
		_, err = s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "", ContractManager: cm}, Operator)
		WantErr(t, err, db.ErrInvalid, "number_invalid")
		_, err = s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "C-3", ContractManager: db.Person{Email: "not an email"}}, Operator)
		WantErr(t, err, db.ErrInvalid, "email_invalid")
		// Another account sees none of it.
		other, _ := NewTeam(t, s, "")
		_, err = s.GetContract(ctx, other.AccountID, "C-1")
		WantErr(t, err, db.ErrNotFound, "contract_not_found")
		if cs, _ := s.ListContracts(ctx, other.AccountID); len(cs) != 0 {
			t.Fatalf("another account lists %+v", cs)
		}
	})
	t.Run("R-CLS-2 only the current contract manager hands on; the new one becomes a secondary admin", func(t *testing.T) {
		// R-CLS-2
		team, p := NewTeam(t, s, "")
		acc := team.AccountID
		_, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "C-1", ContractManager: db.Person{Email: p.Email}}, Operator)
		WantErr(t, err, nil, "")
		so := withRole(t, acc, p.Email, db.AccountSecondaryOwner)
		next := person("next")
		// Not the manager (even a secondary owner): refused, audited, nothing changed.
		_, err = s.SetContractManager(ctx, acc, "C-1", so.Email, next, Operator)
		WantErr(t, err, db.ErrForbidden, "not_contract_manager")
		if es := audited(t, acc, "contract.manager.set.refused"); len(es) != 1 {
			t.Fatalf("refused handover audit = %+v", es)
		}
		if c, _ := s.GetContract(ctx, acc, "C-1"); c.ContractManager != p.Email {
			t.Fatalf("contract manager = %q after a refused handover", c.ContractManager)
		}
		if _, err := s.FindUser(ctx, team.ID, db.UserKey{Email: next.Email}); err == nil {
			t.Fatal("a refused handover created a team user")
		}
		// Someone new to the account and the team, without names: refused, nothing changed.
		_, err = s.SetContractManager(ctx, acc, "C-1", p.Email, db.Person{Email: Email("nameless", "acme.test")}, Operator)
		WantErr(t, err, db.ErrInvalid, "names_required")
		if c, _ := s.GetContract(ctx, acc, "C-1"); c.ContractManager != p.Email {
			t.Fatalf("contract manager = %q after a refused handover", c.ContractManager)
		}
		c, err := s.SetContractManager(ctx, acc, "C-1", upper(p.Email), next, Operator)
		WantErr(t, err, nil, "")
		// The grant is audited in the team, with its reason.
		tes, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 5})
		if len(tes) == 0 || tes[0].Action != "admin.set" || !strings.Contains(tes[0].Details, "R-CLS-2") || !strings.Contains(tes[0].Details, next.Email) {
			t.Fatalf("team audit after the handover = %+v", tes)
		}
		if c.ContractManager != next.Email {
			t.Fatalf("contract manager = %q", c.ContractManager)
		}
		// No contract users yet: the account's first team.
		u, err := s.FindUser(ctx, team.ID, db.UserKey{Email: next.Email})
		WantErr(t, err, nil, "")
		if u.AdminRole != db.RoleSecondary {
			t.Fatalf("new contract manager's team role = %q, want secondary", u.AdminRole)
		}
		// The former contract manager keeps their team role (primary), and
		// can no longer hand the contract on.
		assertOnePrimary(t, s, team.ID, p.ID)
		_, err = s.SetContractManager(ctx, acc, "C-1", p.Email, person("again"), Operator)
		WantErr(t, err, db.ErrForbidden, "not_contract_manager")
		// An inactive contract manager holds no power.
		_, err = s.SetAccountMemberStatus(ctx, acc, next.Email, db.StatusInactive, Operator)
		WantErr(t, err, nil, "")
		_, err = s.SetContractManager(ctx, acc, "C-1", next.Email, person("third"), Operator)
		WantErr(t, err, db.ErrForbidden, "actor_inactive")
	})
	t.Run("R-CLS-2 a handover to an admin of another account is refused whole", func(t *testing.T) {
		// R-CLS-2 with R-ADM-2: the new manager could not become a secondary admin here.
		team, p := NewTeam(t, s, "")
		_, elsewhere := NewTeam(t, s, "")
		_, err := s.CreateContract(ctx, db.NewContract{AccountID: team.AccountID, Number: "X", ContractManager: db.Person{Email: p.Email}}, Operator)
		WantErr(t, err, nil, "")
		_, err = s.SetContractManager(ctx, team.AccountID, "X", p.Email, db.Person{Email: elsewhere.Email, FirstName: "E", LastName: "W"}, Operator)
		WantErr(t, err, db.ErrRule, "admin_other_account")
		if c, _ := s.GetContract(ctx, team.AccountID, "X"); c.ContractManager != p.Email {
			t.Fatalf("contract manager = %q after a refused handover", c.ContractManager)
		}
		if _, err := s.FindUser(ctx, team.ID, db.UserKey{Email: elsewhere.Email}); err == nil {
			t.Fatal("a refused handover left a team user behind")
		}
	})
	t.Run("R-CLS-2 concurrent handovers: one wins", func(t *testing.T) {
		// R-CLS-2, R-CLS-1: the contract keeps exactly one manager.
		team, p := NewTeam(t, s, "")
		acc := team.AccountID
		_, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "R", ContractManager: db.Person{Email: p.Email}}, Operator)
		WantErr(t, err, nil, "")
		nexts := []db.Person{person("n1"), person("n2"), person("n3")}
		var wg sync.WaitGroup
		errs := make([]error, len(nexts))
		for i, n := range nexts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.SetContractManager(ctx, acc, "R", p.Email, n, Operator)
			}()
		}
		wg.Wait()
		wins, winner := 0, ""
		for i, err := range errs {
			if err == nil {
				wins++
				winner = nexts[i].Email
			} else if !db.IsClientError(err) {
				t.Fatalf("a losing handover failed with %v, want a precise refusal", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d handovers won (%v), want exactly 1", wins, errs)
		}
		if c, _ := s.GetContract(ctx, acc, "R"); c.ContractManager != winner {
			t.Fatalf("contract manager = %q, want the winner %q", c.ContractManager, winner)
		}
		admins, _ := s.ListAdmins(ctx, team.ID)
		for _, n := range nexts {
			for _, a := range admins {
				if a.Email == n.Email && n.Email != winner {
					t.Fatalf("a losing handover left %s a team admin", n.Email)
				}
			}
		}
	})
	t.Run("R-CLS-2 secondary admin of the teams that hold the contract's users", func(t *testing.T) {
		// R-CLS-2 (DOMAIN.md reconciliation)
		first, p := NewTeam(t, s, "")
		acc := first.AccountID
		second, _ := NewTeam(t, s, acc)
		held := NewUser(t, s, second.ID, "held", "acme.test", db.SourceAdmin)
		_, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "C-9", ContractManager: db.Person{Email: p.Email}}, Operator)
		WantErr(t, err, nil, "")
		WantErr(t, s.AddContractUser(ctx, acc, "C-9", p.Email, held.Email, Operator), nil, "")
		next := person("next")
		_, err = s.SetContractManager(ctx, acc, "C-9", p.Email, next, Operator)
		WantErr(t, err, nil, "")
		u, err := s.FindUser(ctx, second.ID, db.UserKey{Email: next.Email})
		WantErr(t, err, nil, "")
		if u.AdminRole != db.RoleSecondary {
			t.Fatalf("role in the serving team = %q", u.AdminRole)
		}
		if _, err := s.FindUser(ctx, first.ID, db.UserKey{Email: next.Email}); err == nil {
			t.Fatal("made an admin of a team that holds none of the contract's users")
		}
	})
	t.Run("R-CLS-3 the contract manager assigns the software coordinator, who sees only that contract", func(t *testing.T) {
		// R-CLS-3
		team, p := NewTeam(t, s, "")
		acc := team.AccountID
		for _, n := range []string{"A", "B"} {
			_, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: n, ContractManager: db.Person{Email: p.Email}}, Operator)
			WantErr(t, err, nil, "")
		}
		sc := person("sc")
		_, err := s.SetSoftwareCoordinator(ctx, acc, "A", sc.Email, sc, Operator)
		WantErr(t, err, db.ErrForbidden, "") // not yet known: not_account_member
		_, err = s.SetSoftwareCoordinator(ctx, acc, "A", p.Email, sc, Operator)
		WantErr(t, err, nil, "")
		// The coordinator cannot reassign the role.
		_, err = s.SetSoftwareCoordinator(ctx, acc, "A", sc.Email, person("other"), Operator)
		WantErr(t, err, db.ErrForbidden, "not_contract_manager")
		cu := Email("cu", "acme.test")
		WantErr(t, s.AddContractUser(ctx, acc, "A", sc.Email, cu, Operator), nil, "")
		us, err := s.ListContractUsers(ctx, acc, "A", sc.Email)
		WantErr(t, err, nil, "")
		if len(us) != 1 || us[0].Email != cu {
			t.Fatalf("contract A users = %+v", us)
		}
		// Outside their contract: refused and audited.
		WantErr(t, s.AddContractUser(ctx, acc, "B", sc.Email, cu, Operator), db.ErrForbidden, "outside_contract")
		_, err = s.ListContractUsers(ctx, acc, "B", sc.Email)
		WantErr(t, err, db.ErrForbidden, "outside_contract")
		WantErr(t, s.RemoveContractUser(ctx, acc, "B", sc.Email, cu, Operator), db.ErrForbidden, "outside_contract")
		if es := audited(t, acc, "contract.user.add.refused"); len(es) != 1 || detail(t, es[0], "code") != "outside_contract" {
			t.Fatalf("refused add audit = %+v", es)
		}
		WantErr(t, s.RemoveContractUser(ctx, acc, "A", sc.Email, cu, Operator), nil, "")
		// Release notices go to the coordinator.
		n, err := s.Notify(ctx, acc, db.NoticeRelease, "A", Operator)
		WantErr(t, err, nil, "")
		if n.To != sc.Email {
			t.Fatalf("release notice to %q", n.To)
		}
		_, err = s.Notify(ctx, acc, db.NoticeRelease, "B", Operator)
		WantErr(t, err, db.ErrRule, "no_software_coordinator")
	})
	t.Run("R-CLS-4 the two views are independent", func(t *testing.T) {
		// R-CLS-4
		team, p := NewTeam(t, s, "")
		acc := team.AccountID
		a, err := s.GetAccount(ctx, acc)
		WantErr(t, err, nil, "")
		if len(a.Views) != 1 || a.Views[0] != db.ViewTeam || a.Hybrid() {
			t.Fatalf("views = %v, want [team]", a.Views)
		}
		_, err = s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "K", ContractManager: db.Person{Email: p.Email}}, Operator)
		WantErr(t, err, nil, "")
		a, _ = s.GetAccount(ctx, acc)
		if len(a.Views) != 2 || !a.Hybrid() {
			t.Fatalf("views = %v, want [team classic]", a.Views)
		}
		// A user added in the classic view is not a team user...
		cu := Email("classic", "acme.test")
		WantErr(t, s.AddContractUser(ctx, acc, "K", "", cu, Operator), nil, "")
		if _, err := s.FindUser(ctx, team.ID, db.UserKey{Email: cu}); err == nil {
			t.Fatal("a classic user was added to the team view")
		}
		// ...and a team user is not a contract user.
		tu := NewUser(t, s, team.ID, "teamuser", "acme.test", db.SourceAdmin)
		us, _ := s.ListContractUsers(ctx, acc, "K", "")
		if len(us) != 1 || us[0].Email != cu {
			t.Fatalf("contract users = %+v (team user %s must not be one)", us, tu.Email)
		}
		// Changing the software coordinator changes no secondary admin.
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		before, _ := s.ListAdmins(ctx, team.ID)
		_, err = s.SetSoftwareCoordinator(ctx, acc, "K", p.Email, db.Person{Email: tu.Email}, Operator)
		WantErr(t, err, nil, "")
		_, err = s.SetSoftwareCoordinator(ctx, acc, "K", p.Email, db.Person{Email: sec.Email}, Operator)
		WantErr(t, err, nil, "")
		after, _ := s.ListAdmins(ctx, team.ID)
		if adminSet(before) != adminSet(after) {
			t.Fatalf("admins changed with the software coordinator:\n%s\n%s", adminSet(before), adminSet(after))
		}
		// And the other way: making someone a secondary admin names no coordinator.
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, tu.ID, db.RoleSecondary, Operator), nil, "")
		if c, _ := s.GetContract(ctx, acc, "K"); c.SoftwareCoordinator != sec.Email {
			t.Fatalf("software coordinator = %q", c.SoftwareCoordinator)
		}
	})
	t.Run("R-ADM-8 changing the primary admin never changes the contract manager and vice versa", func(t *testing.T) {
		// R-ADM-8
		team, p := NewTeam(t, s, "")
		acc := team.AccountID
		_, err := s.CreateContract(ctx, db.NewContract{AccountID: acc, Number: "c1", ContractManager: db.Person{Email: p.Email}}, Operator)
		WantErr(t, err, nil, "")
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		WantErr(t, s.SetAdminRole(ctx, team.ID, sec.ID, sec.ID, db.RolePrimary, Operator), nil, "")
		if got, _ := s.GetContract(ctx, acc, "c1"); got.ContractManager != p.Email {
			t.Fatalf("contract manager changed to %q with the primary admin", got.ContractManager)
		}
		wantOwner(t, acc, p.Email)
		// The other way: a contract manager handover that makes its new
		// manager a secondary admin must leave the primary admin alone.
		cm := person("cm")
		_, err = s.SetContractManager(ctx, acc, "c1", p.Email, cm, Operator)
		WantErr(t, err, nil, "")
		assertOnePrimary(t, s, team.ID, sec.ID)
		got, err := s.FindUser(ctx, team.ID, db.UserKey{Email: cm.Email})
		WantErr(t, err, nil, "")
		if got.AdminRole != db.RoleSecondary {
			t.Fatalf("new contract manager's role = %q, want secondary (R-CLS-2), never primary", got.AdminRole)
		}
		if old, _ := s.GetUser(ctx, team.ID, p.ID); old.AdminRole != db.RoleSecondary {
			t.Fatalf("the former contract manager's team role changed to %q", old.AdminRole)
		}
		// Handing over to the primary admin leaves them primary.
		_, err = s.SetContractManager(ctx, acc, "c1", cm.Email, db.Person{Email: sec.Email}, Operator)
		WantErr(t, err, nil, "")
		assertOnePrimary(t, s, team.ID, sec.ID)
	})
}

func adminSet(us []db.User) string {
	var b strings.Builder
	for _, u := range us {
		b.WriteString(u.Email + "=" + string(u.AdminRole) + " ")
	}
	return b.String()
}
