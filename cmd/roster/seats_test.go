package main

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestCLISeats is the seats part of issue 11's CLI contract (R-MEM-5).
func TestCLISeats(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	c.ok(nil, "projects", "create", "--team", team, "--name", "Tower")
	c.ok(nil, "members", "add", "--team", team, "--emails", "a@a.test b@a.test c@a.test")
	c.ok(nil, "subscriptions", "add", "--team", team, "--product", "build", "--seats", "1")
	c.fails("seats must be", "subscriptions", "add", "--team", team, "--product", "build", "--seats", "0")
	c.ok(nil, "projects", "add-member", "--team", team, "--project", "Tower", "--email", "a@a.test", "--products", "docs,build")
	c.fails("all 1 seats of build are in use", "projects", "add-member", "--team", team, "--project", "Tower", "--email", "b@a.test", "--products", "docs,build")
	c.ok(nil, "users", "set-external-subscription", "--team", team, "--email", "c@a.test", "--product", "build", "--on")
	c.ok(nil, "projects", "add-member", "--team", team, "--project", "Tower", "--email", "c@a.test", "--products", "docs,build")
	c.fails("--on or --off", "users", "set-external-subscription", "--team", team, "--email", "c@a.test", "--product", "build")
	var seats []adminapi.SeatView
	c.ok(&seats, "seats", "--team", team, "-o", "json")
	got := map[string]adminapi.SeatView{}
	for _, s := range seats {
		got[s.Product] = s
	}
	if b := got["build"]; b.Seats == nil || *b.Seats != 1 || b.Used != 1 || b.External != 1 {
		t.Errorf("build = %+v", b)
	}
	if d := got["docs"]; d.Seats != nil || d.Used != 2 {
		t.Errorf("docs = %+v", d)
	}
}

// TestCLIInternalSeat is R-MEM-5's internal seat for an external
// subscriber, through the CLI and the admin API.
func TestCLIInternalSeat(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	c.ok(nil, "projects", "create", "--team", team, "--name", "Tower")
	c.ok(nil, "members", "add", "--team", team, "--emails", "a@a.test b@a.test")
	c.ok(nil, "subscriptions", "add", "--team", team, "--product", "build", "--seats", "1")
	c.ok(nil, "users", "set-external-subscription", "--team", team, "--email", "a@a.test", "--product", "build", "--on")
	c.ok(nil, "projects", "add-member", "--team", team, "--project", "Tower", "--email", "a@a.test", "--products", "docs,build")
	c.fails("no external subscription", "users", "set-internal-seat", "--team", team, "--email", "b@a.test", "--product", "build", "--on")
	c.fails("--on or --off", "users", "set-internal-seat", "--team", team, "--email", "a@a.test", "--product", "build")
	c.ok(nil, "users", "set-internal-seat", "--team", team, "--email", "a@a.test", "--product", "build", "--on")
	want := func(used, external int) {
		t.Helper()
		var seats []adminapi.SeatView
		c.ok(&seats, "seats", "--team", team, "-o", "json")
		for _, s := range seats {
			if s.Product == "build" && (s.Used != used || s.External != external) {
				t.Errorf("build = %+v, want used %d external %d", s, used, external)
			}
		}
	}
	want(1, 1)
	// The external subscription ends: access goes on, on the internal seat.
	c.ok(nil, "users", "set-external-subscription", "--team", team, "--email", "a@a.test", "--product", "build", "--off")
	want(1, 0)
	// The usage report carries product access, external subscriptions and seats (issue 11 #9).
	out, _, code := c.run("report", "usage", "--team", team, "--format", "csv")
	if code != 0 || !strings.Contains(out, ",products,external_products,seats\n") || !strings.Contains(out, "a@a.test,") ||
		!strings.Contains(out, ",build;docs,,build;docs\n") {
		t.Errorf("usage report CSV:\n%s", out)
	}

	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	r := call(t, "GET", api+"/members?q=b%40a.test", tok, "")
	if r.status != 200 {
		t.Fatalf("members: %d %v", r.status, r.body)
	}
	bid := r.body["members"].([]any)[0].(map[string]any)["id"].(string)
	if r := call(t, "PUT", api+"/users/"+bid+"/internal-seats/build", tok, `{"on":true}`); r.status != 422 || r.code() != "not_external" {
		t.Fatalf("internal seat without external: %d %v", r.status, r.body)
	}
	if r := call(t, "PUT", api+"/users/"+bid+"/external-subscriptions/build", tok, `{"on":true}`); r.status != 204 {
		t.Fatalf("external on: %d %v", r.status, r.body)
	}
	if r := call(t, "PUT", api+"/users/"+bid+"/internal-seats/build", tok, `{"on":true}`); r.status != 204 {
		t.Fatalf("internal seat (b has no access, so none used): %d %v", r.status, r.body)
	}
	if r := call(t, "PUT", api+"/users/nonesuch/internal-seats/build", tok, `{"on":true}`); r.status != 404 {
		t.Fatalf("unknown user: %d %v", r.status, r.body)
	}
}
