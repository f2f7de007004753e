package gormdb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// BenchmarkMembers10k lists 10,000 members of one team, 100 per page, sorted
// by company (first page and the page after a cursor) and filtered by one
// company, on each database (issue 11: under 20 ms per page). Run with
// `go test -run '^$' -bench Members10k -benchtime 20x ./db/gormdb/`
// (PostgreSQL/MariaDB when their DSNs are set).
func BenchmarkMembers10k(b *testing.B) {
	for _, d := range gormdbtest.Dialects() {
		b.Run(gormdbtest.Name(d), func(b *testing.B) {
			ctx := context.Background()
			s := gormdbtest.Open(b, d, gormdb.Config{})
			op := db.Actor{Kind: db.ActorOperator, ID: "bench"}
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "Bench", PrimaryEmail: "owner@bench.example", PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
			if err != nil {
				b.Fatal(err)
			}
			for chunk := 0; chunk < 10; chunk++ {
				rows := make([]db.NewMember, 1000)
				for i := range rows {
					n := chunk*1000 + i
					rows[i] = db.NewMember{Email: fmt.Sprintf("m%05d@bench.example", n), Company: fmt.Sprintf("Company %02d", n%50), JobRole: fmt.Sprintf("role %d", n%7)}
				}
				if _, err := s.AddMembers(ctx, team.ID, rows, op); err != nil {
					b.Fatal(err)
				}
			}
			if err := gormdb.Analyze(ctx, s); err != nil { // what autovacuum does after a bulk load
				b.Fatal(err)
			}
			first, err := s.QueryMembers(ctx, team.ID, db.MemberQuery{Sort: "company", Limit: 100})
			if err != nil || len(first.Members) != 100 {
				b.Fatalf("first page: %d, %v", len(first.Members), err)
			}
			cases := []struct {
				name string
				q    db.MemberQuery
			}{
				{"sort_company_first_page", db.MemberQuery{Sort: "company", Limit: 100}},
				{"sort_company_next_page", db.MemberQuery{Sort: "company", Limit: 100, After: first.Next}},
				{"filter_company_sort_email", db.MemberQuery{Company: "company 07", Limit: 100}},
				{"search_sort_company_desc", db.MemberQuery{Q: "role 3", Sort: "company", Desc: true, Limit: 100}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						p, err := s.QueryMembers(ctx, team.ID, c.q)
						if err != nil || len(p.Members) == 0 {
							b.Fatalf("%d members, %v", len(p.Members), err)
						}
					}
				})
			}
		})
	}
}

// R-MEM-6: adding members copies each member's lowercased company onto the
// user row (the members list's sort key) in the same transaction. It costs
// one UPDATE per 500 members and one company-list INSERT per 200 distinct
// companies, not one of each per member (it used to be 2 per member), and
// the copied keys are right.
func TestAddMembersCompanySortKeyStatementsPerBatch(t *testing.T) {
	ctx := context.Background()
	op := db.Actor{Kind: db.ActorOperator, ID: "test"}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			s, counter, team := countedTeam(t, d, "counts")
			rows := make([]db.NewMember, db.MembersAddMax)
			for i := range rows {
				company := fmt.Sprintf("Company %02d", i%7)
				if i%10 == 9 {
					company = "" // no company: the user row's default '' stays
				}
				rows[i] = db.NewMember{Email: fmt.Sprintf("m%03d@counts.example", i), Company: company}
			}
			rows[8].Company = "company 01" // another spelling of Company 01: the first stays on the list
			counter.Start()
			added, err := s.AddMembers(ctx, team.ID, rows, op)
			counter.Stop()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("AddMembers of %d members: %d statements", len(rows), counter.Statements)
			if n, want := counter.Matching("UPDATE", "users", "company_lower"), (len(rows)+499)/500; n != want {
				t.Errorf("%d UPDATEs of users.company_lower for %d members, want %d", n, len(rows), want)
			}
			if n := counter.Matching("INSERT", "team_companies"); n != 1 {
				t.Errorf("%d INSERTs into team_companies for %d members (7 companies), want 1", n, len(rows))
			}
			// the keys themselves
			type key struct{ ID, CompanyLower string }
			var keys []key
			if err := gormdb.RawDB(s).Raw("SELECT id, company_lower FROM users WHERE team_id = ?", team.ID).Scan(&keys).Error; err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, k := range keys {
				got[k.ID] = k.CompanyLower
			}
			for i, m := range added {
				want := fmt.Sprintf("company %02d", i%7)
				if i%10 == 9 {
					want = ""
				}
				if got[m.User.ID] != want {
					t.Errorf("%s: company_lower %q, want %q", m.User.Email, got[m.User.ID], want)
				}
			}
			cs, err := s.ListCompanies(ctx, team.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 7 || cs[1] != "Company 01" {
				t.Errorf("companies %q, want the 7 first spellings", cs)
			}
			// EditMembers: one UPDATE for the whole edit too
			ids := []string{added[0].User.ID, added[1].User.ID, added[9].User.ID}
			company := "Zeta"
			counter.Start()
			_, _, err = s.EditMembers(ctx, team.ID, ids, db.MemberEdit{Company: &company}, op)
			counter.Stop()
			if err != nil {
				t.Fatal(err)
			}
			if n := counter.Matching("UPDATE", "users", "company_lower"); n != 1 {
				t.Errorf("%d UPDATEs of users.company_lower for an edit of %d members, want 1", n, len(ids))
			}
			p, err := s.QueryMembers(ctx, team.ID, db.MemberQuery{Company: "zeta", Limit: 10})
			if err != nil || len(p.Members) != 3 {
				t.Fatalf("members of zeta: %d, %v", len(p.Members), err)
			}
		})
	}
}
