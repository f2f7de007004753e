package dbtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// testProjects checks products, projects and project members (issue 11 #5,
// #7): the seeded catalogue, per-product access, the base product rule,
// removal from the team, the product path of R-POL-2 and tenant isolation.
func testProjects(t *testing.T, s db.Store) {
	ps, ok := s.(db.ProjectStore)
	if !ok {
		missing(t, "it does not implement db.ProjectStore")
	}
	ms, ok := s.(db.MemberStore)
	if !ok {
		missing(t, "it does not implement db.MemberStore")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s db.Store, ps db.ProjectStore, ms db.MemberStore)
	}{
		{"Catalogue", testCatalogue},
		{"R-MEM-4 BaseProductOffRemovesFromProject", testBaseProductOff},
		{"R-MEM-4 RemoveMemberRemovesProjects", testRemoveMemberRemovesProjects},
		{"R-POL-2 ProductPathCreatesClassifiedUser", testProductPath},
		{"ProjectsTeamIsolation", testProjectsIsolation},
		{"R-MEM-6 QueryMembersByProduct", testQueryMembersByProduct},
		{"R-MEM-4 RenameRemoveProduct", testRenameRemoveProduct},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s, ps, ms) })
	}
}

func testCatalogue(t *testing.T, s db.Store, ps db.ProjectStore, _ db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	got, err := ps.ListProducts(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	base := ""
	for _, p := range got {
		keys[p.Key] = true
		if p.Base {
			base += p.Key
		}
	}
	if len(got) != len(db.DefaultProducts) || base != "docs" || !keys["takeoff"] || !keys["design-collaboration"] {
		t.Fatalf("new team's catalogue = %+v, want seed 002's with docs the base", got)
	}
	if _, err := ps.AddProduct(ctx, team.ID, db.Product{Key: "docs", Name: "Other"}, Operator); !errors.Is(err, db.ErrConflict) {
		t.Errorf("duplicate key: %v, want conflict", err)
	}
	if _, err := ps.AddProduct(ctx, team.ID, db.Product{Key: "Bad Key", Name: "X"}, Operator); !errors.Is(err, db.ErrInvalid) {
		t.Errorf("bad key: %v, want invalid", err)
	}
	if _, err := ps.AddProduct(ctx, team.ID, db.Product{Key: "plans", Name: "Plans", Base: true}, Operator); err != nil {
		t.Fatal(err)
	}
	p, err := ps.FindProduct(ctx, team.ID, "PLANS")
	if err != nil || !p.Base {
		t.Errorf("FindProduct(PLANS) = %+v, %v; want the new base", p, err)
	}
	if d, _ := ps.FindProduct(ctx, team.ID, "Docs"); d.Base {
		t.Error("docs is still the base after another product became it: one base per team")
	}
}

// R-MEM-4
func testBaseProductOff(t *testing.T, s db.Store, ps db.ProjectStore, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	pr, err := ps.CreateProject(ctx, team.ID, "Tower", Operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.CreateProject(ctx, team.ID, "TOWER", Operator); !errors.Is(err, db.ErrConflict) {
		t.Errorf("duplicate project name: %v, want conflict", err)
	}
	added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: Email("kai", "p.test")}, {Email: Email("lea", "p.test")}}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	kai, lea := added[0].User, added[1].User
	_, _, err = ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: kai.Email, Products: []string{"build"}}, Operator)
	WantErr(t, err, db.ErrInvalid, "base_product_required")
	m, created, err := ps.AddProjectMember(ctx, team.ID, "tower", db.NewProjectMember{Email: kai.Email, Level: db.ProjectAdminLevel, Products: []string{"Docs", "build"}}, Operator)
	if err != nil || created || !cmp.Equal(m.Products, []string{"build", "docs"}) {
		t.Fatalf("add kai = %+v, created %v, %v", m, created, err)
	}
	if _, _, err := ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: lea.Email, Products: []string{"docs", "cost"}}, Operator); err != nil {
		t.Fatal(err)
	}
	_, _, err = ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: lea.Email, Products: []string{"docs"}}, Operator)
	WantErr(t, err, db.ErrConflict, "already_on_project")
	// Last admin: turning off the base product is refused, nothing changes.
	_, _, err = ps.SetProjectAccess(ctx, team.ID, pr.ID, kai.ID, []string{"build"}, Operator)
	WantErr(t, err, db.ErrRule, "last_project_admin")
	// Levels (seed 002): the last admin cannot be demoted either; with a
	// second admin the first can; a bad level or a non-member is refused.
	_, err = ps.SetProjectLevel(ctx, team.ID, pr.ID, kai.ID, db.ProjectMemberLevel, Operator)
	WantErr(t, err, db.ErrRule, "last_project_admin")
	_, err = ps.SetProjectLevel(ctx, team.ID, pr.ID, lea.ID, "owner", Operator)
	WantErr(t, err, db.ErrInvalid, "project_level_invalid")
	if m, err := ps.SetProjectLevel(ctx, team.ID, "TOWER", lea.ID, db.ProjectAdminLevel, Operator); err != nil || m.Level != db.ProjectAdminLevel || !cmp.Equal(m.Products, []string{"cost", "docs"}) {
		t.Fatalf("promote lea = %+v, %v", m, err)
	}
	if m, err := ps.SetProjectLevel(ctx, team.ID, pr.ID, kai.ID, db.ProjectMemberLevel, Operator); err != nil || m.Level != db.ProjectMemberLevel {
		t.Fatalf("demote kai with lea admin = %+v, %v", m, err)
	}
	_, err = ps.SetProjectLevel(ctx, team.ID, pr.ID, lea.ID, db.ProjectMemberLevel, Operator)
	WantErr(t, err, db.ErrRule, "last_project_admin")
	if _, err := ps.SetProjectLevel(ctx, team.ID, pr.ID, kai.ID, db.ProjectAdminLevel, Operator); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.SetProjectLevel(ctx, team.ID, pr.ID, lea.ID, db.ProjectMemberLevel, Operator); err != nil {
		t.Fatal(err)
	}
	if got, err := ps.ListProjectMembers(ctx, team.ID, pr.ID); err != nil || len(got) != 2 {
		t.Fatalf("members after level changes = %+v, %v", got, err)
	} else {
		for _, m := range got {
			if want := map[string]db.ProjectLevel{kai.ID: db.ProjectAdminLevel, lea.ID: db.ProjectMemberLevel}[m.User.ID]; m.Level != want {
				t.Errorf("%s level %q, want %q", m.User.Email, m.Level, want)
			}
		}
	}
	_, err = ps.SetProjectLevel(ctx, team.ID, pr.ID, team.ID, db.ProjectAdminLevel, Operator)
	WantErr(t, err, db.ErrNotFound, "not_on_project")
	// Changing products keeps the member; dropping docs removes them.
	if m, removed, err := ps.SetProjectAccess(ctx, team.ID, pr.ID, lea.ID, []string{"docs", "insight"}, Operator); err != nil || removed || !cmp.Equal(m.Products, []string{"docs", "insight"}) {
		t.Fatalf("set lea docs+insight = %+v %v %v", m, removed, err)
	}
	if _, removed, err := ps.SetProjectAccess(ctx, team.ID, pr.ID, lea.ID, []string{"insight"}, Operator); err != nil || !removed {
		t.Fatalf("base off: removed %v, %v; want removed", removed, err)
	}
	got, err := ps.ListProjectMembers(ctx, team.ID, pr.ID)
	if err != nil || len(got) != 1 || got[0].User.ID != kai.ID || !cmp.Equal(got[0].Products, []string{"build", "docs"}) {
		t.Fatalf("project members = %+v, %v; want kai only with build, docs", got, err)
	}
	_, _, err = ps.SetProjectAccess(ctx, team.ID, pr.ID, lea.ID, []string{"docs"}, Operator)
	WantErr(t, err, db.ErrNotFound, "not_on_project")
	_, _, err = ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: lea.Email, Products: []string{"docs", "nonesuch"}}, Operator)
	WantErr(t, err, db.ErrNotFound, "product_not_found")
}

// R-MEM-4
func testRemoveMemberRemovesProjects(t *testing.T, s db.Store, ps db.ProjectStore, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	p1, _ := ps.CreateProject(ctx, team.ID, "One", Operator)
	p2, _ := ps.CreateProject(ctx, team.ID, "Two", Operator)
	added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: Email("max", "p.test")}}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	u := added[0].User
	for _, p := range []db.Project{p1, p2} {
		if _, _, err := ps.AddProjectMember(ctx, team.ID, p.ID, db.NewProjectMember{Email: u.Email, Products: []string{"docs", "build", "takeoff"}}, Operator); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := ps.UserProjects(ctx, team.ID, u.ID); len(got) != 2 {
		t.Fatalf("user projects = %d, want 2", len(got))
	}
	if err := ms.RemoveMember(ctx, team.ID, u.ID, Operator); err != nil {
		t.Fatal(err)
	}
	if got, _ := ps.UserProjects(ctx, team.ID, u.ID); len(got) != 0 {
		t.Errorf("after removal the user is on %d projects", len(got))
	}
	for _, p := range []db.Project{p1, p2} {
		if got, _ := ps.ListProjectMembers(ctx, team.ID, p.ID); len(got) != 0 {
			t.Errorf("project %s still lists %v", p.Name, got)
		}
	}
	es, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 1})
	if err != nil || len(es) != 1 || es[0].Action != "member.remove" ||
		!cmp.Equal(es[0].Details, `{"email":"`+u.Email+`","product_access_revoked":6,"projects_removed":2}`) {
		t.Errorf("removal audit = %+v, %v", es, err)
	}
	// Any path that deletes a user (here Store.DeleteUser, which SCIM and
	// `users remove` use) removes the memberships too.
	other := NewUser(t, s, team.ID, "ned", "p.test", db.SourceAdmin)
	if _, _, err := ps.AddProjectMember(ctx, team.ID, p1.ID, db.NewProjectMember{Email: other.Email, Products: []string{"docs"}}, Operator); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, team.ID, other.ID, Operator); err != nil {
		t.Fatal(err)
	}
	if got, _ := ps.ListProjectMembers(ctx, team.ID, p1.ID); len(got) != 0 {
		t.Errorf("after DeleteUser project One lists %v", got)
	}
}

// R-POL-2
func testProductPath(t *testing.T, s db.Store, ps db.ProjectStore, _ db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	pr, _ := ps.CreateProject(ctx, team.ID, "Bridge", Operator)
	by := db.Actor{Kind: db.ActorProduct, ID: "dbtest", Name: "collaboration"}
	m, created, err := ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: Email("guest", "partner.test"), Products: []string{"docs"}}, by)
	if err != nil || !created {
		t.Fatalf("add a new person: created %v, %v", created, err)
	}
	u, err := s.GetUser(ctx, team.ID, m.User.ID)
	if err != nil || u.Source != db.SourceProduct || u.Status != db.StatusPending {
		t.Errorf("user added by the product path = %+v, %v; want source product, pending", u, err)
	}
	// Classified by the store's classifier (the role policy in production,
	// where the default policy makes it external: TestCLIProjects).
	exp, err := s.ExpectedTypes(ctx, team.ID, []string{u.ID})
	if err != nil || u.Type == "" || u.Type != exp[u.ID] {
		t.Errorf("type = %q, expected by the policy %q (%v)", u.Type, exp[u.ID], err)
	}
	_, _, err = ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: "not an address", Products: []string{"docs"}}, by)
	WantErr(t, err, db.ErrInvalid, "email_invalid")
}

func testProjectsIsolation(t *testing.T, s db.Store, ps db.ProjectStore, ms db.MemberStore) {
	t1, _ := NewTeam(t, s, "")
	t2, _ := NewTeam(t, s, "")
	pr, _ := ps.CreateProject(ctx, t1.ID, "Secret", Operator)
	if _, err := ps.AddProduct(ctx, t1.ID, db.Product{Key: "only-t1", Name: "Only T1"}, Operator); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.FindProject(ctx, t2.ID, pr.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team's project by id: %v", err)
	}
	if _, err := ps.ListProjectMembers(ctx, t2.ID, "Secret"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team's project by name: %v", err)
	}
	p2, _ := ps.CreateProject(ctx, t2.ID, "Mine", Operator)
	_, _, err := ps.AddProjectMember(ctx, t2.ID, p2.ID, db.NewProjectMember{Email: Email("x", "iso.test"), Products: []string{"docs", "only-t1"}}, Operator)
	WantErr(t, err, db.ErrNotFound, "product_not_found")
	_, _, err = ps.AddProjectMember(ctx, t2.ID, pr.ID, db.NewProjectMember{Email: Email("x", "iso.test"), Products: []string{"docs"}}, Operator)
	WantErr(t, err, db.ErrNotFound, "project_not_found")
	if list, _ := ps.ListProjects(ctx, t2.ID); len(list) != 1 {
		t.Errorf("t2 sees %d projects, want 1", len(list))
	}
}

// R-MEM-6: the "by product" view and the admin filter — members with access to a product in any
// project, filtered in SQL, and only the team's own.
func testQueryMembersByProduct(t *testing.T, s db.Store, ps db.ProjectStore, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	other, _ := NewTeam(t, s, "")
	a, err := ps.CreateProject(ctx, team.ID, "North", Operator)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ps.CreateProject(ctx, team.ID, "South", Operator)
	if err != nil {
		t.Fatal(err)
	}
	added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: Email("ann", "bp.test")}, {Email: Email("ben", "bp.test")}, {Email: Email("cai", "bp.test")}}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		project string
		email   string
		prods   []string
	}{{a.ID, added[0].User.Email, []string{"docs", "build"}}, {b.ID, added[1].User.Email, []string{"docs", "build", "cost"}}, {a.ID, added[2].User.Email, []string{"docs"}}} {
		if _, _, err := ps.AddProjectMember(ctx, team.ID, g.project, db.NewProjectMember{Email: g.email, Products: g.prods}, Operator); err != nil {
			t.Fatal(err)
		}
	}
	op, err := ps.CreateProject(ctx, other.ID, "North", Operator)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ps.AddProjectMember(ctx, other.ID, op.ID, db.NewProjectMember{Email: Email("zed", "bp.test"), Products: []string{"docs", "build"}}, Operator); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		product string
		want    []string
	}{{"build", []string{"ann", "ben"}}, {"cost", []string{"ben"}}, {"docs", []string{"ann", "ben", "cai"}}, {"takeoff", nil}, {"nonesuch", nil}} {
		p, err := ms.QueryMembers(ctx, team.ID, db.MemberQuery{Product: c.product, Sort: "email"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range p.Members {
			got = append(got, strings.SplitN(m.User.Email, ".", 2)[0])
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("product %s (-want +got):\n%s", c.product, diff)
		}
	}
	// The admin filter and sort (the Users page's "Admin role" column).
	p, err := ms.QueryMembers(ctx, team.ID, db.MemberQuery{Admin: "admin", Sort: "admin_role"})
	if err != nil || len(p.Members) != 1 || p.Members[0].User.AdminRole != db.RolePrimary {
		t.Errorf("admins only = %+v, %v; want the primary admin", p.Members, err)
	}
	if p, err = ms.QueryMembers(ctx, team.ID, db.MemberQuery{Admin: "user", Product: "docs"}); err != nil || len(p.Members) != 3 {
		t.Errorf("non-admins with docs = %+v, %v; want 3", p.Members, err)
	}
	_, err = ms.QueryMembers(ctx, team.ID, db.MemberQuery{Admin: "root"})
	WantErr(t, err, db.ErrInvalid, "admin_filter_invalid")
	p, err = ms.QueryMembers(ctx, other.ID, db.MemberQuery{Product: "build"})
	if err != nil || len(p.Members) != 1 || !strings.HasPrefix(p.Members[0].User.Email, "zed.") {
		t.Errorf("the other team by product build = %+v, %v; want zed only", p.Members, err)
	}
}

// R-MEM-4: admins rename and remove products. Removing one revokes it from
// every project member in one transaction (members stay on their projects
// with the base product) and drops its seats; the base product cannot be
// removed, and the base mark moves only to a product every project member
// has (else they would silently leave their projects).
func testRenameRemoveProduct(t *testing.T, s db.Store, ps db.ProjectStore, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	p1, _ := ps.CreateProject(ctx, team.ID, "One", Operator)
	p2, _ := ps.CreateProject(ctx, team.ID, "Two", Operator)
	added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: Email("a", "p.test")}, {Email: Email("b", "p.test")}}, Operator)
	WantErr(t, err, nil, "")
	a, b := added[0].User, added[1].User
	for _, g := range []struct {
		p        db.Project
		u        db.User
		products []string
	}{{p1, a, []string{"docs", "build", "cost"}}, {p2, a, []string{"docs", "build"}}, {p1, b, []string{"docs", "cost"}}} {
		_, _, err := ps.AddProjectMember(ctx, team.ID, g.p.ID, db.NewProjectMember{Email: g.u.Email, Products: g.products}, Operator)
		WantErr(t, err, nil, "")
	}
	if ss, ok := s.(db.SeatStore); ok {
		WantErr(t, ss.AddSubscription(ctx, team.ID, "build", 5, Operator), nil, "")
	}
	// Rename: by key or by name; the key stays; names stay unique.
	p, err := ps.UpdateProduct(ctx, team.ID, "Build", "Build Pro", false, Operator)
	if err != nil || p.Key != "build" || p.Name != "Build Pro" {
		t.Fatalf("rename = %+v, %v", p, err)
	}
	_, err = ps.UpdateProduct(ctx, team.ID, "build", "cost", false, Operator)
	WantErr(t, err, db.ErrConflict, "product_exists")
	_, err = ps.UpdateProduct(ctx, team.ID, "nonesuch", "X", false, Operator)
	WantErr(t, err, db.ErrNotFound, "product_not_found")
	_, err = ps.UpdateProduct(ctx, team.ID, "build", " ", false, Operator)
	WantErr(t, err, db.ErrInvalid, "nothing_to_change")
	// The base mark: not to a product some project member lacks, nor to a
	// new product (nobody has it), nothing changed.
	_, err = ps.UpdateProduct(ctx, team.ID, "cost", "", true, Operator)
	WantErr(t, err, db.ErrRule, "base_move_would_remove")
	_, err = ps.AddProduct(ctx, team.ID, db.Product{Key: "plans", Name: "Plans", Base: true}, Operator)
	WantErr(t, err, db.ErrRule, "base_move_would_remove")
	if d, _ := ps.FindProduct(ctx, team.ID, "docs"); !d.Base {
		t.Fatal("a refused base move moved the mark")
	}
	// The base product cannot be removed.
	_, err = ps.RemoveProduct(ctx, team.ID, "docs", Operator)
	WantErr(t, err, db.ErrRule, "base_product")
	// Removing build revokes it from a on both projects, atomically.
	n, err := ps.RemoveProduct(ctx, team.ID, "Build Pro", Operator)
	if err != nil || n != 2 {
		t.Fatalf("remove build = %d, %v; want 2 memberships revoked", n, err)
	}
	if _, err := ps.FindProduct(ctx, team.ID, "build"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("build still in the catalogue: %v", err)
	}
	got, _ := ps.UserProjects(ctx, team.ID, a.ID)
	if len(got) != 2 || !cmp.Equal(got[0].Products, []string{"cost", "docs"}) && !cmp.Equal(got[1].Products, []string{"cost", "docs"}) {
		t.Errorf("a after removing build = %+v, want on both projects without build", got)
	}
	for _, m := range got {
		for _, k := range m.Products {
			if k == "build" {
				t.Errorf("a still has build on %s", m.ProjectID)
			}
		}
	}
	if ss, ok := s.(db.SeatStore); ok {
		us, _ := ss.Seats(ctx, team.ID)
		for _, u := range us {
			if u.Product == "build" {
				t.Errorf("seats still report the removed product: %+v", u)
			}
		}
	}
	_, err = ps.RemoveProduct(ctx, team.ID, "build", Operator)
	WantErr(t, err, db.ErrNotFound, "product_not_found")
	// Once everyone has cost, the base mark moves there, and docs can go.
	_, _, err = ps.SetProjectAccess(ctx, team.ID, p2.ID, a.ID, []string{"docs", "cost"}, Operator)
	WantErr(t, err, nil, "")
	if p, err := ps.UpdateProduct(ctx, team.ID, "cost", "", true, Operator); err != nil || !p.Base {
		t.Fatalf("move base to cost = %+v, %v", p, err)
	}
	if n, err := ps.RemoveProduct(ctx, team.ID, "docs", Operator); err != nil || n != 3 {
		t.Fatalf("remove docs once not the base = %d, %v; want 3", n, err)
	}
	if got, _ := ps.ListProjectMembers(ctx, team.ID, p1.ID); len(got) != 2 {
		t.Errorf("project One after removing docs: %d members, want 2 (they have the new base)", len(got))
	}
	// Tenant isolation: another team's product is not found, nothing changed.
	other, _ := NewTeam(t, s, "")
	_, err = ps.RemoveProduct(ctx, other.ID, "cost", Operator)
	WantErr(t, err, nil, "") // the other team's own cost (its catalogue is its own)
	if c, err := ps.FindProduct(ctx, team.ID, "cost"); err != nil || !c.Base {
		t.Errorf("removing another team's cost touched this team's: %+v, %v", c, err)
	}
	_, err = ps.UpdateProduct(ctx, other.ID, "cost", "Y", false, Operator)
	WantErr(t, err, db.ErrNotFound, "product_not_found")
}
