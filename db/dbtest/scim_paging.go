package dbtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// testSCIMPaging checks that SearchUsers and SearchGroups page the same
// result set whichever way a client walks it: first page, OFFSET pages
// (startIndex ≥ 2, offset cursors) and keyset pages (After), in every sort
// order, and that the total is always the number of matches of the whole
// query, not of what is left after a keyset position.
func testSCIMPaging(t *testing.T, st db.Store) {
	s, ok := st.(db.SCIMStore)
	if !ok {
		missing(t, "it does not implement db.SCIMStore")
	}
	ctx := context.Background()
	actor := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	team, _ := NewTeam(t, st, "")
	other, _ := NewTeam(t, st, "")
	const n = 7
	for i := 0; i < n; i++ {
		if _, err := st.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: fmt.Sprintf("group %d", (i*3)%n), Source: db.SourceSCIM}, actor); err != nil {
			t.Fatal(err)
		}
		NewUser(t, st, team.ID, fmt.Sprintf("user%d", i), "paging.test", db.SourceAdmin)
	}
	if _, err := st.CreateGroup(ctx, other.ID, db.NewGroup{DisplayName: "other team", Source: db.SourceSCIM}, actor); err != nil {
		t.Fatal(err)
	}
	NewUser(t, st, other.ID, "otheruser", "paging.test", db.SourceAdmin)

	userSw := &db.Expr{Op: db.ExprCmp, Field: db.FieldUserName, Cmp: db.CmpSw, Value: "user"}
	groupSw := &db.Expr{Op: db.ExprCmp, Field: db.FieldDisplayName, Cmp: db.CmpSw, Value: "group"}
	type search func(q db.Query) ([]string, int, error)
	groups := func(q db.Query) ([]string, int, error) {
		gs, total, err := s.SearchGroups(ctx, team.ID, q)
		ids := make([]string, len(gs))
		for i, g := range gs {
			ids[i] = g.ID
		}
		return ids, total, err
	}
	users := func(q db.Query) ([]string, int, error) {
		us, total, err := s.SearchUsers(ctx, team.ID, q)
		ids := make([]string, len(us))
		for i, u := range us {
			ids[i] = u.ID
		}
		return ids, total, err
	}
	for _, tc := range []struct {
		name   string
		search search
		sortBy db.Field
		filter *db.Expr
		total  int // the team's groups, or its users with the primary admin
	}{
		{"groups by id", groups, "", nil, n},
		{"groups by displayName", groups, db.FieldDisplayName, nil, n},
		{"groups by created", groups, db.FieldCreated, nil, n},
		{"users by id", users, "", nil, n + 1},
		{"users by userName", users, db.FieldUserName, nil, n + 1},
		// A filtered total comes from the page when the page ends the
		// matches (issue 15), and from a COUNT(*) when it does not: a full
		// page, an empty page past the end, and every keyset page.
		{"users filtered by id", users, "", userSw, n},
		{"users filtered by userName", users, db.FieldUserName, userSw, n},
		{"groups filtered by id", groups, "", groupSw, n},
		{"groups filtered by displayName", groups, db.FieldDisplayName, groupSw, n},
	} {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", tc.name, desc), func(t *testing.T) {
				// issue 9 #8: on SQLite every groups OFFSET page was a 500
				// (the table name was quoted twice).
				all, total, err := tc.search(db.Query{Filter: tc.filter, SortBy: tc.sortBy, Descending: desc, Limit: 100})
				WantErr(t, err, nil, "")
				if total != tc.total || len(all) != tc.total {
					t.Fatalf("whole list: %d items, total %d, want %d", len(all), total, tc.total)
				}
				for _, off := range []int{1, 2, 3, n - 1, n, n + 5} {
					page, total, err := tc.search(db.Query{Filter: tc.filter, SortBy: tc.sortBy, Descending: desc, Limit: 3, Offset: off})
					WantErr(t, err, nil, "")
					want := all[min(off, len(all)):min(off+3, len(all))]
					if diff := cmp.Diff(want, page); diff != "" || total != tc.total {
						t.Errorf("offset %d: total %d (want %d), page (-want +got):\n%s", off, total, tc.total, diff)
					}
				}
				if tc.sortBy != "" {
					return
				}
				// issue 9 #13: keyset pages report the whole query's total,
				// not the number of matches after the position.
				for _, at := range []int{0, 2, len(all) - 2} {
					page, total, err := tc.search(db.Query{Filter: tc.filter, Descending: desc, Limit: 3, After: all[at]})
					WantErr(t, err, nil, "")
					want := all[at+1 : min(at+4, len(all))]
					if diff := cmp.Diff(want, page); diff != "" || total != tc.total {
						t.Errorf("after item %d: total %d (want %d), page (-want +got):\n%s", at, total, tc.total, diff)
					}
				}
			})
		}
	}
}
