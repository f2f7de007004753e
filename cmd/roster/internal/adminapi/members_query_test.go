package adminapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// R-MEM-6 over JSON: the members list and the users list take the product
// and admin filters and sort by admin role (the console's Users page calls
// the same QueryUsers), and a bad value is a precise 400.
func TestMembersAndUsersByProductAndAdmin(t *testing.T) {
	e := newAPIEnv(t, nil, nil)
	e.createTeam(e.store)
	tok := e.token(e.store, db.TokenAdmin, e.owner.ID)
	ctx := context.Background()
	pr, err := e.store.CreateProject(ctx, e.team.ID, "Tower", operator)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct{ email, products string }{{"ann@acme.example", "docs,build"}, {"ben@acme.example", "docs"}} {
		if _, _, err := e.store.AddProjectMember(ctx, e.team.ID, pr.ID, db.NewProjectMember{Email: g.email, Products: strings.Split(g.products, ",")}, operator); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) (int, []string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/teams/"+e.team.ID+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct {
			Members []adminapi.MemberView `json:"members"`
			Users   []adminapi.UserView   `json:"users"`
		}
		json.NewDecoder(res.Body).Decode(&body)
		var out []string
		for _, m := range body.Members {
			out = append(out, m.Email)
		}
		for _, u := range body.Users {
			out = append(out, u.Email)
		}
		return res.StatusCode, out
	}
	for _, c := range []struct {
		path   string
		status int
		want   string
	}{
		{"/members?product=build", 200, "ann@acme.example"},
		{"/users?product=docs", 200, "ann@acme.example ben@acme.example"},
		{"/users?admin=admin", 200, "boss@acme.example"},
		{"/members?admin=user&sort=email&order=desc", 200, "ben@acme.example ann@acme.example"},
		{"/users?sort=admin_role&order=desc&limit=1", 200, "boss@acme.example"},
		{"/members?admin=root", 400, ""},
	} {
		status, got := get(c.path)
		if status != c.status || strings.Join(got, " ") != c.want {
			t.Errorf("GET %s = %d %v, want %d %q", c.path, status, got, c.status, c.want)
		}
	}
}

// A member's profile over JSON: their fields and projects; an unknown id
// is 404.
func TestMemberProfileRoute(t *testing.T) {
	e := newAPIEnv(t, nil, nil)
	e.createTeam(e.store)
	tok := e.token(e.store, db.TokenAdmin, e.owner.ID)
	ctx := context.Background()
	pr, err := e.store.CreateProject(ctx, e.team.ID, "Tower", operator)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := e.store.AddProjectMember(ctx, e.team.ID, pr.ID, db.NewProjectMember{Email: "ann@acme.example", Products: []string{"docs", "cost"}}, operator)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/teams/"+e.team.ID+"/members/"+m.User.ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p adminapi.MemberProfile
	json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != 200 || p.Email != "ann@acme.example" || len(p.Projects) != 1 || p.Projects[0].ProjectID != pr.ID ||
		strings.Join(p.Projects[0].Products, ",") != "cost,docs" {
		t.Errorf("GET member = %d %+v", res.StatusCode, p)
	}
	if r := e.do(tok, "GET", "/teams/"+e.team.ID+"/members/nonesuch", ""); r.Status != 404 {
		t.Errorf("unknown member: %+v", r)
	}
}
