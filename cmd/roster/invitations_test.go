package main

import (
	"io"
	"net/http"
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
	if r := call(t, "POST", s.url+old, "", ""); r.status != 404 || r.code() != "invitation_not_found" {
		t.Fatalf("replaced link: %d %v", r.status, r.body)
	}
	// GET (a browser, or a mail scanner) shows a page with a button and
	// uses nothing up.
	for i := 0; i < 2; i++ {
		status, page := getPage(t, s.url+path)
		if status != 200 || !strings.Contains(page, `action="/invitations/accept"`) || !strings.Contains(page, "Accept the invitation") {
			t.Fatalf("accept page: %d %s", status, page)
		}
	}
	if status, page := getPage(t, s.url+old); status != 404 || strings.Contains(page, "<form") {
		t.Fatalf("page of a replaced link: %d %s", status, page)
	}
	// Renewing a valid link is refused; unknown and replaced tokens get the same answer.
	renew := strings.Replace(path, "/accept?", "/renew?", 1)
	if r := call(t, "POST", s.url+renew, "", ""); r.status != 409 || r.code() != "invitation_not_expired" {
		t.Fatalf("renew a valid link: %d %v", r.status, r.body)
	}
	r1 := call(t, "POST", s.url+"/invitations/renew?token=nonesuch", "", "")
	r2 := call(t, "POST", s.url+strings.Replace(old, "/accept?", "/renew?", 1), "", "")
	if r1.status != 404 || r2.status != 404 || r1.code() != r2.code() || r1.body["error"].(map[string]any)["message"] != r2.body["error"].(map[string]any)["message"] {
		t.Fatalf("renew unknown vs replaced: %d %v / %d %v", r1.status, r1.body, r2.status, r2.body)
	}
	if r := call(t, "POST", s.url+path, "", ""); r.status != 200 || r.body["status"] != "active" {
		t.Fatalf("accept: %d %v", r.status, r.body)
	}
	if r := call(t, "POST", s.url+path, "", ""); r.status != 404 {
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

// getPage GETs a page and returns its status and body.
func getPage(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
