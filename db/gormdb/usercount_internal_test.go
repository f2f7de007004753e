package gormdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// TestUserCountFoldPlans (issue 15): a fold reads and deletes by the rows'
// ids, so its cost is its part size, not the team's backlog. On SQLite
// (no statistics) the fold's DELETE took the team index when it also named
// team_id, and its SELECT sorted the whole backlog by id: each fold read
// every delta row of the team, 84 % of the server's CPU while the million
// rows a bulk import leaves drained (the first cursor walk at 1,000,000
// users ran at 7 pages/s, p99 0.77 s). The statements the fold prepared
// are taken from the writer's statement cache and explained: each must
// search, none scan or sort, and the DELETE must go by primary key.
func TestUserCountFoldPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DSN: filepath.Join(t.TempDir(), "fold.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	op := db.Actor{Kind: db.ActorOperator, ID: "t", Name: "t"}
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "fold", PrimaryEmail: "owner@fold.test", PrimaryFirstName: "O", PrimaryLastName: "F"}, op)
	if err != nil {
		t.Fatal(err)
	}
	muts := make([]db.UserCreate, foldAt+10)
	for i := range muts {
		e := fmt.Sprintf("u%d@fold.test", i)
		muts[i] = db.UserCreate{User: db.NewUser{Email: e, UserName: e, FirstName: "U", LastName: "F", Source: db.SourceSCIM}, By: op}
	}
	if _, err := s.CreateUsers(ctx, team.ID, muts); err != nil {
		t.Fatal(err)
	}
	if n, err := s.userCount(ctx, team.ID); err != nil || n != int64(len(muts)+1) {
		t.Fatalf("count %d, %v; want %d", n, err, len(muts)+1)
	}
	var deltas int64
	if err := s.conn(ctx).Raw("SELECT COUNT(*) FROM user_count_deltas").Scan(&deltas).Error; err != nil || deltas != 1 {
		t.Fatalf("%d delta rows after the count (%v), want them folded into 1", deltas, err)
	}
	writer, ok := s.commits.g.Statement.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		t.Fatalf("the writer's pool is %T, not gorm's statement cache", s.commits.g.Statement.ConnPool)
	}
	var fold []string
	for _, q := range writer.Stmts.Keys() {
		if strings.Contains(q, "user_count_deltas") && !strings.HasPrefix(q, "INSERT") {
			fold = append(fold, q)
		}
	}
	if len(fold) < 2 {
		t.Fatalf("found %d of the fold's SELECT and DELETE in the writer's cache: %q", len(fold), fold)
	}
	for _, q := range fold {
		var plan []struct{ Detail string }
		args := make([]any, strings.Count(q, "?"))
		if err := s.db.Raw("EXPLAIN QUERY PLAN "+q, args...).Scan(&plan).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var steps []string
		for _, p := range plan {
			steps = append(steps, p.Detail)
		}
		all := strings.Join(steps, "; ")
		if strings.Contains(all, "SCAN") || strings.Contains(all, "TEMP B-TREE") || !strings.Contains(all, "SEARCH") {
			t.Errorf("%.80s…: plan %q, want a search without scan or sort", q, all)
		}
		if strings.HasPrefix(q, "DELETE") && !strings.Contains(all, "PRIMARY KEY") {
			t.Errorf("%.80s…: plan %q, want it by primary key", q, all)
		}
	}
}
