package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/directory"
	"github.com/roster-dev/roster/directory/directorytest"
	"github.com/roster-dev/roster/rolepolicy"
)

// dirEnv is the console on a store with a real slapd connection, synced by
// the directory package's Syncer as `roster serve` wires it.
func dirEnv(t *testing.T, srv *directorytest.Slapd) (*env, db.DirectoryConnection) {
	t.Helper()
	e := newEnvWith(t, gormdb.Config{Classify: rolepolicy.Classify, PlanDirectory: directory.Plan}, func(e *env, _ *http.ServeMux, a *adminapi.Deps, c *console.Deps) {
		a.Directory = &directory.Syncer{Store: e.store, PageSize: 100, DialAttempts: 2}
	})
	pw := filepath.Join(t.TempDir(), "bindpw")
	if err := os.WriteFile(pw, []byte("syncpw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conn, err := e.store.CreateDirectoryConnection(context.Background(), db.DirectoryConnection{TeamID: e.team.ID, Kind: db.DirectoryOpenLDAP,
		URL: srv.LDAPSURL(), CAPEM: srv.CAPEM, BindDN: srv.BindDN, BaseDN: srv.BaseDN, PasswordRef: "file:" + pw, Enabled: true}, operator)
	if err != nil {
		t.Fatal(err)
	}
	return e, conn
}

func (e *env) userCount() int {
	e.t.Helper()
	us, err := e.store.ListUsers(context.Background(), e.team.ID, db.Page{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(us)
}

// TestDirectoryPage walks the Directory page against a real slapd: the
// dry-run preview applies nothing, Sync now applies, a run above the
// deletion threshold waits (nobody removed) until an admin previews and
// confirms it, and the history shows each run with its counts.
func TestDirectoryPage(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 20) // 24 users: the deletion limit is ceil(20% of 24) = 5
	e, conn := dirEnv(t, srv)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	path := "/console/directory/" + conn.ID + "/sync"

	res, body := e.do(c, "GET", "/console/directory", nil)
	if res.StatusCode != 200 || !strings.Contains(body, srv.LDAPSURL()) || !strings.Contains(body, "Sync now") || !strings.Contains(body, "No runs yet.") {
		t.Fatalf("directory page: %d %s", res.StatusCode, body)
	}

	res, body = e.do(c, "POST", path, url.Values{"action": {"preview"}})
	if res.StatusCode != 200 || !strings.Contains(body, "Planned changes") || !strings.Contains(body, "alice@example.org") {
		t.Fatalf("preview: %d %s", res.StatusCode, body)
	}
	if n := e.userCount(); n != 1 {
		t.Fatalf("the dry run applied changes: %d users", n)
	}

	res, body = e.do(c, "POST", path, url.Values{"action": {"sync"}})
	if res.StatusCode != 200 || !strings.Contains(body, "The directory was synced.") {
		t.Fatalf("sync now: %d %s", res.StatusCode, body)
	}
	if n := e.userCount(); n != 25 {
		t.Fatalf("after sync: %d users, want 25", n)
	}

	var del strings.Builder
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&del, "dn: uid=bulk%02d,ou=people,%s\nchangetype: delete\n\n", i, srv.BaseDN)
	}
	srv.LDIF(t, del.String())
	res, body = e.do(c, "POST", path, url.Values{"action": {"sync"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "Nobody was removed") || !strings.Contains(body, "Confirm and remove these users") {
		t.Fatalf("sync over the threshold: %d %s", res.StatusCode, body)
	}
	if n := e.userCount(); n != 25 {
		t.Fatalf("the threshold removed users: %d left", n)
	}
	// The run waits: the page shows it on its own, with the counts.
	_, body = e.do(c, "GET", "/console/directory", nil)
	if !strings.Contains(body, "Removals waiting for confirmation: 8 (limit 5") {
		t.Fatalf("waiting run not shown: %s", body)
	}
	var api []adminapi.DirectoryView
	e.apiGet("/directories", &api)
	if len(api) != 1 || api[0].Waiting == nil || api[0].Waiting.PendingDeletes != 8 || len(api[0].Runs) != 3 {
		t.Fatalf("API directories = %+v", api)
	}

	res, body = e.do(c, "POST", path, url.Values{"action": {"preview"}, "confirm_deletes": {"yes"}})
	if res.StatusCode != 200 || strings.Count(body, "bulk0") < 8 {
		t.Fatalf("preview of the removals: %d %s", res.StatusCode, body)
	}
	if n := e.userCount(); n != 25 {
		t.Fatalf("the removals preview removed users: %d left", n)
	}
	res, body = e.do(c, "POST", path, url.Values{"action": {"confirm"}})
	if res.StatusCode != 200 || !strings.Contains(body, "The directory was synced.") {
		t.Fatalf("confirm: %d %s", res.StatusCode, body)
	}
	if n := e.userCount(); n != 17 {
		t.Fatalf("after confirming: %d users, want 17", n)
	}
	_, body = e.do(c, "GET", "/console/directory", nil)
	if strings.Contains(body, "Removals waiting for confirmation") {
		t.Error("the confirmed run still shows as waiting")
	}
}

// TestDirectorySyncRefusals: a client mistake is a precise 4xx and runs
// nothing; a run already going elsewhere is 409; a non-admin has no page.
func TestDirectorySyncRefusals(t *testing.T) {
	srv := directorytest.StartSlapd(t)
	srv.Seed(t, 0)
	e, conn := dirEnv(t, srv)
	c := e.browser()
	e.signIn(c, e.link(e.user("sec@acme.test", db.RoleSecondary))) // R-ADM-6: every admin role manages users
	other, _, err := e.store.CreateTeam(context.Background(), db.NewTeam{Name: "Other", PrimaryEmail: "o@other.test", PrimaryFirstName: "O", PrimaryLastName: "O"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.store.CreateDirectoryConnection(context.Background(), db.DirectoryConnection{TeamID: other.ID, Kind: db.DirectoryOpenLDAP,
		URL: srv.LDAPSURL(), BindDN: srv.BindDN, BaseDN: srv.BaseDN, PasswordRef: "env:NONE", Enabled: true}, operator)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, conn, action string
		want               int
		body               string
	}{
		{"unknown action", conn.ID, "explode", 400, "Unknown directory action"},
		{"another team's connection", theirs.ID, "sync", 404, "does not exist"},
		{"unknown connection", "nope", "sync", 404, "does not exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.do(c, "POST", "/console/directory/"+tc.conn+"/sync", url.Values{"action": {tc.action}})
			if res.StatusCode != tc.want || !strings.Contains(body, tc.body) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	unlock, ok, err := e.store.TryLockDirectory(context.Background(), conn.ID)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	res, body := e.do(c, "POST", "/console/directory/"+conn.ID+"/sync", url.Values{"action": {"sync"}})
	unlock()
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "being synced right now") {
		t.Fatalf("locked connection: %d %s", res.StatusCode, body)
	}
	if n := e.userCount(); n != 2 || func() bool {
		rs, _ := e.store.ListDirectoryRuns(context.Background(), e.team.ID, "", 10)
		return len(rs) != 0
	}() {
		t.Fatalf("a refused request ran a sync: %d users", n)
	}
	// Without a session the page sends the browser to sign in.
	res, _ = e.do(e.browser(), "GET", "/console/directory", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed-out directory page: %d", res.StatusCode)
	}
}
