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
