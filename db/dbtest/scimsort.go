package dbtest

import (
	"context"
	"errors"
	"testing"

	"github.com/roster-dev/roster/db"
)

// testSCIMSortByOtherKindsField: sorting users by a group field (or groups
// by a user field) is ErrInvalid, never a database error (users sorted by
// displayName queried a column users do not have; found by FuzzFilter in
// db/gormdb). issue 9 (fuzz targets: the SQL translator)
func testSCIMSortByOtherKindsField(t *testing.T, st db.Store) {
	s, ok := st.(db.SCIMStore)
	if !ok {
		missing(t, "it does not implement db.SCIMStore")
	}
	ctx := context.Background()
	team, _ := NewTeam(t, st, "") // its primary admin is a user to sort
	if _, err := st.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "g", Source: db.SourceSCIM}, Operator); err != nil {
		t.Fatal(err)
	}
	for _, f := range []db.Field{db.FieldDisplayName, db.FieldAttr, db.FieldEmailValue} {
		if _, _, err := s.SearchUsers(ctx, team.ID, db.Query{SortBy: f, Limit: 10}); !errors.Is(err, db.ErrInvalid) {
			t.Errorf("SearchUsers sorted by %s: %v, want ErrInvalid", f, err)
		}
	}
	for _, f := range []db.Field{db.FieldUserName, db.FieldGivenName, db.FieldActive, db.FieldEmail, db.FieldMemberValue} {
		if _, _, err := s.SearchGroups(ctx, team.ID, db.Query{SortBy: f, Limit: 10}); !errors.Is(err, db.ErrInvalid) {
			t.Errorf("SearchGroups sorted by %s: %v, want ErrInvalid", f, err)
		}
	}
}
