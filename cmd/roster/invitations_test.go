package main

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestInvitationsEndToEnd: adding a member to a project through the API
// sends an invitation; `invitations resend` makes a new link (the old one
// dies); the accept link makes the member active once; states filter
// (R-MEM-3).
func TestInvitationsEndToEnd(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	r := call(t, "POST", api+"/projects", tok, `{"name":"Tower"}`)
	pid, _ := r.body["id"].(string)
	r = call(t, "POST", api+"/projects/"+pid+"/members", tok, `{"email":"new@x.test","products":["docs"]}`)
	inv, _ := r.body["invitation"].(map[string]any)
	if r.status != 201 || inv["state"] != "pending" {
		t.Fatalf("add project member: %d %v", r.status, r.body)
	}
	var pending []adminapi.InvitationView
	c.ok(&pending, "invitations", "list", "--team", team, "--state", "pending", "-o", "json")
	if len(pending) != 1 || pending[0].Email != "new@x.test" || !pending[0].ExpiresAt.After(pending[0].SentAt) {
		t.Fatalf("pending = %+v", pending)
	}
	var first, second resendView
	c.ok(&first, "invitations", "resend", "--team", team, "--email", "new@x.test", "-o", "json")
	c.ok(&second, "invitations", "resend", "--team", team, "--email", "new@x.test", "-o", "json")
	if !strings.Contains(second.AcceptURL, "/invitations/accept?token=") || first.AcceptURL == second.AcceptURL {
		t.Fatalf("resend links %q, %q", first.AcceptURL, second.AcceptURL)
	}
	// The link is built on the configured base URL; call it on the test server.
	path := second.AcceptURL[strings.Index(second.AcceptURL, "/invitations/"):]
	old := first.AcceptURL[strings.Index(first.AcceptURL, "/invitations/"):]
	if r := call(t, "GET", s.url+old, "", ""); r.status != 404 || r.code() != "invitation_not_found" {
		t.Fatalf("replaced link: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", s.url+path, "", ""); r.status != 200 || r.body["status"] != "active" {
		t.Fatalf("accept: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", s.url+path, "", ""); r.status != 404 {
		t.Fatalf("second accept: %d %v", r.status, r.body)
	}
	var accepted []adminapi.InvitationView
	c.ok(&accepted, "invitations", "list", "--team", team, "--state", "accepted", "-o", "json")
	if len(accepted) != 1 {
		t.Fatalf("accepted = %+v", accepted)
	}
	c.fails("already active", "invitations", "resend", "--team", team, "--email", "new@x.test")
	c.fails("state", "invitations", "list", "--team", team, "--state", "bogus")
}
