package scim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/roster-dev/roster/scim"
)

// TestGroupPatchGrantsMappedProduct drives group-to-product mappings
// (issue 11) through real SCIM PATCHes: adding a user to a mapped group puts
// them on the project with the mapped product, a PATCH refused for another
// tenant's member grants nothing, and removing the user revokes it.
func TestGroupPatchGrantsMappedProduct(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		ann := e.createUser(e.a, "ann@alpha.example")
		foreign := e.createUser(e.b, "bo@beta.example")
		g := e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "Estimators"}).want(t, 201)
		gid := g.str("id")
		pr, err := e.store.CreateProject(ctx, e.a.teamID, "Tower", operator)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.MapGroup(ctx, e.a.teamID, "Estimators", "Tower", "build", operator); err != nil {
			t.Fatal(err)
		}
		access := func() string {
			t.Helper()
			ms, err := e.store.UserProjects(ctx, e.a.teamID, ann)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.ProjectID == pr.ID {
					return strings.Join(m.Products, ",")
				}
			}
			return ""
		}
		members := func(op string, ids ...string) map[string]any {
			vs := []any{}
			for _, id := range ids {
				vs = append(vs, map[string]any{"value": id})
			}
			o := map[string]any{"op": op, "path": "members", "value": vs}
			if op == "remove" {
				o = map[string]any{"op": op, "path": `members[value eq "` + ids[0] + `"]`}
			}
			return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{o}}
		}
		// Never half-applied: ann with another tenant's user is refused whole.
		e.do(e.a, "PATCH", "/Groups/"+gid, members("add", ann, foreign)).want(t, 400)
		if got := access(); got != "" {
			t.Fatalf("a refused PATCH granted %q", got)
		}
		e.do(e.a, "PATCH", "/Groups/"+gid, members("add", ann)).want(t, 204)
		if got := access(); got != "build,docs" {
			t.Fatalf("after SCIM add: ann has %q on Tower, want build,docs", got)
		}
		e.do(e.a, "PATCH", "/Groups/"+gid, members("remove", ann)).want(t, 204)
		if got := access(); got != "" {
			t.Fatalf("after SCIM remove: ann has %q on Tower, want off it", got)
		}
		ms, err := e.store.ProductMappings(ctx, e.a.teamID)
		if err != nil || len(ms) != 1 || ms[0].Members != 0 {
			t.Fatalf("mappings = %+v, %v", ms, err)
		}
	})
}
