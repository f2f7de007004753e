package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIBaseURLWithoutConfig: with ROSTER_BASE_URL unset, the CLI used to
// print a localhost SCIM URL however the server was configured. serve now
// records its configured base URL in the database and the CLI uses it; with
// nothing recorded the CLI warns on stderr that the URL is the unset
// default. issue 9 #16c.
func TestCLIBaseURLWithoutConfig(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	tokenURL := func() (string, string) {
		t.Helper()
		var tok map[string]string
		out, errs, code := c.run("token", "create", "--team", team, "-o", "json")
		if code != 0 {
			t.Fatalf("token create: %d %s", code, errs)
		}
		if err := jsonUnmarshalString(out, &tok); err != nil {
			t.Fatal(err)
		}
		return tok["scim_base_url"], errs
	}

	// Nothing configured, nothing recorded: the default, with a warning.
	url, errs := tokenURL()
	if url != "http://localhost:8080/scim/v2" || !strings.Contains(errs, "ROSTER_BASE_URL") || !strings.Contains(errs, "warning") {
		t.Errorf("unset base URL: %q, stderr %q; want the default and a warning naming ROSTER_BASE_URL", url, errs)
	}

	// serve, configured, records its base URL; the unconfigured CLI uses it.
	c.env["ROSTER_BASE_URL"] = "https://roster.example.com"
	s := startServer(t, c)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	delete(c.env, "ROSTER_BASE_URL")
	url, errs = tokenURL()
	if url != "https://roster.example.com/scim/v2" || strings.Contains(errs, "warning") {
		t.Errorf("after serve recorded its base URL: %q, stderr %q", url, errs)
	}

	// An explicit setting always wins, silently.
	c.env["ROSTER_BASE_URL"] = "https://cli.example.com"
	url, errs = tokenURL()
	if url != "https://cli.example.com/scim/v2" || errs != "" {
		t.Errorf("explicit base URL: %q, stderr %q", url, errs)
	}
}

func jsonUnmarshalString(s string, v any) error { return json.Unmarshal([]byte(s), v) }
