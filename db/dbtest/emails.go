package dbtest

import (
	"testing"

	"github.com/roster-dev/roster/db"
)

func init() {
	Register("emails_index", testEmailIndex)
}

// A SCIM client (Entra ID) matches users with emails[type eq "work"].value eq
// "x". Users that other paths added must be found too, or the IdP creates a
// duplicate; an email change keeps them findable; a delete leaves nothing.
func testEmailIndex(t *testing.T, s db.Store) {
	ss, ok := s.(db.SCIMStore)
	if !ok {
		t.Skip("store has no SCIM queries")
	}
	team, _ := NewTeam(t, s, "")
	find := func(email string) []db.User {
		t.Helper()
		q := db.Query{Limit: 10, Filter: &db.Expr{Op: db.ExprAny, Multi: "emails", Args: []*db.Expr{{
			Op: db.ExprAnd, Args: []*db.Expr{
				{Op: db.ExprCmp, Field: db.FieldEmailType, Cmp: db.CmpEq, Value: "work"},
				{Op: db.ExprCmp, Field: db.FieldEmailValue, Cmp: db.CmpEq, Value: email},
			}}}}}
		us, _, err := ss.SearchUsers(ctx, team.ID, q)
		WantErr(t, err, nil, "")
		return us
	}
	for _, src := range []db.Source{db.SourceAdmin, db.SourceProduct, db.SourceSSO, db.SourceDirectory} {
		u := NewUser(t, s, team.ID, "idx", "acme.test", src)
		if got := find(upper(u.Email)); len(got) != 1 || got[0].ID != u.ID {
			t.Fatalf("source %s: emails filter found %v, want the user", src, got)
		}
		next := Email("renamed", "acme.test")
		_, err := s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error { x.Email = next; return nil })
		WantErr(t, err, nil, "")
		if got := find(u.Email); len(got) != 0 {
			t.Fatalf("source %s: old email still matches after a change", src)
		}
		if got := find(next); len(got) != 1 {
			t.Fatalf("source %s: new email not found after a change", src)
		}
		WantErr(t, s.DeleteUser(ctx, team.ID, u.ID, Operator), nil, "")
		if got := find(next); len(got) != 0 {
			t.Fatalf("source %s: deleted user still matches", src)
		}
	}
}

func init() {
	Register("emails_index_directory", func(t *testing.T, s db.Store) {
		ss, ok1 := s.(db.SCIMStore)
		ds, ok2 := s.(db.DirectoryStore)
		if !ok1 || !ok2 {
			t.Skip("store has no SCIM queries or directory sync")
		}
		// Directory sync writes users in batches of its own; they must be
		// indexed the same way (created, renamed, deleted).
		team, c := newDirConn(t, s, ds)
		by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
		count := func(email string) int {
			t.Helper()
			q := db.Query{Limit: 10, Filter: &db.Expr{Op: db.ExprAny, Multi: "emails", Args: []*db.Expr{
				{Op: db.ExprCmp, Field: db.FieldEmailValue, Cmp: db.CmpEq, Value: email}}}}
			us, _, err := ss.SearchUsers(ctx, team.ID, q)
			WantErr(t, err, nil, "")
			return len(us)
		}
		u := dirUser("e1", Email("erin", "example.test"))
		_, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{u}}, by)
		WantErr(t, err, nil, "")
		if count(u.Email) != 1 {
			t.Fatalf("a synced user is not found by its email")
		}
		renamed := u
		renamed.Email, renamed.Hash = Email("erin.new", "example.test"), "h2"
		_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{renamed}}, by)
		WantErr(t, err, nil, "")
		if count(u.Email) != 0 || count(renamed.Email) != 1 {
			t.Fatalf("after an email change: old %d, new %d", count(u.Email), count(renamed.Email))
		}
		_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{DeleteUsers: []string{"e1"}}, by)
		WantErr(t, err, nil, "")
		if count(renamed.Email) != 0 {
			t.Fatalf("a deleted synced user is still found")
		}
	})
}
