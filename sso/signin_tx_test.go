package sso_test

import (
	"context"
	"errors"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/sso"
)

// TestRefusedSignInStillUsesItsAssertion: the sign-in's writes became one
// transaction (issue 15), but a refused sign-in still consumes its
// assertion, as when the replay cache was written first: once the cause
// of the refusal is gone (the user now exists, or is active again), the
// same signed response is a replay, not a sign-in.
func TestRefusedSignInStillUsesItsAssertion(t *testing.T) {
	ctx := context.Background()
	reason := func(err error) string {
		var se *sso.SignInError
		if errors.As(err, &se) {
			return se.Reason
		}
		return "not a refusal: " + errString(err)
	}
	t.Run("not provisioned, then created", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		f := newForge(t, "https://idp.acme.example", 0)
		team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(false), AllowIdPInitiated: ptr(true), Domains: &[]string{"acme.example"}})
		resp := f.Build(t, e.okResp(f, team.ID, "", "late@acme.example"))
		if _, err := e.svc.ACS(ctx, team.ID, resp, "", ""); reason(err) != "not_provisioned" {
			t.Fatalf("first post: %v, want not_provisioned", err)
		}
		if _, err := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "late@acme.example", FirstName: "L", LastName: "U", Source: db.SourceAdmin}, e.op); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ACS(ctx, team.ID, resp, "", ""); reason(err) != "replayed" {
			t.Errorf("the refused response posted again once the user exists: %v, want replayed", err)
		}
		// a fresh response signs them in: the refusal wrote nothing else
		if in, err := e.svc.ACS(ctx, team.ID, f.Build(t, e.okResp(f, team.ID, "", "late@acme.example")), "", ""); err != nil || in.Session == "" {
			t.Errorf("fresh response: %+v, %v", in, err)
		}
	})
	t.Run("inactive, then reactivated", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		f := newForge(t, "https://idp.acme.example", 0)
		team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true), Domains: &[]string{"acme.example"}})
		u, err := e.store.CreateUser(ctx, team.ID, db.NewUser{Email: "gone@acme.example", FirstName: "G", LastName: "U", Status: db.StatusInactive, Source: db.SourceAdmin}, e.op)
		if err != nil {
			t.Fatal(err)
		}
		resp := f.Build(t, e.okResp(f, team.ID, "", "gone@acme.example"))
		if _, err := e.svc.ACS(ctx, team.ID, resp, "", ""); reason(err) != "user_inactive" {
			t.Fatalf("first post: %v, want user_inactive", err)
		}
		if _, err := e.store.UpdateUser(ctx, team.ID, u.ID, 0, e.op, func(u *db.User) error { u.Status = db.StatusActive; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ACS(ctx, team.ID, resp, "", ""); reason(err) != "replayed" {
			t.Errorf("the refused response posted again once the user is active: %v, want replayed", err)
		}
	})
	t.Run("a signed-in response is single use", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		f := newForge(t, "https://idp.acme.example", 0)
		team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), AllowIdPInitiated: ptr(true), Domains: &[]string{"acme.example"}})
		resp := f.Build(t, e.okResp(f, team.ID, "", "new@acme.example"))
		in, err := e.svc.ACS(ctx, team.ID, resp, "", "")
		if err != nil || !in.Created || in.Session == "" {
			t.Fatalf("JIT sign-in: %+v, %v", in, err)
		}
		if _, err := e.svc.ACS(ctx, team.ID, resp, "", ""); reason(err) != "replayed" {
			t.Errorf("second post: %v, want replayed", err)
		}
		if u, _, err := e.svc.SessionUser(ctx, in.Session); err != nil || u.ID != in.User.ID {
			t.Errorf("session of the JIT user: %+v, %v", u, err)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
