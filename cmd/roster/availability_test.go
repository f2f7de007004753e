package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// send makes one request and returns the status, Retry-After and body.
func send(t *testing.T, method, u, token, ctype, body string, cookies ...*http.Cookie) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), b.String()
}

// TestUnavailableDatabaseIs503OnEveryTransport is issue 9 #9: with the
// database gone, /readyz, the admin API, SCIM (token authentication
// included) and the SSO endpoints all answer 503 with Retry-After. SCIM used
// to answer 401 (its token lookup failed), SSO 500, and the admin API's 503
// had no Retry-After.
func TestUnavailableDatabaseIs503OnEveryTransport(t *testing.T) {
	c := newCLI(t)
	team := c.team("Acme", "pat@acme.test")
	adm := adminToken(t, c, team, "pat@acme.test")
	var scimTok map[string]string
	c.ok(&scimTok, "token", "create", "--team", team, "-o", "json")
	s := startServer(t, c)
	if err := s.store().Close(); err != nil {
		t.Fatal(err)
	}
	session := &http.Cookie{Name: "roster_session", Value: "some-session"}
	form := "application/x-www-form-urlencoded"
	for _, rq := range []struct {
		name, method, path, token, ctype, body string
		cookie                                 *http.Cookie
	}{
		{"readyz", "GET", "/readyz", "", "", "", nil},
		{"admin API list", "GET", "/api/v1/teams/" + team + "/users", adm, "", "", nil},
		{"admin API create", "POST", "/api/v1/teams/" + team + "/users", adm, "application/json", `{"email":"x@acme.test","first_name":"X","last_name":"Y"}`, nil},
		{"SCIM list", "GET", "/scim/v2/Users", scimTok["token"], "", "", nil},
		{"SCIM create", "POST", "/scim/v2/Users", scimTok["token"], "application/scim+json", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u@acme.test","name":{"givenName":"U","familyName":"X"}}`, nil},
		{"SSO metadata", "GET", "/sso/" + team + "/metadata", "", "", "", nil},
		{"SSO login", "GET", "/sso/" + team + "/login", "", "", "", nil},
		{"SSO ACS", "POST", "/sso/" + team + "/acs", "", form, "SAMLResponse=eA%3D%3D&RelayState=abc", nil},
		{"SSO me", "GET", "/api/v1/me", "", "", "", session},
	} {
		t.Run(rq.name, func(t *testing.T) {
			var cookies []*http.Cookie
			if rq.cookie != nil {
				cookies = append(cookies, rq.cookie)
			}
			code, ra, body := send(t, rq.method, s.url+rq.path, rq.token, rq.ctype, rq.body, cookies...)
			if code != http.StatusServiceUnavailable || ra == "" {
				t.Errorf("%s %s with the database down: %d (Retry-After %q), want 503 with Retry-After: %.200s", rq.method, rq.path, code, ra, body)
			}
		})
	}
}

// TestInvalidTextIs400OnEveryTransport is issue 9 #11: a NUL or invalid
// UTF-8 in an admin API body, path or query parameter, an SSO path, query or
// form field, or a CLI flag is the same 400 (or CLI error) on SQLite,
// PostgreSQL and MariaDB, and nothing is written. PostgreSQL answered 500;
// SQLite stored the bytes; encoding/json replaced them with U+FFFD.
func TestInvalidTextIs400OnEveryTransport(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			c := &cli{t: t, dsn: gormdbtest.DSN(t, d), env: map[string]string{}}
			c.ok(nil, "migrate")
			team := c.team("Acme", "pat@acme.test")
			adm := adminToken(t, c, team, "pat@acme.test")
			var users []adminapi.UserView
			c.ok(&users, "users", "list", "--team", team, "-o", "json")
			s := startServer(t, c)
			api := "/api/v1/teams/" + team
			js, form := "application/json", "application/x-www-form-urlencoded"
			for _, rq := range []struct {
				name, method, path, token, ctype, body string
			}{
				{"admin body NUL", "POST", api + "/users", adm, js, `{"email":"x@acme.test","first_name":"X\u0000","last_name":"Y"}`},
				{"admin body invalid UTF-8", "POST", api + "/users", adm, js, "{\"email\":\"x@acme.test\",\"first_name\":\"X\xff\",\"last_name\":\"Y\"}"},
				{"admin PATCH NUL", "PATCH", api + "/users/" + users[0].ID, adm, js, `{"last_name":"\u0000"}`},
				{"admin path id NUL", "GET", api + "/users/a%00b", adm, "", ""},
				{"admin path id invalid UTF-8", "DELETE", api + "/users/a%FFb", adm, "", ""},
				{"admin cursor NUL", "GET", api + "/users?after=a%00b", adm, "", ""},
				{"admin cursor invalid UTF-8", "GET", api + "/users?after=%C0%80", adm, "", ""},
				{"admin token id NUL", "DELETE", api + "/tokens/a%00", adm, "", ""},
				{"SSO metadata team NUL", "GET", "/sso/a%00b/metadata", "", "", ""},
				{"SSO login team invalid UTF-8", "GET", "/sso/a%FFb/login", "", "", ""},
				{"SSO login return_to NUL", "GET", "/sso/" + team + "/login?return_to=%2Fx%00", "", "", ""},
				{"SSO ACS RelayState NUL", "POST", "/sso/" + team + "/acs", "", form, "SAMLResponse=eA%3D%3D&RelayState=a%00b"},
				{"SSO ACS RelayState invalid UTF-8", "POST", "/sso/" + team + "/acs", "", form, "SAMLResponse=eA%3D%3D&RelayState=" + url.QueryEscape("a\xffb")},
			} {
				t.Run(rq.name, func(t *testing.T) {
					code, _, body := send(t, rq.method, s.url+rq.path, rq.token, rq.ctype, rq.body)
					if code != http.StatusBadRequest {
						t.Errorf("%s %s: %d, want 400: %.300s", rq.method, rq.path, code, body)
					}
					if rq.token != "" && !strings.Contains(body, `"invalid_text"`) {
						t.Errorf("%s %s: body %.300s, want code invalid_text", rq.method, rq.path, body)
					}
				})
			}
			c.fails("NUL", "users", "add", "--team", team, "--email", "n@acme.test", "--first-name", "N\x00", "--last-name", "L")
			c.fails("UTF-8", "users", "add", "--team", team, "--email", "n@acme.test", "--first-name", "N", "--last-name", "L\xff")
			c.fails("NUL", "users", "remove", "--team", team, "--email", "a\x00b@acme.test")
			c.fails("UTF-8", "users", "list", "--team", team+"\xff")
			var after []adminapi.UserView
			c.ok(&after, "users", "list", "--team", team, "-o", "json")
			if len(after) != len(users) {
				t.Errorf("users = %d after rejected requests, want %d", len(after), len(users))
			}
		})
	}
}
