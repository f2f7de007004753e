package dbtest

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

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
		count := func(email string) int { t.Helper(); return indexed(t, ss, team.ID, email) }
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

func init() {
	Register("emails_index_every_path", testEmailIndexEveryPath)
}

// testEmailIndexEveryPath walks every store path that creates a user or
// changes its email and checks after each that the email index holds the
// user's email, so an IdP's emails[type eq "work"].value filter finds it.
// issue 9 #12: CreateTeam skipped the index, so a team's primary admin was
// invisible to that filter and the IdP's create then collided (409).
func testEmailIndexEveryPath(t *testing.T, s db.Store) {
	ss, ok1 := s.(db.SCIMStore)
	ds, ok2 := s.(db.DirectoryStore)
	if !ok1 || !ok2 {
		t.Skip("store has no SCIM queries or directory sync")
	}
	team, c := newDirConn(t, s, ds)
	primary, err := s.GetUser(ctx, team.ID, team.PrimaryUserID)
	WantErr(t, err, nil, "")
	work := func(email string) []string {
		t.Helper()
		q := db.Query{Limit: 10, Filter: &db.Expr{Op: db.ExprAny, Multi: "emails", Args: []*db.Expr{{
			Op: db.ExprAnd, Args: []*db.Expr{
				{Op: db.ExprCmp, Field: db.FieldEmailType, Cmp: db.CmpEq, Value: "work"},
				{Op: db.ExprCmp, Field: db.FieldEmailValue, Cmp: db.CmpEq, Value: email},
			}}}}}
		us, _, err := ss.SearchUsers(ctx, team.ID, q)
		WantErr(t, err, nil, "")
		var ids []string
		for _, u := range us {
			ids = append(ids, u.ID)
		}
		return ids
	}
	// check: the index of u holds exactly want (lower-cased values), and the
	// work-email filter on u's email finds exactly u.
	check := func(step string, u db.User, want ...string) {
		t.Helper()
		if len(want) == 0 {
			want = []string{db.NormalizeEmail(u.Email)}
		}
		m, err := ss.UserEmails(ctx, team.ID, []string{u.ID})
		WantErr(t, err, nil, "")
		var got []string
		for _, e := range m[u.ID] {
			got = append(got, db.NormalizeEmail(e.Value))
		}
		sort.Strings(got)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: email index of %s (-want +got):\n%s", step, u.Email, diff)
		}
		if ids := work(upper(u.Email)); len(ids) != 1 || ids[0] != u.ID {
			t.Errorf("%s: emails[type eq \"work\"].value eq %q found %v, want [%s]", step, u.Email, ids, u.ID)
		}
	}
	rename := func(step string, u db.User) db.User {
		t.Helper()
		next := Email("renamed", "acme.test")
		u, err := s.UpdateUser(ctx, team.ID, u.ID, 0, Operator, func(x *db.User) error {
			x.Email = next
			if x.Source != db.SourceSCIM {
				x.UserName = next
			}
			return nil
		})
		WantErr(t, err, nil, "")
		check(step, u)
		if ids := work(next); len(ids) != 1 {
			t.Errorf("%s: new email matches %v", step, ids)
		}
		return u
	}

	check("CreateTeam: primary admin", primary)
	rename("UpdateUser: primary admin's email", primary)

	for _, src := range []db.Source{db.SourceAdmin, db.SourceProduct, db.SourceSSO, db.SourceDirectory} {
		u := NewUser(t, s, team.ID, "path", "acme.test", src)
		check("CreateUser source "+string(src), u)
		rename("UpdateUser source "+string(src), u)
	}

	scimBy := db.Actor{Kind: db.ActorSCIMToken, ID: "tok", Name: "tok"}
	e1, e2 := Email("scim", "acme.test"), Email("scim.home", "home.test")
	su, err := ss.CreateSCIMUser(ctx, team.ID, db.NewUser{Email: e1, UserName: "scim-user", FirstName: "S", LastName: "C",
		Source: db.SourceSCIM}, []db.UserEmail{{Value: e1, Type: "work", Primary: true}, {Value: e2, Type: "home"}}, scimBy)
	WantErr(t, err, nil, "")
	check("CreateSCIMUser", su, db.NormalizeEmail(e1), db.NormalizeEmail(e2))
	e3 := Email("scim.put", "acme.test")
	su, err = ss.UpdateSCIMUser(ctx, team.ID, su.ID, 0, scimBy, func(u *db.User, emails *[]db.UserEmail) error {
		u.Email = e3
		*emails = []db.UserEmail{{Value: e3, Type: "work", Primary: true}}
		return nil
	})
	WantErr(t, err, nil, "")
	check("UpdateSCIMUser (PUT/PATCH emails)", su)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	du := dirUser("p1", Email("dir", "acme.test"))
	_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{du}}, by)
	WantErr(t, err, nil, "")
	got, err := s.FindUser(ctx, team.ID, db.UserKey{Email: du.Email})
	WantErr(t, err, nil, "")
	check("directory batch insert", got)
	du.Email, du.Hash = Email("dir.renamed", "acme.test"), "h2"
	_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{du}}, by)
	WantErr(t, err, nil, "")
	got, err = s.FindUser(ctx, team.ID, db.UserKey{Email: du.Email})
	WantErr(t, err, nil, "")
	check("directory batch update", got)
}
