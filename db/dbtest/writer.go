package dbtest

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

// issue 10 #1: every write path (admin API and CLI through Store, SCIM
// through SCIMStore, SSO JIT through CreateUser, directory batches, and the
// mutation applier itself) goes through one writer, so the invariants below
// hold whichever path wrote.

// auditKeys returns the sorted detail keys of the newest audit entry with
// action on target.
func auditKeys(t *testing.T, s db.Store, teamID, action, target string) []string {
	t.Helper()
	es, err := s.ListAudit(ctx, teamID, db.AuditQuery{Limit: 1000})
	WantErr(t, err, nil, "")
	for _, e := range es {
		if e.Action != action || e.TargetID != target {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(e.Details), &m); err != nil {
			t.Fatalf("%s details %q: %v", action, e.Details, err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	t.Fatalf("no %s audit entry for %s", action, target)
	return nil
}

// testWriterVersionCAS: a stale expected version is refused by every writer
// with ErrStale "version_mismatch" and writes nothing; every write bumps the
// version by exactly one.
func testWriterVersionCAS(t *testing.T, s db.Store) {
	w, ok := s.(db.Writer)
	if !ok {
		missing(t, "it has no mutation applier")
	}
	team, _ := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "cas", "acme.test", db.SourceAdmin)
	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "cas " + u.ID}, Operator)
	WantErr(t, err, nil, "")
	stale := u.Version + 7
	userWriters := []struct {
		name  string
		write func(ifVersion int64) error
	}{
		{"UpdateUser", func(v int64) error {
			_, err := s.UpdateUser(ctx, team.ID, u.ID, v, Operator, func(x *db.User) error { x.FirstName = "Changed"; return nil })
			return err
		}},
		{"Apply UserUpdate", func(v int64) error {
			_, err := w.Apply(ctx, team.ID, db.UserUpdate{UserID: u.ID, IfVersion: v, By: Operator,
				Change: func(x *db.User, _ *[]db.UserEmail) error { x.LastName = "Changed"; return nil }})
			return err
		}},
		{"Apply UserLink", func(v int64) error {
			_, err := w.Apply(ctx, team.ID, db.UserLink{UserID: u.ID, IfVersion: v, Email: u.Email, FirstName: "Linked",
				LastName: "Linked", Status: db.StatusActive, By: Operator})
			return err
		}},
		{"Apply UserDeactivate", func(v int64) error {
			_, err := w.Apply(ctx, team.ID, db.UserDeactivate{UserID: u.ID, IfVersion: v, By: Operator})
			return err
		}},
	}
	if ss, ok := s.(db.SCIMStore); ok {
		userWriters = append(userWriters, struct {
			name  string
			write func(ifVersion int64) error
		}{"UpdateSCIMUser", func(v int64) error {
			_, err := ss.UpdateSCIMUser(ctx, team.ID, u.ID, v, Operator, func(x *db.User, _ *[]db.UserEmail) error { x.FirstName = "Scim"; return nil })
			return err
		}})
	}
	for _, c := range userWriters {
		t.Run(c.name, func(t *testing.T) {
			before, err := s.GetUser(ctx, team.ID, u.ID)
			WantErr(t, err, nil, "")
			WantErr(t, c.write(stale), db.ErrStale, "version_mismatch")
			after, err := s.GetUser(ctx, team.ID, u.ID)
			WantErr(t, err, nil, "")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("a stale write changed the user (-before +after):\n%s", diff)
			}
			WantErr(t, c.write(before.Version), nil, "")
			after, err = s.GetUser(ctx, team.ID, u.ID)
			WantErr(t, err, nil, "")
			if after.Version != before.Version+1 {
				t.Fatalf("version %d after a write of version %d, want +1", after.Version, before.Version)
			}
		})
	}
	groupWriters := []struct {
		name  string
		write func(ifVersion int64, name string) error
	}{
		{"UpdateGroup", func(v int64, name string) error {
			_, err := s.UpdateGroup(ctx, team.ID, g.ID, v, Operator, func(x *db.Group) error { x.DisplayName = name; return nil })
			return err
		}},
		{"Apply GroupRename", func(v int64, name string) error {
			_, err := w.Apply(ctx, team.ID, db.GroupRename{GroupID: g.ID, IfVersion: v, DisplayName: name, By: Operator})
			return err
		}},
	}
	if ss, ok := s.(db.SCIMStore); ok {
		groupWriters = append(groupWriters, struct {
			name  string
			write func(ifVersion int64, name string) error
		}{"PatchGroup", func(v int64, name string) error {
			_, err := ss.PatchGroup(ctx, team.ID, g.ID, v, Operator, func(x *db.Group) error { x.DisplayName = name; return nil }, []string{u.ID}, nil, nil)
			return err
		}})
	}
	for i, c := range groupWriters {
		t.Run(c.name, func(t *testing.T) {
			before, err := s.GetGroup(ctx, team.ID, g.ID)
			WantErr(t, err, nil, "")
			WantErr(t, c.write(before.Version+7, "stale"), db.ErrStale, "version_mismatch")
			after, err := s.GetGroup(ctx, team.ID, g.ID)
			WantErr(t, err, nil, "")
			if diff := cmp.Diff(before, after); diff != "" {
				t.Fatalf("a stale write changed the group (-before +after):\n%s", diff)
			}
			WantErr(t, c.write(before.Version, "renamed "+c.name+string(rune('a'+i))), nil, "")
			after, err = s.GetGroup(ctx, team.ID, g.ID)
			WantErr(t, err, nil, "")
			if after.Version <= before.Version {
				t.Fatalf("version %d after a write of version %d", after.Version, before.Version)
			}
		})
	}
}

// testWriterBumpsVersion: the writes that take no expected version (a type
// change, a role change) still bump the user's version, so a client holding
// the version it read before them is refused (one compare-and-swap for
// every writer, issue 10).
func testWriterBumpsVersion(t *testing.T, s db.Store) {
	team, primary := NewTeam(t, s, "")
	u := NewUser(t, s, team.ID, "bump", "acme.test", db.SourceAdmin)
	for _, c := range []struct {
		name  string
		write func() error
	}{
		{"ChangeUserTypes", func() error { return SetTypes(t, s, team.ID, []string{u.ID}, db.TypeExternal, Operator) }},
		{"RevertExceptions", func() error {
			_, err := s.(db.PolicyStore).RevertExceptions(ctx, team.ID, []string{u.ID}, Operator)
			return err
		}},
		{"SetAdminRole", func() error { return s.SetAdminRole(ctx, team.ID, primary.ID, u.ID, db.RoleSecondary, Operator) }},
		{"SetAdminRole none", func() error { return s.SetAdminRole(ctx, team.ID, primary.ID, u.ID, db.RoleNone, Operator) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := s.GetUser(ctx, team.ID, u.ID)
			WantErr(t, err, nil, "")
			WantErr(t, c.write(), nil, "")
			after, err := s.GetUser(ctx, team.ID, u.ID)
			WantErr(t, err, nil, "")
			if after.Version != before.Version+1 {
				t.Fatalf("version %d after a write of version %d, want +1", after.Version, before.Version)
			}
			_, err = s.UpdateUser(ctx, team.ID, u.ID, before.Version, Operator, func(x *db.User) error { x.FirstName = "Stale"; return nil })
			WantErr(t, err, db.ErrStale, "version_mismatch")
		})
	}
}

// testWriterAuditShape: user.create, user.update and group.create have one
// detail shape whichever path wrote them (issue 10 #1: the directory's
// writes carried an extra "dn" key).
func testWriterAuditShape(t *testing.T, s db.Store) {
	ds, ok := s.(db.DirectoryStore)
	if !ok {
		missing(t, "it has no directory sync")
	}
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	createKeys := []string{"email", "source", "type"}
	updateKeys := []string{"fields"}
	groupKeys := []string{"displayName", "members"}

	// the primary admin a new team starts with is created like every user
	if diff := cmp.Diff(createKeys, auditKeys(t, s, team.ID, "user.create", team.PrimaryUserID)); diff != "" {
		t.Errorf("team creation's user.create details for the primary admin (-want +got):\n%s", diff)
	}

	admin := NewUser(t, s, team.ID, "shape", "acme.test", db.SourceAdmin)
	if diff := cmp.Diff(createKeys, auditKeys(t, s, team.ID, "user.create", admin.ID)); diff != "" {
		t.Errorf("admin user.create details (-want +got):\n%s", diff)
	}
	_, err := s.UpdateUser(ctx, team.ID, admin.ID, 0, Operator, func(x *db.User) error { x.FirstName = "Other"; return nil })
	WantErr(t, err, nil, "")
	if diff := cmp.Diff(updateKeys, auditKeys(t, s, team.ID, "user.update", admin.ID)); diff != "" {
		t.Errorf("admin user.update details (-want +got):\n%s", diff)
	}
	if ss, ok := s.(db.SCIMStore); ok {
		su, err := ss.CreateSCIMUser(ctx, team.ID, db.NewUser{Email: Email("scim", "acme.test"), FirstName: "S", LastName: "C", Source: db.SourceSCIM},
			nil, Operator)
		WantErr(t, err, nil, "")
		if diff := cmp.Diff(createKeys, auditKeys(t, s, team.ID, "user.create", su.ID)); diff != "" {
			t.Errorf("SCIM user.create details (-want +got):\n%s", diff)
		}
	}
	du := dirUser("shape1", Email("dir", "example.test"))
	_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{du},
		Groups: []db.DirectoryGroup{{Anchor: "gshape", DN: "cn=shape,dc=example,dc=test", DisplayName: "shape", Members: []string{"shape1"}, Hash: "g"}}}, by)
	WantErr(t, err, nil, "")
	got, err := s.FindUser(ctx, team.ID, db.UserKey{Email: du.Email})
	WantErr(t, err, nil, "")
	if diff := cmp.Diff(createKeys, auditKeys(t, s, team.ID, "user.create", got.ID)); diff != "" {
		t.Errorf("directory user.create details (-want +got):\n%s", diff)
	}
	grp, err := s.FindGroup(ctx, team.ID, db.GroupKey{DisplayName: "shape"})
	WantErr(t, err, nil, "")
	if diff := cmp.Diff(groupKeys, auditKeys(t, s, team.ID, "group.create", grp.ID)); diff != "" {
		t.Errorf("directory group.create details (-want +got):\n%s", diff)
	}
	du.FirstName, du.Hash = "Renamed", "h-renamed"
	_, err = ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{du}}, by)
	WantErr(t, err, nil, "")
	if diff := cmp.Diff(updateKeys, auditKeys(t, s, team.ID, "user.update", got.ID)); diff != "" {
		t.Errorf("directory user.update details (-want +got):\n%s", diff)
	}
	after, err := s.GetUser(ctx, team.ID, got.ID)
	WantErr(t, err, nil, "")
	if after.Version != got.Version+1 {
		t.Errorf("directory update: version %d, want %d", after.Version, got.Version+1)
	}
	ag, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "admin shape"}, Operator)
	WantErr(t, err, nil, "")
	if diff := cmp.Diff(groupKeys, auditKeys(t, s, team.ID, "group.create", ag.ID)); diff != "" {
		t.Errorf("admin group.create details (-want +got):\n%s", diff)
	}
}

// testWriterEmailIndex: users written through the applier are indexed like
// every other path's (created, linked to a new email, deleted).
func testWriterEmailIndex(t *testing.T, s db.Store) {
	w, ok1 := s.(db.Writer)
	ss, ok2 := s.(db.SCIMStore)
	if !ok1 || !ok2 {
		missing(t, "it has no mutation applier or SCIM queries")
	}
	team, _ := NewTeam(t, s, "")
	count := func(email string) int { t.Helper(); return indexed(t, ss, team.ID, email) }
	email := Email("applied", "acme.test")
	out, err := w.Apply(ctx, team.ID, db.UserCreate{User: db.NewUser{Email: email, FirstName: "A", LastName: "P", Source: db.SourceProduct}, By: Operator})
	WantErr(t, err, nil, "")
	if count(email) != 1 {
		t.Fatalf("a user created by Apply is not found by its email")
	}
	next := Email("linked", "acme.test")
	_, err = w.Apply(ctx, team.ID, db.UserLink{UserID: out[0].User.ID, Email: next, FirstName: "A", LastName: "P", Status: db.StatusActive, By: Operator})
	WantErr(t, err, nil, "")
	if count(email) != 0 || count(next) != 1 {
		t.Fatalf("a link to a new email left the index stale: old %d, new %d", count(email), count(next))
	}
	_, err = w.Apply(ctx, team.ID, db.UserDelete{UserID: out[0].User.ID, By: Operator})
	WantErr(t, err, nil, "")
	if count(next) != 0 {
		t.Fatalf("a deleted user is still indexed")
	}
}

// testWriterAtomic: Apply writes all of its mutations or none, and a taken
// email is a precise conflict from the applier (not a rolled-back 500).
func testWriterAtomic(t *testing.T, s db.Store) {
	w, ok := s.(db.Writer)
	if !ok {
		missing(t, "it has no mutation applier")
	}
	team, _ := NewTeam(t, s, "")
	email := Email("atomic", "acme.test")
	_, err := w.Apply(ctx, team.ID,
		db.UserCreate{User: db.NewUser{Email: email, FirstName: "A", LastName: "T", Source: db.SourceAdmin}, By: Operator},
		db.GroupCreate{Group: db.NewGroup{DisplayName: "  "}, By: Operator})
	WantErr(t, err, db.ErrInvalid, "display_name_required")
	_, err = s.FindUser(ctx, team.ID, db.UserKey{Email: email})
	WantErr(t, err, db.ErrNotFound, "")

	a := NewUser(t, s, team.ID, "first", "acme.test", db.SourceAdmin)
	b := NewUser(t, s, team.ID, "second", "acme.test", db.SourceAdmin)
	_, err = w.Apply(ctx, team.ID, db.UserLink{UserID: b.ID, Email: a.Email, FirstName: "B", LastName: "T", Status: db.StatusActive, By: Operator})
	WantErr(t, err, db.ErrConflict, "email_taken")
	_, err = w.Apply(ctx, team.ID, nil)
	WantErr(t, err, db.ErrInvalid, "mutation_invalid")
}

// indexed counts the team's users an emails[value eq email] filter finds.
func indexed(t *testing.T, ss db.SCIMStore, teamID, email string) int {
	t.Helper()
	q := db.Query{Limit: 10, Filter: &db.Expr{Op: db.ExprAny, Multi: "emails", Args: []*db.Expr{
		{Op: db.ExprCmp, Field: db.FieldEmailValue, Cmp: db.CmpEq, Value: email}}}}
	us, _, err := ss.SearchUsers(ctx, teamID, q)
	WantErr(t, err, nil, "")
	return len(us)
}

// testDirBadText: an entry whose anchor or DN is not text (a NUL, invalid
// UTF-8: FuzzLDAPEntry's binary anchor) is a per-entry skip, not a failed
// batch; the batch's other entries apply. (Bad text in a mapped attribute
// is a per-entry skip too: see the invalid_text suite.)
func testDirBadText(t *testing.T, s db.Store) {
	ds, ok := s.(db.DirectoryStore)
	if !ok {
		missing(t, "it has no directory sync")
	}
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	good := dirUser("ok1", Email("good", "example.test"))
	badAnchor := dirUser("x\x00\xff", Email("anchor", "example.test"))
	badDN := dirUser("bn1", Email("name", "example.test"))
	badDN.DN = "uid=\xff,dc=example,dc=test"
	res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{badAnchor, good, badDN},
		Groups: []db.DirectoryGroup{
			{Anchor: "g-\x00", DN: "cn=bad,dc=example,dc=test", DisplayName: "bad", Hash: "g"},
			{Anchor: "g-ok", DN: "cn=ok,dc=example,dc=test", DisplayName: "ok group", Members: []string{"ok1", "\x00"}, Hash: "g"}},
		DeleteUsers: []string{"\xff"}}, by)
	WantErr(t, err, nil, "")
	if res.Counts.Created != 1 || res.Counts.Skipped != 2 || res.Counts.GroupsCreated != 1 || res.Counts.MembersAdded != 1 {
		t.Fatalf("counts %+v, want 1 created, 2 skipped, 1 group with 1 member", res.Counts)
	}
	_, err = s.FindUser(ctx, team.ID, db.UserKey{Email: good.Email})
	WantErr(t, err, nil, "")
}

// testDirUserNameFallbackTaken: a new directory entry whose userName and
// email are both other users' userNames is one reported skip; the batch's
// other entries apply (creating it broke userName uniqueness for the whole
// batch; found by FuzzLDAPEntry).
func testDirUserNameFallbackTaken(t *testing.T, s db.Store) {
	ds, ok := s.(db.DirectoryStore)
	if !ok {
		missing(t, "it has no directory sync")
	}
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	first := dirUser("n1", Email("first", "example.test"))
	_, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{first}}, by)
	WantErr(t, err, nil, "")
	holder, err := s.FindUser(ctx, team.ID, db.UserKey{Email: first.Email})
	WantErr(t, err, nil, "")
	// a second entry: its userName is the first user's, its email is the
	// first user's userName too once that user's userName is the email
	clash := dirUser("n2", Email("clash", "example.test"))
	clash.UserName = holder.UserName
	_, err = s.UpdateUser(ctx, team.ID, holder.ID, 0, Operator, func(u *db.User) error { u.UserName = clash.Email; return nil })
	WantErr(t, err, nil, "")
	clash.UserName = clash.Email
	good := dirUser("n3", Email("good", "example.test"))
	res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{clash, good}}, by)
	WantErr(t, err, nil, "")
	if res.Counts.Created != 1 || res.Counts.Skipped != 1 {
		t.Fatalf("counts %+v, want 1 created, 1 skipped", res.Counts)
	}
}

// testDirGroupsByName: a directory group links to the team's group of the
// same name whatever its case or source (one group, not two), and two new
// entries of one name in a batch make one group, both anchored to it, whose
// members are those of the entry applied last (the directory guide's
// Limits: two directory groups of one name share one Roster group; issue
// 10 #2: the planner decides, the store applies).
func testDirGroupsByName(t *testing.T, s db.Store) {
	ds, ok := s.(db.DirectoryStore)
	if !ok {
		missing(t, "it has no directory sync")
	}
	team, c := newDirConn(t, s, ds)
	by := db.Actor{Kind: db.ActorDirectory, ID: c.ID, Name: "directory test"}
	scimGroup, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "Design", Source: db.SourceSCIM}, Operator)
	WantErr(t, err, nil, "")
	u1, u2, u3 := dirUser("gn1", Email("gn1", "example.test")), dirUser("gn2", Email("gn2", "example.test")), dirUser("gn3", Email("gn3", "example.test"))
	res, err := ds.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{u1, u2, u3},
		Groups: []db.DirectoryGroup{
			{Anchor: "gd", DN: "cn=design,dc=example,dc=test", DisplayName: "DESIGN ", Members: []string{"gn1"}, Hash: "d"},
			{Anchor: "gq1", DN: "cn=qa,ou=a,dc=example,dc=test", DisplayName: "QA", Members: []string{"gn2"}, Hash: "q1"},
			{Anchor: "gq2", DN: "cn=qa,ou=b,dc=example,dc=test", DisplayName: "qa", Members: []string{"gn3"}, Hash: "q2"},
		}}, by)
	WantErr(t, err, nil, "")
	if res.Counts.GroupsCreated != 1 || res.Counts.MembersAdded != 3 || res.Counts.MembersRemoved != 1 {
		t.Fatalf("counts %+v, want 1 group created (QA), 3 members added, 1 removed", res.Counts)
	}
	members := func(groupID string) []string {
		t.Helper()
		ms, err := s.ListMembers(ctx, team.ID, groupID, db.Page{Limit: 10})
		WantErr(t, err, nil, "")
		var emails []string
		for _, m := range ms {
			u, err := s.GetUser(ctx, team.ID, m.UserID)
			WantErr(t, err, nil, "")
			emails = append(emails, u.Email)
		}
		return emails
	}
	if got := members(scimGroup.ID); len(got) != 1 || got[0] != u1.Email {
		t.Fatalf("the SCIM group Design has %v, want the directory's member %s (linked by name)", got, u1.Email)
	}
	qa, err := s.FindGroup(ctx, team.ID, db.GroupKey{DisplayName: "QA"})
	WantErr(t, err, nil, "")
	if got := members(qa.ID); len(got) != 1 || got[0] != u3.Email {
		t.Fatalf("QA has %v, want the last entry's member %s", got, u3.Email)
	}
	anchors, err := ds.DirectoryAnchors(ctx, c.ID, []string{"gd", "gq1", "gq2"})
	WantErr(t, err, nil, "")
	if anchors["gd"].TargetID != scimGroup.ID || anchors["gq1"].TargetID != qa.ID || anchors["gq2"].TargetID != qa.ID {
		t.Fatalf("anchors %+v, want gd → %s and gq1, gq2 → %s", anchors, scimGroup.ID, qa.ID)
	}
}
