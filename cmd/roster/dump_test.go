package main

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// TestDumpRestore runs docs/deployment.md's PostgreSQL and MariaDB backup
// lines as written — pg_dump --format=custom / pg_restore --clean, and
// mariadb-dump --single-transaction --routines / mariadb < dump — on a
// Roster database: a user added after the dump is gone after the restore,
// the team from before is there, and the restored schema needs no
// migration. Skipped without ROSTER_TEST_POSTGRES / ROSTER_TEST_MYSQL or
// the client tools.
func TestDumpRestore(t *testing.T) {
	for _, d := range []gormdb.Dialect{gormdb.Postgres, gormdb.MySQL} {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			tools := map[gormdb.Dialect][]string{gormdb.Postgres: {"pg_dump", "pg_restore"}, gormdb.MySQL: {"mariadb-dump", "mariadb"}}[d]
			for _, tool := range tools {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("%s not installed", tool)
				}
			}
			dsn := gormdbtest.DSN(t, d)
			c := &cli{t: t, dsn: dsn, env: map[string]string{}}
			c.ok(nil, "migrate")
			team := c.team("Dumped", "pat@dump.example")
			dump := filepath.Join(t.TempDir(), "roster.dump")
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			sh := func(name string, args ...string) {
				t.Helper()
				cmd := exec.Command(name, args...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
				}
			}
			// The guide's connection ("$DATABASE_URL" / the client's defaults),
			// given here as the test database's address.
			my := []string{"-h", u.Hostname(), "-P", u.Port(), "-u", u.User.Username()}
			if d == gormdb.Postgres {
				sh("pg_dump", "--format=custom", "--file="+dump, dsn)
			} else {
				sh("sh", "-c", "mariadb-dump "+strings.Join(my, " ")+" --single-transaction --routines "+strings.TrimPrefix(u.Path, "/")+" > "+dump)
			}
			c.ok(nil, "users", "add", "--team", team, "--email", "later@dump.example", "--first-name", "La", "--last-name", "Ter")
			if d == gormdb.Postgres {
				sh("pg_restore", "--clean", "-d", dsn, dump)
			} else {
				f, err := os.Open(dump)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				cmd := exec.Command("mariadb", append(my, strings.TrimPrefix(u.Path, "/"))...)
				cmd.Stdin = f
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("mariadb < dump: %v\n%s", err, out)
				}
			}
			var users []map[string]any
			c.ok(&users, "users", "list", "--team", team, "-o", "json")
			for _, x := range users {
				if x["email"] == "later@dump.example" {
					t.Errorf("the user added after the dump survived the restore")
				}
			}
			if len(users) != 1 || users[0]["email"] != "pat@dump.example" {
				t.Errorf("users after restore = %v, want the primary admin only", users)
			}
			var pending map[string][]string
			c.ok(&pending, "migrate", "--status", "-o", "json")
			if len(pending["pending"]) != 0 {
				t.Errorf("the restored schema has pending migrations: %v", pending)
			}
		})
	}
}
