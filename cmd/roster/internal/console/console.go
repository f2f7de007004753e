// Package console is Roster's web admin console under /console: server-
// rendered pages (html/template, assets embedded) where every action is a
// plain HTML form that works without JavaScript. It holds no rule of its own:
// every action calls the admin API's operations (adminapi.API), so the
// console, the JSON API and the CLI refuse the same things with the same
// messages. Sessions are server-side (db.ConsoleStore) and checked on every
// request against the user's current state.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// SessionCookie is the console session cookie (Path /console).
const SessionCookie = "roster_console"

// Store is every store method the console calls.
type Store interface {
	db.ConsoleStore
	db.SecondFactorStore
	db.ThrottleStore // sign-in failure counts, shared by replicas
	GetUser(ctx context.Context, teamID, userID string) (db.User, error)
	FindUser(ctx context.Context, teamID string, key db.UserKey) (db.User, error)
	GetTeam(ctx context.Context, teamID string) (db.Team, error)
	ListAdmins(ctx context.Context, teamID string) ([]db.User, error) // whom break-glass notifies
}

// SSO is what the console needs from the SSO service: the SSO sign-in
// session's user (cookie SSOCookie) and whether another sign-in path is open.
type SSO interface {
	SessionUser(ctx context.Context, token string) (db.User, db.Team, error)
	PasswordSignInAllowed(ctx context.Context, u db.User) (bool, error)
	// BreakGlass: is a sign-in of u outside SSO the primary admin's break-glass?
	BreakGlass(ctx context.Context, u db.User) (bool, error)
}

// Deps is what the console is built from.
type Deps struct {
	Store     Store
	Ops       *adminapi.API
	SSO       SSO    // nil: no SSO sign-in
	SSOCookie string // the SSO session cookie's name
	Log       *slog.Logger
	Now       func() time.Time
	// SecureCookies sets the Secure attribute (true unless the base URL is plain http).
	SecureCookies bool
	// IdleTimeout and AbsoluteTimeout end a session (defaults 30m and 12h).
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// ReauthWithin is how recent a sign-in the most sensitive actions need (default 10m).
	ReauthWithin time.Duration
	// Mailer sends password-reset links and break-glass notices; nil: no reset by email, no notices.
	Mailer Mailer
	// BaseURL is Roster's public URL (the links in emails).
	BaseURL string
	// SecondFactorKey (32 bytes, console.secret_key) encrypts authenticator
	// secrets at rest; without it two-step verification cannot be set up
	// (enrolments made with it keep being asked for at sign-in).
	SecondFactorKey []byte
}

// Console is the web console; Register mounts it.
type Console struct {
	Deps
	tmpl      map[string]*template.Template
	accounts  *throttle      // failed password sign-ins per team and email
	addresses *throttle      // failed sign-ins and reset requests per client address
	pages     *http.ServeMux // the console's own routes (Register)
}

// New builds the console.
func New(d Deps) *Console {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.IdleTimeout == 0 {
		d.IdleTimeout = 30 * time.Minute
	}
	if d.AbsoluteTimeout == 0 {
		d.AbsoluteTimeout = 12 * time.Hour
	}
	if d.ReauthWithin == 0 {
		d.ReauthWithin = 10 * time.Minute
	}
	c := &Console{Deps: d, tmpl: map[string]*template.Template{}}
	log := func() *slog.Logger { return c.Log }
	c.accounts = newThrottle(d.Store, log, "account", 5, 15*time.Minute)
	c.addresses = newThrottle(d.Store, log, "address", 20, 15*time.Minute)
	pages, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		c.tmpl[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", p))
	}
	return c
}

// Register mounts the console under /console, behind the security headers
// and Go's cross-origin protection (a cross-site POST is refused with 403).
func (c *Console) Register(mux *http.ServeMux) {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /console/{$}", c.home)
	m.HandleFunc("GET /console/signin", c.signinPage)
	m.HandleFunc("GET /console/link", c.linkPage)
	m.HandleFunc("POST /console/link", c.useLink)
	m.HandleFunc("GET /console/sso", c.ssoLanding)
	m.HandleFunc("GET /console/sso-start", c.ssoStart)
	m.HandleFunc("GET /console/products", c.products)
	m.HandleFunc("POST /console/signout", c.signout)
	c.passwordRoutes(m)
	c.mountPages(m)
	c.mountDirectoryPages(m)
	c.mountSecondFactor(m)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusForbidden, "error", page{Title: "error.title", Message: tr(lang(r), "error.cross_origin")})
	}))
	c.pages = m
	h := securityHeaders(cop.Handler(m))
	mux.Handle("/console/", h)
	mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusFound))
}

// securityHeaders: a strict CSP (no inline script or style), no framing,
// no referrer (a login link's token never leaks), nothing cached.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp("'self'"))
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if !strings.HasPrefix(r.URL.Path, "/console/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// csp is the console's Content-Security-Policy with the form targets
// allowed (a browser checks form-action on every redirect after a submit,
// so a form that ends at the IdP must allow the IdP's origin).
func csp(formAction string) string {
	return "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action " + formAction +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// session is a signed-in request: the session and the caller the admin
// API's operations take, resolved against the user's current state.
type session struct {
	db.ConsoleSession
	Caller adminapi.Caller
}

// errSignedOut sends the browser to the sign-in page.
var errSignedOut = errors.New("signed out")

// authenticate resolves the session cookie and checks, on every request,
// that its user is still an active admin (adminapi.Authorize, the rule
// the API applies to tokens). A user who lost the role or was deactivated
// has every session revoked at once.
func (c *Console) authenticate(r *http.Request, allowed adminapi.Roles) (session, error) {
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return session{}, errSignedOut
	}
	now := c.Now()
	se, err := c.Store.TouchConsoleSession(r.Context(), db.HashToken(ck.Value), now, c.IdleTimeout)
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return session{}, errSignedOut
		}
		return session{}, err
	}
	caller, err := c.Ops.Authorize(r.Context(), se.TeamID, se.UserID, adminapi.AllAdmins)
	if err != nil {
		if db.IsClientError(err) || errors.Is(err, db.ErrForbidden) {
			if _, rerr := c.Store.RevokeUserConsoleSessions(context.WithoutCancel(r.Context()), se.TeamID, se.UserID, now); rerr != nil {
				c.Log.Error("console: revoke sessions", "err", rerr)
			}
			c.Log.Info("console: session refused", "team", se.TeamID, "user", se.UserID, "code", db.CodeOf(err))
			return session{}, errSignedOut
		}
		return session{}, err
	}
	s := session{ConsoleSession: se, Caller: caller}
	if len(allowed.Allowed) > 0 {
		if _, err := c.Ops.Authorize(r.Context(), se.TeamID, se.UserID, allowed); err != nil {
			return s, err
		}
	}
	return s, nil
}

// startSession creates a session for an admin and sets its cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, teamID, userID, method string) error {
	secret, hash := db.NewTokenSecret()
	now := c.Now()
	se := db.ConsoleSession{Hash: hash, TeamID: teamID, UserID: userID, Method: method, CreatedAt: now, ExpiresAt: now.Add(c.AbsoluteTimeout)}
	if err := c.Store.CreateConsoleSession(r.Context(), se); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/console", HttpOnly: true,
		Secure: c.SecureCookies, SameSite: http.SameSiteStrictMode, Expires: se.ExpiresAt})
	return nil
}

func (c *Console) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true,
		Secure: c.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// LinkTTL is how long a login link is valid.
const LinkTTL = 15 * time.Minute

// LinkIssuer creates login links; the CLI's `roster console login-link` uses it.
type LinkIssuer struct {
	Store interface {
		db.ConsoleStore
		ListAdmins(ctx context.Context, teamID string) ([]db.User, error) // whom break-glass notifies
	}
	// SignInAllowed is the enforce-SSO rule (sso.Service.PasswordSignInAllowed):
	// nil means no SSO, every admin may have a link.
	SignInAllowed func(ctx context.Context, u db.User) (bool, error)
	// BreakGlass (sso.Service.BreakGlass) marks a link issued under enforced
	// SSO, audited as console.break_glass; nil: never.
	BreakGlass func(ctx context.Context, u db.User) (bool, error)
	BaseURL    string
	Now        func() time.Time
	// Mailer tells the team's other admins about a break-glass link; nil: nobody.
	Mailer Mailer
	Log    *slog.Logger
}

// Issue creates a single-use link, valid for LinkTTL, for u (an active
// admin; the store checks). With SSO enforced for u's verified domain it is
// refused, except for the primary admin (break-glass: audited with the
// link's creation, and the team's other admins are emailed).
func (l LinkIssuer) Issue(ctx context.Context, u db.User, by db.Actor) (string, error) {
	if l.SignInAllowed != nil {
		ok, err := l.SignInAllowed(ctx, u)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", db.Errorf(db.ErrForbidden, "sso_enforced", "SSO is enforced for %s's domain: sign in through the team's identity provider", u.Email)
		}
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if l.BreakGlass != nil {
		bg, err := l.BreakGlass(ctx, u)
		if err != nil {
			return "", err
		}
		if bg {
			if err := breakGlass(ctx, l.Store, l.Mailer, l.Log, u, by, "login_link", now()); err != nil {
				return "", err
			}
		}
	}
	secret, hash := db.NewTokenSecret()
	t := now()
	if err := l.Store.CreateLoginLink(ctx, db.LoginLink{Hash: hash, TeamID: u.TeamID, UserID: u.ID, Purpose: db.LinkSignIn, CreatedAt: t, ExpiresAt: t.Add(LinkTTL)}, by); err != nil {
		return "", err
	}
	return strings.TrimRight(l.BaseURL, "/") + "/console/link?token=" + url.QueryEscape(secret), nil
}

// page is the data every template gets.
type page struct {
	Lang    string
	Title   string // a catalogue key
	Nav     string // the current section
	Signed  bool
	Me      adminapi.Caller
	Message string // an error or notice, already translated or the store's message
	Notice  string
	Data    any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Lang = lang(r)
	t, ok := c.tmpl[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.Execute(&b, p); err != nil {
		c.Log.Error("console: render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// fail renders err as a page: a client mistake with the store's precise
// message and the admin API's status; anything else as an internal error.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s session, err error) {
	if errors.Is(err, errSignedOut) {
		c.clearCookie(w)
		http.Redirect(w, r, "/console/signin?ended=1", http.StatusSeeOther)
		return
	}
	status := adminapi.StatusOf(err)
	msg := adminapi.ClientMessage(err)
	if status >= 500 {
		c.Log.Error("console", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = tr(lang(r), "error.internal")
	}
	c.render(w, r, status, "error", page{Title: "error.title", Signed: s.Caller.Admin.ID != "", Me: s.Caller, Message: msg})
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	s, err := c.authenticate(r, adminapi.Roles{})
	if errors.Is(err, errSignedOut) && c.SSO != nil {
		// an SSO sign-in that returned to / (no return path): land as from SSO
		if ck, cerr := r.Cookie(c.SSOCookie); cerr == nil && ck.Value != "" {
			c.ssoLanding(w, r)
			return
		}
	}
	if err != nil {
		c.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, c.adminDestination(r.Context(), s.TeamID), http.StatusSeeOther)
}

func (c *Console) adminDestination(ctx context.Context, teamID string) string {
	if st, err := c.Store.GetConsoleSettings(ctx, teamID); err == nil && st.AdminDestination != "" {
		return st.AdminDestination
	}
	return "/console/users"
}

func (c *Console) userDestination(ctx context.Context, teamID string) string {
	if st, err := c.Store.GetConsoleSettings(ctx, teamID); err == nil && st.UserDestination != "" {
		return st.UserDestination
	}
	return "/console/products"
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	// "Sign in with SSO" goes on to the team's IdP, wherever it is.
	w.Header().Set("Content-Security-Policy", csp("'self' https: http:"))
	p := page{Title: "signin.title"}
	if r.URL.Query().Get("ended") != "" {
		p.Notice = tr(lang(r), "signin.ended")
	}
	c.render(w, r, http.StatusOK, "signin", p)
}

// linkPage asks for a click before the link is used, so a mail scanner
// that fetches the URL does not spend it.
func (c *Console) linkPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "link", page{Title: "link.title", Data: r.URL.Query().Get("token")})
}

func (c *Console) useLink(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusBadRequest, "error", page{Title: "error.title", Message: tr(lang(r), "link.invalid")})
		return
	}
	l, err := c.Store.UseLoginLink(r.Context(), db.HashToken(r.PostForm.Get("token")), db.LinkSignIn, c.Now())
	if err == nil {
		_, err = c.Ops.Authorize(r.Context(), l.TeamID, l.UserID, adminapi.AllAdmins)
	}
	if err != nil {
		status := adminapi.StatusOf(err)
		if status >= 500 {
			c.fail(w, r, session{}, err)
			return
		}
		c.render(w, r, http.StatusForbidden, "error", page{Title: "error.title", Message: tr(lang(r), "link.invalid")})
		return
	}
	if err := c.startSession(w, r, l.TeamID, l.UserID, "link"); err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	http.Redirect(w, r, c.adminDestination(r.Context(), l.TeamID), http.StatusSeeOther)
}

// ssoStart sends the browser to the team's SSO sign-in, returning to the
// console's SSO landing.
func (c *Console) ssoStart(w http.ResponseWriter, r *http.Request) {
	team := strings.TrimSpace(r.URL.Query().Get("team"))
	if team == "" || c.SSO == nil || db.CheckURLText(r.URL.Path, r.URL.Query()) != nil {
		http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/sso/"+url.PathEscape(team)+"/login?return_to="+url.QueryEscape("/console/sso"), http.StatusSeeOther)
}

// ssoLanding is where an SSO sign-in returns (return_to=/console/sso): an
// admin gets a console session and lands on the team's admin destination;
// anyone else lands on "My products" (never a 404).
func (c *Console) ssoLanding(w http.ResponseWriter, r *http.Request) {
	if c.SSO == nil {
		http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
		return
	}
	ck, err := r.Cookie(c.SSOCookie)
	if err != nil {
		http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
		return
	}
	u, _, err := c.SSO.SessionUser(r.Context(), ck.Value)
	if err != nil {
		if db.IsClientError(err) {
			http.Redirect(w, r, "/console/signin?ended=1", http.StatusSeeOther)
			return
		}
		c.fail(w, r, session{}, err)
		return
	}
	if _, err := c.Ops.Authorize(r.Context(), u.TeamID, u.ID, adminapi.AllAdmins); err != nil {
		if db.IsClientError(err) || errors.Is(err, db.ErrForbidden) {
			http.Redirect(w, r, c.userDestination(r.Context(), u.TeamID), http.StatusSeeOther)
			return
		}
		c.fail(w, r, session{}, err)
		return
	}
	if err := c.startSession(w, r, u.TeamID, u.ID, "sso"); err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	http.Redirect(w, r, c.adminDestination(r.Context(), u.TeamID), http.StatusSeeOther)
}

// products is "My products" for a user signed in through SSO who is not an
// admin: who they are and what their team gives them.
func (c *Console) products(w http.ResponseWriter, r *http.Request) {
	var u db.User
	var team db.Team
	if c.SSO != nil {
		if ck, err := r.Cookie(c.SSOCookie); err == nil {
			u, team, _ = c.SSO.SessionUser(r.Context(), ck.Value)
		}
	}
	if u.ID == "" {
		// a console session (a password sign-in), admin or not
		if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
			if se, err := c.Store.TouchConsoleSession(r.Context(), db.HashToken(ck.Value), c.Now(), c.IdleTimeout); err == nil {
				if x, err := c.Store.GetUser(r.Context(), se.TeamID, se.UserID); err == nil && x.Status == db.StatusActive {
					u = x
					team, _ = c.Store.GetTeam(r.Context(), se.TeamID)
				}
			}
		}
	}
	if u.ID == "" {
		http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "products", page{Title: "products.title", Data: map[string]any{"User": u, "Team": team}})
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(SessionCookie); err == nil && ck.Value != "" {
		if err := c.Store.RevokeConsoleSession(r.Context(), db.HashToken(ck.Value), c.Now()); err != nil {
			c.Log.Error("console: sign out", "err", err)
		}
	}
	c.clearCookie(w)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}
