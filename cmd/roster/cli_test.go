package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// cli runs roster in-process against one database, as an operator would.
type cli struct {
	t   *testing.T
	dsn string
	env map[string]string
}

// newCLI makes a CLI on a fresh, migrated SQLite file (commands other than
// serve and migrate refuse a database file that does not exist).
func newCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, dsn: filepath.Join(t.TempDir(), "roster.db"), env: map[string]string{}}
	c.ok(nil, "migrate")
	return c
}

func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "ROSTER_DATABASE" {
			return c.dsn
		}
		return c.env[k]
	}
	code = run(context.Background(), args, getenv, &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and decodes its JSON output into v.
func (c *cli) ok(v any, args ...string) {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("roster %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.t.Fatalf("roster %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// fails runs a command that must fail with one line mentioning want.
func (c *cli) fails(want string, args ...string) {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code == 0 {
		c.t.Fatalf("roster %s succeeded, want failure; output %s", strings.Join(args, " "), out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		c.t.Fatalf("roster %s: stderr %q, want one line containing %q", strings.Join(args, " "), errs, want)
	}
}

func (c *cli) team(name, admin string) string {
	var team struct{ ID string }
	c.ok(&team, "team", "create", "--name", name, "--primary-admin", admin, "--first-name", "Pat", "--last-name", "Lee", "-o", "json")
	c.t.Helper()
	if team.ID == "" {
		c.t.Fatal("team create printed no id")
	}
	return team.ID
}

func TestCLIContract(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")

	var u adminapi.UserView
	c.ok(&u, "users", "add", "--team", team, "--email", "Sam@Acme.test", "--first-name", "Sam", "--last-name", "Ng", "-o", "json")
	if u.ID == "" || u.Source != "admin" || u.Status != "active" || u.Type == "" {
		t.Fatalf("users add = %+v", u)
	}
	c.ok(&u, "users", "add", "--team", team, "--email", "ext@partner.test", "--first-name", "Eve", "--last-name", "X", "--source", "product", "-o", "json")
	if u.Source != "product" {
		t.Fatalf("source = %q", u.Source)
	}

	var raw []map[string]any
	c.ok(&raw, "users", "list", "--team", team, "-o", "json")
	if len(raw) != 3 {
		t.Fatalf("users list: %d users, want 3", len(raw))
	}
	for _, k := range []string{"id", "email", "first_name", "last_name", "status", "type", "source", "admin_role", "exception"} {
		if _, ok := raw[0][k]; !ok {
			t.Fatalf("users list object lacks %q: %v", k, raw[0])
		}
	}
	if _, ok := raw[0]["exception"].(bool); !ok {
		t.Fatalf("exception is not a bool: %v", raw[0]["exception"])
	}

	// R-ADM-4 and R-ADM-5 through the CLI, acting as an admin.
	c.fails("R-ADM-4", "admin", "set", "--team", team, "--email", "sam@acme.test", "--role", "secondary", "--as", "ext@partner.test")
	c.fails("R-ADM-5", "admin", "set", "--team", team, "--email", "sam@acme.test", "--role", "primary", "--as", "pat@acme.test")
	c.ok(nil, "admin", "set", "--team", team, "--email", "sam@acme.test", "--role", "secondary", "--as", "pat@acme.test")
	c.ok(&u, "admin", "set", "--team", team, "--email", "sam@acme.test", "--role", "primary", "--as", "sam@acme.test", "-o", "json")
	if u.AdminRole != "primary" {
		t.Fatalf("admin set = %+v", u)
	}
	c.fails("R-ADM-1", "admin", "set", "--team", team, "--email", "sam@acme.test", "--role", "none", "--as", "pat@acme.test")

	var tok map[string]string
	c.ok(&tok, "token", "create", "--team", team, "-o", "json")
	if !strings.HasPrefix(tok["token"], db.TokenSecretPrefix) || tok["scim_base_url"] != "http://localhost:8080/scim/v2" {
		t.Fatalf("token create = %v", tok)
	}
	c.env["ROSTER_BASE_URL"] = "https://roster.example.com"
	c.ok(&tok, "token", "create", "--team", team, "-o", "json")
	if tok["scim_base_url"] != "https://roster.example.com/scim/v2" {
		t.Fatalf("scim_base_url = %q", tok["scim_base_url"])
	}
	// The secret is stored only as a hash: it appears nowhere in the database file.
	b, _ := os.ReadFile(c.dsn)
	wal, _ := os.ReadFile(c.dsn + "-wal")
	if bytes.Contains(b, []byte(tok["token"])) || bytes.Contains(wal, []byte(tok["token"])) {
		t.Fatal("token secret stored in plaintext")
	}
	var toks []adminapi.TokenView
	c.ok(&toks, "token", "list", "--team", team, "-o", "json")
	if len(toks) != 2 {
		t.Fatalf("token list = %+v", toks)
	}
	c.ok(nil, "token", "revoke", "--team", team, toks[0].ID)
	c.fails("already revoked", "token", "revoke", "--team", team, toks[0].ID)

	var audit []adminapi.AuditView
	c.ok(&audit, "audit", "--team", team, "-o", "json")
	actions := map[string]int{}
	for _, a := range audit {
		actions[a.Action]++
	}
	for _, a := range []string{"team.create", "user.create", "admin.set", "token.create", "token.revoke"} {
		if actions[a] == 0 {
			t.Errorf("audit lacks %s: %v", a, actions)
		}
	}
	// Table output is readable text, not JSON.
	out, _, _ := c.run("users", "list", "--team", team)
	if !strings.HasPrefix(out, "ID") || !strings.Contains(out, "Sam@Acme.test") {
		t.Fatalf("table output:\n%s", out)
	}
}

func TestCLIBadInput(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	cases := []struct {
		name string
		args []string
		want string
		code int
	}{
		{"no command", nil, "a command is required", 2},
		{"unknown command", []string{"frobnicate"}, "unknown command", 2},
		{"missing flag", []string{"team", "create", "--name", "x"}, "--primary-admin is required", 2},
		{"unknown flag", []string{"users", "list", "--team", team, "--colour"}, "flag provided but not defined", 2},
		{"bad output", []string{"users", "list", "--team", team, "-o", "xml"}, "unknown output format", 2},
		{"no such team", []string{"users", "list", "--team", "nope"}, `team "nope" does not exist`, 1},
		{"bad email", []string{"users", "add", "--team", team, "--email", "nope", "--first-name", "a", "--last-name", "b"}, "not a valid address", 1},
		{"bad source", []string{"users", "add", "--team", team, "--email", "a@b.test", "--first-name", "a", "--last-name", "b", "--source", "scim"}, "--source must be admin or product", 2},
		{"bad role", []string{"admin", "set", "--team", team, "--email", "pat@acme.test", "--role", "king", "--as", "pat@acme.test"}, "--role must be", 2},
		{"unknown acting admin", []string{"admin", "set", "--team", team, "--email", "pat@acme.test", "--role", "secondary", "--as", "who@acme.test"}, "not a user of this team", 1},
		{"unreachable database", []string{"--database", "postgres://nobody@127.0.0.1:1/x", "team", "list"}, "database unavailable", 1},
		{"unsupported database", []string{"--database", "oracle://x", "team", "list"}, "scheme not supported", 1},
		{"missing config", []string{"--config", "/nonexistent.yaml", "team", "list"}, "no such file", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := c.run(tc.args...)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			if code != tc.code || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("exit %d stderr %q; want exit %d and one line containing %q", code, errs, tc.code, tc.want)
			}
		})
	}
	// Nothing above changed the data.
	var raw []map[string]any
	c.ok(&raw, "users", "list", "--team", team, "-o", "json")
	if len(raw) != 1 {
		t.Fatalf("bad input changed the team: %d users", len(raw))
	}
}

// group creates a group of the team's users (by email) through the store:
// groups come from SCIM and directories, the CLI makes none.
func (c *cli) group(teamID, name string, emails ...string) string {
	c.t.Helper()
	st, err := gormdb.Open(context.Background(), gormdb.Config{DSN: c.dsn})
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	var ids []string
	for _, e := range emails {
		u, err := st.FindUser(context.Background(), teamID, db.UserKey{Email: e})
		if err != nil {
			c.t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	g, err := st.CreateGroup(context.Background(), teamID, db.NewGroup{DisplayName: name, Members: ids}, db.Actor{Kind: db.ActorOperator, ID: "test"})
	if err != nil {
		c.t.Fatal(err)
	}
	return g.ID
}
