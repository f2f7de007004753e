package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// polEnv drives the real binary's entry point (run) on a SQLite file, and
// opens the same database with the same wiring for the paths that have no
// CLI here (SCIM, directory sync and SSO provisioning call the store).
type polEnv struct {
	t      *testing.T
	dbPath string
	store  *gormdb.Store
	team   string
	owner  db.User
}

func newPolEnv(t *testing.T) *polEnv {
	t.Helper()
	p := &polEnv{t: t, dbPath: filepath.Join(t.TempDir(), "roster.db")}
	if _, errOut, code := p.run("migrate"); code != 0 {
		t.Fatalf("roster migrate: exit %d: %s", code, errOut)
	}
	var team struct {
		ID string `json:"id"`
	}
	p.json(&team, "team create", "--name", "Policy", "--primary-admin", "boss@cba.net", "--first-name", "Bo", "--last-name", "Ss")
	p.team = team.ID
	cfg := DefaultConfig()
	cfg.Database = p.dbPath
	s, err := openStore(context.Background(), &cfg, slog.New(slog.DiscardHandler), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p.store = s
	if p.owner, err = s.FindUser(context.Background(), p.team, db.UserKey{Email: "boss@cba.net"}); err != nil {
		t.Fatal(err)
	}
	return p
}

func polGetenv(k string) string {
	if k == "ROSTER_LOG_LEVEL" {
		return "error"
	}
	return ""
}

// run runs `roster --database DB <cmd words> args...`.
func (p *polEnv) run(cmd string, args ...string) (stdout, stderr string, code int) {
	p.t.Helper()
	var o, e bytes.Buffer
	all := append(append([]string{"--database", p.dbPath}, strings.Fields(cmd)...), args...)
	code = run(context.Background(), all, polGetenv, &o, &e)
	return o.String(), e.String(), code
}

// json runs a command with -o json, fails the test unless it exits 0, and decodes stdout into v.
func (p *polEnv) json(v any, cmd string, args ...string) string {
	p.t.Helper()
	out, errOut, code := p.run(cmd, append([]string{"-o", "json"}, args...)...)
	if code != 0 {
		p.t.Fatalf("roster %s %v: exit %d: %s", cmd, args, code, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			p.t.Fatalf("roster %s: output is not JSON: %v\n%s", cmd, err, out)
		}
	}
	return errOut
}

// fails runs a command that must fail with exit code wantCode and returns stderr.
func (p *polEnv) fails(wantCode int, cmd string, args ...string) string {
	p.t.Helper()
	_, errOut, code := p.run(cmd, args...)
	if code != wantCode {
		p.t.Fatalf("roster %s %v: exit %d, want %d (stderr %q)", cmd, args, code, wantCode, errOut)
	}
	return errOut
}

// addCLI adds a user with `roster users add` and returns its type.
func (p *polEnv) addCLI(email, source string) string {
	p.t.Helper()
	var u adminapi.UserView
	p.json(&u, "users add", "--team", p.team, "--email", email, "--first-name", "F", "--last-name", "L", "--source", source)
	return u.Type
}

// addStore adds a user through the store as a provisioning path does
// (SCIM, directory sync, SSO just-in-time) and returns its type.
func (p *polEnv) addStore(email string, src db.Source) db.User {
	p.t.Helper()
	u, err := p.store.CreateUser(context.Background(), p.team, db.NewUser{Email: email, FirstName: "F", LastName: "L", Source: src},
		db.Actor{Kind: db.ActorKind(src), ID: "test"})
	if err != nil {
		p.t.Fatalf("add %s via %s: %v", email, src, err)
	}
	return u
}

func (p *polEnv) setPolicy(mode, domains string) adminapi.PolicyView {
	p.t.Helper()
	var v adminapi.PolicyView
	p.json(&v, "policy set", "--team", p.team, "--mode", mode, "--domains", domains)
	return v
}

// exceptions returns "email:current>expected" for every exception, sorted.
func (p *polEnv) exceptions(typ string) []string {
	p.t.Helper()
	var es []adminapi.ExceptionView
	p.json(&es, "policy exceptions", "--team", p.team, "--type", typ)
	out := []string{}
	for _, e := range es {
		out = append(out, e.Email+":"+e.Current+">"+e.Expected)
	}
	sort.Strings(out)
	return out
}

// users returns the team's users from `roster users list -o json`, by email.
func (p *polEnv) users() map[string]adminapi.UserView {
	p.t.Helper()
	var vs []adminapi.UserView
	p.json(&vs, "users list", "--team", p.team)
	out := map[string]adminapi.UserView{}
	for _, v := range vs {
		out[v.Email] = v
	}
	return out
}

// polAPI serves the admin API (core and policy routes) on the env's store.
type polAPI struct {
	t   *testing.T
	srv *httptest.Server
}

func (p *polEnv) api() *polAPI {
	cfg := DefaultConfig()
	cfg.BaseURL = "http://roster.test"
	log := slog.New(slog.DiscardHandler)
	mux := http.NewServeMux()
	newAdminAPI(&cfg, p.store, log, time.Now, nil, nil).Register(mux)
	srv := httptest.NewServer(recoverer(log, mux))
	p.t.Cleanup(srv.Close)
	return &polAPI{t: p.t, srv: srv}
}

// token mints an admin API token acting as the user with this email.
func (p *polEnv) token(email string) string {
	p.t.Helper()
	u, err := p.store.FindUser(context.Background(), p.team, db.UserKey{Email: email})
	if err != nil {
		p.t.Fatal(err)
	}
	secret, hash := db.NewTokenSecret()
	if _, err := p.store.CreateToken(context.Background(), db.Token{TeamID: p.team, Kind: db.TokenAdmin, UserID: u.ID,
		Prefix: db.TokenPrefix(secret), Hash: hash}, db.Actor{Kind: db.ActorOperator, ID: "test"}); err != nil {
		p.t.Fatal(err)
	}
	return secret
}

// do sends a request and decodes a JSON response into v (if not nil).
func (c *polAPI) do(token, method, path string, body any, v any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.srv.URL+"/api/v1"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, v); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

// errCode extracts the admin API error code from a body.
func errCode(body string) string {
	var e adminapi.ErrorBody
	json.Unmarshal([]byte(body), &e)
	return e.Error.Code
}

// R-POL-1: every team has a policy, default or domain-based.
func TestR_POL_1(t *testing.T) {
	p := newPolEnv(t)
	var v adminapi.PolicyView
	p.json(&v, "policy show", "--team", p.team)
	if v.Mode != "default" || len(v.Domains) != 0 || v.TeamID != p.team {
		t.Errorf("a new team's policy = %+v, want default with no domains", v)
	}
	v = p.setPolicy("domain", "CBA.net.")
	if v.Mode != "domain" || !cmp.Equal(v.Domains, []string{"cba.net"}) {
		t.Errorf("after set: %+v", v)
	}
	p.json(&v, "policy show", "--team", p.team)
	if v.Mode != "domain" || !cmp.Equal(v.Domains, []string{"cba.net"}) {
		t.Errorf("policy show after set: %+v", v)
	}
	p.fails(2, "policy set", "--team", p.team, "--mode", "strict")
	p.fails(2, "policy set", "--team", p.team)
	if errOut := p.fails(1, "policy set", "--team", p.team, "--mode", "domain", "--domains", "cba.net,not a domain"); !strings.Contains(errOut, "not a domain") {
		t.Errorf("bad domain error = %q", errOut)
	}
	p.fails(1, "policy show", "--team", "no-such-team")
	p.json(&v, "policy show", "--team", p.team)
	if v.Mode != "domain" || !cmp.Equal(v.Domains, []string{"cba.net"}) {
		t.Errorf("refused changes altered the policy: %+v", v)
	}
	// back to default: the domain list is exactly what was given (none)
	v = p.setPolicy("default", "")
	if v.Mode != "default" || len(v.Domains) != 0 {
		t.Errorf("back to default: %+v", v)
	}
}

// R-POL-2: under the default policy, collaboration-product users are
// external and SSO/directory users standard (SCIM and admin-added: standard).
func TestR_POL_2(t *testing.T) {
	p := newPolEnv(t)
	api := p.api()
	tok := p.token("boss@cba.net")
	got := map[string]string{
		"product-cli":  p.addCLI("prod@abc.net", "product"),
		"admin-cli":    p.addCLI("adm@abc.net", "admin"),
		"sso":          string(p.addStore("sso@abc.net", db.SourceSSO).Type),
		"directory":    string(p.addStore("dir@abc.net", db.SourceDirectory).Type),
		"scim":         string(p.addStore("scim@abc.net", db.SourceSCIM).Type),
		"product-repo": string(p.addStore("prod2@cba.net", db.SourceProduct).Type),
	}
	var u adminapi.UserView
	if code, body := api.do(tok, "POST", "/teams/"+p.team+"/users", map[string]string{"email": "prod3@cba.net", "first_name": "P", "last_name": "Q", "source": "product"}, &u); code != 201 {
		t.Fatalf("API add product user: %d %s", code, body)
	}
	got["product-api"] = u.Type
	if code, body := api.do(tok, "POST", "/teams/"+p.team+"/users", map[string]string{"email": "adm2@abc.net", "first_name": "P", "last_name": "Q"}, &u); code != 201 {
		t.Fatalf("API add user: %d %s", code, body)
	}
	got["admin-api"] = u.Type
	want := map[string]string{"product-cli": "external", "product-repo": "external", "product-api": "external",
		"admin-cli": "standard", "admin-api": "standard", "sso": "standard", "directory": "standard", "scim": "standard"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("types under the default policy (-want +got):\n%s", diff)
	}
	if ex := p.exceptions("all"); len(ex) != 0 {
		t.Errorf("classification created exceptions: %v", ex)
	}
}

// R-POL-3: under a domain policy, approved domains are standard and others
// external, whatever the path; domains are normalised (case, dot, IDN).
func TestR_POL_3(t *testing.T) {
	p := newPolEnv(t)
	p.setPolicy("domain", "cba.net,BÜCHER.de")
	api := p.api()
	tok := p.token("boss@cba.net")
	add := map[string]func(email string) string{
		"cli-admin":   func(e string) string { return p.addCLI(e, "admin") },
		"cli-product": func(e string) string { return p.addCLI(e, "product") },
		"api-admin": func(e string) string {
			var u adminapi.UserView
			if code, body := api.do(tok, "POST", "/teams/"+p.team+"/users", map[string]string{"email": e, "first_name": "F", "last_name": "L"}, &u); code != 201 {
				t.Fatalf("API add %s: %d %s", e, code, body)
			}
			return u.Type
		},
		"api-product": func(e string) string {
			var u adminapi.UserView
			if code, body := api.do(tok, "POST", "/teams/"+p.team+"/users", map[string]string{"email": e, "first_name": "F", "last_name": "L", "source": "product"}, &u); code != 201 {
				t.Fatalf("API add %s: %d %s", e, code, body)
			}
			return u.Type
		},
		"scim":      func(e string) string { return string(p.addStore(e, db.SourceSCIM).Type) },
		"directory": func(e string) string { return string(p.addStore(e, db.SourceDirectory).Type) },
		"sso":       func(e string) string { return string(p.addStore(e, db.SourceSSO).Type) },
	}
	domains := map[string]string{ // email domain -> expected type
		"cba.net":          "standard",
		"CBA.NET":          "standard",
		"bücher.de":        "standard",
		"xn--bcher-kva.de": "standard",
		"abc.net":          "external",
		"eu.cba.net":       "external", // exact match: a subdomain is not approved
	}
	i := 0
	for path, fn := range add {
		for dom, want := range domains {
			i++
			email := path + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + "@" + dom
			if got := fn(email); got != want {
				t.Errorf("%s via %s: type %s, want %s", email, path, got, want)
			}
		}
	}
	if ex := p.exceptions("all"); len(ex) != 0 {
		t.Errorf("classification created exceptions: %v", ex)
	}
}

// R-POL-4 (R-ADM-9): admins are never classified: never exceptions, and
// their type cannot be changed through the policy.
func TestR_POL_4(t *testing.T) {
	p := newPolEnv(t)
	p.addCLI("helper@abc.net", "product") // external under the default policy
	p.json(nil, "admin set", "--team", p.team, "--email", "helper@abc.net", "--role", "secondary", "--as", "boss@cba.net")
	p.setPolicy("domain", "other.example") // neither admin's domain is approved
	if ex := p.exceptions("all"); len(ex) != 0 {
		t.Errorf("admins listed as exceptions: %v", ex)
	}
	for email, u := range p.users() {
		if u.Exception {
			t.Errorf("users list marks admin %s as an exception", email)
		}
	}
	if errOut := p.fails(1, "users set-type", "--team", p.team, "--type", "external", "boss@cba.net"); !strings.Contains(errOut, "R-ADM-9") {
		t.Errorf("set-type on an admin: %q", errOut)
	}
	p.fails(1, "policy revert", "--team", p.team, "helper@abc.net")
	api := p.api()
	code, body := api.do(p.token("boss@cba.net"), "POST", "/teams/"+p.team+"/users/type",
		map[string]any{"type": "standard", "user_ids": []string{p.users()["helper@abc.net"].ID}}, nil)
	if code != http.StatusUnprocessableEntity || errCode(body) != "admin_not_classified" {
		t.Errorf("API type change of an admin: %d %s", code, body)
	}
	if u := p.users()["helper@abc.net"]; u.Type != "external" {
		t.Errorf("admin's type changed to %s", u.Type)
	}
	// an admin added while the domain policy is on is not classified external
	var tv struct {
		ID string `json:"id"`
	}
	p.json(&tv, "team create", "--name", "Other", "--primary-admin", "chief@abc.net", "--first-name", "C", "--last-name", "H")
	var admins []adminapi.UserView
	p.json(&admins, "admin list", "--team", tv.ID)
	if len(admins) != 1 || admins[0].Exception || admins[0].Type != "standard" {
		t.Errorf("primary admin of a new team: %+v", admins)
	}
}

// R-POL-5: a policy change reclassifies nobody; mismatches become exceptions,
// shown in `users list` and `policy exceptions`.
func TestR_POL_5(t *testing.T) {
	p := newPolEnv(t)
	p.addCLI("in@cba.net", "admin")         // standard, will match
	p.addCLI("out@abc.net", "admin")        // standard, will not match
	p.addCLI("prod@cba.net", "product")     // external, will not match
	p.addStore("ext@abc.net", db.SourceSSO) // standard
	before := p.users()
	var dry adminapi.PolicyPreviewView
	p.json(&dry, "policy set", "--team", p.team, "--mode", "domain", "--domains", "cba.net", "--dry-run")
	if !dry.DryRun || dry.Exceptions.Total != 3 || dry.Exceptions.Becoming != 3 || len(dry.Users) != 3 {
		t.Errorf("dry run = %+v, want 3 users becoming exceptions", dry)
	}
	var v adminapi.PolicyView
	p.json(&v, "policy show", "--team", p.team)
	if v.Mode != "default" {
		t.Errorf("dry run changed the policy: %+v", v)
	}
	v = p.setPolicy("domain", "cba.net")
	if v.Exceptions.Total != 3 || v.Exceptions.Standard != 2 || v.Exceptions.External != 1 {
		t.Errorf("exception counts after the change: %+v", v.Exceptions)
	}
	after := p.users()
	for email, b := range before {
		a := after[email]
		if a.Type != b.Type || !a.UpdatedAt.Equal(b.UpdatedAt) {
			t.Errorf("%s reclassified by a policy change: %s → %s", email, b.Type, a.Type)
		}
	}
	want := []string{"ext@abc.net:standard>external", "out@abc.net:standard>external", "prod@cba.net:external>standard"}
	if diff := cmp.Diff(want, p.exceptions("all")); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
	for email, wantExc := range map[string]bool{"in@cba.net": false, "out@abc.net": true, "prod@cba.net": true, "ext@abc.net": true, "boss@cba.net": false} {
		if got := after[email]; got.Exception != wantExc {
			t.Errorf("users list: %s exception=%v (expected %q), want %v", email, got.Exception, got.Expected, wantExc)
		}
	}
	// and back to default: still nobody reclassified
	p.setPolicy("default", "")
	for email, b := range before {
		if a := p.users()[email]; a.Type != b.Type {
			t.Errorf("%s reclassified going back to default", email)
		}
	}
	if diff := cmp.Diff([]string{"ext@abc.net:standard>external"}[:0], p.exceptions("all")); diff != "" {
		t.Errorf("exceptions under default (-want +got):\n%s", diff)
	}
}

// R-POL-6: domains can be added and removed, but one must remain; users of a
// removed domain keep their type and become exceptions.
func TestR_POL_6(t *testing.T) {
	p := newPolEnv(t)
	p.setPolicy("domain", "cba.net,abc.net")
	if typ := p.addCLI("u@abc.net", "admin"); typ != "standard" {
		t.Fatalf("u@abc.net = %s", typ)
	}
	p.setPolicy("domain", "cba.net") // removes abc.net
	if u := p.users()["u@abc.net"]; u.Type != "standard" || !u.Exception {
		t.Errorf("user of a removed domain: type %s exception %v", u.Type, u.Exception)
	}
	if typ := p.addCLI("new@abc.net", "admin"); typ != "external" {
		t.Errorf("new user of a removed domain: %s", typ)
	}
	errOut := p.fails(1, "policy set", "--team", p.team, "--mode", "domain", "--domains", "")
	if !strings.Contains(errOut, "R-POL-6") {
		t.Errorf("removing the last domain: %q", errOut)
	}
	api := p.api()
	tok := p.token("boss@cba.net")
	code, body := api.do(tok, "PATCH", "/teams/"+p.team+"/policy/domains", map[string]any{"remove": []string{"CBA.NET"}}, nil)
	if code != http.StatusUnprocessableEntity || errCode(body) != "last_domain" {
		t.Errorf("API removing the last domain: %d %s", code, body)
	}
	code, body = api.do(tok, "PUT", "/teams/"+p.team+"/policy", map[string]any{"mode": "domain", "domains": []string{}}, nil)
	if code != http.StatusUnprocessableEntity || errCode(body) != "last_domain" {
		t.Errorf("API emptying the domain list: %d %s", code, body)
	}
	var v adminapi.PolicyView
	// the CLI adds and removes too, under the same rule
	p.json(&v, "policy domains", "--team", p.team, "--add", "x.example", "--remove", "cba.net")
	if !cmp.Equal(v.Domains, []string{"x.example"}) {
		t.Errorf("policy domains: %v", v.Domains)
	}
	if errOut := p.fails(1, "policy domains", "--team", p.team, "--remove", "X.example."); !strings.Contains(errOut, "R-POL-6") {
		t.Errorf("policy domains removing the last: %q", errOut)
	}
	p.fails(2, "policy domains", "--team", p.team)
	p.json(&v, "policy domains", "--team", p.team, "--add", "cba.net", "--remove", "x.example")
	if code, body = api.do(tok, "PATCH", "/teams/"+p.team+"/policy/domains", map[string]any{"add": []string{"abc.net"}}, &v); code != 200 || !cmp.Equal(v.Domains, []string{"abc.net", "cba.net"}) {
		t.Errorf("API adding a domain: %d %s", code, body)
	}
	if code, body = api.do(tok, "PATCH", "/teams/"+p.team+"/policy/domains", map[string]any{"remove": []string{"cba.net"}}, &v); code != 200 || !cmp.Equal(v.Domains, []string{"abc.net"}) {
		t.Errorf("API removing a domain that is not the last: %d %s", code, body)
	}
	p.json(&v, "policy show", "--team", p.team)
	if !cmp.Equal(v.Domains, []string{"abc.net"}) {
		t.Errorf("domains = %v", v.Domains)
	}
}

// R-POL-7: list exceptions (all/standard/external) with current and expected
// types, change one or many at once, revert.
func TestR_POL_7(t *testing.T) {
	p := newPolEnv(t)
	for _, e := range []string{"s1@abc.net", "s2@abc.net", "ok@cba.net"} {
		p.addCLI(e, "admin")
	}
	for _, e := range []string{"x1@cba.net", "x2@cba.net", "okx@abc.net"} {
		p.addCLI(e, "product")
	}
	p.setPolicy("domain", "cba.net")
	std := []string{"s1@abc.net:standard>external", "s2@abc.net:standard>external"}
	ext := []string{"x1@cba.net:external>standard", "x2@cba.net:external>standard"}
	for typ, want := range map[string][]string{"all": append(append([]string{}, std...), ext...), "standard": std, "external": ext} {
		if diff := cmp.Diff(want, p.exceptions(typ)); diff != "" {
			t.Errorf("exceptions --type %s (-want +got):\n%s", typ, diff)
		}
	}
	p.fails(2, "policy exceptions", "--team", p.team, "--type", "guest")
	api := p.api()
	tok := p.token("boss@cba.net")
	var page struct {
		Exceptions []adminapi.ExceptionView `json:"exceptions"`
		Next       string                   `json:"next"`
	}
	if code, body := api.do(tok, "GET", "/teams/"+p.team+"/policy/exceptions?type=external&limit=1", nil, &page); code != 200 || len(page.Exceptions) != 1 || page.Next == "" || page.Exceptions[0].Current != "external" {
		t.Errorf("API exceptions page: %d %s", code, body)
	}
	if code, body := api.do(tok, "GET", "/teams/"+p.team+"/policy/exceptions?type=external&after="+page.Next, nil, &page); code != 200 || len(page.Exceptions) != 1 {
		t.Errorf("API exceptions second page: %d %s", code, body)
	}
	if code, body := api.do(tok, "GET", "/teams/"+p.team+"/policy/exceptions?type=guest", nil, nil); code != 400 || errCode(body) != "type_invalid" {
		t.Errorf("API bad filter: %d %s", code, body)
	}
	// many at once, to the same type
	var tc adminapi.TypeChangeView
	p.json(&tc, "users set-type", "--team", p.team, "--type", "external", "s1@abc.net", "s2@abc.net")
	if len(tc.Users) != 2 || len(tc.Warnings) != 0 {
		t.Errorf("set-type many: %+v", tc)
	}
	// revert one: the expected type
	p.json(&tc, "policy revert", "--team", p.team, "x1@cba.net")
	if len(tc.Users) != 1 || tc.Users[0].To != "standard" {
		t.Errorf("revert: %+v", tc)
	}
	if diff := cmp.Diff([]string{"x2@cba.net:external>standard"}, p.exceptions("all")); diff != "" {
		t.Errorf("exceptions after changes (-want +got):\n%s", diff)
	}
	// revert through the API
	x2 := p.users()["x2@cba.net"]
	if code, body := api.do(tok, "POST", "/teams/"+p.team+"/policy/exceptions/revert", map[string]any{"user_ids": []string{x2.ID}}, &tc); code != 200 || tc.Users[0].To != "standard" {
		t.Errorf("API revert: %d %s", code, body)
	}
	if ex := p.exceptions("all"); len(ex) != 0 {
		t.Errorf("exceptions left: %v", ex)
	}
	p.fails(1, "users set-type", "--team", p.team, "--type", "external", "nobody@cba.net")
	p.fails(2, "users set-type", "--team", p.team, "--type", "guest", "ok@cba.net")
	p.fails(2, "users set-type", "--team", p.team, "--type", "external")
}

// R-POL-8: changing a matching user's type warns that it creates an
// exception; changing an exception to match clears it.
func TestR_POL_8(t *testing.T) {
	p := newPolEnv(t)
	p.setPolicy("domain", "cba.net")
	p.addCLI("m@cba.net", "admin")
	var tc adminapi.TypeChangeView
	errOut := p.json(&tc, "users set-type", "--team", p.team, "--type", "external", "m@cba.net")
	if len(tc.Warnings) != 1 || tc.Warnings[0].Code != "creates_exception" || tc.Warnings[0].Email != "m@cba.net" {
		t.Errorf("warnings = %+v", tc.Warnings)
	}
	if !strings.Contains(errOut, "warning") {
		t.Errorf("no warning on stderr: %q", errOut)
	}
	if diff := cmp.Diff([]string{"m@cba.net:external>standard"}, p.exceptions("all")); diff != "" {
		t.Errorf("exceptions (-want +got):\n%s", diff)
	}
	p.json(&tc, "users set-type", "--team", p.team, "--type", "standard", "m@cba.net")
	if len(tc.Warnings) != 0 || tc.Users[0].Exception {
		t.Errorf("clearing change: %+v", tc)
	}
	if ex := p.exceptions("all"); len(ex) != 0 {
		t.Errorf("exception not cleared: %v", ex)
	}
	// the API reports the same warning
	api := p.api()
	m := p.users()["m@cba.net"]
	if code, body := api.do(p.token("boss@cba.net"), "POST", "/teams/"+p.team+"/users/type", map[string]any{"type": "external", "user_ids": []string{m.ID}}, &tc); code != 200 || len(tc.Warnings) != 1 {
		t.Errorf("API type change: %d %s", code, body)
	}
}

// R-POL-9: the usage report shows whether each user is external (CSV, JSON, API).
func TestR_POL_9(t *testing.T) {
	p := newPolEnv(t)
	p.addCLI("std@cba.net", "admin")
	p.addCLI("ext@abc.net", "product")
	p.addCLI("=cmd@abc.net", "admin")
	want := map[string]string{"boss@cba.net": "false", "std@cba.net": "false", "ext@abc.net": "true", "=cmd@abc.net": "false"}
	checkCSV := func(name, body string) {
		t.Helper()
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(recs) != 5 {
			t.Fatalf("%s: %d records, %v\n%s", name, len(recs), err, body)
		}
		if !cmp.Equal(recs[0], adminapi.UsageColumns) {
			t.Errorf("%s header = %v", name, recs[0])
		}
		got := map[string]string{}
		var emails []string
		for _, r := range recs[1:] {
			got[r[0]] = r[5]
			emails = append(emails, r[0])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s external column (-want +got):\n%s", name, diff)
		}
		if !sort.StringsAreSorted(emails) {
			t.Errorf("%s not in email order: %v", name, emails)
		}
	}
	out, errOut, code := p.run("report usage", "--team", p.team, "--format", "csv")
	if code != 0 {
		t.Fatalf("report usage: %d %s", code, errOut)
	}
	checkCSV("CLI CSV", out)
	var rows []adminapi.UsageRecord
	out, _, code = p.run("report usage", "--team", p.team, "--format", "json")
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 4 {
		t.Fatalf("report usage json: %d\n%s", code, out)
	}
	for _, r := range rows {
		if want[r.Email] != map[bool]string{true: "true", false: "false"}[r.External] || r.External != (r.Type == "external") {
			t.Errorf("JSON row %s: external %v type %s", r.Email, r.External, r.Type)
		}
	}
	p.fails(2, "report usage", "--team", p.team, "--format", "xml")
	if out, _, _ := p.run("report usage", "--team", "no-such-team"); out != "" {
		t.Errorf("a failed report wrote %q", out)
	}
	api := p.api()
	tok := p.token("boss@cba.net")
	resp, err := api.srv.Client().Do(func() *http.Request {
		r, _ := http.NewRequest("GET", api.srv.URL+"/api/v1/teams/"+p.team+"/reports/usage?format=csv", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("API report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	checkCSV("API CSV", string(body))
	if strings.Contains(string(body), ",=cmd") {
		t.Errorf("report is not spreadsheet-safe")
	}
	if code, body := api.do(tok, "GET", "/teams/"+p.team+"/reports/usage?format=xml", nil, nil); code != 400 {
		t.Errorf("API report bad format: %d %s", code, body)
	}
}

// R-POL-10: policy domain cba.net, SSO/AD domain abc.net: users synced
// through SSO or AD are added as external.
func TestR_POL_10(t *testing.T) {
	p := newPolEnv(t)
	p.setPolicy("domain", "cba.net")
	for _, src := range []db.Source{db.SourceSSO, db.SourceDirectory} {
		if u := p.addStore(string(src)+"@abc.net", src); u.Type != db.TypeExternal {
			t.Errorf("%s user of abc.net = %s, want external", src, u.Type)
		}
		if u := p.addStore(string(src)+"@cba.net", src); u.Type != db.TypeStandard {
			t.Errorf("%s user of cba.net = %s, want standard", src, u.Type)
		}
	}
	if ex := p.exceptions("all"); len(ex) != 0 {
		t.Errorf("exceptions: %v", ex)
	}
}

// The policy admin API is for admins only, and every change is audited with the admin.
func TestPolicyAPIAdminsOnly(t *testing.T) {
	p := newPolEnv(t)
	p.addCLI("second@cba.net", "admin")
	p.addCLI("sso@cba.net", "admin")
	p.addCLI("former@cba.net", "admin")
	for _, r := range [][2]string{{"second@cba.net", "secondary"}, {"sso@cba.net", "sso"}, {"former@cba.net", "secondary"}} {
		p.json(nil, "admin set", "--team", p.team, "--email", r[0], "--role", r[1], "--as", "boss@cba.net")
	}
	api := p.api()
	formerTok := p.token("former@cba.net")
	p.json(nil, "admin set", "--team", p.team, "--email", "former@cba.net", "--role", "none", "--as", "boss@cba.net")
	other := newPolEnv(t) // another team, another database
	_ = other
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/policy", nil},
		{"PUT", "/policy", map[string]any{"mode": "domain", "domains": []string{"cba.net"}}},
		{"POST", "/policy/preview", map[string]any{"mode": "domain", "domains": []string{"cba.net"}}},
		{"PATCH", "/policy/domains", map[string]any{"add": []string{"abc.net"}}},
		{"GET", "/policy/exceptions", nil},
		{"GET", "/reports/usage", nil},
	}
	for _, rt := range routes {
		for _, c := range []struct {
			who, token string
			want       int
		}{
			{"none", "", 401},
			{"bogus", "rst_bogus", 401},
			{"former admin", formerTok, 403},
			{"primary", p.token("boss@cba.net"), 200},
			{"secondary", p.token("second@cba.net"), 200},
			{"sso", p.token("sso@cba.net"), 200},
		} {
			code, body := api.do(c.token, rt.method, "/teams/"+p.team+rt.path, rt.body, nil)
			if code != c.want {
				t.Errorf("%s %s as %s: %d, want %d (%s)", rt.method, rt.path, c.who, code, c.want, body)
			}
		}
	}
	// a token of this team cannot reach another team
	code, body := api.do(p.token("boss@cba.net"), "GET", "/teams/"+other.team+"/policy", nil, nil)
	if code != 404 {
		t.Errorf("another team's policy: %d %s", code, body)
	}
	// the change is in the audit log with the admin who made it
	var v adminapi.PolicyView
	if code, body := api.do(p.token("second@cba.net"), "PUT", "/teams/"+p.team+"/policy", map[string]any{"mode": "domain", "domains": []string{"abc.net"}}, &v); code != 200 {
		t.Fatalf("set policy: %d %s", code, body)
	}
	var audit []adminapi.AuditView
	p.json(&audit, "audit", "--team", p.team, "--limit", "1")
	if len(audit) != 1 || audit[0].Action != "policy.set" || audit[0].ActorName != "second@cba.net" || audit[0].ActorKind != "admin" {
		t.Errorf("audit = %+v, want policy.set by second@cba.net", audit)
	}
	// bad input is a precise 4xx, never half-applied
	for _, b := range []any{map[string]any{"mode": "strict"}, map[string]any{"mode": "domain", "domains": []string{"*.x.com"}}, map[string]any{"mode": "domain", "extra": 1}} {
		if code, body := api.do(p.token("boss@cba.net"), "PUT", "/teams/"+p.team+"/policy", b, nil); code != 400 {
			t.Errorf("PUT policy %v: %d %s", b, code, body)
		}
	}
	if code, body := api.do(p.token("boss@cba.net"), "GET", "/teams/"+p.team+"/policy", nil, &v); code != 200 || !cmp.Equal(v.Domains, []string{"abc.net"}) {
		t.Errorf("policy after bad requests: %d %s", code, body)
	}
}

// `--as` records the acting admin in the audit log; a non-admin is refused.
func TestPolicyCLIAuditActor(t *testing.T) {
	p := newPolEnv(t)
	p.addCLI("plain@cba.net", "admin")
	p.json(nil, "policy set", "--team", p.team, "--mode", "domain", "--domains", "cba.net", "--as", "boss@cba.net")
	var audit []adminapi.AuditView
	p.json(&audit, "audit", "--team", p.team, "--limit", "1")
	if len(audit) != 1 || audit[0].Action != "policy.set" || audit[0].ActorName != "boss@cba.net" {
		t.Errorf("audit = %+v", audit)
	}
	p.fails(1, "policy set", "--team", p.team, "--mode", "default", "--as", "plain@cba.net")
	p.fails(1, "users set-type", "--team", p.team, "--type", "external", "--as", "plain@cba.net", "plain@cba.net")
}

// TestPolicyDomainsCapped: issue 9 #6. A policy holds at most
// db.MaxPolicyDomains approved domains (R-POL-3); beyond, the API answers
// 400 too_many_domains (the dry run used to answer 500 at 20,000: too many
// SQL parameters) and the CLI fails with the reason, changing nothing.
func TestPolicyDomainsCapped(t *testing.T) {
	p := newPolEnv(t)
	p.setPolicy("domain", "cba.net")
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("d%d.cap.example", i)
		}
		return out
	}
	api := p.api()
	tok := p.token("boss@cba.net")
	cases := []struct {
		name, method, path string
		body               map[string]any
	}{
		{"set over the cap", "PUT", "/teams/" + p.team + "/policy", map[string]any{"mode": "domain", "domains": many(db.MaxPolicyDomains + 1)}},
		{"dry run at 20,000", "PUT", "/teams/" + p.team + "/policy", map[string]any{"mode": "domain", "domains": many(20000), "dry_run": true}},
		{"preview at 20,000", "POST", "/teams/" + p.team + "/policy/preview", map[string]any{"mode": "domain", "domains": many(20000)}},
		{"add over the cap", "PATCH", "/teams/" + p.team + "/policy/domains", map[string]any{"add": many(db.MaxPolicyDomains)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := api.do(tok, tc.method, tc.path, tc.body, nil)
			if code != http.StatusBadRequest || errCode(body) != "too_many_domains" {
				t.Errorf("%d %s, want 400 too_many_domains", code, body)
			}
		})
	}
	code, body := api.do(tok, "POST", "/teams/"+p.team+"/policy/preview", map[string]any{"mode": "domain", "domains": many(db.MaxPolicyDomains)}, nil)
	if code != http.StatusOK {
		t.Errorf("preview at the cap: %d %s", code, body)
	}
	errOut := p.fails(1, "policy set", "--team", p.team, "--mode", "domain", "--domains", strings.Join(many(db.MaxPolicyDomains+1), ","))
	if !strings.Contains(errOut, "at most 1000") {
		t.Errorf("CLI over the cap: %q", errOut)
	}
	var v adminapi.PolicyView
	p.json(&v, "policy show", "--team", p.team)
	if !cmp.Equal(v.Domains, []string{"cba.net"}) {
		t.Errorf("domains after refused changes = %v", v.Domains)
	}
}
