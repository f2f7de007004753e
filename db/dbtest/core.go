package dbtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

func testCore(t *testing.T, s db.Store) {
	t.Run("Teams", func(t *testing.T) { testTeams(t, s) })
	t.Run("Users", func(t *testing.T) { testUsers(t, s) })
	t.Run("UpdateUser", func(t *testing.T) { testUpdateUser(t, s) })
	t.Run("TenantIsolation", func(t *testing.T) { testTenantIsolation(t, s) })
	t.Run("AdminRoles", func(t *testing.T) { testAdminRoles(t, s) })
	t.Run("ConcurrentPrimaryChange", func(t *testing.T) { testConcurrentPrimary(t, s) })
	t.Run("ConcurrentCreate", func(t *testing.T) { testConcurrentCreate(t, s) })
	t.Run("Groups", func(t *testing.T) { testGroups(t, s) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, s) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, s) })
}

var ctx = context.Background()

func testTeams(t *testing.T, s db.Store) {
	team, admin := NewTeam(t, s, "")
	// R-ADM-1: a team is created with exactly one primary admin, the purchaser.
	if team.PrimaryUserID != admin.ID || admin.AdminRole != db.RolePrimary {
		t.Fatalf("team %+v admin %+v: want the creator as primary admin", team, admin)
	}
	got, err := s.GetTeam(ctx, team.ID)
	WantErr(t, err, nil, "")
	if got.PrimaryUserID != admin.ID || got.Policy.Mode != db.PolicyDefault || got.AccountID != team.AccountID {
		t.Fatalf("GetTeam = %+v", got)
	}
	_, err = s.GetTeam(ctx, "no-such-team")
	WantErr(t, err, db.ErrNotFound, "team_not_found")

	cases := []struct {
		name string
		in   db.NewTeam
		code string
	}{
		{"no name", db.NewTeam{PrimaryEmail: Email("a", "x.test"), PrimaryFirstName: "A", PrimaryLastName: "B"}, "name_required"},
		{"bad email", db.NewTeam{Name: "n", PrimaryEmail: "not an email", PrimaryFirstName: "A", PrimaryLastName: "B"}, "email_invalid"},
		{"no first name", db.NewTeam{Name: "n", PrimaryEmail: Email("a", "x.test"), PrimaryLastName: "B"}, "first_name_required"},
		{"no last name", db.NewTeam{Name: "n", PrimaryEmail: Email("a", "x.test"), PrimaryFirstName: "A"}, "last_name_required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := s.CreateTeam(ctx, c.in, Operator)
			WantErr(t, err, db.ErrInvalid, c.code)
		})
	}
	_, _, err = s.CreateTeam(ctx, db.NewTeam{AccountID: "no-such-account", Name: "n", PrimaryEmail: Email("a", "x.test"), PrimaryFirstName: "A", PrimaryLastName: "B"}, Operator)
	WantErr(t, err, db.ErrNotFound, "account_not_found")
}

func testUsers(t *testing.T, s db.Store) {
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	email := Email("Alice", "Acme.Test")
	u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: email, FirstName: "Alice", LastName: "A", Source: db.SourceSCIM, ExternalID: "Ext-1"}, Operator)
	WantErr(t, err, nil, "")
	if u.Status != db.StatusActive || u.UserName != email || u.Version != 1 || u.Type == "" {
		t.Fatalf("defaults not applied: %+v", u)
	}
	got, err := s.GetUser(ctx, team.ID, u.ID)
	WantErr(t, err, nil, "")
	if diff := cmp.Diff(u, got); diff != "" {
		t.Fatalf("read back differs (-created +read):\n%s", diff)
	}

	// Emails compare case-insensitively and are unique within a team.
	_, err = s.CreateUser(ctx, team.ID, db.NewUser{Email: upper(email), FirstName: "A", LastName: "B", Source: db.SourceAdmin}, Operator)
	WantErr(t, err, db.ErrConflict, "email_taken")
	// ... but the same person may be in another team.
	_, err = s.CreateUser(ctx, other.ID, db.NewUser{Email: email, FirstName: "A", LastName: "B", Source: db.SourceAdmin}, Operator)
	WantErr(t, err, nil, "")
	// userName is unique per team, case-insensitively.
	_, err = s.CreateUser(ctx, team.ID, db.NewUser{Email: Email("b", "acme.test"), UserName: upper(email), FirstName: "A", LastName: "B", Source: db.SourceSCIM}, Operator)
	WantErr(t, err, db.ErrConflict, "username_taken")

	for _, k := range []db.UserKey{{Email: upper(email)}, {UserName: upper(email)}, {ExternalID: "Ext-1"}} {
		got, err := s.FindUser(ctx, team.ID, k)
		if err != nil || got.ID != u.ID {
			t.Fatalf("FindUser(%+v) = %v, %v", k, got.ID, err)
		}
	}
	// externalId is case-exact.
	_, err = s.FindUser(ctx, team.ID, db.UserKey{ExternalID: "ext-1"})
	WantErr(t, err, db.ErrNotFound, "")
	_, err = s.FindUser(ctx, team.ID, db.UserKey{})
	WantErr(t, err, db.ErrInvalid, "")

	bad := []struct {
		name string
		in   db.NewUser
		kind error
		code string
	}{
		{"first name required", db.NewUser{Email: Email("c", "x.test"), LastName: "L", Source: db.SourceAdmin}, db.ErrInvalid, "first_name_required"},
		{"last name required", db.NewUser{Email: Email("c", "x.test"), FirstName: "F", Source: db.SourceAdmin}, db.ErrInvalid, "last_name_required"},
		{"email required", db.NewUser{FirstName: "F", LastName: "L", Source: db.SourceAdmin}, db.ErrInvalid, "email_required"},
		{"email invalid", db.NewUser{Email: "a@b@c", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, db.ErrInvalid, "email_invalid"},
		{"display name form refused", db.NewUser{Email: "Al <al@x.test>", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, db.ErrInvalid, "email_invalid"},
		{"source required", db.NewUser{Email: Email("c", "x.test"), FirstName: "F", LastName: "L"}, db.ErrInvalid, "source_invalid"},
		{"status invalid", db.NewUser{Email: Email("c", "x.test"), FirstName: "F", LastName: "L", Source: db.SourceAdmin, Status: "gone"}, db.ErrInvalid, "status_invalid"},
		{"type invalid", db.NewUser{Email: Email("c", "x.test"), FirstName: "F", LastName: "L", Source: db.SourceAdmin, Type: "vip"}, db.ErrInvalid, "type_invalid"},
		{"team missing", db.NewUser{Email: Email("c", "x.test"), FirstName: "F", LastName: "L", Source: db.SourceAdmin}, db.ErrNotFound, "team_not_found"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			teamID := team.ID
			if c.code == "team_not_found" {
				teamID = "missing"
			}
			before, _ := s.CountUsers(ctx, team.ID)
			_, err := s.CreateUser(ctx, teamID, c.in, Operator)
			WantErr(t, err, c.kind, c.code)
			after, _ := s.CountUsers(ctx, team.ID)
			if after != before {
				t.Fatalf("a refused create changed the user count %d → %d", before, after)
			}
		})
	}

	// Paging by id covers every user exactly once.
	for i := 0; i < 5; i++ {
		NewUser(t, s, team.ID, fmt.Sprintf("p%d", i), "acme.test", db.SourceAdmin)
	}
	n, _ := s.CountUsers(ctx, team.ID)
	seen := map[string]bool{}
	page := db.Page{Limit: 2}
	for {
		us, err := s.ListUsers(ctx, team.ID, page)
		WantErr(t, err, nil, "")
		for _, u := range us {
			if seen[u.ID] || u.TeamID != team.ID {
				t.Fatalf("page repeated or leaked user %+v", u)
			}
			seen[u.ID] = true
		}
		if len(us) < page.Limit {
			break
		}
		page.After = us[len(us)-1].ID
	}
	if len(seen) != n {
		t.Fatalf("paged %d users, team has %d", len(seen), n)
	}

	// Deleting removes the user; deleting again is not found.
	WantErr(t, s.DeleteUser(ctx, team.ID, u.ID, Operator), nil, "")
	_, err = s.GetUser(ctx, team.ID, u.ID)
	WantErr(t, err, db.ErrNotFound, "user_not_found")
	WantErr(t, s.DeleteUser(ctx, team.ID, u.ID, Operator), db.ErrNotFound, "user_not_found")
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func testUpdateUser(t *testing.T, s db.Store) {
	team, _ := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "bob", "acme.test", db.SourceSCIM)
	taken := NewUser(t, s, team.ID, "carol", "acme.test", db.SourceSCIM)

	got, err := s.UpdateUser(ctx, team.ID, u.ID, u.Version, Operator, func(x *db.User) error {
		x.FirstName = "Robert"
		x.Status = db.StatusInactive
		// fields with their own operations are ignored
		x.Type, x.AdminRole, x.Source, x.ID = db.TypeExternal, db.RolePrimary, db.SourceProduct, "evil"
		return nil
	})
	WantErr(t, err, nil, "")
	if got.FirstName != "Robert" || got.Status != db.StatusInactive || got.Version != u.Version+1 ||
		got.Type != u.Type || got.AdminRole != db.RoleNone || got.Source != db.SourceSCIM || got.ID != u.ID {
		t.Fatalf("update = %+v", got)
	}
	// A stale version loses and changes nothing.
	_, err = s.UpdateUser(ctx, team.ID, u.ID, u.Version, Operator, func(x *db.User) error { x.LastName = "Stale"; return nil })
	WantErr(t, err, db.ErrStale, "version_mismatch")
	// A no-op update keeps the version (so ETags stay stable).
	same, err := s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { return nil })
	WantErr(t, err, nil, "")
	if same.Version != got.Version {
		t.Fatalf("no-op update bumped version %d → %d", got.Version, same.Version)
	}
	// Changing the email to another user's is a conflict, and nothing changes.
	_, err = s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { x.Email = upper(taken.Email); x.FirstName = "X"; return nil })
	WantErr(t, err, db.ErrConflict, "email_taken")
	after, _ := s.GetUser(ctx, team.ID, u.ID)
	if after.FirstName != "Robert" {
		t.Fatalf("failed update was half-applied: %+v", after)
	}
	// A change function's error is returned as is.
	boom := errors.New("boom")
	_, err = s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	_, err = s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { x.Email = "bad"; return nil })
	WantErr(t, err, db.ErrInvalid, "email_invalid")
}

// Tenant isolation: one team never sees or touches another's data, and
// another team's ids look exactly like ids that do not exist.
func testTenantIsolation(t *testing.T, s db.Store) {
	a, aAdmin := NewTeam(t, s, "")
	b, bAdmin := NewTeam(t, s, "")
	ua := NewUser(t, s, a.ID, "alice", "a.test", db.SourceSCIM)
	ub := NewUser(t, s, b.ID, "bob", "b.test", db.SourceSCIM)
	ga, err := s.CreateGroup(ctx, a.ID, db.NewGroup{DisplayName: "eng", Members: []string{ua.ID}}, Operator)
	WantErr(t, err, nil, "")
	gb, err := s.CreateGroup(ctx, b.ID, db.NewGroup{DisplayName: "eng"}, Operator) // same name, other team: fine
	WantErr(t, err, nil, "")

	_, err = s.GetUser(ctx, b.ID, ua.ID)
	WantErr(t, err, db.ErrNotFound, "")
	_, err = s.FindUser(ctx, b.ID, db.UserKey{Email: ua.Email})
	WantErr(t, err, db.ErrNotFound, "")
	_, err = s.UpdateUser(ctx, b.ID, ua.ID, 0, Operator, func(u *db.User) error { u.FirstName = "Mallory"; return nil })
	WantErr(t, err, db.ErrNotFound, "")
	WantErr(t, s.DeleteUser(ctx, b.ID, ua.ID, Operator), db.ErrNotFound, "")
	WantErr(t, SetTypes(t, s, b.ID, []string{ua.ID}, db.TypeExternal, Operator), db.ErrNotFound, "")
	WantErr(t, s.SetAdminRole(ctx, b.ID, bAdmin.ID, ua.ID, db.RoleSecondary, Operator), db.ErrNotFound, "")
	WantErr(t, s.SetAdminRole(ctx, a.ID, bAdmin.ID, ua.ID, db.RoleSecondary, Operator), db.ErrForbidden, "not_admin")
	_, err = s.GetGroup(ctx, b.ID, ga.ID)
	WantErr(t, err, db.ErrNotFound, "")
	// Cross-tenant member references are refused and nothing is written.
	_, err = s.ModifyMembers(ctx, b.ID, gb.ID, []string{ub.ID, ua.ID}, nil, Operator)
	WantErr(t, err, db.ErrInvalid, "member_not_found")
	_, err = s.ReplaceMembers(ctx, b.ID, gb.ID, []string{ua.ID}, Operator)
	WantErr(t, err, db.ErrInvalid, "member_not_found")
	_, err = s.CreateGroup(ctx, b.ID, db.NewGroup{DisplayName: "x", Members: []string{ua.ID}}, Operator)
	WantErr(t, err, db.ErrInvalid, "member_not_found")
	ms, err := s.ListMembers(ctx, b.ID, gb.ID, db.Page{})
	WantErr(t, err, nil, "")
	if len(ms) != 0 {
		t.Fatalf("refused member change was half-applied: %v", ms)
	}
	ms, _ = s.ListMembers(ctx, b.ID, ga.ID, db.Page{})
	if len(ms) != 0 {
		t.Fatalf("team B listed team A's group members: %v", ms)
	}
	users, _ := s.ListUsers(ctx, b.ID, db.Page{Limit: 1000})
	for _, u := range users {
		if u.TeamID != b.ID {
			t.Fatalf("team B listed %+v", u)
		}
	}
	gs, _ := s.UserGroups(ctx, b.ID, ua.ID)
	if len(gs) != 0 {
		t.Fatalf("team B saw team A's groups for A's user")
	}
	ex, _ := s.ExpectedTypes(ctx, b.ID, []string{ua.ID})
	if len(ex) != 0 {
		t.Fatalf("team B saw team A's user in ExpectedTypes")
	}
	_, aTok := newToken(t, s, a.ID, db.TokenSCIM, "")
	WantErr(t, s.RevokeToken(ctx, b.ID, aTok.ID, Operator), db.ErrNotFound, "")
	audit, _ := s.ListAudit(ctx, b.ID, db.AuditQuery{Limit: 1000})
	for _, e := range audit {
		if e.TeamID != b.ID {
			t.Fatalf("team B's audit log shows %+v", e)
		}
	}
	_ = aAdmin
}

func testAdminRoles(t *testing.T, s db.Store) {
	t.Run("R-ADM-1 a team always has exactly one primary admin", func(t *testing.T) {
		// R-ADM-1
		team, p := NewTeam(t, s, "")
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		for _, r := range []db.Role{db.RoleNone, db.RoleSecondary, db.RoleSSO} {
			WantErr(t, s.SetAdminRole(ctx, team.ID, sec.ID, p.ID, r, Operator), db.ErrRule, "last_primary_admin")
			WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, p.ID, r, Operator), db.ErrRule, "last_primary_admin")
		}
		WantErr(t, s.DeleteUser(ctx, team.ID, p.ID, Operator), db.ErrRule, "primary_admin")
		assertOnePrimary(t, s, team.ID, p.ID)
	})
	t.Run("R-ADM-2 an admin of several teams in one account but never two accounts", func(t *testing.T) {
		// R-ADM-2
		team1, p := NewTeam(t, s, "")
		team2, _, err := s.CreateTeam(ctx, db.NewTeam{AccountID: team1.AccountID, Name: "second", PrimaryEmail: p.Email, PrimaryFirstName: "P", PrimaryLastName: "Q"}, Operator)
		WantErr(t, err, nil, "") // primary of two teams in one account
		_, _, err = s.CreateTeam(ctx, db.NewTeam{Name: "other account", PrimaryEmail: upper(p.Email), PrimaryFirstName: "P", PrimaryLastName: "Q"}, Operator)
		WantErr(t, err, db.ErrRule, "admin_other_account")

		other, op := NewTeam(t, s, "")
		u, err := s.CreateUser(ctx, other.ID, db.NewUser{Email: p.Email, FirstName: "P", LastName: "Q", Source: db.SourceAdmin}, Operator)
		WantErr(t, err, nil, "") // a plain member of another account is fine
		WantErr(t, s.SetAdminRole(ctx, other.ID, op.ID, u.ID, db.RoleSecondary, Operator), db.ErrRule, "admin_other_account")
		got, _ := s.GetUser(ctx, other.ID, u.ID)
		if got.AdminRole != db.RoleNone {
			t.Fatalf("refused role change applied: %+v", got)
		}
		_ = team2
	})
	t.Run("R-ADM-2 a released admin can serve another account", func(t *testing.T) {
		// R-ADM-2
		team, p := NewTeam(t, s, "")
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleNone, Operator), nil, "")
		_, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "new account", PrimaryEmail: sec.Email, PrimaryFirstName: "S", PrimaryLastName: "T"}, Operator)
		WantErr(t, err, nil, "")
	})
	t.Run("R-ADM-3 any number of secondary and SSO admins", func(t *testing.T) {
		// R-ADM-3
		team, p := NewTeam(t, s, "")
		for i := 0; i < 3; i++ {
			a := NewUser(t, s, team.ID, fmt.Sprintf("sec%d", i), "acme.test", db.SourceAdmin)
			b := NewUser(t, s, team.ID, fmt.Sprintf("sso%d", i), "acme.test", db.SourceAdmin)
			WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, a.ID, db.RoleSecondary, Operator), nil, "")
			WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, b.ID, db.RoleSSO, Operator), nil, "")
		}
		admins, _ := s.ListAdmins(ctx, team.ID)
		if len(admins) != 7 {
			t.Fatalf("%d admins, want 7", len(admins))
		}
	})
	t.Run("R-ADM-4 who may assign secondary and SSO admins", func(t *testing.T) {
		// R-ADM-4
		team, p := NewTeam(t, s, "")
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		sso := NewUser(t, s, team.ID, "sso", "acme.test", db.SourceAdmin)
		plain := NewUser(t, s, team.ID, "plain", "acme.test", db.SourceAdmin)
		x := NewUser(t, s, team.ID, "x", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sso.ID, db.RoleSSO, Operator), nil, "")
		cases := []struct {
			name   string
			acting db.User
			to     db.Role
			want   error
			code   string
		}{
			{"non-admin cannot assign", plain, db.RoleSecondary, db.ErrForbidden, "not_admin"},
			{"secondary assigns secondary", sec, db.RoleSecondary, nil, ""},
			{"secondary cannot assign SSO", sec, db.RoleSSO, db.ErrForbidden, "sso_admin_by_primary"},
			{"SSO admin assigns secondary", sso, db.RoleSecondary, nil, ""},
			{"SSO admin cannot assign SSO", sso, db.RoleSSO, db.ErrForbidden, "sso_admin_by_primary"},
			{"primary assigns SSO", p, db.RoleSSO, nil, ""},
			{"secondary cannot demote SSO", sec, db.RoleNone, db.ErrForbidden, "sso_admin_by_primary"},
			{"primary demotes SSO", p, db.RoleNone, nil, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				WantErr(t, s.SetAdminRole(ctx, team.ID, c.acting.ID, x.ID, c.to, Operator), c.want, c.code)
			})
		}
	})
	t.Run("R-ADM-5 only a secondary admin becomes primary, and the old primary becomes secondary atomically", func(t *testing.T) {
		// R-ADM-5
		team, p := NewTeam(t, s, "")
		plain := NewUser(t, s, team.ID, "plain", "acme.test", db.SourceAdmin)
		sso := NewUser(t, s, team.ID, "sso", "acme.test", db.SourceAdmin)
		sec := NewUser(t, s, team.ID, "sec", "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sso.ID, db.RoleSSO, Operator), nil, "")
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RoleSecondary, Operator), nil, "")
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, plain.ID, db.RolePrimary, Operator), db.ErrRule, "primary_requires_secondary")
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sso.ID, db.RolePrimary, Operator), db.ErrRule, "primary_requires_secondary")
		assertOnePrimary(t, s, team.ID, p.ID)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, sec.ID, db.RolePrimary, Operator), nil, "")
		assertOnePrimary(t, s, team.ID, sec.ID)
		old, _ := s.GetUser(ctx, team.ID, p.ID)
		if old.AdminRole != db.RoleSecondary {
			t.Fatalf("former primary is %q, want secondary", old.AdminRole)
		}
	})
	t.Run("R-ADM-6 every admin role may change the primary admin", func(t *testing.T) {
		// R-ADM-6
		for _, actingRole := range []db.Role{db.RolePrimary, db.RoleSecondary, db.RoleSSO} {
			team, p := NewTeam(t, s, "")
			acting := p
			if actingRole != db.RolePrimary {
				acting = NewUser(t, s, team.ID, "acting", "acme.test", db.SourceAdmin)
				WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, acting.ID, actingRole, Operator), nil, "")
			}
			next := NewUser(t, s, team.ID, "next", "acme.test", db.SourceAdmin)
			WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, next.ID, db.RoleSecondary, Operator), nil, "")
			WantErr(t, s.SetAdminRole(ctx, team.ID, acting.ID, next.ID, db.RolePrimary, Operator), nil, "")
			assertOnePrimary(t, s, team.ID, next.ID)
		}
	})
	// R-ADM-8 is in the accounts suite (accounts.go), with the contracts.
	t.Run("R-ADM-9 admins are never reclassified", func(t *testing.T) {
		// R-ADM-9
		team, p := NewTeam(t, s, "")
		WantErr(t, SetTypes(t, s, team.ID, []string{p.ID}, db.TypeExternal, Operator), db.ErrRule, "admin_not_classified")
		got, _ := s.GetUser(ctx, team.ID, p.ID)
		if got.Type != p.Type {
			t.Fatalf("admin type changed %q → %q", p.Type, got.Type)
		}
		ex, _ := s.ExpectedTypes(ctx, team.ID, []string{p.ID})
		if _, ok := ex[p.ID]; ok {
			t.Fatalf("admin has an expected type: %v", ex)
		}
	})
}

func assertOnePrimary(t *testing.T, s db.Store, teamID, want string) {
	t.Helper()
	team, err := s.GetTeam(ctx, teamID)
	WantErr(t, err, nil, "")
	admins, _ := s.ListAdmins(ctx, teamID)
	var primaries []string
	for _, a := range admins {
		if a.AdminRole == db.RolePrimary {
			primaries = append(primaries, a.ID)
		}
	}
	if len(primaries) != 1 || primaries[0] != want || team.PrimaryUserID != want {
		t.Fatalf("primaries = %v, team.PrimaryUserID = %s, want exactly %s", primaries, team.PrimaryUserID, want)
	}
}

// Two (or more) admins change the primary admin at once: the invariant of
// R-ADM-1 holds, every call either wins or reports a concurrent change, and
// the audit log shows exactly the winners.
func testConcurrentPrimary(t *testing.T, s db.Store) {
	team, p := NewTeam(t, s, "")
	const n = 6
	secs := make([]db.User, n)
	for i := range secs {
		secs[i] = NewUser(t, s, team.ID, fmt.Sprintf("s%d", i), "acme.test", db.SourceAdmin)
		WantErr(t, s.SetAdminRole(ctx, team.ID, p.ID, secs[i].ID, db.RoleSecondary, Operator), nil, "")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range secs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			errs[i] = s.SetAdminRole(ctx, team.ID, secs[i].ID, secs[i].ID, db.RolePrimary, Operator)
		}(i)
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, db.ErrStale), errors.Is(err, db.ErrRule), errors.Is(err, db.ErrForbidden):
			// lost the race: the store saw the change and refused cleanly
		default:
			t.Fatalf("writer %d: untranslated error %v", i, err)
		}
	}
	if wins == 0 {
		t.Fatal("no concurrent primary change won")
	}
	team, _ = s.GetTeam(ctx, team.ID)
	assertOnePrimary(t, s, team.ID, team.PrimaryUserID)
	audit, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1000})
	changes := 0
	for _, e := range audit {
		if e.Action == "admin.set" && e.TargetID != p.ID && e.Details != "" && contains(e.Details, `"role":"primary"`) {
			changes++
		}
	}
	if changes != wins {
		t.Fatalf("%d primary changes audited, %d won", changes, wins)
	}
}

func contains(s, sub string) bool {
	return indexOf(s, sub) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// Concurrent creates of one email: exactly one wins, the rest get ErrConflict.
func testConcurrentCreate(t *testing.T, s db.Store) {
	team, _ := NewTeam(t, s, "")
	email := Email("race", "acme.test")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := email
			if i%2 == 1 {
				e = upper(email)
			}
			_, errs[i] = s.CreateUser(ctx, team.ID, db.NewUser{Email: e, FirstName: "R", LastName: "C", Source: db.SourceSCIM}, Operator)
		}(i)
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, db.ErrConflict):
		default:
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent creates of one email won, want 1", wins)
	}
}

func testGroups(t *testing.T, s db.Store) {
	team, p := NewTeam(t, s, "")
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, NewUser(t, s, team.ID, fmt.Sprintf("m%d", i), "acme.test", db.SourceSCIM).ID)
	}
	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "Engineering", Members: ids[:2]}, Operator)
	WantErr(t, err, nil, "")
	if g.MemberCount != 2 {
		t.Fatalf("member count %d", g.MemberCount)
	}
	_, err = s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "ENGINEERING"}, Operator)
	WantErr(t, err, db.ErrConflict, "group_name_taken")
	_, err = s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "  "}, Operator)
	WantErr(t, err, db.ErrInvalid, "display_name_required")
	f, err := s.FindGroup(ctx, team.ID, db.GroupKey{DisplayName: "engineering"})
	if err != nil || f.ID != g.ID {
		t.Fatalf("FindGroup = %v, %v", f.ID, err)
	}

	// add present + new, remove absent + present: idempotent per member
	g2, err := s.ModifyMembers(ctx, team.ID, g.ID, []string{ids[1], ids[2], ids[3], ids[3]}, []string{ids[0], ids[5]}, Operator)
	WantErr(t, err, nil, "")
	if g2.MemberCount != 3 || g2.Version != g.Version+1 {
		t.Fatalf("after modify: %+v", g2)
	}
	assertMembers(t, s, team.ID, g.ID, ids[1], ids[2], ids[3])
	g3, err := s.ReplaceMembers(ctx, team.ID, g.ID, []string{ids[3], ids[4], p.ID}, Operator)
	WantErr(t, err, nil, "")
	if g3.MemberCount != 3 {
		t.Fatalf("after replace: %+v", g3)
	}
	assertMembers(t, s, team.ID, g.ID, ids[3], ids[4], p.ID)
	// a no-op change keeps the version
	g4, err := s.ModifyMembers(ctx, team.ID, g.ID, []string{ids[3]}, []string{ids[0]}, Operator)
	WantErr(t, err, nil, "")
	if g4.Version != g3.Version {
		t.Fatalf("no-op member change bumped version")
	}
	gs, _ := s.UserGroups(ctx, team.ID, ids[4])
	if len(gs) != 1 || gs[0].ID != g.ID {
		t.Fatalf("UserGroups = %+v", gs)
	}
	// deleting a user removes it from groups and keeps the count right
	WantErr(t, s.DeleteUser(ctx, team.ID, ids[4], Operator), nil, "")
	got, _ := s.GetGroup(ctx, team.ID, g.ID)
	if got.MemberCount != 2 {
		t.Fatalf("count after user delete = %d", got.MemberCount)
	}
	assertMembers(t, s, team.ID, g.ID, ids[3], p.ID)

	up, err := s.UpdateGroup(ctx, team.ID, g.ID, got.Version, Operator, func(x *db.Group) error { x.DisplayName = "Eng"; x.MemberCount = 99; return nil })
	WantErr(t, err, nil, "")
	if up.DisplayName != "Eng" || up.MemberCount != 2 {
		t.Fatalf("UpdateGroup = %+v", up)
	}
	_, err = s.UpdateGroup(ctx, team.ID, g.ID, got.Version, Operator, func(x *db.Group) error { x.DisplayName = "Stale"; return nil })
	WantErr(t, err, db.ErrStale, "")
	WantErr(t, s.DeleteGroup(ctx, team.ID, g.ID, Operator), nil, "")
	_, err = s.GetGroup(ctx, team.ID, g.ID)
	WantErr(t, err, db.ErrNotFound, "group_not_found")
	ms, _ := s.ListMembers(ctx, team.ID, g.ID, db.Page{})
	if len(ms) != 0 {
		t.Fatalf("deleted group still has members")
	}
}

func assertMembers(t *testing.T, s db.Store, teamID, groupID string, want ...string) {
	t.Helper()
	var got []string
	page := db.Page{Limit: 2}
	for {
		ms, err := s.ListMembers(ctx, teamID, groupID, page)
		WantErr(t, err, nil, "")
		for _, m := range ms {
			got = append(got, m.UserID)
		}
		if len(ms) < page.Limit {
			break
		}
		page.After = ms[len(ms)-1].UserID
	}
	less := func(a, b string) bool { return a < b }
	if diff := cmp.Diff(want, got, cmpSort(less)); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
}

func newToken(t *testing.T, s db.Store, teamID string, kind db.TokenKind, userID string) (string, db.Token) {
	t.Helper()
	secret := Email("secret", "x")
	h := sha256.Sum256([]byte(secret))
	tok, err := s.CreateToken(ctx, db.Token{TeamID: teamID, Kind: kind, UserID: userID, Prefix: secret[:8], Hash: h[:]}, Operator)
	WantErr(t, err, nil, "")
	return secret, tok
}

func testTokens(t *testing.T, s db.Store) {
	team, p := NewTeam(t, s, "")
	secret, tok := newToken(t, s, team.ID, db.TokenSCIM, "")
	h := sha256.Sum256([]byte(secret))
	got, err := s.TokenByHash(ctx, h[:])
	WantErr(t, err, nil, "")
	if got.ID != tok.ID || got.TeamID != team.ID || got.Kind != db.TokenSCIM {
		t.Fatalf("TokenByHash = %+v", got)
	}
	at := time.Now().UTC()
	WantErr(t, s.TouchToken(ctx, tok.ID, at), nil, "")
	ts, _ := s.ListTokens(ctx, team.ID)
	if len(ts) != 1 || ts[0].LastUsedAt == nil {
		t.Fatalf("ListTokens = %+v", ts)
	}
	WantErr(t, s.RevokeToken(ctx, team.ID, tok.ID, Operator), nil, "")
	_, err = s.TokenByHash(ctx, h[:])
	WantErr(t, err, db.ErrNotFound, "")
	WantErr(t, s.RevokeToken(ctx, team.ID, tok.ID, Operator), db.ErrNotFound, "token_not_found")

	_, adminTok := newToken(t, s, team.ID, db.TokenAdmin, p.ID)
	if adminTok.UserID != p.ID {
		t.Fatalf("admin token user = %q", adminTok.UserID)
	}
	plain := NewUser(t, s, team.ID, "plain", "acme.test", db.SourceAdmin)
	_, err = s.CreateToken(ctx, db.Token{TeamID: team.ID, Kind: db.TokenAdmin, UserID: plain.ID, Prefix: "x", Hash: h[:]}, Operator)
	WantErr(t, err, db.ErrForbidden, "not_admin")
	_, err = s.CreateToken(ctx, db.Token{TeamID: team.ID, Kind: db.TokenSCIM, Prefix: "x", Hash: []byte("short")}, Operator)
	WantErr(t, err, db.ErrInvalid, "token_hash")
}

func testAudit(t *testing.T, s db.Store) {
	team, p := NewTeam(t, s, "")
	by := db.Actor{Kind: db.ActorAdmin, ID: p.ID, Name: p.Email}
	u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: Email("a", "acme.test"), FirstName: "A", LastName: "B", Source: db.SourceAdmin}, by)
	WantErr(t, err, nil, "")
	_, err = s.UpdateUser(ctx, team.ID, u.ID, 0, by, func(x *db.User) error { x.LastName = "C"; return nil })
	WantErr(t, err, nil, "")
	WantErr(t, s.DeleteUser(ctx, team.ID, u.ID, by), nil, "")
	WantErr(t, s.Audit(ctx, db.AuditEntry{TeamID: team.ID, Actor: by, Action: "sso.update", TargetKind: "sso", TargetID: team.ID, Details: `{"jit":true}`}), nil, "")
	es, err := s.ListAudit(ctx, team.ID, db.AuditQuery{})
	WantErr(t, err, nil, "")
	var actions []string
	for _, e := range es {
		actions = append(actions, e.Action)
		if e.At.IsZero() || e.TeamID != team.ID {
			t.Fatalf("bad entry %+v", e)
		}
	}
	want := []string{"sso.update", "user.delete", "user.update", "user.create", "user.create", "team.create"} // the primary admin is created like every user
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Fatalf("audit actions, newest first (-want +got):\n%s", diff)
	}
	if es[1].Actor != by {
		t.Fatalf("actor = %+v, want %+v", es[1].Actor, by)
	}
	older, _ := s.ListAudit(ctx, team.ID, db.AuditQuery{BeforeID: es[1].ID, Limit: 1})
	if len(older) != 1 || older[0].ID != es[2].ID {
		t.Fatalf("paging the audit log: %+v", older)
	}
}
