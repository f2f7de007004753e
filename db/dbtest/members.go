package dbtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// testMembers checks the members area (issue 11): adding by list with per-row
// refusals and nothing half-applied, bulk edits that say what they
// overwrote, removal through the one writer, search/filter/sort in SQL with
// keyset paging, and tenant isolation.
func testMembers(t *testing.T, s db.Store) {
	ms, ok := s.(db.MemberStore)
	if !ok {
		missing(t, "it does not implement db.MemberStore")
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s db.Store, ms db.MemberStore)
	}{
		{"R-MEM-1 AddMembersPendingWithProfile", testAddMembersPending},
		{"R-MEM-1 AddMembersAllOrNothing", testAddMembersAllOrNothing},
		{"R-MEM-2 BulkEditOverwrites", testBulkEditOverwrites},
		{"R-MEM-4 RemoveMember", testRemoveMember},
		{"R-MEM-6 QueryMembers", testQueryMembers},
		{"MembersTeamIsolation", testMembersTeamIsolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s, ms) })
	}
}

// R-MEM-1
func testAddMembersPending(t *testing.T, s db.Store, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	a, b := Email("ann", "m.test"), Email("bob", "m.test")
	rows, err := db.QuickAddRows(a+",\t"+b, "Acme Oy", "Site manager", db.LevelExecutive)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ms.AddMembers(ctx, team.ID, rows, Operator)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("added %d members, want 2", len(got))
	}
	if at := strings.LastIndexByte(a, '@'); got[0].User.FirstName != a[:at] || got[0].User.LastName != a[at+1:] {
		t.Errorf("names of a row without names = %q %q, want the local part and the domain", got[0].User.FirstName, got[0].User.LastName)
	}
	for i, m := range got {
		if m.User.Status != db.StatusPending || m.Company != "Acme Oy" || m.JobRole != "Site manager" || m.Level != db.LevelExecutive {
			t.Errorf("member %d = %+v, want pending Acme Oy / Site manager / executive", i, m)
		}
		// The member is a team user, found by every user read.
		u, err := s.GetUser(ctx, team.ID, m.User.ID)
		if err != nil || u.Source != db.SourceAdmin || u.Type == "" {
			t.Errorf("GetUser(%s) = %+v, %v; want an admin-sourced classified user", m.User.ID, u, err)
		}
		back, err := ms.GetMember(ctx, team.ID, m.User.ID)
		if err != nil || back.Company != "Acme Oy" || back.Level != db.LevelExecutive {
			t.Errorf("GetMember = %+v, %v", back, err)
		}
	}
	cs, err := ms.ListCompanies(ctx, team.ID)
	if err != nil || !cmp.Equal(cs, []string{"Acme Oy"}) {
		t.Errorf("companies = %v, %v; want [Acme Oy]", cs, err)
	}
	// Users added another way are members with the default level.
	u := NewUser(t, s, team.ID, "carl", "m.test", db.SourceAdmin)
	m, err := ms.GetMember(ctx, team.ID, u.ID)
	if err != nil || m.Level != db.LevelMember || m.Company != "" {
		t.Errorf("GetMember(plain user) = %+v, %v; want level member, no company", m, err)
	}
}

// R-MEM-1
func testAddMembersAllOrNothing(t *testing.T, s db.Store, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	existing := NewUser(t, s, team.ID, "dora", "m.test", db.SourceAdmin)
	fresh := Email("eve", "m.test")
	before, err := s.CountUsers(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	rows := []db.NewMember{
		{Email: fresh, Company: "Good"},
		{Email: "not an address"},
		{Email: existing.Email},
		{Email: fresh},
		{Email: Email("finn", "m.test"), Level: "boss"},
	}
	_, err = ms.AddMembers(ctx, team.ID, rows, Operator)
	WantErr(t, err, db.ErrInvalid, "rows_refused")
	var re *db.RowErrors
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *db.RowErrors", err)
	}
	var codes []string
	for _, r := range re.Rows {
		codes = append(codes, fmt.Sprintf("%d:%s", r.Row, r.Code))
	}
	want := []string{"2:email_invalid", "4:duplicate_in_list", "5:level_invalid", "3:already_member"}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("row errors (-want +got):\n%s", diff)
	}
	after, err := s.CountUsers(ctx, team.ID)
	if err != nil || after != before {
		t.Errorf("users after a refused add = %d, %v; want %d (nothing half-applied)", after, err, before)
	}
	if cs, _ := ms.ListCompanies(ctx, team.ID); len(cs) != 0 {
		t.Errorf("companies after a refused add = %v, want none", cs)
	}
	// Only addresses already in the team: a conflict.
	_, err = ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: existing.Email}}, Operator)
	WantErr(t, err, db.ErrConflict, "rows_refused")
	// One request takes at most MembersAddMax rows, the quick path at most 100.
	many := make([]db.NewMember, db.MembersAddMax+1)
	for i := range many {
		many[i] = db.NewMember{Email: fmt.Sprintf("many%d@m.test", i)}
	}
	_, err = ms.AddMembers(ctx, team.ID, many, Operator)
	WantErr(t, err, db.ErrInvalid, "too_many_members")
	list := ""
	for i := range db.QuickAddMax + 1 {
		list += fmt.Sprintf("u%d@m.test ", i)
	}
	_, err = db.QuickAddRows(list, "", "", "")
	WantErr(t, err, db.ErrInvalid, "too_many_emails")
	if got := db.SplitEmailList("a@x.test, b@x.test;c@x.test\td@x.test\ne@x.test  f@x.test"); len(got) != 6 {
		t.Errorf("SplitEmailList = %q, want 6 addresses", got)
	}
}

// R-MEM-2
func testBulkEditOverwrites(t *testing.T, s db.Store, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{
		{Email: Email("gus", "m.test"), Company: "A", JobRole: "r1"},
		{Email: Email("hal", "m.test"), Company: "A", JobRole: "r1"},
	}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	g, h := added[0].User.ID, added[1].User.ID
	// A per-member edit first ...
	role := "foreman"
	if _, _, err := ms.EditMembers(ctx, team.ID, []string{g}, db.MemberEdit{JobRole: &role}, Operator); err != nil {
		t.Fatal(err)
	}
	// ... then a bulk edit of the same field overwrites it and says so.
	role2, company := "engineer", "B"
	out, over, err := ms.EditMembers(ctx, team.ID, []string{g, h}, db.MemberEdit{JobRole: &role2, Company: &company}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out {
		if m.JobRole != "engineer" || m.Company != "B" {
			t.Errorf("after bulk edit %s = %s/%s, want B/engineer", m.User.Email, m.Company, m.JobRole)
		}
	}
	var said []string
	for _, o := range over {
		said = append(said, o.Field+":"+o.From+">"+o.To)
	}
	want := []string{"company:A>B", "role:foreman>engineer", "company:A>B", "role:r1>engineer"}
	if diff := cmp.Diff(want, said); diff != "" {
		t.Errorf("overwrites (-want +got):\n%s", diff)
	}
	m, _ := ms.GetMember(ctx, team.ID, g)
	if m.JobRole != "engineer" {
		t.Errorf("stored role = %q, want engineer", m.JobRole)
	}
	// All or nothing: an unknown id refuses the whole edit.
	c3 := "C"
	_, _, err = ms.EditMembers(ctx, team.ID, []string{g, "no-such-user"}, db.MemberEdit{Company: &c3}, Operator)
	WantErr(t, err, db.ErrNotFound, "")
	if m, _ := ms.GetMember(ctx, team.ID, g); m.Company != "B" {
		t.Errorf("company after a refused edit = %q, want B", m.Company)
	}
	bad := db.AccessLevel("root")
	_, _, err = ms.EditMembers(ctx, team.ID, []string{g}, db.MemberEdit{Level: &bad}, Operator)
	WantErr(t, err, db.ErrInvalid, "level_invalid")
}

// R-MEM-4
func testRemoveMember(t *testing.T, s db.Store, ms db.MemberStore) {
	team, admin := NewTeam(t, s, "")
	added, err := ms.AddMembers(ctx, team.ID, []db.NewMember{{Email: Email("ida", "m.test"), Company: "A"}}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	id := added[0].User.ID
	if err := ms.RemoveMember(ctx, team.ID, id, Operator); err != nil {
		t.Fatal(err)
	}
	if _, err := ms.GetMember(ctx, team.ID, id); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("GetMember after remove: %v, want not found", err)
	}
	if _, err := s.GetUser(ctx, team.ID, id); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("GetUser after remove: %v, want not found", err)
	}
	es, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range es {
		if e.TargetID == id {
			actions = append(actions, e.Action)
		}
	}
	if len(actions) < 2 || !cmp.Equal(actions[:2], []string{"member.remove", "user.delete"}) {
		t.Errorf("audit of the removal = %v, want member.remove and user.delete", actions)
	}
	WantErr(t, ms.RemoveMember(ctx, team.ID, admin.ID, Operator), db.ErrRule, "primary_admin")
	WantErr(t, ms.RemoveMember(ctx, team.ID, id, Operator), db.ErrNotFound, "")
}

// R-MEM-6
func testQueryMembers(t *testing.T, s db.Store, ms db.MemberStore) {
	team, _ := NewTeam(t, s, "")
	type row struct{ local, company, role string }
	rows := []row{{"alma", "delta", "x"}, {"bert", "alpha", "y"}, {"cleo", "charlie", "x"}, {"dirk", "alpha", "z"}, {"emil", "bravo", "y"}}
	var in []db.NewMember
	for _, r := range rows {
		in = append(in, db.NewMember{Email: Email(r.local, "q.test"), FirstName: r.local, LastName: "Q", Company: r.company, JobRole: r.role})
	}
	if _, err := ms.AddMembers(ctx, team.ID, in, Operator); err != nil {
		t.Fatal(err)
	}
	names := func(p db.MemberPage) []string {
		var out []string
		for _, m := range p.Members {
			out = append(out, m.User.FirstName)
		}
		return out
	}
	// Ties (same company) are broken by id, which is random: compare the
	// sorted column where values repeat.
	companies := func(ms []db.TeamMember) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Company)
		}
		return out
	}
	roles := func(ms []db.TeamMember) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.JobRole)
		}
		return out
	}
	// Sort by company, two per page, through every page.
	var all []db.TeamMember
	q := db.MemberQuery{Sort: "company", Limit: 2, Status: db.StatusPending}
	for pages := 0; ; pages++ {
		p, err := ms.QueryMembers(ctx, team.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Members...)
		if p.Next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		q.After = p.Next
	}
	if diff := cmp.Diff([]string{"alpha", "alpha", "bravo", "charlie", "delta"}, companies(all)); diff != "" {
		t.Errorf("sorted by company, paged (-want +got):\n%s", diff)
	}
	if seen := map[string]bool{}; true {
		for _, m := range all {
			seen[m.User.ID] = true
		}
		if len(seen) != 5 {
			t.Errorf("paging returned %d distinct members, want 5", len(seen))
		}
	}
	for _, c := range []struct {
		q    db.MemberQuery
		col  func([]db.TeamMember) []string
		want []string
	}{
		{db.MemberQuery{Sort: "company", Desc: true, Limit: 3}, companies, []string{"delta", "charlie", "bravo"}},
		{db.MemberQuery{Sort: "role", Status: db.StatusPending}, roles, []string{"x", "x", "y", "y", "z"}},
	} {
		p, err := ms.QueryMembers(ctx, team.ID, c.q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c.want, c.col(p.Members)); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", c.q, diff)
		}
	}
	cases := []struct {
		name string
		q    db.MemberQuery
		want []string
	}{
		{"filter company case-insensitive", db.MemberQuery{Company: "ALPHA"}, []string{"bert", "dirk"}},
		{"search role and company", db.MemberQuery{Q: "HARL", Sort: "first_name"}, []string{"cleo"}},
		{"search email", db.MemberQuery{Q: "emil.", Sort: "first_name"}, []string{"emil"}},
		{"name sort desc", db.MemberQuery{Sort: "first_name", Desc: true, Status: db.StatusPending}, []string{"emil", "dirk", "cleo", "bert", "alma"}},
		{"like metacharacters are literal", db.MemberQuery{Q: "%"}, nil},
		{"status filter", db.MemberQuery{Status: db.StatusActive, Q: "q.test"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ms.QueryMembers(ctx, team.ID, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, names(p)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_, err := ms.QueryMembers(ctx, team.ID, db.MemberQuery{Sort: "password"})
	WantErr(t, err, db.ErrInvalid, "sort_invalid")
	_, err = ms.QueryMembers(ctx, team.ID, db.MemberQuery{After: "garbage"})
	WantErr(t, err, db.ErrInvalid, "cursor_invalid")
}

func testMembersTeamIsolation(t *testing.T, s db.Store, ms db.MemberStore) {
	t1, _ := NewTeam(t, s, "")
	t2, _ := NewTeam(t, s, "")
	added, err := ms.AddMembers(ctx, t1.ID, []db.NewMember{{Email: Email("jo", "iso.test"), Company: "Secret"}}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	id := added[0].User.ID
	if _, err := ms.GetMember(ctx, t2.ID, id); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team's GetMember: %v, want not found", err)
	}
	c := "Mine"
	if _, _, err := ms.EditMembers(ctx, t2.ID, []string{id}, db.MemberEdit{Company: &c}, Operator); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team's EditMembers: %v, want not found", err)
	}
	WantErr(t, ms.RemoveMember(ctx, t2.ID, id, Operator), db.ErrNotFound, "")
	p, err := ms.QueryMembers(ctx, t2.ID, db.MemberQuery{Q: "iso.test"})
	if err != nil || len(p.Members) != 0 {
		t.Errorf("another team's QueryMembers = %v, %v; want none", p.Members, err)
	}
	if cs, _ := ms.ListCompanies(ctx, t2.ID); len(cs) != 0 {
		t.Errorf("another team's companies = %v", cs)
	}
}
