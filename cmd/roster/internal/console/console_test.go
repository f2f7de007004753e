package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

var operator = db.Actor{Kind: db.ActorOperator, ID: "test", Name: "test"}

// clock is the console's time, moved by tests (the store keeps real time).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is the admin API and the console on one real store, as cmd/roster
// composes them.
type env struct {
	t     *testing.T
	store *gormdb.Store
	srv   *httptest.Server
	clock *clock
	team  db.Team
	prim  db.User
	api   string // an admin API token of the primary admin
}

func newEnv(t *testing.T) *env { return newEnvWith(t, gormdb.Config{}, nil) }

// newEnvWith is newEnv with a store configuration and a hook that adds
// dependencies (directory, SSO, mail) and routes before the API and console
// are built; e.srv (its URL) is already set when the hook runs.
func newEnvWith(t *testing.T, sc gormdb.Config, deps func(e *env, mux *http.ServeMux, a *adminapi.Deps, c *console.Deps)) *env {
	t.Helper()
	e := &env{t: t, store: gormdbtest.New(t, sc), clock: &clock{t: time.Now()}}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	ad := adminapi.Deps{Store: e.store, BaseURL: "http://roster.test", MaxBody: 1 << 20,
		ParseDomains: func(l []string) ([]string, error) { return l, nil }}
	cd := console.Deps{Store: e.store, Now: e.clock.Now}
	if deps != nil {
		deps(e, mux, &ad, &cd)
	}
	ops := adminapi.New(ad)
	ops.Register(mux)
	cd.Ops = ops
	console.New(cd).Register(mux)
	var err error
	e.team, e.prim, err = e.store.CreateTeam(context.Background(), db.NewTeam{Name: "Acme", PrimaryEmail: "pat@acme.test",
		PrimaryFirstName: "Pat", PrimaryLastName: "Primary"}, operator)
	if err != nil {
		t.Fatal(err)
	}
	secret, hash := db.NewTokenSecret()
	if _, err := e.store.CreateToken(context.Background(), db.Token{TeamID: e.team.ID, Kind: db.TokenAdmin, UserID: e.prim.ID,
		Prefix: db.TokenPrefix(secret), Hash: hash}, operator); err != nil {
		t.Fatal(err)
	}
	e.api = secret
	return e
}

func (e *env) user(email string, role db.Role) db.User {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, e.team.ID, db.NewUser{Email: email, FirstName: "U", LastName: "Ser", Source: db.SourceAdmin}, operator)
	if err != nil {
		e.t.Fatal(err)
	}
	if role != db.RoleNone {
		if err := e.store.SetAdminRole(ctx, e.team.ID, e.prim.ID, u.ID, role, operator); err != nil {
			e.t.Fatal(err)
		}
	}
	return u
}

// link issues a login link the way `roster console login-link` does.
func (e *env) link(u db.User) string {
	e.t.Helper()
	l, err := console.LinkIssuer{Store: e.store, BaseURL: e.srv.URL, Now: e.clock.Now}.Issue(context.Background(), u, operator)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// browser is a client with its own cookie jar that does not follow redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) do(c *http.Client, method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// signIn follows a login link: the page, then its button (a POST).
func (e *env) signIn(c *http.Client, link string) *http.Response {
	e.t.Helper()
	u, _ := url.Parse(link)
	res, body := e.do(c, "GET", u.Path+"?"+u.RawQuery, nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Continue to the console") {
		e.t.Fatalf("link page: %d %s", res.StatusCode, body)
	}
	res, _ = e.do(c, "POST", "/console/link", url.Values{"token": {u.Query().Get("token")}})
	return res
}

func (e *env) apiGet(path string, v any) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/teams/"+e.team.ID+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.api)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(res.Body)
		e.t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		e.t.Fatal(err)
	}
}

func TestLoginLinkSignsInOnceWithHardenedCookie(t *testing.T) {
	e := newEnv(t)
	link := e.link(e.prim)
	c := e.browser()
	res := e.signIn(c, link)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/users" {
		t.Fatalf("sign in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	ck := res.Cookies()
	if len(ck) != 1 || ck[0].Name != console.SessionCookie || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/console" {
		t.Errorf("session cookie = %+v", ck)
	}
	res, body := e.do(c, "GET", "/console/users", nil)
	if res.StatusCode != 200 || !strings.Contains(body, "pat@acme.test") {
		t.Fatalf("users page: %d %s", res.StatusCode, body)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	// The same link again, in another browser: refused.
	res = e.signIn(e.browser(), link)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("replayed link: %d, want 403", res.StatusCode)
	}
}

func TestLoginLinkExpiresAfter15Minutes(t *testing.T) {
	e := newEnv(t)
	link := e.link(e.prim)
	e.clock.Add(console.LinkTTL + time.Second)
	if res := e.signIn(e.browser(), link); res.StatusCode != http.StatusForbidden {
		t.Errorf("expired link: %d, want 403", res.StatusCode)
	}
}

func TestLoginLinkOnlyForActiveAdminsAndNotUnderEnforcedSSO(t *testing.T) {
	e := newEnv(t)
	plain := e.user("plain@acme.test", db.RoleNone)
	_, err := console.LinkIssuer{Store: e.store, BaseURL: e.srv.URL}.Issue(context.Background(), plain, operator)
	if db.CodeOf(err) != "not_admin" {
		t.Errorf("link for a non-admin: %v, want not_admin", err)
	}
	sec := e.user("sec@acme.test", db.RoleSecondary)
	refuse := func(ctx context.Context, u db.User) (bool, error) { return false, nil } // what sso says for an enforced domain
	_, err = console.LinkIssuer{Store: e.store, BaseURL: e.srv.URL, SignInAllowed: refuse}.Issue(context.Background(), sec, operator)
	if db.CodeOf(err) != "sso_enforced" {
		t.Errorf("link under enforced SSO: %v, want sso_enforced", err)
	}
	// The primary admin's link under enforced SSO is the break-glass: issued, and audited.
	yes := func(ctx context.Context, u db.User) (bool, error) { return true, nil }
	if _, err := (console.LinkIssuer{Store: e.store, BaseURL: e.srv.URL, BreakGlass: yes}).Issue(context.Background(), e.prim, operator); err != nil {
		t.Fatal(err)
	}
	es, _ := e.store.ListAudit(context.Background(), e.team.ID, db.AuditQuery{Limit: 10})
	if len(es) == 0 || es[0].Action != "console.login_link.create" || es[1].Action != "console.break_glass" {
		t.Errorf("audit after a break-glass link: %+v", es[:min(2, len(es))])
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@acme.test", db.RoleNone)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	res, _ := e.do(c, "POST", "/console/users/"+bob.ID+"/role", url.Values{"role": {"secondary"}},
		"Origin", "https://evil.test", "Sec-Fetch-Site", "cross-site")
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d, want 403", res.StatusCode)
	}
	var v adminapi.UserView
	e.apiGet("/users/"+bob.ID, &v)
	if v.AdminRole != "" {
		t.Errorf("role after a refused cross-origin POST = %q", v.AdminRole)
	}
}

func TestChangeRoleAndPolicyThroughFormsShowInTheAPI(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@partner.test", db.RoleNone)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	res, body := e.do(c, "POST", "/console/users/"+bob.ID+"/role", url.Values{"role": {"secondary"}})
	if res.StatusCode != 200 || !strings.Contains(body, "The role was changed.") {
		t.Fatalf("change role: %d %s", res.StatusCode, body)
	}
	var v adminapi.UserView
	e.apiGet("/users/"+bob.ID, &v)
	if v.AdminRole != "secondary" {
		t.Errorf("role via the API = %q, want secondary", v.AdminRole)
	}
	// A refusal shows the store's rule and status: the primary role only moves.
	res, body = e.do(c, "POST", "/console/users/"+e.prim.ID+"/role", url.Values{"role": {"none"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "R-ADM-1") {
		t.Errorf("demote the primary admin: %d, want 422 quoting R-ADM-1", res.StatusCode)
	}

	res, body = e.do(c, "POST", "/console/policy", url.Values{"mode": {"domain"}, "domains": {"acme.test"}, "action": {"preview"}})
	if res.StatusCode != 200 || !strings.Contains(body, "What this change would flag") {
		t.Fatalf("preview: %d %s", res.StatusCode, body)
	}
	var p adminapi.PolicyView
	e.apiGet("/policy", &p)
	if p.Mode != "default" {
		t.Fatalf("a preview changed the policy to %q", p.Mode)
	}
	res, body = e.do(c, "POST", "/console/policy", url.Values{"mode": {"domain"}, "domains": {"acme.test\nacme.example"}, "action": {"save"}})
	if res.StatusCode != 200 || !strings.Contains(body, "The role policy was saved.") {
		t.Fatalf("save policy: %d %s", res.StatusCode, body)
	}
	e.apiGet("/policy", &p)
	if p.Mode != "domain" || strings.Join(p.Domains, ",") != "acme.example,acme.test" && strings.Join(p.Domains, ",") != "acme.test,acme.example" {
		t.Errorf("policy via the API = %+v", p)
	}
}

func TestDeactivatedOrDemotedAdminSessionRefusedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(e *env, u db.User)
	}{
		{"deactivated", func(e *env, u db.User) {
			if _, err := e.store.UpdateUser(context.Background(), e.team.ID, u.ID, 0, operator, func(x *db.User) error { x.Status = db.StatusInactive; return nil }); err != nil {
				e.t.Fatal(err)
			}
		}},
		{"demoted", func(e *env, u db.User) {
			if err := e.store.SetAdminRole(context.Background(), e.team.ID, e.prim.ID, u.ID, db.RoleNone, operator); err != nil {
				e.t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			sec := e.user("sec@acme.test", db.RoleSecondary)
			c := e.browser()
			e.signIn(c, e.link(sec))
			if res, _ := e.do(c, "GET", "/console/users", nil); res.StatusCode != 200 {
				t.Fatalf("before: %d", res.StatusCode)
			}
			tc.change(e, sec)
			res, _ := e.do(c, "GET", "/console/users", nil)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
				t.Fatalf("after: %d to %q, want a redirect to sign in", res.StatusCode, res.Header.Get("Location"))
			}
			// The session is revoked, not just refused: restoring the role does not revive it.
			if err := e.store.SetAdminRole(context.Background(), e.team.ID, e.prim.ID, sec.ID, db.RoleSecondary, operator); err != nil && tc.name == "demoted" {
				t.Fatal(err)
			}
			if _, err := e.store.UpdateUser(context.Background(), e.team.ID, sec.ID, 0, operator, func(x *db.User) error { x.Status = db.StatusActive; return nil }); err != nil {
				t.Fatal(err)
			}
			c2 := e.browser()
			c2.Jar = c.Jar
			if res, _ := e.do(c2, "GET", "/console/users", nil); res.StatusCode != http.StatusSeeOther {
				t.Errorf("old session after restoring the user: %d, want a redirect", res.StatusCode)
			}
		})
	}
}

func TestRoleChoicesAreOnlyTheAssignableOnes(t *testing.T) {
	e := newEnv(t)
	sec := e.user("sec@acme.test", db.RoleSecondary)
	bob := e.user("bob@acme.test", db.RoleNone)
	c := e.browser()
	e.signIn(c, e.link(sec))
	_, body := e.do(c, "GET", "/console/users/"+bob.ID, nil)
	if !strings.Contains(body, `value="secondary"`) || strings.Contains(body, `value="sso"`) {
		t.Errorf("a secondary admin's choices: want secondary and not sso (R-ADM-4)")
	}
	c = e.browser()
	e.signIn(c, e.link(e.prim))
	_, body = e.do(c, "GET", "/console/users/"+bob.ID, nil)
	if !strings.Contains(body, `value="sso"`) {
		t.Errorf("the primary admin may assign SSO admins")
	}
}

func TestIdleTimeoutAndSignOut(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	e.clock.Add(31 * time.Minute)
	if res, _ := e.do(c, "GET", "/console/users", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after 31 idle minutes: %d, want a redirect to sign in", res.StatusCode)
	}
	c = e.browser()
	e.signIn(c, e.link(e.prim))
	e.do(c, "POST", "/console/signout", url.Values{})
	if res, _ := e.do(c, "GET", "/console/users", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", res.StatusCode)
	}
}

func TestSCIMTokenNeedsRecentSignInAndIsShownOnce(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	res, body := e.do(c, "POST", "/console/tokens", url.Values{})
	if res.StatusCode != http.StatusCreated || !strings.Contains(body, "rst_") || !strings.Contains(body, "http://roster.test/scim/v2") {
		t.Fatalf("create token: %d", res.StatusCode)
	}
	_, body = e.do(c, "GET", "/console/tokens", nil)
	if strings.Contains(body, `id="secret"`) {
		t.Error("the secret is shown again")
	}
	e.clock.Add(11 * time.Minute)
	res, body = e.do(c, "POST", "/console/tokens", url.Values{})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "recent sign-in") {
		t.Errorf("create token 11 minutes after sign-in: %d, want 403 asking to sign in again", res.StatusCode)
	}
}

func TestAuditPageAndCSV(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	_, body := e.do(c, "GET", "/console/audit?action=console.", nil)
	if !strings.Contains(body, "console.sign_in") || strings.Contains(body, "team.create") {
		t.Errorf("audit filtered by action: want console.sign_in only")
	}
	res, body := e.do(c, "GET", "/console/audit.csv", nil)
	if res.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(body, "id,at,actor_kind") || !strings.Contains(body, "team.create") {
		t.Errorf("CSV: %q %q", res.Header.Get("Content-Type"), body)
	}
}

func TestPagesInEveryLanguage(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	for lang, word := range map[string]string{"en": "Users", "nl": "Gebruikers", "de": "Benutzer", "sv": "Användare", "fi": "Käyttäjät"} {
		_, body := e.do(c, "GET", "/console/users", nil, "Accept-Language", lang)
		if !strings.Contains(body, `<h1 id="page-title">`+word+"</h1>") || !strings.Contains(body, `lang="`+lang+`"`) {
			t.Errorf("%s: no <h1>%s</h1>", lang, word)
		}
	}
}

// outbox records the messages the console sends (the email sender is
// another package's; the console only declares the interface).
type outbox struct {
	mu   sync.Mutex
	msgs []string
}

func (o *outbox) Send(_ context.Context, to, subject, body string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, to+"\n"+subject+"\n"+body)
	return nil
}

func (o *outbox) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		return ""
	}
	return o.msgs[len(o.msgs)-1]
}

// newPasswordEnv is newEnv with a mailer.
func newPasswordEnv(t *testing.T) (*env, *outbox) {
	e := newEnv(t)
	mail := &outbox{}
	mux := http.NewServeMux()
	ops := adminapi.New(adminapi.Deps{Store: e.store, BaseURL: "http://roster.test", MaxBody: 1 << 20,
		ParseDomains: func(l []string) ([]string, error) { return l, nil }})
	ops.Register(mux)
	console.New(console.Deps{Store: e.store, Ops: ops, Now: e.clock.Now, Mailer: mail, BaseURL: "http://roster.test"}).Register(mux)
	e.srv.Config.Handler = mux
	return e, mail
}

func (e *env) setPassword(mail *outbox, email, pw string) {
	e.t.Helper()
	c := e.browser()
	e.do(c, "POST", "/console/forgot", url.Values{"team": {e.team.ID}, "email": {email}})
	msg := mail.last()
	i := strings.Index(msg, "http://roster.test/console/reset?token=")
	if i < 0 || !strings.Contains(msg, email) {
		e.t.Fatalf("no reset email to %s: %q", email, msg)
	}
	link, _ := url.Parse(strings.TrimSpace(msg[i:]))
	res, body := e.do(c, "POST", "/console/reset", url.Values{"token": {link.Query().Get("token")}, "password": {pw}})
	if res.StatusCode != 200 || !strings.Contains(body, "Your password was set.") {
		e.t.Fatalf("reset: %d %s", res.StatusCode, body)
	}
	// The reset link is single-use.
	if res, _ := e.do(c, "POST", "/console/reset", url.Values{"token": {link.Query().Get("token")}, "password": {pw}}); res.StatusCode != http.StatusForbidden {
		e.t.Errorf("reset link replayed: %d, want 403", res.StatusCode)
	}
}

func TestPasswordSignInAfterResetByEmail(t *testing.T) {
	e, mail := newPasswordEnv(t)
	bob := e.user("bob@acme.test", db.RoleNone)
	const pw = "correct horse battery"
	// Too short: refused, the link stays usable.
	e.do(e.browser(), "POST", "/console/forgot", url.Values{"team": {e.team.ID}, "email": {"pat@acme.test"}})
	link, _ := url.Parse(strings.TrimSpace(mail.last()[strings.Index(mail.last(), "http://"):]))
	if res, _ := e.do(e.browser(), "POST", "/console/reset", url.Values{"token": {link.Query().Get("token")}, "password": {"short"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("short password: %d, want 400", res.StatusCode)
	}
	e.setPassword(mail, "pat@acme.test", pw)
	h, err := e.store.ConsolePassword(context.Background(), e.team.ID, e.prim.ID)
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") || strings.Contains(h, pw) {
		t.Fatalf("stored hash = %q, %v", h, err)
	}
	c := e.browser()
	res, _ := e.do(c, "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {"pat@acme.test"}, "password": {pw}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/users" {
		t.Fatalf("admin password sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := e.do(c, "GET", "/console/users", nil); res.StatusCode != 200 {
		t.Errorf("users after password sign-in: %d", res.StatusCode)
	}
	// A user who is not an admin lands on My products.
	e.setPassword(mail, bob.Email, pw)
	c = e.browser()
	res, _ = e.do(c, "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {bob.Email}, "password": {pw}})
	if res.Header.Get("Location") != "/console/products" {
		t.Fatalf("user password sign-in lands on %q", res.Header.Get("Location"))
	}
	if _, body := e.do(c, "GET", "/console/products", nil); !strings.Contains(body, "My products") || !strings.Contains(body, bob.Email) {
		t.Errorf("My products page: %s", body)
	}
	// Unknown accounts get the same answer as wrong passwords.
	for _, email := range []string{"nobody@acme.test", "pat@acme.test"} {
		res, body := e.do(e.browser(), "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {email}, "password": {"wrong password!"}})
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "The team, email or password is not right.") {
			t.Errorf("%s with a wrong password: %d", email, res.StatusCode)
		}
	}
}

func TestPasswordLockoutIsAuditedAndThrottledPerAddress(t *testing.T) {
	e, mail := newPasswordEnv(t)
	const pw = "correct horse battery"
	e.setPassword(mail, "pat@acme.test", pw)
	try := func(email, p string) int {
		res, _ := e.do(e.browser(), "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {email}, "password": {p}})
		return res.StatusCode
	}
	for i := 0; i < 5; i++ {
		if got := try("pat@acme.test", "wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, got)
		}
	}
	if got := try("pat@acme.test", pw); got != http.StatusTooManyRequests {
		t.Errorf("right password on a locked account: %d, want 429", got)
	}
	es, _ := e.store.ListAudit(context.Background(), e.team.ID, db.AuditQuery{Limit: 50})
	n := 0
	for _, x := range es {
		if x.Action == "console.lockout" && x.TargetID == e.prim.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d console.lockout audit entries, want 1", n)
	}
	e.clock.Add(16 * time.Minute)
	if got := try("pat@acme.test", pw); got != http.StatusSeeOther {
		t.Errorf("after the lockout window: %d, want a sign-in", got)
	}
	// Per address: 20 failures over many accounts block the address.
	for i := 0; i < 20; i++ {
		try(fmt.Sprintf("guess%d@acme.test", i), "wrong password!")
	}
	if got := try("pat@acme.test", pw); got != http.StatusTooManyRequests {
		t.Errorf("from a throttled address: %d, want 429", got)
	}
}

// TestUserPageActions: set type (with the R-POL-8 warning), deactivate and
// remove through the user page's forms, each checked through the API.
func TestUserPageActions(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@acme.test", db.RoleNone)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	res, body := e.do(c, "POST", "/console/users/"+bob.ID+"/type", url.Values{"type": {"external"}})
	if res.StatusCode != 200 || !strings.Contains(body, "R-POL-8") || !strings.Contains(body, "The type was changed.") {
		t.Errorf("set type: %d, want the R-POL-8 warning", res.StatusCode)
	}
	var u adminapi.UserView
	e.apiGet("/users/"+bob.ID, &u)
	if u.Type != "external" || !u.Exception {
		t.Errorf("after set type: %+v", u)
	}
	if res, _ := e.do(c, "POST", "/console/users/"+bob.ID, url.Values{"status": {"inactive"}}); res.StatusCode != 200 {
		t.Errorf("deactivate: %d", res.StatusCode)
	}
	e.apiGet("/users/"+bob.ID, &u)
	if u.Status != "inactive" {
		t.Errorf("status after deactivate = %q", u.Status)
	}
	// Remove asks first; only the confirmation removes.
	res, body = e.do(c, "POST", "/console/users/"+bob.ID+"/remove", url.Values{})
	if res.StatusCode != 200 || !strings.Contains(body, "Yes, remove") {
		t.Fatalf("remove: %d, want a confirmation", res.StatusCode)
	}
	e.apiGet("/users/"+bob.ID, &u)
	res, _ = e.do(c, "POST", "/console/users/"+bob.ID+"/remove", url.Values{"confirm": {"yes"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed remove: %d", res.StatusCode)
	}
	if res, _ := e.do(c, "GET", "/console/users/"+bob.ID, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("removed user's page: %d, want 404", res.StatusCode)
	}
}
