package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestCLIProjects is the CLI contract of issue 11 for products and
// projects: the seeded catalogue, add-member with per-product access,
// set-access without the base product removing the member, the last
// project admin kept, removal from the team removing project access, and a
// new person joining through a project as source product, external under
// the default policy (R-MEM-4, R-POL-2).
func TestCLIProjects(t *testing.T) {
	c := newCLI(t)
	team := c.team("Bau", "pat@bau.test")
	other := c.team("Other", "olle@other.test")
	var products []adminapi.ProductView
	c.ok(&products, "products", "list", "--team", team, "-o", "json")
	var keys []string
	for _, p := range products {
		keys = append(keys, p.Key)
	}
	if strings.Join(keys, ",") != "docs,build,cost,design-collaboration,insight,model-coordination,takeoff" || !products[0].Base {
		t.Fatalf("catalogue = %+v", products)
	}
	c.ok(nil, "products", "add", "--team", other, "--key", "secret-tool", "--name", "Secret Tool")
	var pr adminapi.ProjectView
	c.ok(&pr, "projects", "create", "--team", team, "--name", "Tower", "-o", "json")
	c.fails("already has a project", "projects", "create", "--team", team, "--name", "tower")
	c.ok(nil, "members", "add", "--team", team, "--emails", "ann@bau.test bob@bau.test")

	var m adminapi.ProjectMemberView
	c.ok(&m, "projects", "add-member", "--team", team, "--project", "Tower", "--email", "ann@bau.test", "--level", "admin", "--products", "docs,Build", "-o", "json")
	if m.Level != "admin" || strings.Join(m.Products, ",") != "build,docs" || m.Created {
		t.Fatalf("add ann = %+v", m)
	}
	c.ok(&m, "projects", "add-member", "--team", team, "--project", pr.ID, "--email", "bob@bau.test", "--products", "docs,cost", "-o", "json")
	c.fails("base product", "projects", "add-member", "--team", team, "--project", "Tower", "--email", "cid@bau.test", "--products", "build")
	c.fails("no product \"secret-tool\"", "projects", "add-member", "--team", team, "--project", "Tower", "--email", "cid@bau.test", "--products", "docs,secret-tool")
	c.fails("no project", "projects", "add-member", "--team", other, "--project", pr.ID, "--email", "cid@other.test", "--products", "docs")

	// A new person: created with source product, external under the default policy (R-POL-2).
	c.ok(&m, "projects", "add-member", "--team", team, "--project", "Tower", "--email", "guest@partner.test", "--products", "docs", "-o", "json")
	if !m.Created || m.Source != "product" || m.Type != "external" || m.Status != "pending" {
		t.Fatalf("new person via project = %+v", m)
	}

	// Base product off: removed from the project; never the last admin.
	c.fails("last admin", "projects", "set-access", "--team", team, "--project", "Tower", "--email", "ann@bau.test", "--products", "build")
	c.ok(&m, "projects", "set-access", "--team", team, "--project", "Tower", "--email", "bob@bau.test", "--products", "build", "-o", "json")
	if !m.Removed {
		t.Fatalf("set-access without docs = %+v, want removed", m)
	}
	var members []adminapi.ProjectMemberView
	c.ok(&members, "projects", "members", "--team", team, "--project", "Tower", "-o", "json")
	var emails []string
	for _, pm := range members {
		emails = append(emails, pm.Email)
	}
	if strings.Join(emails, ",") != "ann@bau.test,guest@partner.test" {
		t.Fatalf("project members = %v", emails)
	}
	// Removing a member from the team removes them from every project.
	c.ok(nil, "members", "remove", "--team", team, "--email", "guest@partner.test")
	c.ok(&members, "projects", "members", "--team", team, "--project", "Tower", "-o", "json")
	if len(members) != 1 || members[0].Email != "ann@bau.test" {
		t.Fatalf("after removal = %+v", members)
	}
}

// TestAdminAPIProjects: the products and projects routes, with another
// team's project looking like a missing one.
func TestAdminAPIProjects(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	other := c.team("B", "bea@b.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	tokB := adminToken(t, c, other, "bea@b.test")

	if r := call(t, "GET", api+"/products", tok, ""); r.status != 200 || len(r.list) != 7 || r.list[0]["key"] != "docs" || r.list[0]["base"] != true {
		t.Fatalf("products: %d %v", r.status, r.list)
	}
	if r := call(t, "POST", api+"/products", tok, `{"key":"plans","name":"Plans"}`); r.status != 201 {
		t.Fatalf("add product: %d %v", r.status, r.body)
	}
	if r := call(t, "POST", api+"/products", tok, `{"key":"plans","name":"Plans 2"}`); r.status != 409 || r.code() != "product_exists" {
		t.Fatalf("duplicate product: %d %v", r.status, r.body)
	}
	r := call(t, "POST", api+"/projects", tok, `{"name":"Tower"}`)
	pid, _ := r.body["id"].(string)
	if r.status != 201 || pid == "" {
		t.Fatalf("create project: %d %v", r.status, r.body)
	}
	r = call(t, "POST", api+"/projects/"+pid+"/members", tok, `{"email":"new@x.test","products":["docs","plans"]}`)
	uid, _ := r.body["user_id"].(string)
	if r.status != 201 || r.body["created"] != true || r.body["source"] != "product" {
		t.Fatalf("add project member: %d %v", r.status, r.body)
	}
	if r := call(t, "POST", api+"/projects/"+pid+"/members", tok, `{"email":"x@x.test","products":["plans"]}`); r.status != 400 || r.code() != "base_product_required" {
		t.Fatalf("without base: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", s.url+"/api/v1/teams/"+other+"/projects/"+pid+"/members", tokB, ""); r.status != 404 || r.code() != "project_not_found" {
		t.Fatalf("B reading A's project: %d %v", r.status, r.body)
	}
	if r := call(t, "PUT", api+"/projects/"+pid+"/members/"+uid+"/access", tok, `{"products":["plans"]}`); r.status != 200 || r.body["removed"] != true {
		t.Fatalf("set access without base: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", api+"/projects/"+pid+"/members", tok, ""); r.status != 200 || len(r.list) != 0 {
		t.Fatalf("members after base off: %d %v", r.status, r.list)
	}
}

// TestProductsRenameRemove is R-MEM-4's rename and remove, through the CLI
// and the admin API: removing revokes the product from every project
// member, the base product cannot be removed (precise 4xx, nothing
// changed), the base mark moves only to a product every member has, and
// another team's product is not found.
func TestProductsRenameRemove(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	other := c.team("B", "bea@b.test")
	c.ok(nil, "projects", "create", "--team", team, "--name", "Tower")
	c.ok(nil, "projects", "add-member", "--team", team, "--project", "Tower", "--email", "ann@a.test", "--products", "docs,build,cost")
	var p adminapi.ProductView
	c.ok(&p, "products", "rename", "--team", team, "--product", "Build", "--name", "Build Pro", "-o", "json")
	if p.Key != "build" || p.Name != "Build Pro" || p.Base {
		t.Fatalf("rename = %+v", p)
	}
	c.fails("give --name or --base", "products", "rename", "--team", team, "--product", "build")
	c.fails("base product", "products", "remove", "--team", team, "--product", "docs")
	c.fails("no product", "products", "remove", "--team", other, "--product", "nonesuch")
	var rm adminapi.ProductRemoval
	c.ok(&rm, "products", "remove", "--team", team, "--product", "Build Pro", "-o", "json")
	if rm.Product != "build" || rm.Revoked != 1 {
		t.Fatalf("remove = %+v", rm)
	}
	var ms []adminapi.ProjectMemberView
	c.ok(&ms, "projects", "members", "--team", team, "--project", "Tower", "-o", "json")
	if len(ms) != 1 || strings.Join(ms[0].Products, ",") != "cost,docs" {
		t.Fatalf("members after removing build = %+v", ms)
	}

	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	tokB := adminToken(t, c, other, "bea@b.test")
	if r := call(t, "PATCH", api+"/products/insight", tok, `{"name":"Insight 2"}`); r.status != 200 || r.body["name"] != "Insight 2" {
		t.Fatalf("PATCH product: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", api+"/products/insight", tok, `{"name":"Cost"}`); r.status != 409 || r.code() != "product_exists" {
		t.Fatalf("rename onto another's name: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", api+"/products/insight", tok, `{"base":true}`); r.status != 422 || r.code() != "base_move_would_remove" {
		t.Fatalf("base to a product ann lacks: %d %v", r.status, r.body)
	}
	if r := call(t, "DELETE", api+"/products/docs", tok, ""); r.status != 422 || r.code() != "base_product" {
		t.Fatalf("DELETE base: %d %v", r.status, r.body)
	}
	if r := call(t, "DELETE", s.url+"/api/v1/teams/"+other+"/products/nonesuch", tokB, ""); r.status != 404 || r.code() != "product_not_found" {
		t.Fatalf("DELETE unknown: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", api+"/products/cost", tok, `{"base":true}`); r.status != 200 || r.body["base"] != true {
		t.Fatalf("base to cost (ann has it): %d %v", r.status, r.body)
	}
	if r := call(t, "DELETE", api+"/products/docs", tok, ""); r.status != 200 || r.body["revoked"] != float64(1) {
		t.Fatalf("DELETE docs, no longer the base: %d %v", r.status, r.body)
	}
	var audit []map[string]any
	c.ok(&audit, "audit", "--team", team, "-o", "json")
	seen := map[string]bool{}
	for _, e := range audit {
		seen[fmt.Sprint(e["action"])] = true
	}
	if !seen["product.remove"] || !seen["product.update"] {
		t.Errorf("audit lacks product.remove / product.update: %v", seen)
	}
}

// TestProjectMembersAndInvitationsPaged is R-MEM-6 through the CLI and the
// admin API for project members and invitations: filters, sorts and
// cursors, each page one SQL query in the store.
func TestProjectMembersAndInvitationsPaged(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	c.ok(nil, "projects", "create", "--team", team, "--name", "Tower")
	c.ok(nil, "members", "add", "--team", team, "--emails", "a@a.test b@a.test c@a.test", "--company", "Nord")
	for _, e := range []string{"a@a.test", "b@a.test", "c@a.test"} {
		c.ok(nil, "projects", "add-member", "--team", team, "--project", "Tower", "--email", e, "--products", "docs")
		c.ok(nil, "invitations", "resend", "--team", team, "--email", e)
	}
	c.ok(nil, "projects", "set-access", "--team", team, "--project", "Tower", "--email", "b@a.test", "--products", "docs,build")
	out, errs, code := c.run("projects", "members", "--team", team, "--project", "Tower", "--sort", "email", "--order", "desc", "--limit", "1", "-o", "json")
	if code != 0 || !strings.Contains(out, "c@a.test") || strings.Contains(out, "b@a.test") || !strings.Contains(errs, "--after ") {
		t.Fatalf("first page: %d %s %s", code, out, errs)
	}
	cursor := strings.TrimSpace(errs[strings.Index(errs, "--after ")+len("--after "):])
	var page2 []adminapi.ProjectMemberView
	c.ok(&page2, "projects", "members", "--team", team, "--project", "Tower", "--sort", "email", "--order", "desc", "--limit", "1", "--after", cursor, "-o", "json")
	if len(page2) != 1 || page2[0].Email != "b@a.test" {
		t.Fatalf("second page = %+v", page2)
	}
	var build []adminapi.ProjectMemberView
	c.ok(&build, "projects", "members", "--team", team, "--project", "Tower", "--product", "Build", "-o", "json")
	if len(build) != 1 || build[0].Email != "b@a.test" {
		t.Fatalf("--product build = %+v", build)
	}
	c.fails("sort", "projects", "members", "--team", team, "--project", "Tower", "--sort", "shoe_size")
	var invs []adminapi.InvitationView
	c.ok(&invs, "invitations", "list", "--team", team, "--q", "B@A", "--state", "pending", "-o", "json")
	if len(invs) != 1 || invs[0].Email != "b@a.test" {
		t.Fatalf("invitations --q = %+v", invs)
	}

	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	r := call(t, "GET", api+"/projects/Tower/members?limit=2&sort=email", tok, "")
	if r.status != 200 || len(r.body["members"].([]any)) != 2 || r.body["next"] == "" {
		t.Fatalf("paged project members: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", api+"/projects/Tower/members?level=admin", tok, ""); r.status != 200 || len(r.body["members"].([]any)) != 0 {
		t.Fatalf("level=admin: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", api+"/invitations?sort=email&order=desc&limit=1", tok, ""); r.status != 200 || r.body["next"] == "" ||
		r.body["invitations"].([]any)[0].(map[string]any)["email"] != "c@a.test" {
		t.Fatalf("paged invitations: %d %v", r.status, r.body)
	}
	if r := call(t, "GET", api+"/invitations?after=garbage", tok, ""); r.status != 400 || r.code() != "cursor_invalid" {
		t.Fatalf("bad cursor: %d %v", r.status, r.body)
	}
}

// TestAdminAPIProjectLevel is the project member level change through the
// admin API (seed 002): promote, demote, the last admin refused with 422
// last_project_admin and nothing changed, a bad level 400, another team's
// admin 404, and the change audited as project.member.level.set.
func TestAdminAPIProjectLevel(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	other := c.team("B", "bea@b.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	tokB := adminToken(t, c, other, "bea@b.test")
	r := call(t, "POST", api+"/projects", tok, `{"name":"Tower"}`)
	pid, _ := r.body["id"].(string)
	r = call(t, "POST", api+"/projects/"+pid+"/members", tok, `{"email":"ann@a.test","level":"admin","products":["docs"]}`)
	ann, _ := r.body["user_id"].(string)
	r = call(t, "POST", api+"/projects/"+pid+"/members", tok, `{"email":"bob@a.test","products":["docs"]}`)
	bob, _ := r.body["user_id"].(string)
	if ann == "" || bob == "" {
		t.Fatalf("setup: %v", r.body)
	}
	if r := call(t, "PATCH", api+"/projects/"+pid+"/members/"+ann, tok, `{"level":"member"}`); r.status != 422 || r.code() != "last_project_admin" {
		t.Fatalf("demote the last admin: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", api+"/projects/"+pid+"/members/"+bob, tok, `{"level":"owner"}`); r.status != 400 || r.code() != "project_level_invalid" {
		t.Fatalf("bad level: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", s.url+"/api/v1/teams/"+other+"/projects/"+pid+"/members/"+bob, tokB, `{"level":"admin"}`); r.status != 404 {
		t.Fatalf("B changing A's project: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", api+"/projects/"+pid+"/members/"+bob, tok, `{"level":"admin"}`); r.status != 200 || r.body["level"] != "admin" || r.body["email"] != "bob@a.test" {
		t.Fatalf("promote bob: %d %v", r.status, r.body)
	}
	if r := call(t, "PATCH", api+"/projects/"+pid+"/members/"+ann, tok, `{"level":"member"}`); r.status != 200 || r.body["level"] != "member" {
		t.Fatalf("demote ann with bob admin: %d %v", r.status, r.body)
	}
	r = call(t, "GET", api+"/projects/"+pid+"/members", tok, "")
	levels := map[string]any{}
	for _, m := range r.list {
		levels[m["email"].(string)] = m["level"]
	}
	if levels["ann@a.test"] != "member" || levels["bob@a.test"] != "admin" {
		t.Fatalf("levels after the changes: %v", levels)
	}
	var audit []map[string]any
	c.ok(&audit, "audit", "--team", team, "-o", "json")
	n := 0
	for _, e := range audit {
		if e["action"] == "project.member.level.set" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("project.member.level.set audit rows = %d, want 2 (the refusals change nothing)", n)
	}
}
