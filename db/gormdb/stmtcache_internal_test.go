package gormdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/roster-dev/roster/db"
)

// TestStatementCacheBounded (issue 15): on SQLite the store keeps every
// statement it prepares for good (gorm's PrepareStmt, no expiry), so a
// request whose SQL text changes with its values must not reach it. Two
// rounds of the same requests with other values — user-count folds, SCIM
// startIndex pages of users and groups, emails and groups of pages of
// other sizes — leave the cache with the statements of the first round
// and no more. Before: each fold's DELETE named its ids in the SQL (a
// prepared statement per 500 folded rows, ~150 bytes of SQLite memory per
// row kept: 150 MB after seeding 1,000,000 users) and each offset was a
// literal.
func TestStatementCacheBounded(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{DSN: filepath.Join(t.TempDir(), "stmt.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// the readers' cache and the group-commit writer's
	readers, ok := s.db.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		t.Fatalf("SQLite store's pool is %T, not gorm's statement cache", s.db.ConnPool)
	}
	writer, ok := s.commits.g.Statement.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		t.Fatalf("the writer's pool is %T, not gorm's statement cache", s.commits.g.Statement.ConnPool)
	}
	statements := func() []string { return append(readers.Stmts.Keys(), writer.Stmts.Keys()...) }
	op := db.Actor{Kind: db.ActorOperator, ID: "t", Name: "t"}
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "stmt", PrimaryEmail: "owner@stmt.test", PrimaryFirstName: "O", PrimaryLastName: "S"}, op)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	next := 0
	create := func(n int) {
		t.Helper()
		muts := make([]db.UserCreate, n)
		for i := range muts {
			e := fmt.Sprintf("u%d@stmt.test", next)
			next++
			muts[i] = db.UserCreate{User: db.NewUser{Email: e, UserName: e, FirstName: "U", LastName: "S", Source: db.SourceSCIM}, By: op}
		}
		us, err := s.CreateUsers(ctx, team.ID, muts)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			ids = append(ids, u.ID)
		}
	}
	for i := 0; i < 12; i++ {
		if _, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: fmt.Sprintf("g%d", i), Source: db.SourceSCIM}, op); err != nil {
			t.Fatal(err)
		}
	}
	round := func(r int, sizes []int) {
		t.Helper()
		// more delta rows than foldAt, and a different number each round:
		// the next unfiltered count folds them, in parts of 500 and a rest
		create(foldAt + 337*r)
		for _, off := range []int{1 + r, 40 + 3*r, 900 + 11*r} {
			q := db.Query{Limit: 7 + r, Offset: off}
			if _, _, err := s.SearchUsers(ctx, team.ID, q); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SearchGroups(ctx, team.ID, db.Query{Limit: 3, Offset: off % 10}); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range sizes {
			if _, err := s.UserEmails(ctx, team.ID, ids[:n]); err != nil {
				t.Fatal(err)
			}
			if _, err := s.GroupsOfUsers(ctx, team.ID, ids[:n]); err != nil {
				t.Fatal(err)
			}
		}
		var deltas int64
		if err := s.conn(ctx).Raw("SELECT COUNT(*) FROM user_count_deltas WHERE team_id = ?", team.ID).Scan(&deltas).Error; err != nil {
			t.Fatal(err)
		}
		if deltas != 1 {
			t.Fatalf("round %d: %d delta rows after a count, want them folded into 1", r, deltas)
		}
	}
	// Multi-row INSERTs come in full parts, powers of two from 32 and up to
	// 16 rows in one (partLen): batches of those lengths prepare them all.
	for n := 1; n <= 512; n++ {
		if n <= 16 || n&(n-1) == 0 {
			create(n)
		}
	}
	round(1, []int{3, 33, 129, 1000})
	first := statements()
	round(2, []int{4, 60, 200, 999})
	if got := statements(); len(got) != len(first) {
		var added []string
		for _, k := range got {
			if !slices.Contains(first, k) {
				added = append(added, k)
			}
		}
		t.Errorf("the same requests with other values prepared %d more statements (%d, then %d): %.300q", len(added), len(first), len(got), added)
	}
}

// TestPartLen: the parts of every length cover it exactly, none is longer
// than size or than what is left, and a table sees few lengths.
func TestPartLen(t *testing.T) {
	for _, size := range []int{256, 512} {
		lengths := map[int]bool{}
		for total := 1; total <= 3*size+17; total++ {
			sum := 0
			for sum < total {
				n := partLen(total-sum, size)
				if n < 1 || n > size || n > total-sum {
					t.Fatalf("size %d, %d rows, %d left: part of %d", size, total, total-sum, n)
				}
				lengths[n] = true
				sum += n
			}
		}
		// 1..16 and the powers of two from 32 up to size
		want := 16
		for n := 32; n <= size; n *= 2 {
			want++
		}
		if len(lengths) != want {
			t.Errorf("size %d: %d distinct part lengths, want %d", size, len(lengths), want)
		}
	}
}
