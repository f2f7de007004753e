package sso_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

// TestFirstSignInAcceptsInvitation is R-MEM-3: a pending member who signs
// in through the team's SAML SSO (a signed assertion through the real SP
// ACS) becomes active and their invitation accepted, audited, in the
// sign-in's own write; the accept link is dead afterwards. On SQLite,
// PostgreSQL and MariaDB.
func TestFirstSignInAcceptsInvitation(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			e := newEnv(t, gormdbtest.Open(t, d, gormdb.Config{}), nil)
			f := newForge(t, "https://idp.acme.example", 0)
			team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
			ctx := context.Background()
			added, err := e.store.AddMembers(ctx, team.ID, []db.NewMember{{Email: "ann@acme.example", FirstName: "Ann", LastName: "Lee"}}, e.op)
			if err != nil {
				t.Fatal(err)
			}
			ann := added[0].User
			_, secret, err := e.store.SendInvitation(ctx, team.ID, ann.ID, e.op)
			if err != nil {
				t.Fatal(err)
			}
			c := e.browser()
			_, reqID, relay := e.login(c, team.ID)
			res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "ann@acme.example")), relay)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("ACS: %d; logs:\n%s", res.StatusCode, e.logs)
			}
			if me, status := e.me(c); status != http.StatusOK || me.User.Email != "ann@acme.example" {
				t.Fatalf("/api/v1/me: %d %+v", status, me)
			}
			got, err := e.store.GetUser(ctx, team.ID, ann.ID)
			if err != nil || got.Status != db.StatusActive {
				t.Fatalf("ann after her first sign-in: %+v, %v; want active", got, err)
			}
			invs, err := e.store.ListInvitations(ctx, team.ID, db.InvitationAccepted)
			if err != nil || len(invs) != 1 || invs[0].UserID != ann.ID {
				t.Fatalf("accepted invitations = %+v, %v; want ann's", invs, err)
			}
			if _, err := e.store.AcceptInvitation(ctx, secret); db.CodeOf(err) != "invitation_not_found" {
				t.Errorf("the link after the sign-in accepted it: %v, want invitation_not_found", err)
			}
			audit, err := e.store.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			accepts := 0
			for _, a := range audit {
				if a.Action == "invitation.accept" && a.TargetID == ann.ID {
					accepts++
				}
			}
			if accepts != 1 {
				t.Errorf("invitation.accept audit entries for ann = %d, want 1", accepts)
			}
			// A second sign-in changes nothing more.
			c2 := e.browser()
			_, reqID, relay = e.login(c2, team.ID)
			if res := e.post(c2, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "ann@acme.example")), relay); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("second ACS: %d", res.StatusCode)
			}
			audit, _ = e.store.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 50})
			for _, a := range audit {
				if a.Action == "invitation.accept" && a.TargetID == ann.ID {
					accepts--
				}
			}
			if accepts != 0 {
				t.Errorf("the second sign-in audited another acceptance")
			}
		})
	}
}
