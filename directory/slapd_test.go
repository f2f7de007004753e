package directory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/directory/directorytest"
)

// testClassify stands in for the role policy (feature packages do not import
// each other): a domain-mode-like rule where example.org and
// corp.example.test are the approved domains.
func testClassify(_ db.Policy, email string, _ db.Source, isAdmin bool) db.UserType {
	switch db.EmailDomain(email) {
	case "example.org", "corp.example.test":
		return db.TypeStandard
	}
	return db.TypeExternal
}

type fixture struct {
	store  *gormdb.Store
	syncer *Syncer
	team   db.Team
	conn   db.DirectoryConnection
}

func newFixture(t *testing.T, d gormdb.Dialect, c db.DirectoryConnection, password string) *fixture {
	t.Helper()
	st := gormdbtest.Open(t, d, gormdb.Config{Classify: testClassify, PlanDirectory: Plan})
	ctx := context.Background()
	team, _, err := st.CreateTeam(ctx, db.NewTeam{Name: "Acme", PrimaryEmail: "owner@example.org", PrimaryFirstName: "Olive", PrimaryLastName: "Owner"}, db.Actor{Kind: db.ActorOperator, ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "bindpw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.TeamID = team.ID
	c.PasswordRef = "file:" + pwFile
	c.Enabled = true
	c, err = st.CreateDirectoryConnection(ctx, c, db.Actor{Kind: db.ActorOperator, ID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: st, team: team, conn: c, syncer: &Syncer{Store: st, PageSize: 100, DialAttempts: 2}}
}

func (f *fixture) sync(t *testing.T, o Options) Report {
	t.Helper()
	rep, err := f.syncer.Run(context.Background(), f.conn, o)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

// users returns email -> user of the team, without the primary admin.
func (f *fixture) users(t *testing.T) map[string]db.User {
	t.Helper()
	us, err := f.store.ListUsers(context.Background(), f.team.ID, db.Page{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]db.User{}
	for _, u := range us {
		if u.AdminRole == db.RoleNone {
			out[u.Email] = u
		}
	}
	return out
}

// groups returns group name -> sorted member emails.
func (f *fixture) groups(t *testing.T) map[string][]string {
	t.Helper()
	ctx := context.Background()
	gs, err := f.store.ListGroups(ctx, f.team.ID, db.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, g := range gs {
		ms, err := f.store.ListMembers(ctx, f.team.ID, g.ID, db.Page{Limit: 10000})
		if err != nil {
			t.Fatal(err)
		}
		emails := []string{}
		for _, m := range ms {
			emails = append(emails, m.Email)
		}
		sort.Strings(emails)
		out[g.DisplayName] = emails
	}
	return out
}

func counts(r Report) [5]int {
	return [5]int{r.Created, r.Updated, r.Deactivated, r.Deleted, r.Unchanged}
}

func slapdConn(s *directorytest.Slapd) db.DirectoryConnection {
	return db.DirectoryConnection{Kind: db.DirectoryOpenLDAP, URL: s.LDAPSURL(), CAPEM: s.CAPEM, BindDN: s.BindDN, BaseDN: s.BaseDN}
}

func TestSlapdLifecycle(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 0)
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			testSlapdLifecycle(t, srv, d)
		})
	}
}

func testSlapdLifecycle(t *testing.T, srv *directorytest.Slapd, d gormdb.Dialect) {
	f := newFixture(t, d, slapdConn(srv), "syncpw")
	ctx := context.Background()
	// carol already exists (added by an admin / SCIM): the directory links her, no duplicate.
	carol, err := f.store.CreateUser(ctx, f.team.ID, db.NewUser{Email: "Carol@partner-corp.com", FirstName: "C", LastName: "C", Source: db.SourceAdmin}, db.Actor{Kind: db.ActorOperator, ID: "t"})
	if err != nil {
		t.Fatal(err)
	}

	// dry run first: reports, applies nothing
	rep := f.sync(t, Options{DryRun: true})
	if rep.Created != 3 || len(f.users(t)) != 1 || len(rep.Changes) == 0 {
		t.Fatalf("dry run: created=%d users=%d changes=%d", rep.Created, len(f.users(t)), len(rep.Changes))
	}
	if cur, _ := f.store.DirectoryCursor(ctx, f.conn.ID); len(cur.Cookie) != 0 {
		t.Fatal("dry run stored a cursor")
	}

	rep = f.sync(t, Options{})
	if rep.Mode != "full" || counts(rep) != [5]int{3, 1, 0, 0, 0} {
		t.Fatalf("initial full sync: mode=%s counts=%v (%+v)", rep.Mode, counts(rep), rep)
	}
	us := f.users(t)
	if len(us) != 4 {
		t.Fatalf("want 4 users, got %v", us)
	}
	if us["carol@partner-corp.com"].ID != carol.ID || us["carol@partner-corp.com"].FirstName != "Carol" {
		t.Errorf("carol was not linked to the existing user: %+v", us["carol@partner-corp.com"])
	}
	// R-POL-3: synced users are classified by the injected policy, source directory
	if u := us["alice@example.org"]; u.Type != db.TypeStandard || u.Source != db.SourceDirectory || u.UserName != "alice" {
		t.Errorf("alice: %+v", u)
	}
	want := map[string][]string{
		"engineering": {"alice@example.org", "bob@example.org"},
		"contractors": {"carol@partner-corp.com"},
		"all-staff":   {"alice@example.org", "bob@example.org", "dave@example.org"}, // nested: engineering flattened
	}
	if diff := cmp.Diff(want, f.groups(t)); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}

	// idempotent: a delta with no changes, and a forced full re-sync, change nothing
	rep = f.sync(t, Options{})
	if rep.Mode != "delta" || counts(rep) != [5]int{} {
		t.Errorf("empty delta: mode=%s counts=%v", rep.Mode, counts(rep))
	}
	rep = f.sync(t, Options{Full: true})
	if counts(rep) != [5]int{0, 0, 0, 0, 4} || rep.MembersAdded+rep.MembersRemoved != 0 {
		t.Errorf("full re-sync: counts=%v members=%d/%d", counts(rep), rep.MembersAdded, rep.MembersRemoved)
	}

	alice, dave := us["alice@example.org"], us["dave@example.org"]
	srv.Mutate(t)        // new erin (gmail), alice's mail changes, dave -> uid=david,ou=alumni, bob deleted
	t.Cleanup(func() {}) // the server is shared by dialect subtests: restore below
	rep = f.sync(t, Options{})
	if rep.Mode != "delta" || counts(rep) != [5]int{1, 2, 0, 1, 0} {
		t.Fatalf("delta: mode=%s counts=%v changes=%+v", rep.Mode, counts(rep), rep.Changes)
	}
	us = f.users(t)
	if u := us["alice.anderson@example.org"]; u.ID != alice.ID {
		t.Errorf("alice's mail change made a new user: %+v", u)
	}
	if u := us["dave@example.org"]; u.ID != dave.ID || u.UserName != "david" {
		t.Errorf("renamed+moved dave: %+v (was %s)", u, dave.ID)
	}
	if _, ok := us["bob@example.org"]; ok {
		t.Error("deleted bob is still in the team")
	}
	if u := us["erin@gmail.com"]; u.Type != db.TypeExternal { // R-POL-3
		t.Errorf("erin: %+v", u)
	}
	want = map[string][]string{
		"engineering": {"alice.anderson@example.org", "erin@gmail.com"},
		"contractors": {"carol@partner-corp.com"},
		"all-staff":   {"alice.anderson@example.org", "dave@example.org", "erin@gmail.com"},
	}
	if diff := cmp.Diff(want, f.groups(t)); diff != "" {
		t.Errorf("groups after delta (-want +got):\n%s", diff)
	}
	// the audit log names the connection
	entries, err := f.store.ListAudit(ctx, f.team.ID, db.AuditQuery{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var byDir int
	for _, e := range entries {
		if e.Actor.Kind == db.ActorDirectory && e.Actor.ID == f.conn.ID {
			byDir++
		}
	}
	if byDir == 0 {
		t.Error("no audit entries by the directory connection")
	}
	if d == gormdb.SQLite {
		maybeRecord(t, f, "openldap-users.json")
	}
	rep = f.sync(t, Options{Full: true})
	if counts(rep) != [5]int{0, 0, 0, 0, 4} {
		t.Errorf("full after delta: %v %+v", counts(rep), rep.Changes)
	}
	runs, err := f.store.ListDirectoryRuns(ctx, f.team.ID, f.conn.ID, 1)
	if err != nil || len(runs) != 1 || runs[0].Mode != "full" || runs[0].Counts.Unchanged != 4 {
		t.Errorf("runs: %+v %v", runs, err)
	}
	undoMutation(t, srv)
}

// undoMutation restores the seed so the next dialect subtest starts equal.
func undoMutation(t *testing.T, srv *directorytest.Slapd) {
	srv.LDIF(t, fmt.Sprintf(`dn: uid=erin,ou=people,%[1]s
changetype: delete

dn: uid=david,ou=alumni,%[1]s
changetype: modrdn
newrdn: uid=dave
deleteoldrdn: 1
newsuperior: ou=people,%[1]s

dn: uid=alice,ou=people,%[1]s
changetype: modify
replace: mail
mail: alice@example.org

dn: uid=bob,ou=people,%[1]s
changetype: add
objectClass: inetOrgPerson
uid: bob
cn: Bob Brown
givenName: Bob
sn: Brown
mail: bob@example.org

dn: cn=engineering,ou=groups,%[1]s
changetype: modify
replace: member
member: uid=alice,ou=people,%[1]s
member: uid=bob,ou=people,%[1]s

dn: cn=all-staff,ou=groups,%[1]s
changetype: modify
replace: member
member: cn=engineering,ou=groups,%[1]s
member: uid=dave,ou=people,%[1]s

dn: ou=alumni,%[1]s
changetype: delete
`, srv.BaseDN))
}

func TestSlapdTLSAndCredentials(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 0)
	base := slapdConn(srv)
	wrongPin := strings.Repeat("ab", 32)
	tests := []struct {
		name    string
		edit    func(c *db.DirectoryConnection)
		pw      string
		wantTLS bool
		wantErr string
	}{
		{name: "ldaps with CA", edit: func(c *db.DirectoryConnection) {}},
		{name: "starttls with pin", edit: func(c *db.DirectoryConnection) {
			c.URL, c.StartTLS, c.CAPEM, c.TLSPin = srv.StartTLSURL(), true, "", strings.ToUpper(srv.Pin)
		}},
		{name: "ldaps with pin", edit: func(c *db.DirectoryConnection) { c.CAPEM, c.TLSPin = "", srv.Pin }},
		{name: "wrong pin", edit: func(c *db.DirectoryConnection) { c.CAPEM, c.TLSPin = "", wrongPin }, wantTLS: true},
		{name: "wrong pin starttls", edit: func(c *db.DirectoryConnection) {
			c.URL, c.StartTLS, c.CAPEM, c.TLSPin = srv.StartTLSURL(), true, "", wrongPin
		}, wantTLS: true},
		{name: "unknown CA", edit: func(c *db.DirectoryConnection) { c.CAPEM = "" }, wantTLS: true},
		{name: "wrong password", edit: func(c *db.DirectoryConnection) {}, pw: "not-the-password", wantErr: "invalid credentials"},
		{name: "plaintext refused", edit: func(c *db.DirectoryConnection) { c.URL, c.CAPEM = srv.StartTLSURL(), "" }, wantErr: "plaintext"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			pw := "syncpw"
			if tc.pw != "" {
				pw = tc.pw
			}
			f := newFixture(t, gormdb.SQLite, c, pw)
			rep, err := f.syncer.Run(context.Background(), f.conn, Options{})
			switch {
			case tc.wantTLS:
				if !errors.Is(err, ErrTLS) {
					t.Fatalf("want a TLS error, got %v", err)
				}
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
			default:
				if err != nil || rep.Created != 4 {
					t.Fatalf("sync: %v %+v", err, rep)
				}
				return
			}
			if n := len(f.users(t)); n != 0 {
				t.Errorf("a failed connection changed users: %d", n)
			}
			runs, _ := f.store.ListDirectoryRuns(context.Background(), f.team.ID, f.conn.ID, 1)
			if len(runs) != 1 || runs[0].Error == "" || strings.Contains(runs[0].Error, pw) {
				t.Errorf("run history: %+v", runs)
			}
		})
	}
}

func TestSlapdDeleteThreshold(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 20) // 24 users: the default limit is ceil(20% of 24) = 5
	f := newFixture(t, gormdb.SQLite, slapdConn(srv), "syncpw")
	ctx := context.Background()
	if rep := f.sync(t, Options{}); rep.Created != 24 {
		t.Fatalf("initial: %+v", rep)
	}
	var del strings.Builder
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&del, "dn: uid=bulk%02d,ou=people,%s\nchangetype: delete\n\n", i, srv.BaseDN)
	}
	srv.LDIF(t, del.String())
	cur0, _ := f.store.DirectoryCursor(ctx, f.conn.ID)

	rep, err := f.syncer.Run(ctx, f.conn, Options{})
	if !errors.Is(err, ErrDeleteThreshold) || rep.PendingDeletes != 8 || rep.Deleted != 0 {
		t.Fatalf("delta over the threshold: err=%v rep=%+v", err, rep)
	}
	if n := len(f.users(t)); n != 24 {
		t.Fatalf("users removed despite the threshold: %d left", n)
	}
	if cur, _ := f.store.DirectoryCursor(ctx, f.conn.ID); string(cur.Cookie) != string(cur0.Cookie) {
		t.Error("the cursor moved although nothing was applied")
	}
	// a scope change (filter) forces a full sync; dropping everyone is held back too
	narrowed := f.conn
	narrowed.UserFilter = "(uid=alice)"
	rep, err = f.syncer.Run(ctx, narrowed, Options{})
	if !errors.Is(err, ErrDeleteThreshold) || rep.Mode != "full" || rep.Deleted != 0 {
		t.Fatalf("narrowed full sync: err=%v rep=%+v", err, rep)
	}
	if n := len(f.users(t)); n != 24 {
		t.Fatalf("users removed by a narrowed filter: %d left", n)
	}
	rep = f.sync(t, Options{AllowDeletes: true})
	if rep.Deleted != 8 || len(f.users(t)) != 16 {
		t.Fatalf("--allow-deletes: %+v users=%d", rep, len(f.users(t)))
	}
}

func TestSlapdKilledMidSync(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 600)
	f := newFixture(t, gormdb.SQLite, slapdConn(srv), "syncpw")
	ctx := context.Background()
	if rep := f.sync(t, Options{}); rep.Created != 604 {
		t.Fatalf("initial: %+v", rep)
	}
	// bob leaves; then a full run dies after its second page
	srv.LDIF(t, "dn: uid=bob,ou=people,"+srv.BaseDN+"\nchangetype: delete\n")
	f.syncer.afterPage = func(n int) {
		if n == 2 {
			srv.Kill(t)
		}
	}
	_, err := f.syncer.Run(ctx, f.conn, Options{Full: true})
	if err == nil {
		t.Fatal("a sync against a killed server succeeded")
	}
	if _, ok := f.users(t)["bob@example.org"]; !ok {
		t.Fatal("a failed run removed bob (partial deletion)")
	}
	if cur, _ := f.store.DirectoryCursor(ctx, f.conn.ID); len(cur.Cookie) != 0 {
		// the full run's cursor was never stored, but the earlier one remains
	}
	// restart the same slapd (same data) and resume
	f.syncer.afterPage = nil
	cmd := exec.Command("/usr/sbin/slapd", "-F", filepath.Join(srv.Dir, "slapd.d"), "-h",
		fmt.Sprintf("ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", srv.Port, srv.LDAPSPort))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("restart slapd: %v %s", err, out)
	}
	var rep Report
	for i := 0; i < 50; i++ { // wait for the restarted server
		if rep, err = f.syncer.Run(ctx, f.conn, Options{Full: true}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deleted != 1 || rep.Created != 0 || rep.Unchanged != 603 {
		t.Fatalf("resumed run: %v", counts(rep))
	}
}

// TestSlapdRecreatedAtSameDN: an entry deleted and created again at the same
// DN (a new entryUUID) is a new user, and a full sync puts the new user, not
// the old anchor that had the DN, in its groups (member DNs are resolved
// through the stored anchors, checked against what the run saw).
func TestSlapdRecreatedAtSameDN(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 0)
	f := newFixture(t, gormdb.SQLite, slapdConn(srv), "syncpw")
	f.sync(t, Options{})
	if got := f.groups(t)["engineering"]; !cmp.Equal(got, []string{"alice@example.org", "bob@example.org"}) {
		t.Fatalf("engineering before: %v", got)
	}
	srv.LDIF(t, fmt.Sprintf(`dn: uid=bob,ou=people,%[1]s
changetype: delete

dn: uid=bob,ou=people,%[1]s
changetype: add
objectClass: inetOrgPerson
uid: bob
cn: Bob Again
sn: Again
mail: bob.again@example.org

dn: cn=engineering,ou=groups,%[1]s
changetype: modify
add: member
member: uid=bob,ou=people,%[1]s
`, srv.BaseDN))
	for _, o := range []Options{{Full: true, DryRun: true}, {Full: true, AllowDeletes: true}} {
		rep := f.sync(t, o)
		if rep.Created != 1 || rep.Deleted != 1 {
			t.Fatalf("full sync %+v: %+v", o, rep.DirectoryCounts)
		}
	}
	want := map[string][]string{"engineering": {"alice@example.org", "bob.again@example.org"},
		"all-staff": {"alice@example.org", "bob.again@example.org", "dave@example.org"}}
	got := f.groups(t)
	for name, w := range want {
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s members (-want +got):\n%s", name, diff)
		}
	}
}

// TestSlapdMovedWithSkippedUpdate: an entry that moves to a new DN while its
// update is skipped (its new email belongs to another user) stays in its
// groups: the anchor takes the new DN even though the update waits.
func TestSlapdMovedWithSkippedUpdate(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 0)
	f := newFixture(t, gormdb.SQLite, slapdConn(srv), "syncpw")
	f.sync(t, Options{})
	srv.LDIF(t, fmt.Sprintf(`dn: uid=alice,ou=people,%[1]s
changetype: modrdn
newrdn: uid=alice2
deleteoldrdn: 1

dn: uid=alice2,ou=people,%[1]s
changetype: modify
replace: mail
mail: carol@partner-corp.com
`, srv.BaseDN))
	rep := f.sync(t, Options{Full: true})
	if rep.Skipped != 1 || rep.Updated != 0 {
		t.Fatalf("full sync: %+v", rep.DirectoryCounts)
	}
	if diff := cmp.Diff([]string{"alice@example.org", "bob@example.org"}, f.groups(t)["engineering"]); diff != "" {
		t.Errorf("engineering members (-want +got):\n%s", diff)
	}
}
