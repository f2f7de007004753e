package dbtest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

func testDirectory(t *testing.T, s db.Store) {
	ds, ok := s.(db.DirectoryStore)
	if !ok {
		missing(t, "it does not implement db.DirectoryStore")
	}
	t.Run("Connections", func(t *testing.T) { testDirConnections(t, s, ds) })
	t.Run("Batch", func(t *testing.T) { testDirBatch(t, s, ds) })
	t.Run("DryRun", func(t *testing.T) { testDirDryRun(t, s, ds) })
	t.Run("RunsAndLocks", func(t *testing.T) { testDirRunsLocks(t, s, ds) })
}

func newDirConn(t *testing.T, s db.Store, ds db.DirectoryStore) (db.Team, db.DirectoryConnection) {
	t.Helper()
	team, _ := NewTeam(t, s, "")
	c, err := ds.CreateDirectoryConnection(ctx, db.DirectoryConnection{TeamID: team.ID, Kind: db.DirectoryOpenLDAP,
		URL: "ldaps://ldap.example.test", BindDN: "cn=sync", PasswordRef: "env:LDAP_PW", BaseDN: "dc=example,dc=test", Enabled: true}, Operator)
	if err != nil {
		t.Fatal(err)
	}
	return team, c
}

func testDirConnections(t *testing.T, s db.Store, ds db.DirectoryStore) {
	team, c := newDirConn(t, s, ds)
	if c.ID == "" || c.Interval != 5*time.Minute {
		t.Fatalf("created %+v", c)
	}
	got, err := ds.GetDirectoryConnection(ctx, team.ID, c.ID)
	WantErr(t, err, nil, "")
	if got.URL != c.URL || got.PasswordRef != "env:LDAP_PW" || got.Kind != db.DirectoryOpenLDAP {
		t.Fatalf("get %+v", got)
	}
	// never a plaintext password
	_, err = ds.CreateDirectoryConnection(ctx, db.DirectoryConnection{TeamID: team.ID, Kind: db.DirectoryAD, URL: "ldaps://x",
		BindDN: "x", PasswordRef: "hunter2", BaseDN: "dc=x"}, Operator)
	WantErr(t, err, db.ErrInvalid, "password_ref_invalid")
	_, err = ds.CreateDirectoryConnection(ctx, db.DirectoryConnection{TeamID: team.ID, Kind: "novell", URL: "ldaps://x",
		BindDN: "x", PasswordRef: "env:X", BaseDN: "dc=x"}, Operator)
	WantErr(t, err, db.ErrInvalid, "kind_invalid")
	// tenant isolation: another team sees nothing
	other, _ := NewTeam(t, s, "")
	_, err = ds.GetDirectoryConnection(ctx, other.ID, c.ID)
	WantErr(t, err, db.ErrNotFound, "directory_not_found")
	if l, err := ds.ListDirectoryConnections(ctx, other.ID); err != nil || len(l) != 0 {
		t.Fatalf("other team lists %v %v", l, err)
	}
	WantErr(t, ds.DeleteDirectoryConnection(ctx, other.ID, c.ID, Operator), db.ErrNotFound, "directory_not_found")
	if l, err := ds.ListDirectoryConnections(ctx, team.ID); err != nil || len(l) != 1 {
		t.Fatalf("list %v %v", l, err)
	}
	WantErr(t, ds.DeleteDirectoryConnection(ctx, team.ID, c.ID, Operator), nil, "")
	_, err = ds.GetDirectoryConnection(ctx, team.ID, c.ID)
	WantErr(t, err, db.ErrNotFound, "directory_not_found")
}

func dirUser(anchor, email string) db.DirectoryUser {
	return db.DirectoryUser{Anchor: anchor, DN: "uid=" + anchor + ",dc=example,dc=test", Email: email, UserName: anchor,
		FirstName: "F" + anchor, LastName: "L", Hash: "h-" + email}
}

func testDirBatch(t *testing.T, s db.Store, ds db.DirectoryStore) {
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	// an existing (SCIM) user with bob's email is linked, not duplicated
	bob := NewUser(t, s, team.ID, "bob", "example.test", db.SourceSCIM)
	alice, carol := dirUser("a1", Email("alice", "example.test")), dirUser("c1", Email("carol", "partner.test"))
	b := dirUser("b1", bob.Email)
	res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{alice, b, carol},
		Groups: []db.DirectoryGroup{{Anchor: "g1", DN: "cn=eng,dc=example,dc=test", DisplayName: "eng", Members: []string{"a1", "b1"}, Hash: "g"}},
		Cursor: &db.DirectoryCursor{Cookie: []byte("c1"), ScopeHash: "s"}}, by)
	WantErr(t, err, nil, "")
	if res.Counts.Created != 2 || res.Counts.Updated != 1 || res.Counts.GroupsCreated != 1 || res.Counts.MembersAdded != 2 {
		t.Fatalf("first batch: %+v", res.Counts)
	}
	u, err := s.FindUser(ctx, team.ID, db.UserKey{Email: bob.Email})
	WantErr(t, err, nil, "")
	if u.ID != bob.ID || u.FirstName != "Fb1" || u.Source != db.SourceSCIM {
		t.Errorf("linked bob: %+v", u)
	}
	a, err := s.FindUser(ctx, team.ID, db.UserKey{Email: alice.Email})
	WantErr(t, err, nil, "")
	if a.Source != db.SourceDirectory || a.UserName != "a1" {
		t.Errorf("alice: %+v", a)
	}
	cur, err := ds.DirectoryCursor(ctx, c.ID)
	if err != nil || string(cur.Cookie) != "c1" || cur.ScopeHash != "s" {
		t.Fatalf("cursor %+v %v", cur, err)
	}
	// the same batch again changes nothing
	res, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{alice, b, carol}}, by)
	WantErr(t, err, nil, "")
	if res.Counts != (db.DirectoryCounts{Unchanged: 3}) {
		t.Errorf("repeat: %+v", res.Counts)
	}
	// rename (DN), email change, disable, delete
	alice2 := alice
	alice2.DN, alice2.Email, alice2.Hash = "uid=a1,ou=alumni,dc=example,dc=test", Email("alice.new", "example.test"), "h2"
	carol2 := carol
	carol2.Disabled, carol2.Hash = true, "h3"
	res, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{alice2, carol2}, DeleteUsers: []string{"b1"},
		Groups: []db.DirectoryGroup{{Anchor: "g1", DN: "cn=eng,dc=example,dc=test", DisplayName: "engineering", Members: []string{"a1", "c1"}, Hash: "g2"}},
		Cursor: &db.DirectoryCursor{Cookie: []byte("c2"), ScopeHash: "s"}}, by)
	WantErr(t, err, nil, "")
	want := db.DirectoryCounts{Updated: 1, Deactivated: 1, Deleted: 1, GroupsUpdated: 2, MembersAdded: 1}
	if diff := cmp.Diff(want, res.Counts); diff != "" {
		t.Errorf("delta counts (-want +got):\n%s", diff)
	}
	a2, err := s.GetUser(ctx, team.ID, a.ID)
	WantErr(t, err, nil, "")
	if a2.Email != alice2.Email {
		t.Errorf("alice after email change: %+v", a2)
	}
	_, err = s.GetUser(ctx, team.ID, bob.ID)
	WantErr(t, err, db.ErrNotFound, "user_not_found")
	byDN, err := ds.DirectoryAnchorsByDN(ctx, c.ID, []string{"UID=a1,OU=alumni,DC=example,DC=test"})
	if err != nil || byDN["uid=a1,ou=alumni,dc=example,dc=test"].TargetID != a.ID {
		t.Errorf("by DN: %+v %v", byDN, err)
	}
	withDN, err := ds.DirectoryAnchorsWithDN(ctx, c.ID, []string{"UID=a1,OU=alumni,DC=example,DC=test", "uid=nobody,dc=example,dc=test"})
	if err != nil || len(withDN) != 1 || withDN[0].Anchor != "a1" || withDN[0].TargetID != a.ID {
		t.Errorf("with DN: %+v %v", withDN, err)
	}
	g, err := s.FindGroup(ctx, team.ID, db.GroupKey{DisplayName: "engineering"})
	WantErr(t, err, nil, "")
	if g.MemberCount != 2 || g.Source != db.SourceDirectory {
		t.Errorf("group %+v", g)
	}
	var seen []string
	WantErr(t, ds.EachDirectoryAnchor(ctx, c.ID, "user", func(a db.DirectoryAnchor) error { seen = append(seen, a.Anchor); return nil }), nil, "")
	if diff := cmp.Diff([]string{"a1", "c1"}, seen); diff != "" {
		t.Errorf("anchors (-want +got):\n%s", diff)
	}
	if n, err := ds.CountDirectoryAnchors(ctx, c.ID, "group"); err != nil || n != 1 {
		t.Errorf("groups anchored: %d %v", n, err)
	}
	// the audit log names the connection
	entries, err := s.ListAudit(ctx, team.ID, db.AuditQuery{Limit: 100})
	WantErr(t, err, nil, "")
	actions := map[string]bool{}
	for _, e := range entries {
		if e.Actor.Kind == db.ActorDirectory && e.Actor.ID == c.ID {
			actions[e.Action] = true
		}
	}
	for _, want := range []string{"user.create", "user.update", "user.delete", "group.create", "group.members"} {
		if !actions[want] {
			t.Errorf("no %s audit entry by the connection (have %v)", want, actions)
		}
	}
	// the group goes when its entry does
	res, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{DeleteGroups: []string{"g1"}}, by)
	if err != nil || res.Counts.GroupsDeleted != 1 {
		t.Errorf("delete group: %+v %v", res.Counts, err)
	}
}

func testDirDryRun(t *testing.T, s db.Store, ds db.DirectoryStore) {
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID}
	res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{DryRun: true, Users: []db.DirectoryUser{dirUser("x", Email("x", "example.test"))},
		Cursor: &db.DirectoryCursor{Cookie: []byte("dry")}}, by)
	WantErr(t, err, nil, "")
	if res.Counts.Created != 1 || len(res.Changes) != 1 || res.Changes[0].Action != "create" {
		t.Fatalf("dry run: %+v", res)
	}
	if n, _ := s.CountUsers(ctx, team.ID); n != 1 {
		t.Errorf("dry run created users: %d", n)
	}
	if cur, _ := ds.DirectoryCursor(ctx, c.ID); len(cur.Cookie) != 0 {
		t.Error("dry run stored the cursor")
	}
}

func testDirRunsLocks(t *testing.T, s db.Store, ds db.DirectoryStore) {
	team, c := newDirConn(t, s, ds)
	start := time.Now().UTC().Truncate(time.Millisecond)
	for i, e := range []string{"", "boom"} {
		_, err := ds.RecordDirectoryRun(ctx, db.DirectoryRun{ConnectionID: c.ID, TeamID: team.ID, Mode: "full", StartedAt: start.Add(time.Duration(i) * time.Second),
			Duration: 1500 * time.Millisecond, Counts: db.DirectoryCounts{Created: i + 1}, Error: e})
		WantErr(t, err, nil, "")
	}
	runs, err := ds.ListDirectoryRuns(ctx, team.ID, c.ID, 10)
	WantErr(t, err, nil, "")
	if len(runs) != 2 || runs[0].Error != "boom" || runs[0].Counts.Created != 2 || runs[0].Duration != 1500*time.Millisecond {
		t.Fatalf("runs %+v", runs)
	}
	other, _ := NewTeam(t, s, "")
	if r, _ := ds.ListDirectoryRuns(ctx, other.ID, c.ID, 10); len(r) != 0 {
		t.Errorf("another team sees runs: %+v", r)
	}
	unlock, ok, err := ds.TryLockDirectory(ctx, c.ID)
	if err != nil || !ok {
		t.Fatalf("first lock: %v %v", ok, err)
	}
	if _, ok2, err := ds.TryLockDirectory(ctx, c.ID); err != nil || ok2 {
		t.Fatalf("second worker got the lock: %v %v", ok2, err)
	}
	unlock()
	unlock2, ok, err := ds.TryLockDirectory(ctx, c.ID)
	if err != nil || !ok {
		t.Fatalf("lock after unlock: %v %v", ok, err)
	}
	unlock2()
}
