package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster-dev/roster/sso"
)

// The SSO page's "Refresh IdP metadata now" (POST /sso/refresh) and
// "Remove SSO" (DELETE /sso), checked through the CLI's view of the
// configuration: a refresh records its time, a failed one is a 502 with the
// reason on the page and the settings kept; removal needs the confirmation
// box, then the configuration is gone.
func TestConsoleSSORefreshAndRemove(t *testing.T) {
	c := newCLI(t)
	idp := newTestIdP(t)
	base := startSSOServer(t, c)
	team := c.team("Acme", "pat@acme.test")
	b := consoleClient(t, c, base, team, "pat@acme.test")
	page := base + "/console/sso-setup"

	status, html := consolePost(t, b, page, url.Values{"idp_metadata_url": {idp.srv.URL + "/metadata"}, "domains": {"acme.test"}}, nil)
	if status != 200 || !strings.Contains(html, "The SSO settings were saved.") {
		t.Fatalf("save with a metadata URL: %d %s", status, html)
	}
	if !strings.Contains(html, `action="/console/sso-setup/refresh"`) || !strings.Contains(html, `action="/console/sso-setup/delete"`) {
		t.Fatalf("the SSO page lacks the refresh or remove form:\n%s", html)
	}
	var before sso.View
	c.ok(&before, "sso", "show", "--team", team, "-o", "json")
	if before.IdP.RefreshedAt == nil {
		t.Fatalf("no refresh time after saving a metadata URL: %+v", before.IdP)
	}

	status, html = consolePost(t, b, page+"/refresh", nil, nil)
	if status != 200 || !strings.Contains(html, "The IdP&#39;s metadata was fetched again.") {
		t.Fatalf("refresh: %d %s", status, html)
	}
	var after sso.View
	c.ok(&after, "sso", "show", "--team", team, "-o", "json")
	if after.IdP.RefreshedAt == nil || after.IdP.RefreshedAt.Before(*before.IdP.RefreshedAt) || after.IdP.RefreshError != "" {
		t.Errorf("after refresh: %+v (before %v)", after.IdP, before.IdP.RefreshedAt)
	}

	// The IdP goes away: the refresh fails with the admin API's 502, the
	// reason shown, the IdP still configured.
	idp.srv.Close()
	status, html = consolePost(t, b, page+"/refresh", nil, nil)
	if status != http.StatusBadGateway || !strings.Contains(html, "could not be fetched") {
		t.Fatalf("refresh with the IdP gone: %d %s", status, html)
	}
	var failed sso.View
	c.ok(&failed, "sso", "show", "--team", team, "-o", "json")
	if failed.IdP.RefreshError == "" || failed.IdP.EntityID != before.IdP.EntityID || !strings.Contains(html, "connection refused") {
		t.Errorf("after a failed refresh: %+v", failed.IdP)
	}

	// Remove: without the box ticked nothing changes (400); ticked, it is gone.
	status, html = consolePost(t, b, page+"/delete", nil, nil)
	if status != http.StatusBadRequest || !strings.Contains(html, "Tick the box") {
		t.Fatalf("remove unconfirmed: %d %s", status, html)
	}
	c.ok(&failed, "sso", "show", "--team", team, "-o", "json")
	status, html = consolePost(t, b, page+"/delete", url.Values{"confirm": {"yes"}}, nil)
	if status != 200 || !strings.Contains(html, "The SSO configuration was removed.") || !strings.Contains(html, "SSO is not configured yet") {
		t.Fatalf("remove: %d %s", status, html)
	}
	if out, _, code := c.run("sso", "show", "--team", team, "-o", "json"); code == 0 {
		t.Errorf("sso show after the page removed SSO succeeded: %s", out)
	}

	// R-ADM-7: a secondary admin can do neither.
	c.ok(nil, "users", "add", "--team", team, "--email", "sec@acme.test", "--first-name", "S", "--last-name", "A")
	c.ok(nil, "admin", "set", "--team", team, "--email", "sec@acme.test", "--role", "secondary", "--as", "pat@acme.test")
	sec := consoleClient(t, c, base, team, "sec@acme.test")
	for _, p := range []string{"/refresh", "/delete"} {
		if status, _ = consolePost(t, sec, page+p, url.Values{"confirm": {"yes"}}, nil); status != http.StatusForbidden {
			t.Errorf("secondary admin POST %s: %d, want 403", p, status)
		}
	}
}
