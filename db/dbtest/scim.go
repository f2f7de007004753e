package dbtest

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testSCIM checks db.SCIMStore: filters run by the database (case rules,
// value filters on the email index, injection-proof binding), sorting,
// paging, tenant isolation and atomic group patches.
func testSCIM(t *testing.T, st db.Store) {
	s, ok := st.(db.SCIMStore)
	if !ok {
		missing(t, "it does not implement db.SCIMStore")
	}
	ctx := context.Background()
	actor := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	teamA, _ := NewTeam(t, st, "")
	teamB, _ := NewTeam(t, st, "")
	mk := func(team, userName, ext string, emails ...db.UserEmail) db.User {
		t.Helper()
		u, err := s.CreateSCIMUser(ctx, team, db.NewUser{Email: emails[0].Value, UserName: userName, FirstName: "F",
			LastName: "L", Source: db.SourceSCIM, ExternalID: ext}, emails, actor)
		if err != nil {
			t.Fatalf("create %s: %v", userName, err)
		}
		return u
	}
	ann := mk(teamA.ID, "Ann", "X-1", db.UserEmail{Value: "ann@work.test", Type: "work", Primary: true}, db.UserEmail{Value: "ann@home.test", Type: "home"})
	ben := mk(teamA.ID, "ben_50%", "x-1", db.UserEmail{Value: "ben@work.test", Type: "work", Primary: true})
	mk(teamB.ID, "Ann", "X-1", db.UserEmail{Value: "ann@work.test", Type: "work", Primary: true})

	cmp := func(f db.Field, op db.CmpOp, v any) *db.Expr {
		return &db.Expr{Op: db.ExprCmp, Field: f, Cmp: op, Value: v, CaseExact: f == db.FieldExternalID}
	}
	emails := func(in *db.Expr) *db.Expr { return &db.Expr{Op: db.ExprAny, Multi: "emails", Args: []*db.Expr{in}} }
	names := func(us []db.User) []string {
		var out []string
		for _, u := range us {
			if u.Source == db.SourceSCIM {
				out = append(out, u.UserName)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, tc := range []struct {
		name string
		f    *db.Expr
		want []string
	}{
		{"userName case-insensitive", cmp(db.FieldUserName, db.CmpEq, "ANN"), []string{"Ann"}},
		{"externalId case-exact", cmp(db.FieldExternalID, db.CmpEq, "x-1"), []string{"ben_50%"}},
		{"work email", emails(&db.Expr{Op: db.ExprAnd, Args: []*db.Expr{cmp(db.FieldEmailType, db.CmpEq, "work"), cmp(db.FieldEmailValue, db.CmpEq, "ANN@work.test")}}), []string{"Ann"}},
		{"home email is not work", emails(&db.Expr{Op: db.ExprAnd, Args: []*db.Expr{cmp(db.FieldEmailType, db.CmpEq, "work"), cmp(db.FieldEmailValue, db.CmpEq, "ann@home.test")}}), nil},
		{"like wildcards are literal", cmp(db.FieldUserName, db.CmpCo, "_50%"), []string{"ben_50%"}},
		{"percent alone", cmp(db.FieldUserName, db.CmpCo, "%"), []string{"ben_50%"}},
		{"injection is a value", cmp(db.FieldUserName, db.CmpEq, "x' OR '1'='1"), nil},
		{"or + not", &db.Expr{Op: db.ExprOr, Args: []*db.Expr{cmp(db.FieldUserName, db.CmpSw, "a"), &db.Expr{Op: db.ExprNot, Args: []*db.Expr{cmp(db.FieldActive, db.CmpEq, true)}}}}, []string{"Ann"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us, total, err := s.SearchUsers(ctx, teamA.ID, db.Query{Filter: tc.f, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(us); fmt.Sprint(got) != fmt.Sprint(tc.want) || total != len(us) {
				t.Errorf("got %v (total %d), want %v", got, total, tc.want)
			}
		})
	}
	// GetSCIMUser reads what GetUser reads, within the team only; search
	// pages (first page and OFFSET pages) carry every column too.
	viaGet, err := st.GetUser(ctx, teamA.ID, ann.ID)
	WantErr(t, err, nil, "")
	viaSCIM, err := s.GetSCIMUser(ctx, teamA.ID, ann.ID)
	WantErr(t, err, nil, "")
	if fmt.Sprintf("%+v", viaSCIM) != fmt.Sprintf("%+v", viaGet) {
		t.Errorf("GetSCIMUser %+v, GetUser %+v", viaSCIM, viaGet)
	}
	_, err = s.GetSCIMUser(ctx, teamB.ID, ann.ID)
	WantErr(t, err, db.ErrNotFound, "user_not_found")
	for _, off := range []int{0, 1} {
		page, _, err := s.SearchUsers(ctx, teamA.ID, db.Query{SortBy: db.FieldUserName, Limit: 10, Offset: off})
		WantErr(t, err, nil, "")
		for _, u := range page {
			if u.ID == ann.ID && fmt.Sprintf("%+v", u) != fmt.Sprintf("%+v", viaGet) {
				t.Errorf("search (offset %d) %+v, GetUser %+v", off, u, viaGet)
			}
		}
	}
	// ExpectedTypesOf agrees with ExpectedTypes and leaves admins out (R-POL-4).
	admins, _ := st.ListAdmins(ctx, teamA.ID)
	all := append([]db.User{ann, ben}, admins...)
	ids := []string{ann.ID, ben.ID, admins[0].ID}
	want, err := st.ExpectedTypes(ctx, teamA.ID, ids)
	WantErr(t, err, nil, "")
	got, err := s.ExpectedTypesOf(ctx, teamA.ID, all)
	WantErr(t, err, nil, "")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ExpectedTypesOf %v, ExpectedTypes %v", got, want)
	}
	if _, ok := got[admins[0].ID]; ok {
		t.Errorf("an admin has an expected type")
	}
	// GetSCIMUserExpected is GetSCIMUser plus that expected type, in the
	// default mode and in domain mode with the user's domain approved or not.
	checkExpected := func(when string) {
		t.Helper()
		want, err := s.ExpectedTypesOf(ctx, teamA.ID, all)
		WantErr(t, err, nil, "")
		for _, u := range all {
			viaGet, err := s.GetSCIMUser(ctx, teamA.ID, u.ID)
			WantErr(t, err, nil, "")
			got, exp, err := s.GetSCIMUserExpected(ctx, teamA.ID, u.ID)
			WantErr(t, err, nil, "")
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", viaGet) || exp != want[u.ID] {
				t.Errorf("%s: GetSCIMUserExpected %+v %q, want %+v %q", when, got, exp, viaGet, want[u.ID])
			}
		}
		_, _, err = s.GetSCIMUserExpected(ctx, teamB.ID, ann.ID)
		WantErr(t, err, db.ErrNotFound, "user_not_found")
	}
	checkExpected("default mode")
	ps, ok := st.(db.PolicyStore)
	if !ok {
		t.Fatal("the store has no role policy")
	}
	tm, err := st.GetTeam(ctx, teamA.ID)
	WantErr(t, err, nil, "")
	before := tm.Policy
	_, err = ps.SetPolicy(ctx, teamA.ID, db.Policy{Mode: db.PolicyDomain, Domains: []string{db.EmailDomain(ann.Email)}}, actor)
	WantErr(t, err, nil, "")
	checkExpected("domain mode")
	_, err = ps.SetPolicy(ctx, teamA.ID, before, actor)
	WantErr(t, err, nil, "")
	// Sorting and paging.
	us, total, err := s.SearchUsers(ctx, teamA.ID, db.Query{SortBy: db.FieldUserName, Descending: true, Limit: 1, Offset: 1})
	if err != nil || total != 3 || len(us) != 1 || us[0].UserName != "ben_50%" { // primary…, ben_50%, Ann
		t.Errorf("sorted page: %v %d %+v", err, total, us)
	}
	_, _, err = s.SearchUsers(ctx, teamA.ID, db.Query{Filter: cmp("nonsense", db.CmpEq, "x"), Limit: 1})
	WantErr(t, err, db.ErrInvalid, "invalid_filter")

	// Updating emails replaces the index in the same transaction.
	_, err = s.UpdateSCIMUser(ctx, teamA.ID, ann.ID, 0, actor, func(u *db.User, e *[]db.UserEmail) error {
		*e = []db.UserEmail{{Value: "ann@new.test", Type: "work", Primary: true}}
		u.Email = "ann@new.test"
		return nil
	})
	WantErr(t, err, nil, "")
	em, _ := s.UserEmails(ctx, teamA.ID, []string{ann.ID})
	if len(em[ann.ID]) != 1 || em[ann.ID][0].Value != "ann@new.test" {
		t.Errorf("emails after update: %+v", em)
	}
	_, err = s.UpdateSCIMUser(ctx, teamB.ID, ann.ID, 0, actor, func(*db.User, *[]db.UserEmail) error { return nil })
	WantErr(t, err, db.ErrNotFound, "")

	// Groups: attribute change and member diff in one transaction; a
	// cross-tenant member refuses the whole patch.
	g, err := st.CreateGroup(ctx, teamA.ID, db.NewGroup{DisplayName: "G", Source: db.SourceSCIM}, actor)
	WantErr(t, err, nil, "")
	outsider := NewUser(t, st, teamB.ID, "out", "b.test", db.SourceAdmin)
	_, err = s.PatchGroup(ctx, teamA.ID, g.ID, 0, actor, func(g *db.Group) error { g.DisplayName = "G2"; return nil },
		[]string{ann.ID, outsider.ID}, nil, nil)
	WantErr(t, err, db.ErrInvalid, "member_not_found")
	if cur, _ := st.GetGroup(ctx, teamA.ID, g.ID); cur.DisplayName != "G" || cur.MemberCount != 0 {
		t.Errorf("half-applied patch: %+v", cur)
	}
	g2, err := s.PatchGroup(ctx, teamA.ID, g.ID, 0, actor, func(g *db.Group) error { g.DisplayName = "G2"; return nil },
		[]string{ann.ID, ben.ID}, nil, nil)
	WantErr(t, err, nil, "")
	if g2.DisplayName != "G2" || g2.MemberCount != 2 {
		t.Errorf("patched group: %+v", g2)
	}
	_, err = s.PatchGroup(ctx, teamA.ID, g.ID, g.Version, actor, nil, nil, []string{ann.ID}, nil)
	WantErr(t, err, db.ErrStale, "")
	repl := []string{ben.ID}
	g3, err := s.PatchGroup(ctx, teamA.ID, g.ID, 0, actor, nil, nil, nil, &repl)
	WantErr(t, err, nil, "")
	if g3.MemberCount != 1 {
		t.Errorf("after replace: %+v", g3)
	}
	gs, total, err := s.SearchGroups(ctx, teamA.ID, db.Query{Limit: 10, Filter: &db.Expr{Op: db.ExprAny, Multi: "members",
		Args: []*db.Expr{cmp(db.FieldMemberValue, db.CmpEq, ben.ID)}}})
	if err != nil || total != 1 || gs[0].ID != g.ID {
		t.Errorf("members filter: %v %d %+v", err, total, gs)
	}
	if gs, total, _ := s.SearchGroups(ctx, teamB.ID, db.Query{Limit: 10}); total != 0 || len(gs) != 0 {
		t.Errorf("team B sees team A's groups")
	}
	byUser, err := s.GroupsOfUsers(ctx, teamA.ID, []string{ben.ID, ann.ID})
	if err != nil || len(byUser[ben.ID]) != 1 || len(byUser[ann.ID]) != 0 {
		t.Errorf("groups of users: %v %+v", err, byUser)
	}
}
