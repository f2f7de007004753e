package sso_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

// TestUnauthenticatedLoginWritesNoRows: GET /sso/{team}/login is public, so
// it must not write a database row per request (issue 9 #4: 2,000 rows in
// 9 s). The AuthnRequest state travels in a signed cookie instead; the rows
// of every table are counted before and after 300 logins.
func TestUnauthenticatedLoginWritesNoRows(t *testing.T) {
	path := gormdbtest.DSN(t, gormdb.SQLite)
	store, err := gormdb.Open(context.Background(), gormdb.Config{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := newEnv(t, store, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	e.login(e.browser(), team.ID) // the first use creates the team's SP key: one row, once

	before := gormdbtest.SQLiteRowCounts(t, path)
	const n = 300
	for i := 0; i < n; i++ {
		e.login(e.browser(), team.ID)
	}
	after := gormdbtest.SQLiteRowCounts(t, path)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("%d unauthenticated logins changed row counts (-before +after):\n%s", n, diff)
	}

	// Sign-in still works end to end, with the state cookie of the browser
	// that started it, and the cookie is cleared.
	c := e.browser()
	_, reqID, relay := e.login(c, team.ID)
	res := e.post(c, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), relay)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/users" {
		t.Fatalf("ACS: status %d location %q, want 303 to /console/users; logs:\n%s", res.StatusCode, res.Header.Get("Location"), e.logs)
	}
	if _, status := e.me(c); status != http.StatusOK {
		t.Errorf("/api/v1/me after sign-in: %d", status)
	}
}

// loginCookie starts a login with a fresh browser and returns the state
// cookie it set, the request ID and the RelayState.
func loginCookie(t *testing.T, e *env, team string) (*http.Cookie, string, string) {
	t.Helper()
	res, err := e.browser().Get(e.url(team, "login") + "?return_to=/console/users")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := res.Location()
	relay := loc.Query().Get("RelayState")
	id := between(string(inflateRequest(t, loc.Query().Get("SAMLRequest"))), `ID="`, `"`)
	for _, ck := range res.Cookies() {
		if strings.HasPrefix(ck.Name, "roster_sso_") {
			return ck, id, relay
		}
	}
	t.Fatalf("login set no state cookie: %v", res.Cookies())
	return nil, "", ""
}

// postWith posts a SAMLResponse to team's ACS with exactly the given cookies.
func postWith(t *testing.T, e *env, team, samlResponse, relay string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url(team, "acs"),
		strings.NewReader(url.Values{"SAMLResponse": {samlResponse}, "RelayState": {relay}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestLoginStateCookieRefusedWhenForeignOrTampered: the state cookie is
// HMAC-signed with a key derived from the team's SP key, names its team and
// RelayState, and is single-use (issue 9 #4).
func TestLoginStateCookieRefusedWhenForeignOrTampered(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	acme, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	bravo, _ := e.team("Bravo", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})

	ck, reqID, relay := loginCookie(t, e, acme.ID)
	if !ck.HttpOnly || ck.Path != "/sso/"+acme.ID+"/acs" || ck.MaxAge <= 0 {
		t.Errorf("state cookie = %+v, want HttpOnly, Path the team's ACS, a MaxAge", ck)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	cases := []struct {
		name   string
		team   string
		relay  string
		cookie *http.Cookie
	}{
		{"no cookie", acme.ID, relay, nil},
		{"payload tampered", acme.ID, relay, &http.Cookie{Name: ck.Name, Value: flip(ck.Value, 3)}},
		{"mac tampered", acme.ID, relay, &http.Cookie{Name: ck.Name, Value: flip(ck.Value, len(ck.Value)-2)}},
		{"garbage", acme.ID, relay, &http.Cookie{Name: ck.Name, Value: "x.y"}},
		{"another team's ACS", bravo.ID, relay, ck},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cs []*http.Cookie
			if tc.cookie != nil {
				cs = append(cs, tc.cookie)
			}
			body := f.Build(t, e.okResp(f, tc.team, reqID, "jane@acme.example"))
			if res := postWith(t, e, tc.team, body, tc.relay, cs...); res.StatusCode != http.StatusForbidden {
				t.Errorf("status %d, want 403", res.StatusCode)
			}
		})
	}
	// A valid cookie in another team's name: bravo's own login, its cookie
	// re-labelled for acme's RelayState, is refused by acme.
	bck, bID, _ := loginCookie(t, e, bravo.ID)
	body := f.Build(t, e.okResp(f, acme.ID, bID, "jane@acme.example"))
	if res := postWith(t, e, acme.ID, body, relay, &http.Cookie{Name: ck.Name, Value: bck.Value}); res.StatusCode != http.StatusForbidden {
		t.Errorf("bravo's state under acme's name: status %d, want 403", res.StatusCode)
	}
	// The genuine cookie works once; the same AuthnRequest answered again
	// (a fresh assertion, same cookie) is refused.
	if res := postWith(t, e, acme.ID, f.Build(t, e.okResp(f, acme.ID, reqID, "jane@acme.example")), relay, ck); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("genuine state cookie: status %d, want 303; logs:\n%s", res.StatusCode, e.logs)
	}
	if res := postWith(t, e, acme.ID, f.Build(t, e.okResp(f, acme.ID, reqID, "jane@acme.example")), relay, ck); res.StatusCode != http.StatusForbidden {
		t.Errorf("second answer to the same AuthnRequest: status %d, want 403", res.StatusCode)
	}
}

// TestLoginStateWorksAcrossReplicas: the state key comes from the team's SP
// key in the database, so a login started on one replica completes on
// another (issue 9 #4).
func TestLoginStateWorksAcrossReplicas(t *testing.T) {
	e := newEnv(t, nil, nil)
	f := newForge(t, "https://idp.acme.example", 0)
	team, _ := e.team("Acme", f.Metadata(), sso.Settings{JIT: ptr(true), Domains: &[]string{"acme.example"}})
	base, _ := url.Parse(e.srv.URL)
	other, err := sso.New(sso.Options{Store: e.store, BaseURL: base, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start, err := e.svc.StartLogin(ctx, team.ID, "/x", "")
	if err != nil {
		t.Fatal(err)
	}
	if start.State == "" {
		t.Fatal("StartLogin returned no state")
	}
	u, _ := url.Parse(start.RedirectURL)
	reqID := between(string(inflateRequest(t, u.Query().Get("SAMLRequest"))), `ID="`, `"`)
	res, err := other.ACS(ctx, team.ID, f.Build(t, e.okResp(f, team.ID, reqID, "jane@acme.example")), start.RelayState, start.State)
	if err != nil {
		t.Fatalf("ACS on the other replica: %v", err)
	}
	if res.ReturnTo != "/x" {
		t.Errorf("ReturnTo = %q, want /x", res.ReturnTo)
	}
}
