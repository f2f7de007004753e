package rolepolicy_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/rolepolicy"
)

// BenchmarkClassifyByDomainCount measures classifying a new user (the
// store's CreateUser, as SCIM, SSO JIT and the admin API call it) and
// reading expected types (Store.ExpectedTypes, `users list`) in domain
// mode with 1, 100 and db.MaxPolicyDomains approved domains (issue 9 #6).
// The cost is flat in the number of domains: the store reads only the
// users' own domains from team_domains' primary key, and the Classifier
// gets at most that one domain.
//
//	go test ./rolepolicy/ -run '^$' -bench BenchmarkClassifyByDomainCount -benchtime 300x
func BenchmarkClassifyByDomainCount(b *testing.B) {
	for _, n := range []int{1, 100, db.MaxPolicyDomains} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s := gormdbtest.New(b, gormdb.Config{Classify: rolepolicy.Classify})
			op := db.Actor{Kind: db.ActorOperator, ID: "bench"}
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "B", PrimaryEmail: "owner@example.com", PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
			if err != nil {
				b.Fatal(err)
			}
			ds := make([]string, n)
			for i := range ds {
				ds[i] = fmt.Sprintf("d%04d.bench.example", i)
			}
			if _, err := s.SetPolicy(ctx, team.ID, db.Policy{Mode: db.PolicyDomain, Domains: ds}, op); err != nil {
				b.Fatal(err)
			}
			seq := 0 // b.N restarts; emails must not
			b.Run("CreateUser", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					seq++
					// the last domain: a linear scan's worst case
					email := fmt.Sprintf("u%d@%s", seq, ds[n-1])
					u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: email, FirstName: "F", LastName: "L", Source: db.SourceSCIM}, op)
					if err != nil {
						b.Fatal(err)
					}
					if u.Type != db.TypeStandard {
						b.Fatalf("%s classified %s", email, u.Type)
					}
				}
			})
			u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "x@outside.example", FirstName: "F", LastName: "L", Source: db.SourceSCIM}, op)
			if err != nil {
				b.Fatal(err)
			}
			b.Run("ExpectedTypes", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := s.ExpectedTypes(ctx, team.ID, []string{u.ID}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
