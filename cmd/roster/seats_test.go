package main

import (
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
