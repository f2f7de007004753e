package gormdb_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestUserCountIsExact (issue 15): the unfiltered SCIM list's totalResults
// comes from user_count_deltas (kept by triggers), not COUNT(*); it must
// equal COUNT(*) after creates by every path (one user, a batch, a team's
// primary admin), deletes, folds, and concurrent creates racing folds, on
// every dialect.
func TestUserCountIsExact(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			ctx := context.Background()
			dsn := gormdbtest.DSN(t, d)
			s, err := gormdb.Open(ctx, gormdb.Config{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			conn, _ := gormdbtest.RawDB(t, dsn)
			op := db.Actor{Kind: db.ActorOperator, ID: "t", Name: "t"}
			team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "count", PrimaryEmail: "owner@count.test", PrimaryFirstName: "O", PrimaryLastName: "C"}, op)
			if err != nil {
				t.Fatal(err)
			}
			other, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "other", PrimaryEmail: "owner@other.test", PrimaryFirstName: "O", PrimaryLastName: "C"}, op)
			if err != nil {
				t.Fatal(err)
			}
			check := func(step string) {
				t.Helper()
				var want int
				if err := conn.QueryRow(rebind(d, "SELECT COUNT(*) FROM users WHERE team_id = ?"), team.ID).Scan(&want); err != nil {
					t.Fatal(err)
				}
				_, got, err := s.SearchUsers(ctx, team.ID, db.Query{Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("%s: totalResults %d, COUNT(*) %d", step, got, want)
				}
			}
			check("team created")
			nu := func(i int) db.NewUser {
				e := fmt.Sprintf("u%d@count.test", i)
				return db.NewUser{Email: e, UserName: e, FirstName: "U", LastName: "C", Source: db.SourceSCIM}
			}
			var muts []db.UserCreate
			for i := 0; i < 1200; i++ {
				muts = append(muts, db.UserCreate{User: nu(i), By: op})
			}
			created, err := s.CreateUsers(ctx, team.ID, muts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateUsers(ctx, other.ID, muts[:5]); err != nil {
				t.Fatal(err)
			}
			check("a batch of 1,200 (and 5 in another team)")
			var rows int
			if err := conn.QueryRow(rebind(d, "SELECT COUNT(*) FROM user_count_deltas WHERE team_id = ?"), team.ID).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if rows != 1 {
				t.Errorf("after a count over %d rows the team has %d delta rows, want them folded into 1", foldAtForTest, rows)
			}
			for _, u := range created[:7] {
				if err := s.DeleteUser(ctx, team.ID, u.ID, op); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.CreateSCIMUser(ctx, team.ID, nu(5000), nil, op); err != nil {
				t.Fatal(err)
			}
			check("7 deleted, one created")
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for w := 0; w < 4; w++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					for i := 0; i < 15; i++ {
						if _, err := s.CreateSCIMUser(ctx, team.ID, nu(10000+w*100+i), nil, op); err != nil {
							errs <- err
						}
					}
				}()
				go func() {
					defer wg.Done()
					for i := 0; i < 10; i++ {
						if err := gormdb.FoldUserCount(ctx, s, team.ID); err != nil && !strings.Contains(err.Error(), "raced") {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("concurrent: %v", err)
			}
			check("60 concurrent creates racing 40 folds")
			if err := gormdb.FoldUserCount(ctx, s, team.ID); err != nil {
				t.Fatal(err)
			}
			check("folded")
		})
	}
}

const foldAtForTest = 1000

// rebind turns ? placeholders into PostgreSQL's $n.
func rebind(d gormdb.Dialect, q string) string {
	if d != gormdb.Postgres {
		return q
	}
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
