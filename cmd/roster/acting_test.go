package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// TestActingAdminSameRefusalCLIAndAPI: the admin API's bearer token and the
// CLI's --as resolve the acting admin with one rule, so a user the API
// refuses is refused by the CLI with the same code, on the policy commands
// (any admin role, R-ADM-6) and the sso commands (primary and SSO admins,
// R-ADM-7). Before, the sso commands' --as accepted any user of the team
// and left the refusal to the sso service, with its own code. issue 10 #4.
func TestActingAdminSameRefusalCLIAndAPI(t *testing.T) {
	p := newPolEnv(t)
	ctx := context.Background()
	roles := map[string]db.Role{"sec@cba.net": db.RoleSecondary, "ssoadm@cba.net": db.RoleSSO,
		"plain@cba.net": db.RoleSecondary, "gone@cba.net": db.RoleSSO}
	tokens := map[string]string{"boss@cba.net": p.token("boss@cba.net")}
	for email, role := range roles {
		u := p.addStore(email, db.SourceAdmin)
		if err := p.store.SetAdminRole(ctx, p.team, p.owner.ID, u.ID, role, db.Actor{Kind: db.ActorOperator, ID: "test"}); err != nil {
			t.Fatal(err)
		}
		tokens[email] = p.token(email)
	}
	// plain@ is demoted after its token was minted; gone@ is deactivated.
	plain, _ := p.store.FindUser(ctx, p.team, db.UserKey{Email: "plain@cba.net"})
	if err := p.store.SetAdminRole(ctx, p.team, p.owner.ID, plain.ID, db.RoleNone, db.Actor{Kind: db.ActorOperator, ID: "test"}); err != nil {
		t.Fatal(err)
	}
	gone, _ := p.store.FindUser(ctx, p.team, db.UserKey{Email: "gone@cba.net"})
	if _, err := p.store.UpdateUser(ctx, p.team, gone.ID, 0, db.Actor{Kind: db.ActorOperator, ID: "test"}, func(u *db.User) error {
		u.Status = db.StatusInactive
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	cfg := DefaultConfig()
	w, err := wire(&cfg, p.store, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.handler)
	t.Cleanup(srv.Close)
	api := &polAPI{t: t, srv: srv}
	e := &env{Getenv: polGetenv}

	for _, tc := range []struct {
		area, path string
		cli        func(as string) error
	}{
		{"policy", "/teams/" + p.team + "/policy", func(as string) error {
			_, err := actingAdmin(ctx, e, p.store, p.team, as, adminapi.AllAdmins)
			return err
		}},
		{"sso", "/teams/" + p.team + "/sso", func(as string) error {
			_, err := actingAdmin(ctx, e, p.store, p.team, as, adminapi.SSOAdmins)
			return err
		}},
	} {
		for email, tok := range tokens {
			status, body := api.do(tok, "GET", tc.path, nil, nil)
			apiCode := "" // allowed: 200, or the route's own answer (404 sso_not_configured)
			if status == http.StatusForbidden {
				apiCode = errCode(body)
			}
			cliCode := ""
			if err := tc.cli(email); err != nil {
				cliCode = db.CodeOf(err)
			}
			if cliCode != apiCode {
				t.Errorf("%s --as %s: CLI code %q, API code %q", tc.area, email, cliCode, apiCode)
			}
		}
	}
}
