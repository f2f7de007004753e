package dbtest

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testProductMappings checks SCIM/directory group to product mappings
// (issue 11): membership of a mapped group grants the product on the
// project and leaving revokes only the group-derived grant; manual grants
// survive; removing the mapping or deleting the group revokes; another
// team's group, project or product is not found; grants beyond the seats
// wait (R-MEM-5).
func testProductMappings(t *testing.T, s db.Store) {
	ps, ok1 := s.(db.ProjectStore)
	pm, ok2 := s.(db.ProductMappingStore)
	ss, ok3 := s.(db.SeatStore)
	if !ok1 || !ok2 || !ok3 {
		missing(t, "it does not implement db.ProjectStore, db.ProductMappingStore and db.SeatStore")
	}
	type fixture struct {
		team           db.Team
		project        db.Project
		group          db.Group
		ann, bob, carl db.User
	}
	setup := func(t *testing.T) fixture {
		t.Helper()
		team, _ := NewTeam(t, s, "")
		pr, err := ps.CreateProject(ctx, team.ID, "Tower", Operator)
		if err != nil {
			t.Fatal(err)
		}
		f := fixture{team: team, project: pr}
		f.ann = NewUser(t, s, team.ID, "ann", "bau.test", db.SourceSCIM)
		f.bob = NewUser(t, s, team.ID, "bob", "bau.test", db.SourceSCIM)
		f.carl = NewUser(t, s, team.ID, "carl", "bau.test", db.SourceSCIM)
		f.group, err = s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "Estimators", Members: []string{f.ann.ID}}, Operator)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// products is the user's products on the project ("" if not on it).
	products := func(t *testing.T, f fixture, userID string) string {
		t.Helper()
		ms, err := ps.UserProjects(ctx, f.team.ID, userID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.ProjectID == f.project.ID {
				return strings.Join(m.Products, ",")
			}
		}
		return ""
	}
	mapBuild := func(t *testing.T, f fixture) db.ProductMapping {
		t.Helper()
		m, err := pm.MapGroup(ctx, f.team.ID, "estimators", "Tower", "Build", Operator)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name string
		run  func(t *testing.T, f fixture)
	}{
		{"MemberGetsAccess", func(t *testing.T, f fixture) {
			m := mapBuild(t, f)
			if m.GroupID != f.group.ID || m.ProjectID != f.project.ID || m.Product != "build" || m.Members != 1 || m.Waiting != 0 {
				t.Fatalf("mapping = %+v", m)
			}
			if got := products(t, f, f.ann.ID); got != "build,docs" {
				t.Fatalf("ann's products after the mapping = %q, want build,docs (joined with the base)", got)
			}
			if _, err := s.ModifyMembers(ctx, f.team.ID, f.group.ID, []string{f.bob.ID}, nil, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.bob.ID); got != "build,docs" {
				t.Fatalf("bob's products after joining the group = %q, want build,docs", got)
			}
			if got := products(t, f, f.carl.ID); got != "" {
				t.Fatalf("carl is in no group but has %q", got)
			}
			again, err := pm.MapGroup(ctx, f.team.ID, f.group.ID, f.project.ID, "build", Operator)
			if err != nil || again.ID != m.ID || again.Members != 2 {
				t.Fatalf("mapping again = %+v, %v; want the same mapping, 2 members", again, err)
			}
			list, err := pm.ProductMappings(ctx, f.team.ID)
			if err != nil || len(list) != 1 || list[0].ID != m.ID {
				t.Fatalf("mappings = %+v, %v", list, err)
			}
		}},
		{"LeavingRevokesOnlyGroupGrant", func(t *testing.T, f fixture) {
			mapBuild(t, f)
			// bob is on the project by hand with docs and cost, then joins the group.
			if _, _, err := ps.AddProjectMember(ctx, f.team.ID, f.project.ID, db.NewProjectMember{Email: f.bob.Email, Products: []string{"docs", "cost"}}, Operator); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ModifyMembers(ctx, f.team.ID, f.group.ID, []string{f.bob.ID}, nil, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.bob.ID); got != "build,cost,docs" {
				t.Fatalf("bob = %q, want build,cost,docs", got)
			}
			// A manual revoke of the group's grant is refused.
			_, _, err := ps.SetProjectAccess(ctx, f.team.ID, f.project.ID, f.bob.ID, []string{"docs", "cost"}, Operator)
			WantErr(t, err, db.ErrConflict, "granted_by_group")
			if _, err := s.ModifyMembers(ctx, f.team.ID, f.group.ID, nil, []string{f.ann.ID, f.bob.ID}, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.bob.ID); got != "cost,docs" {
				t.Fatalf("bob after leaving = %q, want cost,docs (manual grants stay)", got)
			}
			if got := products(t, f, f.ann.ID); got != "" {
				t.Fatalf("ann after leaving = %q, want off the project (she joined through the group)", got)
			}
		}},
		{"ManualGrantSurvives", func(t *testing.T, f fixture) {
			// ann has build by hand first; the mapping adds nothing, leaving takes nothing.
			if _, _, err := ps.AddProjectMember(ctx, f.team.ID, f.project.ID, db.NewProjectMember{Email: f.ann.Email, Products: []string{"docs", "build"}}, Operator); err != nil {
				t.Fatal(err)
			}
			mapBuild(t, f)
			if _, err := s.ReplaceMembers(ctx, f.team.ID, f.group.ID, nil, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.ann.ID); got != "build,docs" {
				t.Fatalf("ann = %q, want build,docs (granted by hand)", got)
			}
		}},
		{"JoinedByGroupKeepsBaseForManualGrant", func(t *testing.T, f fixture) {
			mapBuild(t, f)
			if _, _, err := ps.SetProjectAccess(ctx, f.team.ID, f.project.ID, f.ann.ID, []string{"docs", "build", "cost"}, Operator); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ModifyMembers(ctx, f.team.ID, f.group.ID, nil, []string{f.ann.ID}, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.ann.ID); got != "cost,docs" {
				t.Fatalf("ann = %q, want cost,docs: the manual cost stays and keeps the base", got)
			}
		}},
		{"UnmapRevokes", func(t *testing.T, f fixture) {
			m := mapBuild(t, f)
			if err := pm.UnmapGroup(ctx, f.team.ID, m.ID, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.ann.ID); got != "" {
				t.Fatalf("ann after unmap = %q, want off the project", got)
			}
			WantErr(t, pm.UnmapGroup(ctx, f.team.ID, m.ID, Operator), db.ErrNotFound, "mapping_not_found")
		}},
		{"GroupDeleteRevokes", func(t *testing.T, f fixture) {
			mapBuild(t, f)
			if err := s.DeleteGroup(ctx, f.team.ID, f.group.ID, Operator); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.ann.ID); got != "" {
				t.Fatalf("ann after group delete = %q, want off the project", got)
			}
			if list, _ := pm.ProductMappings(ctx, f.team.ID); len(list) != 0 {
				t.Fatalf("mappings after group delete = %+v", list)
			}
		}},
		{"DeactivateRevokes", func(t *testing.T, f fixture) {
			mapBuild(t, f)
			if _, err := s.UpdateUser(ctx, f.team.ID, f.ann.ID, 0, Operator, func(u *db.User) error { u.Status = db.StatusInactive; return nil }); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.ann.ID); got != "" {
				t.Fatalf("inactive ann = %q, want no group grants", got)
			}
			if _, err := s.UpdateUser(ctx, f.team.ID, f.ann.ID, 0, Operator, func(u *db.User) error { u.Status = db.StatusActive; return nil }); err != nil {
				t.Fatal(err)
			}
			if got := products(t, f, f.ann.ID); got != "build,docs" {
				t.Fatalf("reactivated ann = %q, want build,docs", got)
			}
		}},
		{"TenantIsolation", func(t *testing.T, f fixture) {
			other := setup(t)
			_, err := pm.MapGroup(ctx, f.team.ID, other.group.ID, "Tower", "build", Operator)
			WantErr(t, err, db.ErrNotFound, "group_not_found")
			_, err = pm.MapGroup(ctx, f.team.ID, f.group.ID, other.project.ID, "build", Operator)
			WantErr(t, err, db.ErrNotFound, "project_not_found")
			if _, err := ps.AddProduct(ctx, other.team.ID, db.Product{Key: "plans", Name: "Plans"}, Operator); err != nil {
				t.Fatal(err)
			}
			_, err = pm.MapGroup(ctx, f.team.ID, f.group.ID, f.project.ID, "plans", Operator)
			WantErr(t, err, db.ErrNotFound, "product_not_found")
			m := mapBuild(t, other)
			WantErr(t, pm.UnmapGroup(ctx, f.team.ID, m.ID, Operator), db.ErrNotFound, "mapping_not_found")
			if list, _ := pm.ProductMappings(ctx, f.team.ID); len(list) != 0 {
				t.Fatalf("team sees another team's mappings: %+v", list)
			}
		}},
		// R-MEM-5
		{"R-MEM-5 SeatsBeyondWait", func(t *testing.T, f fixture) {
			if err := ss.AddSubscription(ctx, f.team.ID, "build", 1, Operator); err != nil {
				t.Fatal(err)
			}
			mapBuild(t, f) // ann takes the one seat
			if _, err := s.ModifyMembers(ctx, f.team.ID, f.group.ID, []string{f.bob.ID}, nil, Operator); err != nil {
				t.Fatalf("a group change beyond the seats must not fail: %v", err)
			}
			if got := products(t, f, f.bob.ID); got != "docs" {
				t.Fatalf("bob = %q, want docs only (no build seat left)", got)
			}
			list, err := pm.ProductMappings(ctx, f.team.ID)
			if err != nil || len(list) != 1 || list[0].Members != 2 || list[0].Waiting != 1 {
				t.Fatalf("mappings = %+v, %v; want 2 members, 1 waiting", list, err)
			}
			// A seat frees; mapping again grants to those waiting.
			if _, err := s.ModifyMembers(ctx, f.team.ID, f.group.ID, nil, []string{f.ann.ID}, Operator); err != nil {
				t.Fatal(err)
			}
			m, err := pm.MapGroup(ctx, f.team.ID, f.group.ID, f.project.ID, "build", Operator)
			if err != nil || m.Waiting != 0 {
				t.Fatalf("map again = %+v, %v; want 0 waiting", m, err)
			}
			if got := products(t, f, f.bob.ID); got != "build,docs" {
				t.Fatalf("bob = %q, want build,docs", got)
			}
		}},
		{"ProductRemoveDropsMapping", func(t *testing.T, f fixture) {
			mapBuild(t, f)
			if _, err := ps.RemoveProduct(ctx, f.team.ID, "build", Operator); err != nil {
				t.Fatal(err)
			}
			if list, _ := pm.ProductMappings(ctx, f.team.ID); len(list) != 0 {
				t.Fatalf("mappings after product remove = %+v", list)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, setup(t)) })
	}
}
