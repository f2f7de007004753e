package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCLIEveryCommandTakesOutputJSON walks the whole command tree: every
// runnable command accepts -o json, and each one that can run against a
// fresh team in a temporary database prints valid JSON with it (5 to 7
// commands rejected -o json). A new command must be added to one of the two
// tables below. issue 10 #5.
func TestCLIEveryCommandTakesOutputJSON(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	c.ok(nil, "users", "add", "--team", team, "--email", "sam@acme.test", "--first-name", "Sam", "--last-name", "Ng")
	c.ok(nil, "users", "add", "--team", team, "--email", "eve@acme.test", "--first-name", "Eve", "--last-name", "X")
	c.ok(nil, "users", "add", "--team", team, "--email", "ext@acme.test", "--first-name", "Ext", "--last-name", "Y")
	c.ok(nil, "users", "add", "--team", team, "--email", "rem@acme.test", "--first-name", "Rem", "--last-name", "Z")
	c.ok(nil, "members", "add", "--team", team, "--emails", "inv@acme.test")
	c.ok(nil, "projects", "create", "--team", team, "--name", "P1")
	c.ok(nil, "users", "add", "--team", team, "--email", "prj@acme.test", "--first-name", "Prj", "--last-name", "Q")
	c.ok(nil, "projects", "add-member", "--team", team, "--project", "P1", "--email", "prj@acme.test", "--products", "docs,cost")
	c.ok(nil, "users", "set-external-subscription", "--team", team, "--email", "ext@acme.test", "--product", "build", "--on")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	var tok map[string]string
	c.ok(&tok, "token", "create", "--team", team, "-o", "json")
	var dir directoryView
	c.ok(&dir, "directory", "add", "--team", team, "--kind", "openldap", "--url", "ldaps://127.0.0.1:1", "--bind-dn", "cn=x",
		"--base-dn", "dc=x", "--bind-password-file", pw, "-o", "json")
	var tv struct {
		AccountID string `json:"account_id"`
	}
	c.ok(&tv, "team", "show", "--team", team, "-o", "json")
	c.env["ROSTER_WEBHOOKS_SECRET_KEY"] = strings.Repeat("ab", 32)
	var hook struct {
		ID string `json:"id"`
	}
	c.ok(&hook, "webhooks", "add", "--team", team, "--url", "https://hooks.acme.test/roster", "-o", "json")
	var hook2 struct {
		ID string `json:"id"`
	}
	c.ok(&hook2, "webhooks", "add", "--team", team, "--url", "https://hooks2.acme.test/roster", "-o", "json")
	var evs []struct {
		ID int64 `json:"id"`
	}
	c.ok(&evs, "events", "list", "--team", team, "-o", "json")
	acc := tv.AccountID
	c.group(team, "Estimators", "sam@acme.test")
	c.ok(nil, "account", "set-role", "--account", acc, "--email", "pu@acme.test", "--role", "product-user", "--as", "pat@acme.test")
	c.ok(nil, "contracts", "create", "--account", acc, "--number", "K1", "--contract-manager", "pat@acme.test")

	// Commands that run on the fresh team, with the arguments they need.
	runs := map[string][]string{
		"account audit":                   {"--account", acc},
		"account notify":                  {"--account", acc, "--kind", "invoice"},
		"account roles":                   {"--account", acc},
		"account set-role":                {"--account", acc, "--email", "sam@acme.test", "--role", "company-admin", "--as", "pat@acme.test"},
		"account set-status":              {"--account", acc, "--email", "pu@acme.test", "--status", "inactive"},
		"account show":                    {"--account", acc},
		"account transfer-ownership":      {"--account", acc, "--to", "sam@acme.test", "--as", "pat@acme.test"},
		"authz":                           nil,
		"contracts create":                {"--account", acc, "--number", "K2", "--contract-manager", "pat@acme.test", "--products", "a,b", "--seats", "3"},
		"contracts list":                  {"--account", acc},
		"contracts set-coordinator":       {"--account", acc, "--contract", "K1", "--email", "sam@acme.test", "--as", "pat@acme.test"},
		"contracts set-manager":           {"--account", acc, "--contract", "K1", "--email", "zed@acme.test", "--first-name", "Zed", "--last-name", "Z", "--as", "pat@acme.test"},
		"contracts show":                  {"--account", acc, "--contract", "K1"},
		"contracts users add":             {"--account", acc, "--contract", "K1", "--email", "cu@acme.test"},
		"contracts users list":            {"--account", acc, "--contract", "K1"},
		"contracts users remove":          {"--account", acc, "--contract", "K1", "--email", "cu@acme.test"},
		"admin list":                      {"--team", team},
		"admin set":                       {"--team", team, "--email", "sam@acme.test", "--role", "secondary", "--as", "pat@acme.test"},
		"audit":                           {"--team", team},
		"directory add":                   {"--team", team, "--kind", "ad", "--url", "ldaps://127.0.0.1:2", "--bind-dn", "cn=y", "--base-dn", "dc=y", "--bind-password-file", pw},
		"directory groups":                {"--team", team},
		"directory list":                  {"--team", team},
		"directory remove":                {"--team", team, "--directory", dir.ID},
		"directory status":                {"--team", team},
		"migrate":                         nil,
		"policy domains":                  {"--team", team, "--add", "acme.test"},
		"policy exceptions":               {"--team", team},
		"policy revert":                   {"--team", team, "--all"},
		"policy set":                      {"--team", team, "--mode", "domain", "--domains", "acme.test", "--dry-run"},
		"policy show":                     {"--team", team},
		"report usage":                    {"--team", team},
		"team create":                     {"--name", "Other", "--primary-admin", "kim@other.test", "--first-name", "Kim", "--last-name", "Ro"},
		"team list":                       nil,
		"team show":                       {"--team", team},
		"token create":                    {"--team", team},
		"token list":                      {"--team", team},
		"token revoke":                    {"--team", team, tok["id"]},
		"users add":                       {"--team", team, "--email", "lou@acme.test", "--first-name", "Lou", "--last-name", "Ry"},
		"users list":                      {"--team", team},
		"users remove":                    {"--team", team, "--email", "eve@acme.test"},
		"users set-type":                  {"--team", team, "--type", "external", "ext@acme.test"},
		"version":                         nil,
		"console login-link":              {"--team", team, "--email", "pat@acme.test"},
		"backup":                          {"--to", filepath.Join(t.TempDir(), "backup.db")},
		"members add":                     {"--team", team, "--emails", "m1@acme.test; m2@acme.test", "--company", "Acme"},
		"members companies":               {"--team", team},
		"members edit":                    {"--team", team, "--emails", "sam@acme.test", "--role", "foreman"},
		"members list":                    {"--team", team, "--sort", "company"},
		"members remove":                  {"--team", team, "--email", "rem@acme.test"},
		"seats":                           {"--team", team},
		"subscriptions add":               {"--team", team, "--product", "takeoff", "--seats", "5"},
		"users set-external-subscription": {"--team", team, "--email", "sam@acme.test", "--product", "build", "--on"},
		"invitations list":                {"--team", team, "--state", "pending"},
		"invitations resend":              {"--team", team, "--email", "inv@acme.test"},
		"products add":                    {"--team", team, "--key", "plans", "--name", "Plans"},
		"products list":                   {"--team", team},
		"projects add-member":             {"--team", team, "--project", "P1", "--email", "sam@acme.test", "--products", "docs,build"},
		"projects create":                 {"--team", team, "--name", "P2"},
		"projects list":                   {"--team", team},
		"projects members":                {"--team", team, "--project", "P1"},
		"projects set-access":             {"--team", team, "--project", "P1", "--email", "prj@acme.test", "--products", "docs"},
		"projects set-level":              {"--team", team, "--project", "P1", "--email", "prj@acme.test", "--level", "member"},
		"events list":                     {"--team", team},
		"events tail":                     {"--team", team, "--after", "0", "--count", "1", "--interval", "10ms"},
		"webhooks add":                    {"--team", team, "--url", "https://hooks3.acme.test/x", "--events", "user.*,group.created"},
		"webhooks list":                   {"--team", team},
		"webhooks remove":                 {"--team", team, hook2.ID},
		"webhooks enable":                 {"--team", team, "--id", hook.ID},
		"webhooks deliveries":             {"--team", team},
		"webhooks replay":                 {"--team", team, "--webhook", hook.ID, "--event", strconv.FormatInt(evs[0].ID, 10)},
		"users set-internal-seat":         {"--team", team, "--email", "ext@acme.test", "--product", "build", "--on"},
		"products rename":                 {"--team", team, "--product", "insight", "--name", "Insight Pro"},
		"products remove":                 {"--team", team, "--product", "model-coordination"},
		"products map-group":              {"--team", team, "--group", "Estimators", "--project", "P1", "--product", "takeoff"},
		"products mappings":               {"--team", team},
		"products unmap-group":            {"--team", team, "--group", "Estimators", "--project", "P1", "--product", "takeoff"},
	}
	// Commands that cannot run on a fresh team here: -o json must still parse.
	accepts := map[string]string{
		"completion bash":       "prints a shell script",
		"completion fish":       "prints a shell script",
		"completion powershell": "prints a shell script",
		"completion zsh":        "prints a shell script",
		"healthcheck":           "needs a running server",
		"help":                  "prints help",
		"serve":                 "runs until stopped",
		"sso refresh":           "needs an IdP metadata URL",
		"sso retire-key":        "needs SSO configured",
		"sso rotate-key":        "needs SSO configured",
		"sso set":               "needs IdP metadata",
		"sso show":              "needs SSO configured",
		"sso verify-domain":     "needs DNS",
		"sync":                  "needs a directory server",
	}
	seen := map[string]bool{}
	for _, cmd := range runnableCommands(newRootCmd(&env{})) {
		path := strings.TrimPrefix(cmd.CommandPath(), "roster")
		path = strings.TrimSpace(path)
		if path == "" {
			continue
		}
		seen[path] = true
		args, runsHere := runs[path]
		if _, ok := accepts[path]; !ok && !runsHere {
			t.Errorf("command %q is in neither table of this test", path)
			continue
		}
		t.Run(path, func(t *testing.T) {
			if runsHere {
				all := append(append(strings.Fields(path), args...), "-o", "json")
				out, errs, code := c.run(all...)
				if code != 0 {
					t.Fatalf("roster %s: exit %d: %s", strings.Join(all, " "), code, errs)
				}
				if !json.Valid([]byte(out)) {
					t.Fatalf("roster %s: output is not JSON:\n%s", strings.Join(all, " "), out)
				}
				return
			}
			// Whatever else fails, -o json is accepted: no flag or format error.
			all := append(strings.Fields(path), "-o", "json")
			if path == "serve" {
				all = append(all, "--listen", "256.0.0.1:1") // fails at listen, after parsing
			}
			_, errs, _ := c.run(all...)
			for _, bad := range []string{"flag provided but not defined", "unknown output format", "unexpected argument"} {
				if strings.Contains(errs, bad) {
					t.Fatalf("roster %s: %s", strings.Join(all, " "), errs)
				}
			}
		})
	}
	for path := range runs {
		if !seen[path] {
			t.Errorf("%q is not a command of the tree", path)
		}
	}
	for path := range accepts {
		if !seen[path] {
			t.Errorf("%q is not a command of the tree", path)
		}
	}
}
