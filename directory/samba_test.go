package directory

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/directory/directorytest"
)

// TestSambaAD runs the lifecycle against a real Samba AD DC: full sync over
// LDAPS with a CA, idempotent re-sync, then a DirSync delta over StartTLS
// with a SHA-256 pin (disabled, deleted, renamed, moved and new accounts,
// nested groups flattened), then a wrong pin and password.
func TestSambaAD(t *testing.T) {
	srv := directorytest.StartSamba(t, 0)
	ctx := context.Background()
	c := db.DirectoryConnection{Kind: db.DirectoryAD, URL: "ldaps://127.0.0.1:636", CAPEM: srv.CAPEM,
		BindDN: "scim-sync@CORP.EXAMPLE.TEST", BaseDN: srv.BaseDN}
	f := newFixture(t, gormdb.SQLite, c, "Sync-Passw0rd!")
	adGroups := func() map[string][]string {
		out := map[string][]string{}
		for k, v := range f.groups(t) {
			if k == "engineering" || k == "contractors" || k == "all-staff" {
				out[k] = v
			}
		}
		return out
	}

	rep := f.sync(t, Options{})
	if rep.Mode != "full" || counts(rep) != [5]int{4, 0, 0, 0, 0} {
		t.Fatalf("full: %v %+v", counts(rep), rep)
	}
	us := f.users(t)
	if u := us["carol@partner-corp.com"]; u.Type != db.TypeExternal || u.Status != db.StatusActive { // R-POL-10
		t.Errorf("carol: %+v", u)
	}
	if u := us["alice@corp.example.test"]; u.UserName != "alice@CORP.EXAMPLE.TEST" && u.UserName != "alice@corp.example.test" {
		t.Errorf("alice userName from userPrincipalName: %+v", u)
	}
	want := map[string][]string{
		"engineering": {"alice@corp.example.test", "bob@corp.example.test"},
		"contractors": {"carol@partner-corp.com"},
		"all-staff":   {"alice@corp.example.test", "bob@corp.example.test", "dave@corp.example.test"},
	}
	if diff := cmp.Diff(want, adGroups()); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if rep := f.sync(t, Options{}); rep.Mode != "delta" || counts(rep) != [5]int{} {
		t.Errorf("empty delta: %s %v", rep.Mode, counts(rep))
	}
	if rep := f.sync(t, Options{Full: true}); counts(rep) != [5]int{0, 0, 0, 0, 4} {
		t.Errorf("full re-sync: %v", counts(rep))
	}

	alice, dave := us["alice@corp.example.test"], us["dave@corp.example.test"]
	srv.Mutate(t)
	// the delta goes over StartTLS with a pin: same server, so the cursor stays valid
	f.conn.URL, f.conn.StartTLS, f.conn.CAPEM, f.conn.TLSPin = "ldap://127.0.0.1:389", true, "", srv.Pin
	rep = f.sync(t, Options{})
	if rep.Mode != "delta" || counts(rep) != [5]int{1, 1, 1, 1, 1} {
		t.Fatalf("delta: %s %v %+v", rep.Mode, counts(rep), rep)
	}
	us = f.users(t)
	if u := us["alice.anderson@corp.example.test"]; u.ID != alice.ID {
		t.Errorf("renamed alice: %+v", u)
	}
	if u := us["dave@corp.example.test"]; u.ID != dave.ID {
		t.Errorf("moved dave: %+v", u)
	}
	if u := us["carol@partner-corp.com"]; u.Status != db.StatusInactive {
		t.Errorf("disabled carol: %+v", u)
	}
	if _, ok := us["bob@corp.example.test"]; ok {
		t.Error("deleted bob is still in the team")
	}
	if u := us["erin@gmail.com"]; u.Type != db.TypeExternal {
		t.Errorf("erin: %+v", u)
	}
	want = map[string][]string{
		"engineering": {"alice.anderson@corp.example.test", "erin@gmail.com"},
		"contractors": {},
		"all-staff":   {"alice.anderson@corp.example.test", "dave@corp.example.test", "erin@gmail.com"},
	}
	if diff := cmp.Diff(want, adGroups()); diff != "" {
		t.Errorf("groups after delta (-want +got):\n%s", diff)
	}
	maybeRecord(t, f, "ad-users.json")
	if rep := f.sync(t, Options{Full: true}); counts(rep) != [5]int{0, 0, 0, 0, 4} {
		t.Errorf("full after delta: %v %+v", counts(rep), rep.Changes)
	}

	for name, edit := range map[string]func(c *db.DirectoryConnection){
		"wrong pin":      func(c *db.DirectoryConnection) { c.TLSPin = strings.Repeat("0", 64) },
		"wrong password": func(c *db.DirectoryConnection) { c.PasswordRef = "env:ROSTER_TEST_NO_SUCH_PW" },
	} {
		bad := f.conn
		edit(&bad)
		if _, err := f.syncer.Run(ctx, bad, Options{}); err == nil {
			t.Errorf("%s: sync succeeded", name)
		}
	}
	bad := f.conn
	bad.PasswordRef = "env:ROSTER_TEST_BAD_PW"
	t.Setenv("ROSTER_TEST_BAD_PW", "Wrong-Passw0rd!")
	if _, err := f.syncer.Run(ctx, bad, Options{}); err == nil || !strings.Contains(err.Error(), "invalid credentials") {
		t.Errorf("wrong password: %v", err)
	}
}
