package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestEmailIndexEveryTransport walks the transports that create or change a
// user (team creation, admin API create/update, CLI users add, product
// adds, SCIM POST/PUT/PATCH) and checks after each that Entra's filter
// emails[type eq "work"].value eq "<email>" finds exactly that user, so the
// IdP never creates a duplicate that collides with 409. The store paths
// (SSO JIT, directory batches) are walked by the conformance suite
// (emails_index_every_path). issue 9 #12.
func TestEmailIndexEveryTransport(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	var scimTok map[string]string
	c.ok(&scimTok, "token", "create", "--team", team, "-o", "json")
	scim := s.url + "/scim/v2/Users"
	find := func(step, email, wantID string) {
		t.Helper()
		f := `emails[type eq "work"].value eq "` + strings.ToUpper(email) + `"`
		r := call(t, "GET", scim+"?filter="+url.QueryEscape(f), scimTok["token"], "")
		res, _ := r.body["Resources"].([]any)
		if r.status != 200 || len(res) != 1 || res[0].(map[string]any)["id"] != wantID {
			t.Errorf("%s: filter for %s: %d %v, want exactly user %s", step, email, r.status, r.body, wantID)
		}
	}
	idOf := func(email string) string {
		t.Helper()
		var users []adminapi.UserView
		c.ok(&users, "users", "list", "--team", team, "-o", "json")
		for _, u := range users {
			if u.Email == email {
				return u.ID
			}
		}
		t.Fatalf("no user %s", email)
		return ""
	}

	find("team create (primary admin)", "pat@a.test", idOf("pat@a.test"))
	// The IdP's create of the primary admin is then a conflict it can resolve
	// by the filter above, not a surprise.
	c.ok(nil, "users", "add", "--team", team, "--email", "cli@a.test", "--first-name", "C", "--last-name", "L")
	find("CLI users add", "cli@a.test", idOf("cli@a.test"))
	c.ok(nil, "users", "add", "--team", team, "--email", "prod-cli@a.test", "--first-name", "C", "--last-name", "L", "--source", "product")
	find("CLI users add --source product", "prod-cli@a.test", idOf("prod-cli@a.test"))
	for _, tc := range []struct{ step, body, email string }{
		{"admin API create", `{"email":"api@a.test","first_name":"A","last_name":"P"}`, "api@a.test"},
		{"admin API create (product)", `{"email":"prod@a.test","first_name":"A","last_name":"P","source":"product"}`, "prod@a.test"},
	} {
		r := call(t, "POST", api+"/users", tok, tc.body)
		if r.status != 201 {
			t.Fatalf("%s: %d %v", tc.step, r.status, r.body)
		}
		find(tc.step, tc.email, r.body["id"].(string))
	}
	pid := idOf("pat@a.test")
	if r := call(t, "PATCH", api+"/users/"+pid, tok, `{"email":"pat.new@a.test"}`); r.status != 200 {
		t.Fatalf("admin API update: %d %v", r.status, r.body)
	}
	find("admin API update of the primary admin's email", "pat.new@a.test", pid)

	r := call(t, "POST", scim, scimTok["token"], `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"sc@a.test","name":{"givenName":"S","familyName":"C"},"emails":[{"value":"sc@a.test","type":"work","primary":true}]}`)
	if r.status != 201 {
		t.Fatalf("SCIM create: %d %v", r.status, r.body)
	}
	sid := r.body["id"].(string)
	find("SCIM create", "sc@a.test", sid)
	r = call(t, "PUT", scim+"/"+sid, scimTok["token"], `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"sc@a.test","name":{"givenName":"S","familyName":"C"},"emails":[{"value":"sc.put@a.test","type":"work","primary":true}]}`)
	if r.status != 200 {
		t.Fatalf("SCIM PUT: %d %v", r.status, r.body)
	}
	find("SCIM PUT", "sc.put@a.test", sid)
	r = call(t, "PATCH", scim+"/"+sid, scimTok["token"], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"sc.patch@a.test"}]}`)
	if r.status != 200 {
		t.Fatalf("SCIM PATCH: %d %v", r.status, r.body)
	}
	find("SCIM PATCH", "sc.patch@a.test", sid)
	// An admin edit of a SCIM user's email keeps SCIM's index in step too.
	if r := call(t, "PATCH", api+"/users/"+sid, tok, `{"email":"sc.admin@a.test"}`); r.status != 200 {
		t.Fatalf("admin API update of a SCIM user: %d %v", r.status, r.body)
	}
	find("admin API update of a SCIM user", "sc.admin@a.test", sid)
}
