package gormdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// FuzzFilter translates fuzzed filter expressions (a db.Expr as JSON: the
// scim package's output, with any shape, field, operator and value) into SQL
// and runs them against a real SQLite store, as SearchUsers and
// SearchGroups. Invariants: no panic, and an error only of kind
// db.ErrInvalid (a bad filter), never a database error. Seeds are in
// testdata/fuzz/FuzzFilter. issue 9 (fuzz targets: the SQL translator)
func FuzzFilter(f *testing.F) {
	s := gormdbtest.Open(f, gormdb.SQLite, gormdb.Config{})
	ctx := context.Background()
	team, _, err := s.CreateTeam(ctx, db.NewTeam{Name: "fuzz", PrimaryEmail: "owner@fuzz.example",
		PrimaryFirstName: "Owner", PrimaryLastName: "Fuzz"}, db.Actor{Kind: db.ActorOperator, ID: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	sorts := []db.Field{"", db.FieldID, db.FieldUserName, db.FieldDisplayName, db.FieldCreated, db.FieldAttr, "bogus"}
	f.Fuzz(func(t *testing.T, expr string, knobs uint8) {
		var e db.Expr
		if json.Unmarshal([]byte(expr), &e) != nil {
			return
		}
		// JSON has no time: a string that is an RFC 3339 time is one.
		var fixTimes func(*db.Expr)
		fixTimes = func(x *db.Expr) {
			if x == nil {
				return
			}
			if v, ok := x.Value.(string); ok {
				if tm, err := time.Parse(time.RFC3339, v); err == nil {
					x.Value = tm
				}
			}
			for _, a := range x.Args {
				fixTimes(a)
			}
		}
		fixTimes(&e)
		q := db.Query{Filter: &e, Limit: int(knobs % 5), Offset: int(knobs>>3) % 3, SortBy: sorts[int(knobs)%len(sorts)],
			Descending: knobs&0x80 != 0}
		ctx, cancel := context.WithTimeout(ctx, time.Minute) // a hang guard only
		defer cancel()
		if _, _, err := s.SearchUsers(ctx, team.ID, q); err != nil && !errors.Is(err, db.ErrInvalid) {
			t.Errorf("SearchUsers(%s): %v", expr, err)
		}
		if _, _, err := s.SearchGroups(ctx, team.ID, q); err != nil && !errors.Is(err, db.ErrInvalid) {
			t.Errorf("SearchGroups(%s): %v", expr, err)
		}
	})
}
