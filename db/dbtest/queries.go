package dbtest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// testListQueries is R-MEM-6 for project members and invitations: search,
// filter and sort in SQL, paged with opaque cursors that walk the whole
// list in order without gaps or repeats; bad sorts and cursors are precise
// 400s; another team's project is not found.
func testListQueries(t *testing.T, s db.Store) {
	ps, ok1 := s.(db.ProjectStore)
	ms, ok2 := s.(db.MemberStore)
	is, ok3 := s.(db.InvitationStore)
	if !ok1 || !ok2 || !ok3 {
		missing(t, "it does not implement db.ProjectStore, db.MemberStore and db.InvitationStore")
	}
	team, _ := NewTeam(t, s, "")
	pr, err := ps.CreateProject(ctx, team.ID, "Tower", Operator)
	WantErr(t, err, nil, "")
	companies := []string{"Nord", "Alpha", "Mitte", "alpha", "Zeta"}
	rows := make([]db.NewMember, len(companies))
	for i, c := range companies {
		rows[i] = db.NewMember{Email: Email(fmt.Sprint("q", i), "q.test"), FirstName: fmt.Sprint("F", i), LastName: "L", Company: c, JobRole: "Polier"}
	}
	added, err := ms.AddMembers(ctx, team.ID, rows, Operator)
	WantErr(t, err, nil, "")
	for i, m := range added {
		products := []string{"docs"}
		level := db.ProjectMemberLevel
		if i%2 == 0 {
			products, level = append(products, "build"), db.ProjectAdminLevel
		}
		_, _, err := ps.AddProjectMember(ctx, team.ID, pr.ID, db.NewProjectMember{Email: m.User.Email, Level: level, Products: products}, Operator)
		WantErr(t, err, nil, "")
	}
	walkPM := func(q db.ProjectMemberQuery) []string {
		t.Helper()
		var out []string
		for pages := 0; pages < 10; pages++ {
			page, err := ps.QueryProjectMembers(ctx, team.ID, pr.ID, q)
			WantErr(t, err, nil, "")
			for _, m := range page.Members {
				out = append(out, m.User.ID)
			}
			if page.Next == "" {
				return out
			}
			q.After = page.Next
		}
		t.Fatal("paging did not end")
		return nil
	}
	idsOf := func(idx ...int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = added[j].User.ID
		}
		return out
	}
	// company desc (case-insensitive: Alpha and alpha tie, broken by id).
	all := walkPM(db.ProjectMemberQuery{Sort: "company", Desc: true})
	paged := walkPM(db.ProjectMemberQuery{Sort: "company", Desc: true, Limit: 2})
	if len(all) != 5 || !cmp.Equal(all, paged) {
		t.Fatalf("company desc: one page %v, pages of 2 %v", all, paged)
	}
	if all[0] != added[4].User.ID || all[1] != added[0].User.ID || all[2] != added[2].User.ID {
		t.Errorf("company desc starts %v, want Zeta, Nord, Mitte", all[:3])
	}
	if got := walkPM(db.ProjectMemberQuery{Product: "Build", Sort: "email", Limit: 1}); !cmp.Equal(sorted(got), sorted(idsOf(0, 2, 4))) {
		t.Errorf("product build = %v, want members 0, 2, 4", got)
	}
	if got := walkPM(db.ProjectMemberQuery{Level: db.ProjectMemberLevel}); !cmp.Equal(sorted(got), sorted(idsOf(1, 3))) {
		t.Errorf("level member = %v, want 1, 3", got)
	}
	if got := walkPM(db.ProjectMemberQuery{Q: "ALPHA"}); !cmp.Equal(sorted(got), sorted(idsOf(1, 3))) {
		t.Errorf("q alpha = %v, want 1, 3", got)
	}
	if got := walkPM(db.ProjectMemberQuery{Company: "alpha", Sort: "level"}); len(got) != 2 {
		t.Errorf("company alpha = %v, want 2", got)
	}
	page, _ := ps.QueryProjectMembers(ctx, team.ID, pr.ID, db.ProjectMemberQuery{Product: "build", Limit: 5})
	for _, m := range page.Members {
		if !cmp.Equal(m.Products, []string{"build", "docs"}) {
			t.Errorf("a page's products = %v, want build, docs", m.Products)
		}
	}
	_, err = ps.QueryProjectMembers(ctx, team.ID, pr.ID, db.ProjectMemberQuery{Sort: "shoe_size"})
	WantErr(t, err, db.ErrInvalid, "sort_invalid")
	_, err = ps.QueryProjectMembers(ctx, team.ID, pr.ID, db.ProjectMemberQuery{After: "garbage"})
	WantErr(t, err, db.ErrInvalid, "cursor_invalid")
	_, err = ps.QueryProjectMembers(ctx, team.ID, pr.ID, db.ProjectMemberQuery{Product: "nonesuch"})
	WantErr(t, err, db.ErrNotFound, "product_not_found")
	other, _ := NewTeam(t, s, "")
	_, err = ps.QueryProjectMembers(ctx, other.ID, pr.ID, db.ProjectMemberQuery{})
	WantErr(t, err, db.ErrNotFound, "project_not_found")

	// Invitations: 0..3 invited, 0 accepts.
	secrets := map[int]string{}
	for i := 0; i < 4; i++ {
		_, sec, err := is.SendInvitation(ctx, team.ID, added[i].User.ID, Operator)
		WantErr(t, err, nil, "")
		secrets[i] = sec
	}
	_, err = is.AcceptInvitation(ctx, secrets[0])
	WantErr(t, err, nil, "")
	walkInv := func(q db.InvitationQuery) []string {
		t.Helper()
		var out []string
		for pages := 0; pages < 10; pages++ {
			page, err := is.QueryInvitations(ctx, team.ID, q)
			WantErr(t, err, nil, "")
			for _, i := range page.Invitations {
				out = append(out, i.UserID)
			}
			if page.Next == "" {
				return out
			}
			q.After = page.Next
		}
		t.Fatal("paging did not end")
		return nil
	}
	if got := walkInv(db.InvitationQuery{State: db.InvitationPending, Sort: "company", Limit: 1}); !cmp.Equal(got[:1], idsOf(1)) && !cmp.Equal(got[:1], idsOf(3)) || len(got) != 3 {
		t.Errorf("pending by company = %v, want alpha, alpha, Mitte", got)
	}
	if got := walkInv(db.InvitationQuery{State: db.InvitationAccepted}); !cmp.Equal(got, idsOf(0)) {
		t.Errorf("accepted = %v, want member 0", got)
	}
	if got := walkInv(db.InvitationQuery{Q: "mitte"}); !cmp.Equal(got, idsOf(2)) {
		t.Errorf("q mitte = %v, want member 2", got)
	}
	desc := walkInv(db.InvitationQuery{Sort: "email", Desc: true, Limit: 3})
	emailOf := map[string]string{}
	for _, m := range added {
		emailOf[m.User.ID] = m.User.Email
	}
	if len(desc) != 4 {
		t.Errorf("email desc = %v, want 4", desc)
	}
	for i := 1; i < len(desc); i++ {
		if emailOf[desc[i-1]] < emailOf[desc[i]] {
			t.Errorf("email desc out of order at %d: %s before %s", i, emailOf[desc[i-1]], emailOf[desc[i]])
		}
	}
	_, err = is.QueryInvitations(ctx, team.ID, db.InvitationQuery{State: "bogus"})
	WantErr(t, err, db.ErrInvalid, "state_invalid")
	_, err = is.QueryInvitations(ctx, team.ID, db.InvitationQuery{Sort: "level"})
	WantErr(t, err, db.ErrInvalid, "sort_invalid")
	if page, err := is.QueryInvitations(ctx, other.ID, db.InvitationQuery{}); err != nil || len(page.Invitations) != 0 {
		t.Errorf("another team's invitations = %+v, %v; want none", page, err)
	}
}

func sorted(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

// testSortCompanyEveryKind is R-MEM-6's sort by company across every kind
// of member: users with no member profile at all (created by SCIM, the
// primary admin), members with a profile but no company, and members with
// one; walked in pages of 2 both ways, the order is (company, id) exactly,
// with no gap or repeat at the boundary between empty and set companies.
func testSortCompanyEveryKind(t *testing.T, s db.Store) {
	ms, ok := s.(db.MemberStore)
	if !ok {
		missing(t, "it does not implement db.MemberStore")
	}
	team, admin := NewTeam(t, s, "")
	type want struct{ company, id string }
	var all []want
	all = append(all, want{"", admin.ID})
	for i := 0; i < 3; i++ {
		u := NewUser(t, s, team.ID, fmt.Sprint("scim", i), "c.test", db.SourceSCIM)
		all = append(all, want{"", u.ID})
	}
	rows := []db.NewMember{{Email: Email("nc1", "c.test"), JobRole: "r"}, {Email: Email("nc2", "c.test"), JobRole: "r"},
		{Email: Email("b1", "c.test"), Company: "Beta"}, {Email: Email("a1", "c.test"), Company: "alpha"}, {Email: Email("b2", "c.test"), Company: "beta"}}
	added, err := ms.AddMembers(ctx, team.ID, rows, Operator)
	WantErr(t, err, nil, "")
	for i, m := range added {
		all = append(all, want{strings.ToLower(rows[i].Company), m.User.ID})
	}
	check := func(when string) {
		t.Helper()
		for _, desc := range []bool{false, true} {
			sort.Slice(all, func(i, j int) bool {
				a, b := all[i], all[j]
				if desc {
					a, b = b, a
				}
				return a.company < b.company || a.company == b.company && a.id < b.id
			})
			var got []want
			q := db.MemberQuery{Sort: "company", Desc: desc, Limit: 2}
			for pages := 0; ; pages++ {
				p, err := ms.QueryMembers(ctx, team.ID, q)
				WantErr(t, err, nil, "")
				for _, m := range p.Members {
					got = append(got, want{strings.ToLower(m.Company), m.User.ID})
				}
				if p.Next == "" {
					break
				}
				if pages > 10 {
					t.Fatal("paging does not end")
				}
				q.After = p.Next
			}
			if diff := cmp.Diff(all, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s: sort company desc=%v, pages of 2 (-want +got):\n%s", when, desc, diff)
			}
		}
	}
	check("added")
	// An edit moves the member in the company order: cleared to "", and set
	// on a member who had none (the sort key follows the profile).
	empty, zeta := "", "Zeta"
	_, _, err = ms.EditMembers(ctx, team.ID, []string{added[2].User.ID}, db.MemberEdit{Company: &empty}, Operator)
	WantErr(t, err, nil, "")
	_, _, err = ms.EditMembers(ctx, team.ID, []string{added[0].User.ID}, db.MemberEdit{Company: &zeta}, Operator)
	WantErr(t, err, nil, "")
	for i := range all {
		switch all[i].id {
		case added[2].User.ID:
			all[i].company = ""
		case added[0].User.ID:
			all[i].company = "zeta"
		}
	}
	check("edited")
	// Filtering by company reads the same key.
	p, err := ms.QueryMembers(ctx, team.ID, db.MemberQuery{Company: "ZETA"})
	if err != nil || len(p.Members) != 1 || p.Members[0].User.ID != added[0].User.ID {
		t.Errorf("company filter after the edit = %+v, %v; want the one member set to Zeta", p.Members, err)
	}
}
