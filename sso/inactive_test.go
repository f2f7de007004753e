package sso_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/sso"
)

// TestInactiveUserLosesSSOPower: a deactivated SSO admin no longer manages
// SSO (R-ADM-7), and a signed-in user's existing session stops working the
// moment they are deactivated (/api/v1/me is 401). issue 9 #1.
func TestInactiveUserLosesSSOPower(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, prim := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	ctx := context.Background()
	deactivate := func(id string) {
		t.Helper()
		if _, err := e.store.UpdateUser(ctx, team.ID, id, 0, e.op, func(u *db.User) error { u.Status = db.StatusInactive; return nil }); err != nil {
			t.Fatal(err)
		}
	}

	u, err := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "sso@acme.example", FirstName: "S", LastName: "A", Source: db.SourceAdmin}, e.op)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAdminRole(ctx, team.ID, prim.ID, u.ID, db.RoleSSO, e.op); err != nil {
		t.Fatal(err)
	}
	by := db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email}
	if _, err := e.svc.Show(ctx, team.ID, by); err != nil {
		t.Fatalf("active SSO admin: %v", err)
	}
	deactivate(u.ID)
	if _, err := e.svc.Show(ctx, team.ID, by); db.CodeOf(err) != "admin_inactive" {
		t.Errorf("inactive SSO admin: Show err = %v, want admin_inactive", err)
	}
	if _, err := e.svc.Update(ctx, team.ID, by, sso.Settings{JIT: ptr(false)}); db.CodeOf(err) != "admin_inactive" {
		t.Errorf("inactive SSO admin: Update err = %v, want admin_inactive", err)
	}

	// An existing session ends when its user is deactivated.
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), relay)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("ACS: %d; logs:\n%s", res.StatusCode, e.logs)
	}
	if _, status := e.me(c); status != http.StatusOK {
		t.Fatalf("/api/v1/me: %d", status)
	}
	jane, err := e.store.FindUser(ctx, team.ID, db.UserKey{Email: "jane@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	deactivate(jane.ID)
	if _, status := e.me(c); status != http.StatusUnauthorized {
		t.Errorf("/api/v1/me after deactivation: %d, want 401", status)
	}
}
