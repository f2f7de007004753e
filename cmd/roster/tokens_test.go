package main

import (
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestAdminTokensAreTheirOwnersAlone: an admin lists, creates and revokes
// only their own admin tokens; another admin's admin token id is a 404 (its
// existence is not revealed). SCIM tokens are the team's: every admin role
// lists, creates and revokes them (R-ADM-6). The CLI operator sees all.
// issue 9 #2.
func TestAdminTokensAreTheirOwnersAlone(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	c.ok(nil, "users", "add", "--team", team, "--email", "sec@a.test", "--first-name", "S", "--last-name", "A")
	c.ok(nil, "admin", "set", "--team", team, "--email", "sec@a.test", "--role", "secondary", "--as", "pat@a.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	pat, sec := adminToken(t, c, team, "pat@a.test"), adminToken(t, c, team, "sec@a.test")
	var scim map[string]string
	c.ok(&scim, "token", "create", "--team", team, "-o", "json")

	var all []adminapi.TokenView
	c.ok(&all, "token", "list", "--team", team, "-o", "json")
	kindOf := map[string]string{}
	var patTok, secTok string
	var users []adminapi.UserView
	c.ok(&users, "users", "list", "--team", team, "-o", "json")
	owner := map[string]string{}
	for _, u := range users {
		owner[u.ID] = u.Email
	}
	for _, v := range all {
		kindOf[v.ID] = v.Kind
		switch {
		case v.Kind == "admin" && owner[v.UserID] == "pat@a.test":
			patTok = v.ID
		case v.Kind == "admin" && owner[v.UserID] == "sec@a.test":
			secTok = v.ID
		}
	}
	if len(all) != 3 || patTok == "" || secTok == "" {
		t.Fatalf("operator's token list = %+v, want both admin tokens and the SCIM token", all)
	}

	ids := func(tok string) map[string]bool {
		t.Helper()
		r := call(t, "GET", api+"/tokens", tok, "")
		if r.status != 200 {
			t.Fatalf("list tokens: %d %v", r.status, r.body)
		}
		out := map[string]bool{}
		for _, v := range r.list {
			out[v["id"].(string)] = true
		}
		return out
	}
	for _, tc := range []struct {
		who, tok, own, other string
	}{{"secondary", sec, secTok, patTok}, {"primary", pat, patTok, secTok}} {
		got := ids(tc.tok)
		if !got[tc.own] || !got[scim["id"]] || got[tc.other] || len(got) != 2 {
			t.Errorf("%s lists %v, want its own admin token %s and the SCIM token %s only", tc.who, got, tc.own, scim["id"])
		}
		// Another admin's admin token: 404, and it still works.
		r := call(t, "DELETE", api+"/tokens/"+tc.other, tc.tok, "")
		if r.status != 404 || r.code() != "token_not_found" {
			t.Errorf("%s revoking another admin's admin token: %d %v, want 404 token_not_found", tc.who, r.status, r.body)
		}
	}
	for _, tok := range []string{pat, sec} {
		if r := call(t, "GET", api+"/users", tok, ""); r.status != 200 {
			t.Fatalf("an admin token stopped working: %d", r.status)
		}
	}
	// SCIM tokens are the team's: a secondary admin creates and revokes them.
	r := call(t, "POST", api+"/tokens", sec, `{"kind":"scim"}`)
	if r.status != 201 {
		t.Fatalf("secondary creates a SCIM token: %d %v", r.status, r.body)
	}
	for _, id := range []string{r.body["id"].(string), scim["id"]} {
		if r := call(t, "DELETE", api+"/tokens/"+id, sec, ""); r.status != 204 {
			t.Errorf("secondary revokes SCIM token %s: %d %v", id, r.status, r.body)
		}
	}
	// An admin revokes their own admin token.
	if r := call(t, "DELETE", api+"/tokens/"+secTok, sec, ""); r.status != 204 {
		t.Fatalf("revoke own admin token: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", api+"/users", sec, ""); r.status != 401 {
		t.Fatalf("a revoked token still works: %d", r.status)
	}
	// The operator keeps the full view and can revoke any token.
	c.ok(&all, "token", "list", "--team", team, "-o", "json")
	if len(all) != 4 {
		t.Errorf("operator's list after changes has %d tokens, want 4 (revoked ones included)", len(all))
	}
	c.ok(nil, "token", "revoke", "--team", team, patTok)
	if r := call(t, "GET", api+"/users", pat, ""); r.status != 401 {
		t.Fatalf("a token the operator revoked still works: %d", r.status)
	}
}
