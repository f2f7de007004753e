package main

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestProductMappingsCLIAndAPI drives group-to-product mappings (issue 11)
// through the CLI and the admin API: map, list with members, the grant on
// the project, the manual-revoke refusal, another team's group 404, unmap.
func TestProductMappingsCLIAndAPI(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	other := c.team("B", "bea@b.test")
	c.ok(nil, "users", "add", "--team", team, "--email", "ann@a.test", "--first-name", "Ann", "--last-name", "Lee")
	c.ok(nil, "users", "add", "--team", other, "--email", "bo@b.test", "--first-name", "Bo", "--last-name", "Ng")
	gid := c.group(team, "Estimators", "ann@a.test")
	otherGroup := c.group(other, "Others", "bo@b.test")
	c.ok(nil, "projects", "create", "--team", team, "--name", "Tower")
	var ms []adminapi.ProductMappingView
	c.ok(&ms, "products", "map-group", "--team", team, "--group", "estimators", "--project", "Tower", "--product", "Build", "-o", "json")
	if len(ms) != 1 || ms[0].GroupID != gid || ms[0].Product != "build" || ms[0].Members != 1 || ms[0].Waiting != 0 {
		t.Fatalf("map-group = %+v", ms)
	}
	var pm []adminapi.ProjectMemberView
	c.ok(&pm, "projects", "members", "--team", team, "--project", "Tower", "-o", "json")
	if len(pm) != 1 || pm[0].Email != "ann@a.test" || strings.Join(pm[0].Products, ",") != "build,docs" {
		t.Fatalf("project members = %+v", pm)
	}
	c.fails("through a group mapping", "projects", "set-access", "--team", team, "--project", "Tower", "--email", "ann@a.test", "--products", "docs")
	c.fails("no group", "products", "map-group", "--team", team, "--group", otherGroup, "--project", "Tower", "--product", "build")

	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + team
	tok := adminToken(t, c, team, "pat@a.test")
	if r := call(t, "GET", api+"/product-mappings", tok, ""); r.status != 200 || len(r.list) != 1 || r.list[0]["id"] != ms[0].ID {
		t.Fatalf("GET product-mappings = %+v", r)
	}
	if r := call(t, "POST", api+"/product-mappings", tok, `{"group":"`+otherGroup+`","project":"Tower","product":"build"}`); r.status != 404 || r.code() != "group_not_found" {
		t.Fatalf("POST another team's group = %d %s", r.status, r.code())
	}
	if r := call(t, "POST", api+"/product-mappings", tok, `{"group":"Estimators"}`); r.status != 400 || r.code() != "mapping_invalid" {
		t.Fatalf("POST without project = %d %s", r.status, r.code())
	}
	r := call(t, "POST", api+"/product-mappings", tok, `{"group":"Estimators","project":"Tower","product":"cost"}`)
	if r.status != 200 || r.body["product"] != "cost" || r.body["members"] != float64(1) {
		t.Fatalf("POST product-mappings = %d %+v", r.status, r.body)
	}
	id, _ := r.body["id"].(string)
	if r := call(t, "DELETE", api+"/product-mappings/"+id, tok, ""); r.status != 204 {
		t.Fatalf("DELETE = %d %+v", r.status, r.body)
	}
	if r := call(t, "DELETE", api+"/product-mappings/"+id, tok, ""); r.status != 404 || r.code() != "mapping_not_found" {
		t.Fatalf("DELETE again = %d %s", r.status, r.code())
	}
	c.ok(nil, "products", "unmap-group", "--team", team, "--group", "Estimators", "--project", "Tower", "--product", "build")
	c.ok(&pm, "projects", "members", "--team", team, "--project", "Tower", "-o", "json")
	if len(pm) != 0 {
		t.Fatalf("after unmap, project members = %+v", pm)
	}
}
