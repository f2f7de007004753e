package main

import (
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/roster-dev/roster/directory"
)

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? `)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

type sample struct {
	name   string
	labels map[string]string
}

// scrape reads a Prometheus text exposition into samples.
func scrape(t *testing.T, url string) []sample {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", url, resp.StatusCode, b)
	}
	var out []sample
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unparsable exposition line %q", line)
		}
		s := sample{name: m[1], labels: map[string]string{}}
		for _, p := range labelPair.FindAllStringSubmatch(m[3], -1) {
			s.labels[p[1]] = p[2]
		}
		out = append(out, s)
	}
	return out
}

func has(samples []sample, name string, labels map[string]string) bool {
	for _, s := range samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range labels {
			if s.labels[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Issue 14 #1: /metrics on the main listener, HTTP by route pattern, SCIM
// by resource and op, SSO sign-in failures by reason, pool and runtime
// metrics; no label value is an id, an email or a token.
func TestMetricsServed(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	var scimTok map[string]string
	c.ok(&scimTok, "token", "create", "--team", team, "-o", "json")
	s := startServer(t, c)
	tok := adminToken(t, c, team, "pat@a.test")
	api := s.url + "/api/v1/teams/" + team
	call(t, "GET", api+"/users", tok, "")
	r := call(t, "POST", api+"/users", tok, `{"email":"kim@a.test","first_name":"Kim","last_name":"Ng"}`)
	userID, _ := r.body["id"].(string)
	if userID == "" {
		t.Fatalf("create user: %d %v", r.status, r.body)
	}
	call(t, "GET", api+"/users/"+userID, tok, "")
	sc := scimTok["token"]
	call(t, "GET", s.url+"/scim/v2/Users", sc, "")
	call(t, "GET", s.url+"/scim/v2/Users/"+userID, sc, "")
	call(t, "GET", s.url+"/scim/v2/Groups?filter="+url.QueryEscape(`displayName eq "x"`), sc, "")
	if resp := sendHdr(t, "GET", s.url+"/no/such/"+userID, nil); resp.StatusCode != 404 {
		t.Fatalf("unrouted path = %d", resp.StatusCode)
	}
	resp, err := http.PostForm(s.url+"/sso/"+team+"/acs", url.Values{"SAMLResponse": {"bm90IHNhbWw="}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := scrape(t, s.url+"/metrics")
	for _, want := range []struct {
		name   string
		labels map[string]string
	}{
		{"roster_http_requests_total", map[string]string{"route": "GET /api/v1/teams/{team}/users", "method": "GET", "code": "200"}},
		{"roster_http_requests_total", map[string]string{"route": "POST /api/v1/teams/{team}/users", "method": "POST", "code": "201"}},
		{"roster_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}},
		{"roster_http_request_duration_seconds_bucket", map[string]string{"route": "GET /api/v1/teams/{team}/users/{user}"}},
		{"roster_scim_operations_total", map[string]string{"resource": "Users", "op": "list", "code": "200"}},
		{"roster_scim_operations_total", map[string]string{"resource": "Users", "op": "get", "code": "200"}},
		{"roster_scim_operations_total", map[string]string{"resource": "Groups", "op": "list"}},
		{"roster_sso_signins_total", map[string]string{"result": "failed"}},
		{"roster_db_open_connections", nil},
		{"go_goroutines", nil},
		{"process_resident_memory_bytes", nil},
	} {
		if !has(got, want.name, want.labels) {
			t.Errorf("no sample %s%v", want.name, want.labels)
		}
	}
	// Bounded labels: no id, email or token in any label value.
	idLike := regexp.MustCompile(`[0-9a-f]{8}-?[0-9a-f]{4}|@|rt_`)
	for _, smp := range got {
		for k, v := range smp.labels {
			if strings.Contains(v, team) || strings.Contains(v, userID) || strings.Contains(v, sc) || idLike.MatchString(v) {
				t.Errorf("label %s=%q of %s carries an id, email or token", k, v, smp.name)
			}
		}
	}
	if t.Failed() {
		t.Logf("ids: team %s user %s", team, userID)
	}
}

// metrics.listen moves /metrics to a listener of its own.
func TestMetricsSeparateListener(t *testing.T) {
	c := newCLI(t)
	c.env["ROSTER_METRICS_LISTEN"] = "127.0.0.1:0"
	var logs syncBuffer
	s := startServerLogging(t, c, &logs, "info")
	var addr string
	for _, rec := range logLines(t, logs.String()) {
		if rec["msg"] == "metrics serving" {
			addr, _ = rec["addr"].(string)
		}
	}
	if addr == "" {
		t.Fatalf("no metrics listener logged:\n%s", logs.String())
	}
	if !has(scrape(t, "http://"+addr+"/metrics"), "go_goroutines", nil) {
		t.Fatal("separate /metrics has no runtime metrics")
	}
	if resp := sendHdr(t, "GET", s.url+"/metrics", nil); resp.StatusCode != 404 {
		t.Fatalf("main listener /metrics = %d, want 404 when metrics.listen is set", resp.StatusCode)
	}
}

// exercised is a metrics registry with every metric observed once, through
// the same hooks `serve` installs.
func exercised(t *testing.T) []sample {
	m := newMetrics(func() sql.DBStats { return sql.DBStats{MaxOpenConnections: 4, OpenConnections: 2, InUse: 1, Idle: 1} })
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	run := m.observeDirectoryRun(now)
	rep := directory.Report{ConnectionID: "conn-1234", TeamID: "team-1234", Mode: "full", DurationMS: 1500}
	rep.Created, rep.Updated, rep.Deactivated, rep.Deleted = 3, 2, 1, 1
	run(rep, nil)
	run(directory.Report{Mode: "delta"}, errors.New("ldap down"))
	m.observeSignIn("")
	m.observeSignIn("audience_mismatch")
	m.observeSignIn("weird reason with user@x.test")
	req := httptest.NewRequest("PATCH", "/scim/v2/Users/abc", nil)
	m.observeRequest(req, requestInfo{method: "PATCH", route: "/scim/v2/", status: 500, duration: 3 * time.Second})
	srv := httptest.NewServer(m.handler())
	defer srv.Close()
	return scrape(t, srv.URL)
}

func TestMetricsHooks(t *testing.T) {
	got := exercised(t)
	for _, want := range []struct {
		name   string
		labels map[string]string
	}{
		{"roster_directory_runs_total", map[string]string{"mode": "full", "result": "ok"}},
		{"roster_directory_runs_total", map[string]string{"mode": "delta", "result": "error"}},
		{"roster_directory_changes_total", map[string]string{"change": "deactivated"}},
		{"roster_directory_run_duration_seconds_bucket", nil},
		{"roster_directory_last_success_timestamp_seconds", nil},
		{"roster_sso_signins_total", map[string]string{"result": "ok", "reason": ""}},
		{"roster_sso_signins_total", map[string]string{"result": "failed", "reason": "audience_mismatch"}},
		{"roster_sso_signins_total", map[string]string{"result": "failed", "reason": "other"}},
		{"roster_scim_operations_total", map[string]string{"resource": "Users", "op": "patch", "code": "500"}},
		{"roster_db_max_open_connections", nil},
	} {
		if !has(got, want.name, want.labels) {
			t.Errorf("no sample %s%v", want.name, want.labels)
		}
	}
	for _, smp := range got {
		for k, v := range smp.labels {
			if strings.Contains(v, "1234") || strings.Contains(v, "@") || strings.Contains(v, "abc") {
				t.Errorf("label %s=%q of %s carries an id or email", k, v, smp.name)
			}
		}
	}
}

func TestSCIMOpLabels(t *testing.T) {
	for _, tc := range []struct{ method, path, res, op string }{
		{"GET", "/scim/v2/Users", "Users", "list"},
		{"GET", "/scim/v2/Users/", "Users", "list"},
		{"GET", "/scim/v2/Users/123", "Users", "get"},
		{"POST", "/scim/v2/Users", "Users", "create"},
		{"POST", "/scim/v2/Users/.search", "Users", "search"},
		{"PUT", "/scim/v2/Groups/9", "Groups", "replace"},
		{"PATCH", "/scim/v2/Groups/9", "Groups", "patch"},
		{"DELETE", "/scim/v2/Users/9", "Users", "delete"},
		{"GET", "/scim/v2/user@example.com", "other", "list"},
		{"TRACE", "/scim/v2/Schemas", "Schemas", "other"},
	} {
		if res, op := scimOp(tc.method, tc.path); res != tc.res || op != tc.op {
			t.Errorf("%s %s = (%s, %s), want (%s, %s)", tc.method, tc.path, res, op, tc.res, tc.op)
		}
	}
}

// The example alert rules parse as Prometheus rule groups and name only
// metrics Roster exports (or Prometheus's own `up`).
func TestAlertRules(t *testing.T) {
	b, err := os.ReadFile("../../configs/prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range exercised(t) {
		names[s.name] = true
	}
	metricRef := regexp.MustCompile(`\broster_[a-z_]+`)
	n := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %+v lacks alert, expr, severity or summary", r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") {
				t.Errorf("%s: unbalanced parentheses", r.Alert)
			}
			for _, ref := range metricRef.FindAllString(r.Expr, -1) {
				if !names[ref] {
					t.Errorf("%s: %s is not a metric Roster exports", r.Alert, ref)
				}
			}
		}
	}
	if n < 5 {
		t.Fatalf("%d rules", n)
	}
}
