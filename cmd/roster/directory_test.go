package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/roster-dev/roster/directory/directorytest"
)

type syncOut struct {
	Created, Updated, Deactivated, Deleted, Unchanged int
	PendingDeletes                                    int `json:"pending_deletes"`
	Changes                                           []struct{ Action, Email string }
}

// TestCLIDirectorySync drives the CLI contract of issue 4 against a real
// slapd: directory add, sync (full, idempotent, delta, dry run), status.
func TestCLIDirectorySync(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 0)
	c := newCLI(t)
	team := c.team("Acme", "pat@example.org")
	dir := t.TempDir()
	pw, ca := filepath.Join(dir, "pw"), filepath.Join(dir, "ca.pem")
	os.WriteFile(pw, []byte("syncpw\n"), 0o600)
	os.WriteFile(ca, []byte(srv.CAPEM), 0o600)

	c.fails("plaintext", "directory", "add", "--team", team, "--kind", "openldap", "--url", srv.StartTLSURL(), "--bind-dn", srv.BindDN,
		"--bind-password-file", pw, "--base-dn", srv.BaseDN, "-o", "json")
	c.fails("filter", "directory", "add", "--team", team, "--kind", "openldap", "--url", srv.LDAPSURL(), "--bind-dn", srv.BindDN,
		"--bind-password-file", pw, "--base-dn", srv.BaseDN, "--user-filter", "(uid=*", "--ca-file", ca, "-o", "json")
	var added struct{ ID, Password string }
	c.ok(&added, "directory", "add", "--team", team, "--kind", "openldap", "--url", srv.StartTLSURL(), "--start-tls", "--bind-dn", srv.BindDN,
		"--bind-password-file", pw, "--base-dn", srv.BaseDN, "--tls-pin", srv.Pin, "-o", "json")
	if added.ID == "" || added.Password == "syncpw" {
		t.Fatalf("directory add = %+v", added)
	}

	var dry syncOut
	c.ok(&dry, "sync", "--team", team, "--dry-run", "-o", "json")
	if dry.Created != 4 || len(dry.Changes) < 4 {
		t.Fatalf("dry run = %+v", dry)
	}
	var s syncOut
	c.ok(&s, "sync", "--team", team, "-o", "json")
	if s.Created != 4 || s.Deleted != 0 {
		t.Fatalf("first sync = %+v", s)
	}
	c.ok(&s, "sync", "--team", team, "--directory", added.ID, "-o", "json")
	if s.Created+s.Updated+s.Deactivated+s.Deleted != 0 || len(s.Changes) != 0 {
		t.Fatalf("idempotent re-sync = %+v", s)
	}
	srv.Mutate(t)
	s = syncOut{}
	c.ok(&s, "sync", "--team", team, "-o", "json")
	if s.Created != 1 || s.Updated != 2 || s.Deleted != 1 {
		t.Fatalf("delta = %+v", s)
	}
	var users []struct{ Email, Type string }
	c.ok(&users, "users", "list", "--team", team, "-o", "json")
	if len(users) != 5 { // pat + alice, carol, dave, erin
		t.Fatalf("users = %+v", users)
	}
	var groups []struct {
		DisplayName string `json:"display_name"`
		Members     []string
	}
	c.ok(&groups, "directory", "groups", "--team", team, "-o", "json")
	got := map[string]string{}
	for _, g := range groups {
		sort.Strings(g.Members)
		got[g.DisplayName] = strings.Join(g.Members, " ")
	}
	if want := "alice.anderson@example.org dave@example.org erin@gmail.com"; got["all-staff"] != want { // nested engineering, flattened
		t.Fatalf("all-staff = %q, want %q (groups %v)", got["all-staff"], want, got)
	}
	var st struct {
		LastRun    *string `json:"last_run"`
		DurationMS int64   `json:"duration_ms"`
		Created    int
		Error      string
	}
	c.ok(&st, "directory", "status", "--team", team, "-o", "json")
	if st.LastRun == nil || st.Created != 1 || st.Error != "" {
		t.Fatalf("status = %+v", st)
	}

	// removing more than the threshold stops, exit 1, nobody removed; --allow-deletes confirms
	for _, u := range []string{"alice", "erin"} {
		srv.LDIF(t, "dn: uid="+u+",ou=people,"+srv.BaseDN+"\nchangetype: delete\n")
	}
	c.fails("deletion threshold", "sync", "--team", team, "-o", "json")
	c.ok(&users, "users", "list", "--team", team, "-o", "json")
	if len(users) != 5 {
		t.Fatalf("threshold did not hold: %d users", len(users))
	}
	c.ok(&st, "directory", "status", "--team", team, "-o", "json")
	if st.Error == "" {
		t.Fatal("status shows no error after the threshold stop")
	}
	s = syncOut{}
	c.ok(&s, "sync", "--team", team, "--allow-deletes", "-o", "json")
	if s.Deleted != 2 {
		t.Fatalf("--allow-deletes = %+v", s)
	}
}
