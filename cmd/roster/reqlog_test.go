package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// logLines decodes a JSON log into records.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		recs = append(recs, m)
	}
	return recs
}

func sendHdr(t *testing.T, method, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Issue 14 #3: one info line per request with its id, route, status,
// duration, client address and user agent; the id is echoed and is on every
// line of the request; failed authentication is logged at info with a
// reason and never the token.
func TestRequestLog(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	var scimTok map[string]string
	c.ok(&scimTok, "token", "create", "--team", team, "-o", "json")
	c.env["ROSTER_HTTP_TRUSTED_PROXIES"] = "127.0.0.1"
	var logs syncBuffer
	s := startServerLogging(t, c, &logs, "info")
	tok := adminToken(t, c, team, "pat@a.test")
	api := s.url + "/api/v1/teams/" + team
	const bogus = "rt_admin_thisisnotavalidtokenatall0123456789"

	cases := []struct {
		name, method, url string
		hdr               map[string]string
		wantStatus        int
		wantRoute         string
		wantReason        string // "" = no auth failure line
		wantAddr          string
		wantSurface       string
	}{
		{"admin ok", "GET", api + "/users", map[string]string{"Authorization": "Bearer " + tok, "X-Request-Id": "req-ok-1", "User-Agent": "roster-test/1"},
			200, "GET /api/v1/teams/{team}/users", "", "127.0.0.1", ""},
		{"admin no token", "GET", api + "/users", map[string]string{"X-Request-Id": "req-missing-2"},
			401, "GET /api/v1/teams/{team}/users", "missing_token", "127.0.0.1", "admin_api"},
		{"admin bad token via proxy", "GET", api + "/users", map[string]string{"Authorization": "Bearer " + bogus, "X-Request-Id": "req-bad-3", "X-Forwarded-For": "203.0.113.9, 127.0.0.1"},
			401, "GET /api/v1/teams/{team}/users", "unknown_token", "203.0.113.9", "admin_api"},
		{"scim bad token", "GET", s.url + "/scim/v2/Users", map[string]string{"Authorization": "Bearer " + bogus, "X-Request-Id": "req-scim-4"},
			401, "/scim/v2/", "unknown_token", "127.0.0.1", "scim"},
		{"scim admin token is not a scim token", "GET", s.url + "/scim/v2/Users", map[string]string{"Authorization": "Bearer " + tok, "X-Request-Id": "req-scim-5"},
			401, "/scim/v2/", "not_a_scim_token", "127.0.0.1", "scim"},
		{"sso no session", "GET", s.url + "/api/v1/me", map[string]string{"X-Request-Id": "req-me-6"},
			401, "GET /api/v1/me", "missing_session", "127.0.0.1", "sso_session"},
		{"no route", "GET", s.url + "/nothing-here", map[string]string{"X-Request-Id": "req-404-7"},
			404, "unmatched", "", "127.0.0.1", ""},
	}
	for _, tc := range cases {
		resp := sendHdr(t, tc.method, tc.url, tc.hdr)
		if resp.StatusCode != tc.wantStatus {
			t.Fatalf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.wantStatus)
		}
		if got := resp.Header.Get("X-Request-Id"); got != tc.hdr["X-Request-Id"] {
			t.Fatalf("%s: X-Request-Id echoed %q, want %q", tc.name, got, tc.hdr["X-Request-Id"])
		}
	}
	// A request without an id, and one with an id unfit for a log line, get
	// a generated one.
	gen := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, id := range []string{"", strings.Repeat("x", 129), "has space", "quote\"d"} {
		resp := sendHdr(t, "GET", s.url+"/healthz", map[string]string{"X-Request-Id": id})
		if got := resp.Header.Get("X-Request-Id"); !gen.MatchString(got) {
			t.Fatalf("X-Request-Id %q: echoed %q, want a generated id", id, got)
		}
	}
	s.stop()
	out := logs.String()
	for _, secret := range []string{tok, bogus, scimTok["token"]} {
		if strings.Contains(out, secret) || strings.Contains(out, secret[8:]) {
			t.Fatalf("a token appears in the log:\n%s", out)
		}
	}
	recs := logLines(t, out)
	byID := map[string][]map[string]any{}
	for _, r := range recs {
		if id, ok := r["request_id"].(string); ok {
			byID[id] = append(byID[id], r)
		}
	}
	for _, tc := range cases {
		id := tc.hdr["X-Request-Id"]
		var req, fail map[string]any
		for _, r := range byID[id] {
			switch r["msg"] {
			case "request":
				req = r
			case "authentication failed":
				fail = r
			}
		}
		if req == nil {
			t.Fatalf("%s: no request line with request_id %s:\n%s", tc.name, id, out)
		}
		if req["level"] != "INFO" || req["route"] != tc.wantRoute || req["status"] != float64(tc.wantStatus) ||
			req["remote_addr"] != tc.wantAddr || req["method"] != tc.method {
			t.Fatalf("%s: request line %v", tc.name, req)
		}
		if _, ok := req["duration_ms"].(float64); !ok {
			t.Fatalf("%s: no duration_ms: %v", tc.name, req)
		}
		if ua := tc.hdr["User-Agent"]; ua != "" && req["user_agent"] != ua {
			t.Fatalf("%s: user_agent %v, want %s", tc.name, req["user_agent"], ua)
		}
		if tc.wantReason == "" {
			if fail != nil {
				t.Fatalf("%s: unexpected auth failure line %v", tc.name, fail)
			}
			continue
		}
		if fail == nil || fail["level"] != "INFO" || fail["reason"] != tc.wantReason || fail["surface"] != tc.wantSurface {
			t.Fatalf("%s: auth failure line %v, want reason %s at info", tc.name, fail, tc.wantReason)
		}
	}
}

// The client address: the peer unless it is a trusted proxy; then
// X-Forwarded-For from the right, skipping trusted proxies.
func TestClientAddr(t *testing.T) {
	proxies, err := parseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		peer, xff, want string
	}{
		{"198.51.100.7:5000", "", "198.51.100.7"},
		{"198.51.100.7:5000", "1.2.3.4", "198.51.100.7"}, // untrusted peer: header ignored
		{"10.1.2.3:5000", "", "10.1.2.3"},
		{"10.1.2.3:5000", "1.2.3.4", "1.2.3.4"},
		{"10.1.2.3:5000", "6.6.6.6, 1.2.3.4, 10.9.9.9", "1.2.3.4"}, // spoofed left part not believed
		{"192.0.2.1:443", "10.0.0.5, 192.0.2.1", "10.0.0.5"},       // every hop trusted: the leftmost
		{"[::1]:80", "2001:db8::5", "2001:db8::5"},
		{"10.1.2.3:5000", "garbage, 1.2.3.4", "1.2.3.4"},
		{"10.1.2.3:5000", "1.2.3.4, garbage", "10.1.2.3"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := proxies.clientAddr(r); got != tc.want {
			t.Errorf("peer %s xff %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
	if _, err := parseTrustedProxies([]string{"not-an-ip"}); err == nil {
		t.Fatal("a bad trusted proxy was accepted")
	}
	if _, err := LoadConfig("", func(k string) string {
		if k == "ROSTER_HTTP_TRUSTED_PROXIES" {
			return "10.0.0.0/8,nope"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), "http.trusted_proxies") {
		t.Fatalf("config with a bad trusted proxy: %v", err)
	}
}
