package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/adminapi/apitest"
	"github.com/roster-dev/roster/db/gormdb"
)

// server is a running `roster serve` on a loopback port, sharing c's database.
type server struct {
	url   string
	stop  func() error
	store func() *gormdb.Store
}

func startServer(t *testing.T, c *cli) *server {
	t.Helper()
	return startServerLogging(t, c, io.Discard, "error")
}

func startServerLogging(t *testing.T, c *cli, logw io.Writer, level string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{Stdout: io.Discard, Stderr: io.Discard, Now: time.Now, Getenv: func(k string) string {
		if k == "ROSTER_DATABASE" {
			return c.dsn
		}
		return c.env[k]
	}}
	e.Log = buildLogger(logw, "json", level)
	e.wrapHandler = func(h http.Handler) http.Handler { return apitest.Handler(t, contract(t), h) }
	cfg, err := e.Config()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, e, cfg, ln) }()
	var once sync.Once
	var stopErr error
	s := &server{url: "http://" + ln.Addr().String(), stop: func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(20 * time.Second):
				stopErr = context.DeadlineExceeded
			}
		})
		return stopErr
	}}
	s.store = func() *gormdb.Store { return e.store }
	t.Cleanup(func() { s.stop(); e.store.Close() })
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

type apiResult struct {
	status int
	body   map[string]any
	list   []map[string]any
}

func call(t *testing.T, method, url, token, body string) apiResult {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := apiResult{status: resp.StatusCode}
	if len(bytes.TrimSpace(b)) > 0 {
		if b[0] == '[' {
			json.Unmarshal(b, &r.list)
		} else if err := json.Unmarshal(b, &r.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return r
}

func (r apiResult) code() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func adminToken(t *testing.T, c *cli, team, email string) string {
	var tok map[string]string
	c.ok(&tok, "token", "create", "--team", team, "--kind", "admin", "--admin", email, "-o", "json")
	return tok["token"]
}

func TestServeHealthAndShutdown(t *testing.T) {
	c := newCLI(t)
	s := startServer(t, c)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := call(t, "GET", s.url+p, "", ""); r.status != 200 {
			t.Fatalf("%s = %d", p, r.status)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
}

func TestAdminAPI(t *testing.T) {
	c := newCLI(t)
	teamA := c.team("A", "pat@a.test")
	teamB := c.team("B", "bea@b.test")
	c.ok(nil, "users", "add", "--team", teamA, "--email", "sec@a.test", "--first-name", "S", "--last-name", "A")
	c.ok(nil, "users", "add", "--team", teamA, "--email", "sso@a.test", "--first-name", "S", "--last-name", "O")
	c.ok(nil, "admin", "set", "--team", teamA, "--email", "sec@a.test", "--role", "secondary", "--as", "pat@a.test")
	c.ok(nil, "admin", "set", "--team", teamA, "--email", "sso@a.test", "--role", "sso", "--as", "pat@a.test")
	s := startServer(t, c)
	api := s.url + "/api/v1/teams/" + teamA
	tokA := adminToken(t, c, teamA, "pat@a.test")
	tokB := adminToken(t, c, teamB, "bea@b.test")

	t.Run("authentication", func(t *testing.T) {
		for _, tok := range []string{"", "rst_wrong", tokA + "x"} {
			r := call(t, "GET", api+"/users", tok, "")
			if r.status != 401 || r.code() != "unauthenticated" {
				t.Fatalf("token %q: %d %v", tok, r.status, r.body)
			}
		}
		var scim map[string]string
		c.ok(&scim, "token", "create", "--team", teamA, "-o", "json")
		if r := call(t, "GET", api+"/users", scim["token"], ""); r.status != 401 {
			t.Fatalf("a SCIM token opened the admin API: %d", r.status)
		}
	})
	t.Run("tenant isolation", func(t *testing.T) {
		// B's admin asking for A's team sees nothing, not even that it exists.
		r := call(t, "GET", api+"/users", tokB, "")
		if r.status != 404 || r.code() != "team_not_found" {
			t.Fatalf("B's token on A: %d %v", r.status, r.body)
		}
		var users []adminapi.UserView
		c.ok(&users, "users", "list", "--team", teamA, "-o", "json")
		r = call(t, "GET", s.url+"/api/v1/teams/"+teamB+"/users/"+users[0].ID, tokB, "")
		if r.status != 404 {
			t.Fatalf("A's user through B: %d", r.status)
		}
	})
	t.Run("R-ADM-6 every admin role manages users", func(t *testing.T) {
		// R-ADM-6
		for i, who := range []string{"pat@a.test", "sec@a.test", "sso@a.test"} {
			tok := adminToken(t, c, teamA, who)
			email := strings.Replace(who, "@", "+new@", 1)
			r := call(t, "POST", api+"/users", tok, `{"email":"`+email+`","first_name":"N","last_name":"U"}`)
			if r.status != 201 || r.body["email"] != email {
				t.Fatalf("%s create user: %d %v", who, r.status, r.body)
			}
			id := r.body["id"].(string)
			r = call(t, "PATCH", api+"/users/"+id, tok, `{"status":"inactive"}`)
			if r.status != 200 || r.body["status"] != "inactive" {
				t.Fatalf("%s patch: %d %v", who, r.status, r.body)
			}
			if r := call(t, "DELETE", api+"/users/"+id, tok, ""); r.status != 204 {
				t.Fatalf("%s delete: %d", who, r.status)
			}
			_ = i
		}
	})
	t.Run("R-ADM-4 SSO admins only by the primary admin", func(t *testing.T) {
		// R-ADM-4
		r := call(t, "POST", api+"/users", tokA, `{"email":"x@a.test","first_name":"X","last_name":"Y"}`)
		id := r.body["id"].(string)
		secTok := adminToken(t, c, teamA, "sec@a.test")
		r = call(t, "PUT", api+"/users/"+id+"/role", secTok, `{"role":"sso"}`)
		if r.status != 403 || r.code() != "sso_admin_by_primary" {
			t.Fatalf("secondary assigning SSO: %d %v", r.status, r.body)
		}
		r = call(t, "PUT", api+"/users/"+id+"/role", tokA, `{"role":"sso"}`)
		if r.status != 200 || r.body["admin_role"] != "sso" {
			t.Fatalf("primary assigning SSO: %d %v", r.status, r.body)
		}
		r = call(t, "PUT", api+"/users/"+id+"/role", tokA, `{"role":"primary"}`)
		if r.status != 422 || r.code() != "primary_requires_secondary" {
			t.Fatalf("SSO admin made primary: %d %v", r.status, r.body)
		}
	})
	t.Run("a demoted admin's token loses its power at once", func(t *testing.T) {
		c.ok(nil, "users", "add", "--team", teamA, "--email", "temp@a.test", "--first-name", "T", "--last-name", "A")
		c.ok(nil, "admin", "set", "--team", teamA, "--email", "temp@a.test", "--role", "secondary", "--as", "pat@a.test")
		tok := adminToken(t, c, teamA, "temp@a.test")
		if r := call(t, "GET", api+"/users", tok, ""); r.status != 200 {
			t.Fatalf("admin token: %d", r.status)
		}
		c.ok(nil, "admin", "set", "--team", teamA, "--email", "temp@a.test", "--role", "none", "--as", "pat@a.test")
		if r := call(t, "GET", api+"/users", tok, ""); r.status != 403 || r.code() != "not_admin" {
			t.Fatalf("demoted admin: %d %v", r.status, r.body)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		big := `{"email":"` + strings.Repeat("a", 2<<20) + `"}`
		cases := []struct {
			method, path, body string
			status             int
			code               string
		}{
			{"POST", "/users", `{"email":`, 400, "invalid_json"},
			{"POST", "/users", ``, 400, "body_required"},
			{"POST", "/users", `{"email":"a@a.test","first_name":"A","last_name":"B","role":"primary"}`, 400, "invalid_json"},
			{"POST", "/users", `{"email":"a@a.test","first_name":"A","last_name":"B"} {}`, 400, "invalid_json"},
			{"POST", "/users", `{"email":"nope","first_name":"A","last_name":"B"}`, 400, "email_invalid"},
			{"POST", "/users", `{"email":"pat@A.test","first_name":"A","last_name":"B"}`, 409, "email_taken"},
			{"POST", "/users", `{"email":"q@a.test","first_name":"A","last_name":"B","source":"scim"}`, 400, "source_invalid"},
			{"POST", "/users", big, 413, "body_too_large"},
			{"GET", "/users/nope", ``, 404, "user_not_found"},
			{"GET", "/users?limit=0", ``, 400, "limit_invalid"},
			{"PUT", "/users/nope/role", `{"role":"boss"}`, 400, "role_invalid"},
			{"GET", "/audit?before=x", ``, 400, "before_invalid"},
		}
		for _, tc := range cases {
			r := call(t, tc.method, api+tc.path, tokA, tc.body)
			if r.status != tc.status || r.code() != tc.code {
				t.Errorf("%s %s %.40q: %d %v, want %d %s", tc.method, tc.path, tc.body, r.status, r.body, tc.status, tc.code)
			}
		}
	})
	t.Run("audit records the admin", func(t *testing.T) {
		r := call(t, "GET", api+"/audit?limit=500", tokA, "")
		if r.status != 200 {
			t.Fatalf("audit: %d", r.status)
		}
		found := false
		for _, e := range r.list {
			if e["actor_kind"] == "admin" && e["actor_name"] == "pat@a.test" && e["action"] == "user.create" {
				found = true
			}
		}
		if !found {
			t.Fatalf("audit has no user.create by pat@a.test: %v", r.list)
		}
	})
}

// Secrets never reach the log, even at debug level with JSON output.
func TestSecretsNotLogged(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	var logs syncBuffer
	s := startServerLogging(t, c, &logs, "debug")
	tok := adminToken(t, c, team, "pat@a.test")
	api := s.url + "/api/v1/teams/" + team
	call(t, "GET", api+"/users", tok, "")
	call(t, "GET", api+"/users?token="+tok, "", "")
	call(t, "POST", api+"/users", tok, `{"email":"`+tok+`@x.test"}`)
	r := call(t, "POST", api+"/tokens", tok, `{"kind":"scim"}`)
	scimSecret, _ := r.body["token"].(string)
	call(t, "GET", api+"/users", tok+"x", "")
	s.stop()
	out := logs.String()
	if !strings.Contains(out, `"msg":"request"`) {
		t.Fatalf("debug request log missing:\n%s", out)
	}
	for _, secret := range []string{tok, scimSecret} {
		if secret == "" || strings.Contains(out, secret) || strings.Contains(out, secret[4:]) {
			t.Fatalf("a token secret appears in the log:\n%s", out)
		}
	}
}

func TestReadyzReportsDatabaseDown(t *testing.T) {
	c := newCLI(t)
	s := startServer(t, c)
	if r := call(t, "GET", s.url+"/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz = %d", r.status)
	}
	s.store().Close()
	if r := call(t, "GET", s.url+"/readyz", "", ""); r.status != 503 {
		t.Fatalf("readyz with the database closed = %d, want 503", r.status)
	}
	if r := call(t, "GET", s.url+"/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz = %d: the process is still up", r.status)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
