package main

import (
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestInactiveAdminLosesPower: deactivating an admin takes their power away
// at once on every path that resolves an acting admin (admin API token, CLI
// --as, SSO configuration), and the primary admin cannot be deactivated by
// the admin API or SCIM (R-ADM-1). issue 9 #1.
func TestInactiveAdminLosesPower(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	for _, u := range []struct{ email, role string }{{"sec@a.test", "secondary"}, {"sso@a.test", "sso"}, {"x@a.test", ""}} {
		c.ok(nil, "users", "add", "--team", team, "--email", u.email, "--first-name", "S", "--last-name", "A")
		if u.role != "" {
			c.ok(nil, "admin", "set", "--team", team, "--email", u.email, "--role", u.role, "--as", "pat@a.test")
		}
	}
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	pat, sec, ssoTok := adminToken(t, c, team, "pat@a.test"), adminToken(t, c, team, "sec@a.test"), adminToken(t, c, team, "sso@a.test")
	var users []adminapi.UserView
	c.ok(&users, "users", "list", "--team", team, "-o", "json")
	id := map[string]string{}
	for _, u := range users {
		id[u.Email] = u.ID
	}
	for _, who := range []string{"sec@a.test", "sso@a.test"} {
		if r := call(t, "PATCH", api+"/users/"+id[who], pat, `{"status":"inactive"}`); r.status != 200 {
			t.Fatalf("deactivate %s: %d %v", who, r.status, r.body)
		}
	}

	// The admin API: an inactive admin's token is refused at once (R-ADM-6).
	for _, tc := range []struct{ name, tok, method, path, body string }{
		{"list users", sec, "GET", "/users", ""},
		{"mint a SCIM token", sec, "POST", "/tokens", `{"kind":"scim"}`},
		{"list tokens", sec, "GET", "/tokens", ""},
		{"assign a role", sec, "PUT", "/users/" + id["x@a.test"] + "/role", `{"role":"secondary"}`},
		{"SSO configuration (R-ADM-7)", ssoTok, "GET", "/sso", ""},
	} {
		if r := call(t, tc.method, api+tc.path, tc.tok, tc.body); r.status != 403 || r.code() != "admin_inactive" {
			t.Errorf("inactive admin: %s: %d %v, want 403 admin_inactive", tc.name, r.status, r.body)
		}
	}
	// The CLI's --as.
	c.fails("holds no admin power", "admin", "set", "--team", team, "--email", "x@a.test", "--role", "secondary", "--as", "sec@a.test")
	c.fails("holds no admin power", "policy", "set", "--team", team, "--mode", "default", "--as", "sec@a.test")
	c.fails("holds no admin power", "sso", "show", "--team", team, "--as", "sso@a.test")

	// R-ADM-1: the primary admin cannot be deactivated (admin API: 409).
	for _, st := range []string{"inactive", "pending"} {
		r := call(t, "PATCH", api+"/users/"+id["pat@a.test"], pat, `{"status":"`+st+`"}`)
		if r.status != 409 || r.code() != "primary_admin_inactive" {
			t.Errorf("PATCH the primary admin's status %s: %d %v, want 409 primary_admin_inactive", st, r.status, r.body)
		}
	}
	// SCIM PATCH and PUT active=false: 400 mutability.
	var scimTok map[string]string
	c.ok(&scimTok, "token", "create", "--team", team, "-o", "json")
	scim := s.url + "/scim/v2/Users/" + id["pat@a.test"]
	for _, tc := range []struct{ method, body string }{
		{"PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`},
		{"PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`},
		{"PUT", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pat@a.test","active":false,"name":{"givenName":"Pat","familyName":"Lee"},"emails":[{"value":"pat@a.test","type":"work","primary":true}]}`},
	} {
		r := call(t, tc.method, scim, scimTok["token"], tc.body)
		if r.status != 400 || r.body["scimType"] != "mutability" {
			t.Errorf("SCIM %s active=false on the primary admin: %d %v, want 400 mutability", tc.method, r.status, r.body)
		}
	}
	if r := call(t, "GET", api+"/users/"+id["pat@a.test"], pat, ""); r.status != 200 || r.body["status"] != "active" {
		t.Fatalf("primary admin after refused deactivations: %d %v", r.status, r.body)
	}
	// Reactivated, the admin's token works again.
	if r := call(t, "PATCH", api+"/users/"+id["sec@a.test"], pat, `{"status":"active"}`); r.status != 200 {
		t.Fatalf("reactivate: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", api+"/users", sec, ""); r.status != 200 {
		t.Fatalf("reactivated admin: %d %v", r.status, r.body)
	}
}
