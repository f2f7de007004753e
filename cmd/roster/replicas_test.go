package main

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/sso"
)

// roundRobin is a reverse proxy that sends each request to the next backend.
func roundRobin(t *testing.T, backends ...string) *httptest.Server {
	t.Helper()
	var proxies []*httputil.ReverseProxy
	for _, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		proxies = append(proxies, httputil.NewSingleHostReverseProxy(u))
	}
	var n atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[int(n.Add(1)-1)%len(proxies)].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// scimCreates is the replica's roster_scim_operations_total for created users.
func scimCreates(t *testing.T, metricsURL string) float64 {
	t.Helper()
	resp, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "roster_scim_operations_total{") || !strings.Contains(line, `op="create"`) || !strings.Contains(line, `code="201"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		sum += v
	}
	return sum
}

// TestTwoReplicas: two `roster serve` on one database (PostgreSQL and
// MariaDB when configured, SQLite always) behind a round-robin proxy. SCIM
// load spreads over both (each replica's own /metrics counts its share);
// the SCIM rate limit is per replica, so a team's limit across N replicas
// is N × scim.burst at once (documented in README "Scaling"); a revoked
// token stops working on every replica once scim.token_cache_ttl has
// passed — at once here, with the cache off.
func TestTwoReplicas(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			c := &cli{t: t, dsn: gormdbtest.DSN(t, d), env: map[string]string{
				"ROSTER_SCIM_TOKEN_CACHE_TTL": "-1s",   // negative: no cache
				"ROSTER_SCIM_RATE_LIMIT":      "0.001", // no refill within the test
				"ROSTER_SCIM_BURST":           "3",
			}}
			c.ok(nil, "migrate")
			team := c.team("A", "pat@a.test")
			var tok map[string]string
			c.ok(&tok, "token", "create", "--team", team, "-o", "json")
			a, b := startServer(t, c), startServer(t, c)
			lb := roundRobin(t, a.url, b.url)

			// 6 requests: 3 per replica, each replica's whole burst
			for i := 0; i < 6; i++ {
				body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u` + strconv.Itoa(i) +
					`@a.test","name":{"givenName":"U","familyName":"N"},"emails":[{"value":"u` + strconv.Itoa(i) + `@a.test","primary":true}]}`
				if r := call(t, "POST", lb.URL+"/scim/v2/Users", tok["token"], body); r.status != 201 {
					t.Fatalf("create %d through the proxy: %d %v", i, r.status, r.body)
				}
			}
			for _, s := range []*server{a, b} {
				if v := scimCreates(t, s.url+"/metrics"); v != 3 {
					t.Errorf("replica %s served %v SCIM creates, want 3", s.url, v)
				}
			}
			// both buckets are empty now: the next request to each is refused
			for i := 0; i < 2; i++ {
				if r := call(t, "GET", lb.URL+"/scim/v2/Users", tok["token"], ""); r.status != 429 {
					t.Errorf("request %d after both bursts: %d, want 429", i, r.status)
				}
			}
			var users []map[string]any
			c.ok(&users, "users", "list", "--team", team, "-o", "json")
			if len(users) != 7 { // the primary admin and the 6
				t.Errorf("%d users in the shared database, want 7", len(users))
			}

			// revocation: a fresh token, used on both replicas, then revoked
			var tok2 map[string]string
			c.ok(&tok2, "token", "create", "--team", team, "-o", "json")
			c.env["ROSTER_SCIM_RATE_LIMIT"] = "0"
			a2, b2 := startServer(t, c), startServer(t, c)
			lb2 := roundRobin(t, a2.url, b2.url)
			for i := 0; i < 2; i++ {
				if r := call(t, "GET", lb2.URL+"/scim/v2/Users", tok2["token"], ""); r.status != 200 {
					t.Fatalf("before revocation, request %d: %d", i, r.status)
				}
			}
			c.ok(nil, "token", "revoke", "--team", team, tok2["id"])
			for i := 0; i < 2; i++ {
				if r := call(t, "GET", lb2.URL+"/scim/v2/Users", tok2["token"], ""); r.status != 401 {
					t.Errorf("after revocation, request %d (replica %d): %d, want 401", i, i%2, r.status)
				}
			}
		})
	}
}

// TestTwoReplicasSSO: an SP-initiated sign-in that starts on replica A and
// ends on replica B (PostgreSQL and MariaDB when configured, SQLite
// always). The request's state travels in the HMAC-signed login-state
// cookie keyed from the team's SP key, which both replicas read from the
// database, and the replay cache is a table, so B accepts A's request and a
// replay of the same response to A is refused; the session works on both.
func TestTwoReplicasSSO(t *testing.T) {
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			c := &cli{t: t, dsn: gormdbtest.DSN(t, d), env: map[string]string{}}
			c.ok(nil, "migrate")
			team := c.team("Acme", "pat@acme.test")
			idp := newTestIdP(t)
			lnA, errA := net.Listen("tcp", "127.0.0.1:0")
			lnB, errB := net.Listen("tcp", "127.0.0.1:0")
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			// the one public URL both replicas tell the IdP (here A's address)
			public := "http://" + lnA.Addr().String()
			a, b := public, "http://"+lnB.Addr().String()
			startSSOServerOn(t, c, lnA, public)
			startSSOServerOn(t, c, lnB, public)
			c.ok(nil, "sso", "set", "--team", team, "--idp-metadata", idp.srv.URL+"/metadata", "--domains", "acme.test", "--jit", "-o", "json")
			idp.learnSP(t, b+"/sso/"+team+"/metadata") // B's metadata: the same SP as A's
			idp.signInDana()

			jar, _ := cookiejar.New(nil) // cookies are per host, not per port: both replicas get them
			browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			form := ssoLogin(t, browser, a+"/sso/"+team+"/login")     // starts on A
			res, err := browser.PostForm(b+"/sso/"+team+"/acs", form) // ends on B
			if err != nil || res.StatusCode != http.StatusSeeOther {
				t.Fatalf("ACS on B: %v %v", res.StatusCode, err)
			}
			res.Body.Close()
			for _, r := range []string{a, b} {
				res, _ = browser.Get(r + "/api/v1/me")
				var me sso.MeResponse
				if err := jsonDecodeBody(res, &me); err != nil || me.User.Email != "dana@acme.test" || me.Team.ID != team {
					t.Errorf("GET /api/v1/me on %s = %+v %v", r, me, err)
				}
			}
			// the same response replayed to A: refused through the shared replay cache
			res, err = browser.PostForm(a+"/sso/"+team+"/acs", form)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("replay on A: %d, want 403", res.StatusCode)
			}
		})
	}
}
