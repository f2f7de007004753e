package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestCLIFlagsAfterPositionalArgument: flags after a positional argument
// are parsed, not silently dropped (`token revoke --team T ID -o json` said
// "--id is required"). issue 10 #5.
func TestCLIFlagsAfterPositionalArgument(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	var tok map[string]string
	c.ok(&tok, "token", "create", "--team", team, "-o", "json")
	var revoked adminapi.TokenView
	c.ok(&revoked, "token", "revoke", "--team", team, tok["id"], "-o", "json")
	if revoked.ID != tok["id"] || revoked.RevokedAt == nil {
		t.Fatalf("token revoke -o json = %+v, want the revoked token %s", revoked, tok["id"])
	}
	// The positional first, then every flag.
	c.ok(nil, "users", "add", "--team", team, "--email", "sam@acme.test", "--first-name", "Sam", "--last-name", "Ng")
	var tc adminapi.TypeChangeView
	c.ok(&tc, "users", "set-type", "sam@acme.test", "--team", team, "--type", "external", "-o", "json")
	if len(tc.Users) != 1 || tc.Users[0].To != "external" {
		t.Fatalf("users set-type EMAIL --team ... = %+v", tc)
	}
}

// TestCLIHelpShowsDescriptionsAndDefaults: a command's help lists each flag
// with its description and default, not bare flag names. issue 10 #5.
func TestCLIHelpShowsDescriptionsAndDefaults(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"users", "add", "--help"}, {"help", "users", "add"}} {
		out, errs, code := c.run(args...)
		if code != 0 {
			t.Fatalf("roster %s: exit %d: %s", strings.Join(args, " "), code, errs)
		}
		for _, want := range []string{
			"--source string", "who adds the user: admin, or product", `(default "admin")`,
			"--team string", "its id, or its name",
			"-o, --output string", `(default "table")`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("roster %s lacks %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
	}
}

// TestCLICompletionScripts: `roster completion bash|zsh|fish` prints a
// completion script. issue 10 #5.
func TestCLICompletionScripts(t *testing.T) {
	c := newCLI(t)
	for shell, want := range map[string]string{"bash": "__start_roster", "zsh": "#compdef roster", "fish": "complete -c roster"} {
		out, errs, code := c.run("completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("roster completion %s: exit %d, stderr %q, output lacks %q", shell, code, errs, want)
		}
	}
}

// TestCLIVersionListedInHelp: `version` is in `roster help`, and prints
// the version (also as JSON). issue 10 #5.
func TestCLIVersionListedInHelp(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.run("help")
	if code != 0 || !strings.Contains(out, "\n  version ") {
		t.Fatalf("roster help (exit %d) does not list version:\n%s", code, out)
	}
	for _, cmd := range []string{"completion bash", "team create", "token revoke", "migrate"} {
		if !strings.Contains(out, "\n  "+cmd+" ") {
			t.Errorf("roster help does not list %q", cmd)
		}
	}
	if out, _, code := c.run("version"); code != 0 || out != "roster "+version+"\n" {
		t.Fatalf("roster version: exit %d %q", code, out)
	}
	var v map[string]string
	c.ok(&v, "version", "-o", "json")
	if v["version"] != version {
		t.Fatalf("roster version -o json = %v", v)
	}
}

// TestCLITeamByIDOrUniqueName: --team takes a team's id or its unique name;
// a name two teams share is an error naming both ids. issue 10 #5.
func TestCLITeamByIDOrUniqueName(t *testing.T) {
	c := newCLI(t)
	acme := c.team("Acme", "pat@acme.test")
	beta := c.team("Beta", "bo@beta.test")
	for _, ref := range []string{acme, "Acme"} {
		var us []adminapi.UserView
		c.ok(&us, "users", "list", "--team", ref, "-o", "json")
		if len(us) != 1 || us[0].Email != "pat@acme.test" {
			t.Fatalf("users list --team %s = %+v", ref, us)
		}
		var tv adminapi.TeamView
		c.ok(&tv, "team", "show", "--team", ref, "-o", "json")
		if tv.ID != acme {
			t.Fatalf("team show --team %s = %+v", ref, tv)
		}
	}
	// A command that writes, by name: the user lands in that team.
	var u adminapi.UserView
	c.ok(&u, "users", "add", "--team", "Beta", "--email", "sam@beta.test", "--first-name", "Sam", "--last-name", "Ng", "-o", "json")
	var us []adminapi.UserView
	c.ok(&us, "users", "list", "--team", beta, "-o", "json")
	if len(us) != 2 {
		t.Fatalf("users add --team Beta: team %s has %d users", beta, len(us))
	}
	acme2 := c.team("Acme", "kim@acme2.test")
	_, errs, code := c.run("users", "list", "--team", "Acme")
	if code != 1 || !strings.Contains(errs, "2 teams are named \"Acme\"") || !strings.Contains(errs, acme) || !strings.Contains(errs, acme2) ||
		strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("ambiguous --team Acme: exit %d, stderr %q; want one line with both ids", code, errs)
	}
	c.fails(`team "Gamma" does not exist`, "users", "list", "--team", "Gamma")
}

// TestCLIMissingDatabaseIsAnError: a command on a database file that does
// not exist fails clearly and creates nothing; --create, migrate and serve
// create it. issue 10 #5.
func TestCLIMissingDatabaseIsAnError(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dsn: filepath.Join(dir, "missing.db"), env: map[string]string{}}
	for _, args := range [][]string{{"team", "list"}, {"users", "list", "--team", "x"}, {"token", "create", "--team", "x", "-o", "json"}} {
		c.fails("database file "+c.dsn+" does not exist", args...)
		if _, err := os.Stat(c.dsn); !os.IsNotExist(err) {
			t.Fatalf("roster %s created %s", strings.Join(args, " "), c.dsn)
		}
	}
	c.ok(nil, "--create", "team", "list")
	if _, err := os.Stat(c.dsn); err != nil {
		t.Fatalf("--create: %v", err)
	}
	c.dsn = filepath.Join(dir, "migrated.db")
	c.ok(nil, "migrate")
	c.ok(nil, "team", "list")
	c.dsn = filepath.Join(dir, "served.db")
	startServer(t, c).stop()
	c.ok(nil, "team", "list")
}

// TestCLIChangesAreConfirmed: a command that changes something and printed
// nothing now prints a line (table) or the changed object (json). issue 10 #5.
func TestCLIChangesAreConfirmed(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	var tok map[string]string
	c.ok(&tok, "token", "create", "--team", team, "-o", "json")
	out, _, code := c.run("token", "revoke", "--team", team, "--id", tok["id"])
	if code != 0 || out != "revoked token "+tok["id"]+"\n" {
		t.Fatalf("token revoke: exit %d, output %q", code, out)
	}
	c.ok(nil, "users", "add", "--team", team, "--email", "sam@acme.test", "--first-name", "Sam", "--last-name", "Ng")
	var u adminapi.UserView
	c.ok(&u, "users", "remove", "--team", team, "--email", "sam@acme.test", "-o", "json")
	if u.Email != "sam@acme.test" || u.ID == "" {
		t.Fatalf("users remove -o json = %+v", u)
	}
	c.ok(nil, "users", "add", "--team", team, "--email", "eve@acme.test", "--first-name", "Eve", "--last-name", "X")
	out, _, code = c.run("users", "remove", "--team", team, "--email", "eve@acme.test")
	if code != 0 || !strings.HasPrefix(out, "removed user eve@acme.test (") {
		t.Fatalf("users remove: exit %d, output %q", code, out)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	var d directoryView
	c.ok(&d, "directory", "add", "--team", team, "--kind", "openldap", "--url", "ldaps://127.0.0.1:1", "--bind-dn", "cn=x",
		"--base-dn", "dc=x", "--bind-password-file", pw, "-o", "json")
	out, _, code = c.run("directory", "remove", "--team", team, "--directory", d.ID)
	if code != 0 || !strings.HasPrefix(out, "removed directory connection "+d.ID) {
		t.Fatalf("directory remove: exit %d, output %q", code, out)
	}
	out, _, code = c.run("migrate", "-o", "json")
	var m map[string][]string
	if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil || m["applied"] == nil {
		t.Fatalf("migrate -o json: exit %d, %q", code, out)
	}
}

// TestCLIBadCommandLines: unknown and incomplete command lines are usage
// errors (exit 2, one line). issue 10 #5.
func TestCLIBadCommandLines(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"team"}, "needs a subcommand"},
		{[]string{"help", "frobnicate"}, `unknown help topic "frobnicate"`},
		{[]string{"team", "frobnicate"}, `unknown command "team frobnicate"`},
		{[]string{"team", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"token", "revoke", "--team", team, "a", "b"}, `unexpected argument "b"`},
		{[]string{"token", "revoke", "--team", team, "--id", "a", "b"}, "give the token id once"},
		{[]string{"token", "revoke", "--team", team}, "--id is required"},
		{[]string{"users", "list", "--team"}, "flag needs an argument"},
		{[]string{"-o", "yaml", "team", "list"}, "unknown output format"},
	} {
		_, errs, code := c.run(tc.args...)
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("roster %s: exit %d stderr %q; want exit 2 and one line containing %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}

// TestCLIGoStyleFlagsStillWork: command lines the flag-package CLI took
// (one dash before a long name, --o) still work on cobra. issue 10 #5.
func TestCLIGoStyleFlagsStillWork(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	for _, args := range [][]string{
		{"users", "list", "-team", team, "-o", "json"},
		{"users", "list", "-team=" + team, "-output=json"},
		{"users", "list", "--team", team, "--o", "json"},
		{"users", "list", "--team", team, "--o=json"},
	} {
		var us []adminapi.UserView
		c.ok(&us, args...)
		if len(us) != 1 {
			t.Fatalf("roster %s = %+v", strings.Join(args, " "), us)
		}
	}
	c.fails(`unexpected argument "-team"`, "users", "list", "--team", team, "--", "-team")
}
