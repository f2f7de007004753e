package rolepolicy_test

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/rolepolicy"
)

// The store computes exceptions in SQL; Classify decides types in Go. This
// property test checks, on a real store wired the way cmd/roster wires it,
// that both agree for random users (domains in every spelling, every path,
// random current types) under random policies: a user is listed as an
// exception exactly when its type differs from Classify's answer, and
// Store.ExpectedTypes (used by `users list`) says the same.
func TestStoreAgreesWithClassify(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			ctx := context.Background()
			s := gormdbtest.Open(t, d, gormdb.Config{Classify: rolepolicy.Classify})
			op := db.Actor{Kind: db.ActorOperator, ID: "test"}
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "P", PrimaryEmail: "owner@example.com", PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewSource(42))
			type user struct {
				id, email string
				src       db.Source
			}
			var users []user
			types := map[string]db.UserType{}
			for i := 0; i < 120; i++ {
				in := input{}.Generate(r, 0).Interface().(input)
				email := fmt.Sprintf("u%d@%s", i, strings.TrimSuffix(in.Domain, ".")) // a trailing dot is no valid address
				nu := db.NewUser{Email: email, FirstName: "F", LastName: "L", Source: in.Source}
				if r.Intn(2) == 0 { // an explicit type: sometimes an exception from the start
					nu.Type = []db.UserType{db.TypeStandard, db.TypeExternal}[r.Intn(2)]
				}
				u, err := s.CreateUser(ctx, team.ID, nu, op)
				if err != nil {
					t.Fatalf("create %s: %v", email, err)
				}
				users = append(users, user{u.ID, email, in.Source})
				types[u.ID] = u.Type
			}
			ids := make([]string, len(users))
			for i, u := range users {
				ids[i] = u.id
			}
			for round := 0; round < 15; round++ {
				p := input{}.Generate(r, 0).Interface().(input).Policy
				if p.Mode == db.PolicyDomain && len(p.Domains) == 0 {
					p.Domains = []string{"cba.net"}
				}
				if _, err := s.SetPolicy(ctx, team.ID, p, op); err != nil {
					t.Fatal(err)
				}
				listed := map[string]db.UserType{}
				q := db.ExceptionQuery{Limit: 1000}
				es, err := s.ListExceptions(ctx, team.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					listed[e.UserID] = e.Expected
				}
				expected, err := s.ExpectedTypes(ctx, team.ID, ids)
				if err != nil {
					t.Fatal(err)
				}
				c, err := s.CountExceptions(ctx, team.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := 0
				for _, u := range users {
					exp := rolepolicy.Classify(p, u.email, u.src, false)
					isExc := types[u.id] != exp
					if isExc {
						want++
					}
					if got, ok := listed[u.id]; ok != isExc || (ok && got != exp) {
						t.Errorf("policy %v: %s (%s, type %s): listed=%v expected=%s, Classify says %s", p, u.email, u.src, types[u.id], ok, got, exp)
					}
					if expected[u.id] != exp {
						t.Errorf("policy %v: ExpectedTypes(%s) = %s, Classify says %s", p, u.email, expected[u.id], exp)
					}
				}
				if c.Total != want {
					t.Errorf("policy %v: CountExceptions = %d, want %d", p, c.Total, want)
				}
			}
		})
	}
}

// TestRulesAgreeWithSQL: the store's exception SQL is derived from Rules
// (issue 10 #2). On every dialect, for every combination of policy mode,
// path and domain match (so every non-admin row of the table is hit), the
// type the SQL expects, for the stored policy (ListExceptions) and for a
// proposed one (PreviewPolicy), is the type Classify gives.
func TestRulesAgreeWithSQL(t *testing.T) {
	sources := []db.Source{db.SourceSCIM, db.SourceDirectory, db.SourceSSO, db.SourceAdmin, db.SourceProduct}
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			ctx := context.Background()
			s := gormdbtest.Open(t, d, gormdb.Config{Classify: rolepolicy.Classify})
			op := db.Actor{Kind: db.ActorOperator, ID: "test"}
			hit := map[int]bool{}
			n := 0
			for _, mode := range []db.PolicyMode{db.PolicyDefault, db.PolicyDomain} {
				p := db.Policy{Mode: mode}
				if mode == db.PolicyDomain {
					p.Domains = []string{"approved.test"}
				}
				for _, src := range sources {
					for _, approved := range []bool{true, false} {
						n++
						team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "R", PrimaryEmail: fmt.Sprintf("owner%d@rules.test", n), PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
						if err != nil {
							t.Fatal(err)
						}
						if _, err := s.SetPolicy(ctx, team.ID, p, op); err != nil {
							t.Fatal(err)
						}
						dom := "other.test"
						if approved {
							dom = "APPROVED.test"
						}
						// an explicit standard type: the user is an exception exactly when the SQL expects external
						u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "u@" + dom, FirstName: "F", LastName: "L", Source: src, Type: db.TypeStandard}, op)
						if err != nil {
							t.Fatal(err)
						}
						want := rolepolicy.Classify(p, u.Email, src, false)
						for i, r := range rolepolicy.Rules {
							if r.Match(mode, src, approved && mode == db.PolicyDomain, false) {
								hit[i] = true
								if r.Type != want {
									t.Errorf("%s/%s/approved=%v: first matching rule %d says %s, Classify %s", mode, src, approved, i, r.Type, want)
								}
								break
							}
						}
						es, err := s.ListExceptions(ctx, team.ID, db.ExceptionQuery{Limit: 10})
						if err != nil {
							t.Fatal(err)
						}
						stored := db.TypeStandard
						if len(es) == 1 {
							stored = es[0].Expected
						}
						pv, err := s.PreviewPolicy(ctx, team.ID, p, db.Page{Limit: 10})
						if err != nil {
							t.Fatal(err)
						}
						proposed := db.TypeStandard
						if pv.Exceptions == 1 {
							proposed = db.TypeExternal
						}
						if stored != want || proposed != want || len(es) > 1 || pv.Exceptions > 1 {
							t.Errorf("%s/%s/approved=%v: stored SQL expects %s, proposed SQL %s, Classify %s", mode, src, approved, stored, proposed, want)
						}
					}
				}
			}
			for i, r := range rolepolicy.Rules {
				if !r.Admin && !hit[i] {
					t.Errorf("rule %d (%+v) was never the first match", i, r)
				}
			}
		})
	}
}
