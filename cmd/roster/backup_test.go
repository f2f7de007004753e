package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// roster backup --to FILE copies the SQLite database while a server runs
// on it; the copy opens as a Roster database with the same data (the
// restore in docs/deployment.md is pointing database at the copy).
func TestBackupRestore(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@a.test")
	c.ok(nil, "users", "add", "--team", team, "--email", "kim@a.test", "--first-name", "Kim", "--last-name", "Ng")
	startServer(t, c) // the backup is taken online
	to := filepath.Join(t.TempDir(), "backup.db")
	var out map[string]string
	c.ok(&out, "backup", "--to", to, "-o", "json")
	if out["backup"] != to {
		t.Fatalf("backup printed %v, want %s", out, to)
	}
	c.fails("already exists", "backup", "--to", to)
	c.fails("--to FILE is required", "backup")

	restored := &cli{t: t, dsn: to, env: map[string]string{}}
	var users []map[string]any
	restored.ok(&users, "users", "list", "--team", "Acme", "-o", "json")
	emails := []string{}
	for _, u := range users {
		emails = append(emails, u["email"].(string))
	}
	if got := strings.Join(emails, ","); !strings.Contains(got, "kim@a.test") || !strings.Contains(got, "pat@a.test") {
		t.Fatalf("restored users %s", got)
	}
	var pending map[string][]string
	restored.ok(&pending, "migrate", "--status", "-o", "json")
	if len(pending["pending"]) != 0 {
		t.Fatalf("the backup has pending migrations: %v", pending)
	}
}
