package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// TestCLIMembers is the CLI contract of issue 11 for members: add by list
// and by file (pending, all or nothing with every bad row listed), list
// with search/filter/sort and cursor paging, bulk edit that says what it
// overwrote, remove. R-MEM-1, R-MEM-2, R-MEM-6.
func TestCLIMembers(t *testing.T) {
	c := newCLI(t)
	team := c.team("Bau", "pat@bau.test")
	var added []adminapi.MemberView
	c.ok(&added, "members", "add", "--team", "Bau", "--emails", "a@x.test, b@x.test; c@x.test\td@x.test", "--company", "Nord GmbH",
		"--role", "Polier", "--level", "executive", "-o", "json")
	if len(added) != 4 {
		t.Fatalf("added %d, want 4", len(added))
	}
	for _, m := range added {
		if m.ID == "" || m.Status != "pending" || m.Company != "Nord GmbH" || m.Role != "Polier" || m.Level != "executive" {
			t.Errorf("added %+v", m)
		}
	}
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "rows.csv")
	os.WriteFile(csvFile, []byte("email,first_name,last_name,company,role,level\ne@y.test,Eva,Berg,Süd AG,Bauleiter,member\nf@y.test,Finn,Ek,Nord GmbH,,account-admin\n"), 0o600)
	c.ok(&added, "members", "add", "--team", team, "--file", csvFile, "-o", "json")
	if len(added) != 2 || added[0].Company != "Süd AG" || added[0].FirstName != "Eva" || added[1].Level != "account-admin" {
		t.Fatalf("file rows = %+v", added)
	}
	jsonFile := filepath.Join(dir, "rows.json")
	os.WriteFile(jsonFile, []byte(`[{"email":"g@y.test","company":"West"}]`), 0o600)
	c.ok(&added, "members", "add", "--team", team, "--file", jsonFile, "-o", "json")
	if len(added) != 1 || added[0].Company != "West" || added[0].Level != "member" {
		t.Fatalf("json rows = %+v", added)
	}

	// Bad rows: every one listed, nothing added.
	_, errs, code := c.run("members", "add", "--team", team, "--emails", "h@x.test a@x.test nope h@x.test")
	if code == 0 || !strings.Contains(errs, "row 2 (a@x.test)") || !strings.Contains(errs, "row 3 (nope)") || !strings.Contains(errs, "row 4 (h@x.test)") {
		t.Fatalf("bad rows: exit %d, stderr %s", code, errs)
	}
	var all []adminapi.MemberView
	c.ok(&all, "members", "list", "--team", team, "--q", "h@x.test", "-o", "json")
	if len(all) != 0 {
		t.Fatalf("a refused add left %v", all)
	}
	var hundred []string
	for i := range 101 {
		hundred = append(hundred, "u"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+"@x.test")
	}
	c.fails("at most 100", "members", "add", "--team", team, "--emails", strings.Join(hundred, ","))
	c.fails("level", "members", "add", "--team", team, "--emails", "z@x.test", "--level", "boss")

	// List: filter, sort, page.
	c.ok(&all, "members", "list", "--team", team, "--company", "nord gmbh", "--sort", "email", "-o", "json")
	var got []string
	for _, m := range all {
		got = append(got, m.Email)
	}
	if strings.Join(got, " ") != "a@x.test b@x.test c@x.test d@x.test f@y.test" {
		t.Errorf("company filter = %v", got)
	}
	c.ok(&all, "members", "list", "--team", team, "--sort", "company", "--order", "desc", "--limit", "1", "-o", "json")
	if len(all) != 1 || all[0].Company != "West" {
		t.Errorf("first by company desc = %+v", all)
	}
	out, errs, code := c.run("members", "list", "--team", team, "--sort", "email", "--limit", "3")
	if code != 0 || !strings.Contains(errs, "--after ") || !strings.Contains(out, "a@x.test") {
		t.Fatalf("paged list: %d %s %s", code, out, errs)
	}
	cursor := strings.TrimSpace(errs[strings.Index(errs, "--after ")+len("--after "):])
	c.ok(&all, "members", "list", "--team", team, "--sort", "email", "--limit", "3", "--after", cursor, "-o", "json")
	if len(all) != 3 || all[0].Email != "d@x.test" {
		t.Errorf("second page = %+v", all)
	}
	c.fails("sort", "members", "list", "--team", team, "--sort", "password")

	// Bulk edit overwrites a per-member edit and says so (R-MEM-2).
	var res adminapi.EditResult
	c.ok(&res, "members", "edit", "--team", team, "--emails", "a@x.test", "--role", "Kranführer", "-o", "json")
	c.ok(&res, "members", "edit", "--team", team, "--emails", "a@x.test,b@x.test", "--role", "Vorarbeiter", "-o", "json")
	if len(res.Members) != 2 || len(res.Overwrote) != 2 || res.Overwrote[0].From != "Kranführer" || res.Overwrote[1].From != "Polier" {
		t.Errorf("bulk edit = %+v", res)
	}
	if _, errs, code := c.run("members", "edit", "--team", team, "--emails", "nobody@x.test", "--role", "x"); code == 0 ||
		!strings.Contains(errs, "row 1 (nobody@x.test): nobody@x.test is not a member") {
		t.Errorf("edit of a non-member: exit %d, %s", code, errs)
	}

	var companies []string
	c.ok(&companies, "members", "companies", "--team", team, "-o", "json")
	if strings.Join(companies, "|") != "Nord GmbH|Süd AG|West" {
		t.Errorf("companies = %v", companies)
	}
	var removed adminapi.MemberView
	c.ok(&removed, "members", "remove", "--team", team, "--email", "a@x.test", "-o", "json")
	if removed.Email != "a@x.test" {
		t.Errorf("removed %+v", removed)
	}
	c.fails("no such user", "members", "remove", "--team", team, "--email", "a@x.test")
}

// TestAdminAPIMembers: the members routes and the users list's ?q= and
// ?sort= (they were silently ignored). R-MEM-1, R-MEM-6.
func TestAdminAPIMembers(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	other := c.team("B", "bea@b.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")

	r := call(t, "POST", api+"/members", tok, `{"emails":"k@a.test, l@a.test","company":"Oy","level":"standards-admin"}`)
	if r.status != 201 || len(r.list) != 2 || r.list[0]["status"] != "pending" || r.list[0]["level"] != "standards-admin" {
		t.Fatalf("add: %d %v %v", r.status, r.list, r.body)
	}
	r = call(t, "POST", api+"/members", tok, `{"members":[{"email":"m@a.test","company":"Ab","role":"Ingenjör"}]}`)
	if r.status != 201 || r.list[0]["company"] != "Ab" {
		t.Fatalf("add rows: %d %v", r.status, r.body)
	}
	r = call(t, "POST", api+"/members", tok, `{"emails":"k@a.test bad"}`)
	rows, _ := r.body["rows"].([]any)
	if r.status != 400 || r.code() != "rows_refused" || len(rows) != 2 {
		t.Fatalf("bad rows: %d %v", r.status, r.body)
	}
	r = call(t, "POST", api+"/members", tok, `{"emails":"k@a.test"}`)
	if r.status != 409 || r.code() != "rows_refused" {
		t.Fatalf("only existing: %d %v", r.status, r.body)
	}
	r = call(t, "GET", api+"/members?sort=company&order=desc", tok, "")
	ms, _ := r.body["members"].([]any)
	if r.status != 200 || len(ms) != 4 || ms[0].(map[string]any)["company"] != "Oy" {
		t.Fatalf("list: %d %v", r.status, r.body)
	}
	// The users list honours q and sort now.
	r = call(t, "GET", api+"/users?q=l%40a&sort=email", tok, "")
	us, _ := r.body["users"].([]any)
	if r.status != 200 || len(us) != 1 || us[0].(map[string]any)["email"] != "l@a.test" {
		t.Fatalf("users ?q=: %d %v", r.status, r.body)
	}
	r = call(t, "GET", api+"/users?sort=email&order=desc&limit=1", tok, "")
	us, _ = r.body["users"].([]any)
	if r.status != 200 || len(us) != 1 || us[0].(map[string]any)["email"] != "pat@a.test" || r.body["next"] == "" {
		t.Fatalf("users ?sort=email&order=desc: %d %v", r.status, r.body)
	}
	if r = call(t, "GET", api+"/users?sort=password", tok, ""); r.status != 400 || r.code() != "sort_invalid" {
		t.Fatalf("users bad sort: %d %v", r.status, r.body)
	}
	r = call(t, "PATCH", api+"/members", tok, `{"emails":["k@a.test","m@a.test"],"company":"Oy"}`)
	over, _ := r.body["overwrote"].([]any)
	if r.status != 200 || len(over) != 1 {
		t.Fatalf("edit: %d %v", r.status, r.body)
	}
	if r = call(t, "PATCH", api+"/members", tok, `{"emails":["nobody@a.test"],"company":"Oy"}`); r.status != 404 {
		t.Fatalf("edit unknown: %d %v", r.status, r.body)
	}
	req, _ := http.NewRequest("GET", api+"/companies", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var companies []string
	json.NewDecoder(resp.Body).Decode(&companies)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Join(companies, "|") != "Ab|Oy" {
		t.Fatalf("companies: %d %v", resp.StatusCode, companies)
	}
	// Another team's member is not found.
	st := s.store()
	u, err := st.FindUser(t.Context(), team, db.UserKey{Email: "k@a.test"})
	if err != nil {
		t.Fatal(err)
	}
	tokB := adminToken(t, c, other, "bea@b.test")
	if r = call(t, "DELETE", s.url+"/api/v1/teams/"+other+"/members/"+u.ID, tokB, ""); r.status != 404 {
		t.Fatalf("B removing A's member: %d", r.status)
	}
	if r = call(t, "DELETE", api+"/members/"+u.ID, tok, ""); r.status != 204 {
		t.Fatalf("remove: %d %v", r.status, r.body)
	}
}
