package sso

import (
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// SessionCookie is the name of the sign-in session cookie.
const SessionCookie = "roster_session"

// Register adds the public SSO endpoints to mux:
// GET /sso/{team}/metadata, GET /sso/{team}/login, POST /sso/{team}/acs,
// and GET /api/v1/me (the session's user and team).
func (s *Service) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /sso/{team}/metadata", s.handleMetadata)
	mux.HandleFunc("GET /sso/{team}/login", s.handleLogin)
	mux.HandleFunc("POST /sso/{team}/acs", s.handleACS)
	mux.HandleFunc("POST /sso/logout", s.handleLogout)
	mux.HandleFunc("GET /api/v1/me", s.handleMe)
}

func (s *Service) handleMetadata(w http.ResponseWriter, r *http.Request) {
	team := r.PathValue("team")
	if err := checkRequestText(r); err != nil {
		s.plainError(w, r, err, "metadata")
		return
	}
	md, err := s.Metadata(r.Context(), team)
	if err != nil {
		s.plainError(w, r, err, "metadata")
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write(md)
}

func (s *Service) handleLogin(w http.ResponseWriter, r *http.Request) {
	team := r.PathValue("team")
	if err := checkRequestText(r); err != nil {
		s.plainError(w, r, err, "login")
		return
	}
	start, err := s.StartLogin(r.Context(), team, r.URL.Query().Get("return_to"), "")
	if err != nil {
		s.plainError(w, r, err, "login")
		return
	}
	s.sendStart(w, r, start)
}

func (s *Service) sendStart(w http.ResponseWriter, r *http.Request, start LoginStart) {
	w.Header().Set("Cache-Control", "no-store")
	if start.State != "" {
		http.SetCookie(w, s.stateCookie(r.PathValue("team"), start.RelayState, start.State, int(s.requestTTL/time.Second)))
	}
	if start.RedirectURL != "" {
		http.Redirect(w, r, start.RedirectURL, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte("<!DOCTYPE html><html><body>"))
	w.Write(start.PostForm)
	w.Write([]byte("</body></html>"))
}

func (s *Service) signInOutcome(reason string) {
	if s.onSignIn != nil {
		s.onSignIn(reason)
	}
}

func (s *Service) handleACS(w http.ResponseWriter, r *http.Request) {
	team := r.PathValue("team")
	ref, _ := s.randomToken(6)
	defer func() {
		if p := recover(); p != nil {
			s.log.ErrorContext(r.Context(), "sso: ACS panic", "team", team, "ref", ref, "panic", p)
			s.writeFailure(w, http.StatusForbidden, ref)
		}
	}()
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	err := r.ParseForm()
	if err == nil {
		err = checkRequestText(r)
	}
	if errors.Is(err, db.ErrInvalid) {
		s.log.WarnContext(r.Context(), "sso: ACS post with invalid text", "team", team, "ref", ref, "err", err)
		s.writeFailure(w, http.StatusBadRequest, ref)
		return
	}
	if err != nil {
		var mbe *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		s.log.WarnContext(r.Context(), "sso: unreadable ACS post", "team", team, "ref", ref, "err", err)
		s.writeFailure(w, status, ref)
		return
	}
	relay := r.PostForm.Get("RelayState")
	state := ""
	if validRelay(relay) {
		if c, err := r.Cookie(stateCookiePrefix + relay); err == nil {
			state = c.Value
		}
		// the state is single-use whatever the outcome
		http.SetCookie(w, s.stateCookie(team, relay, "", -1))
	}
	res, err := s.ACS(r.Context(), team, r.PostForm.Get("SAMLResponse"), relay, state)
	var se *SignInError
	switch {
	case errors.As(err, &se):
		// never log the response itself
		s.signInOutcome(se.Reason)
		s.log.WarnContext(r.Context(), "sso: sign-in refused", "team", team, "ref", ref, "reason", se.Reason, "detail", se.Error())
		if se.Test {
			writeTestResult(w, r, http.StatusForbidden, testResult{Reason: se.Reason, Detail: se.Error()})
			return
		}
		s.writeFailure(w, http.StatusForbidden, ref)
		return
	case err != nil:
		s.signInOutcome("error")
		status := failureStatus(w, err)
		s.log.ErrorContext(r.Context(), "sso: sign-in failed", "team", team, "ref", ref, "status", status, "err", err)
		s.writeFailure(w, status, ref)
		return
	}
	if res.Test {
		writeTestResult(w, r, http.StatusOK, testResult{OK: true, Identity: res.Identity, Mapping: res.Mapping})
		return
	}
	s.signInOutcome("")
	s.log.InfoContext(r.Context(), "sso: signed in", "team", team, "user", res.User.ID, "jit", res.Created, "idp_initiated", res.Identity.IdPInitiated)
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: res.Session, Path: "/", Expires: res.Expires,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
}

// stateCookie is a login's state cookie (state.go), sent only to the team's
// ACS. The IdP's POST to the ACS is a cross-site request, which browsers
// send SameSite=Lax cookies with only on top-level GETs, so it is
// SameSite=None, which browsers accept only with Secure. On plain-http
// loopback (development, tests), where Secure is off, it is Lax: a local
// IdP on another port is the same site.
func (s *Service) stateCookie(team, relay, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{Name: stateCookiePrefix + relay, Value: value, Path: s.teamURL(team, "acs").Path,
		MaxAge: maxAge, HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteNoneMode}
	if !c.Secure {
		c.SameSite = http.SameSiteLaxMode
	}
	return c
}

// secureCookies is true unless Roster runs on plain http on a loopback host
// (local development and tests), where a Secure cookie would never be sent.
func (s *Service) secureCookies() bool {
	if s.base.Scheme == "https" {
		return true
	}
	host := s.base.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.SignOut(r.Context(), c.Value); err != nil {
			s.log.WarnContext(r.Context(), "sso: sign out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// MeResponse is the body of GET /api/v1/me.
type MeResponse struct {
	User struct {
		ID        string `json:"id"`
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Type      string `json:"type"`
		Source    string `json:"source"`
		AdminRole string `json:"admin_role,omitempty"`
	} `json:"user"`
	Team struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"team"`
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		s.log.InfoContext(r.Context(), "authentication failed", "surface", "sso_session", "reason", "missing_session")
		writeError(w, http.StatusUnauthorized, "unauthenticated", "sign in first")
		return
	}
	u, t, err := s.SessionUser(r.Context(), c.Value)
	if err != nil {
		if db.IsClientError(err) {
			s.log.InfoContext(r.Context(), "authentication failed", "surface", "sso_session", "reason", "invalid_session")
			writeError(w, http.StatusUnauthorized, "unauthenticated", "the session is missing or expired; sign in again")
			return
		}
		s.log.ErrorContext(r.Context(), "sso: read session", "err", err)
		if failureStatus(w, err) == http.StatusServiceUnavailable {
			writeError(w, http.StatusServiceUnavailable, "unavailable", "the database is unavailable; retry after the Retry-After delay")
			return
		}
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
		return
	}
	var out MeResponse
	out.User.ID, out.User.Email, out.User.FirstName, out.User.LastName = u.ID, u.Email, u.FirstName, u.LastName
	out.User.Type, out.User.Source, out.User.AdminRole = string(u.Type), string(u.Source), string(u.AdminRole)
	out.Team.ID, out.Team.Name = t.ID, t.Name
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

var failurePage = template.Must(template.New("f").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign-in failed</title></head>
<body><h1>Sign-in failed</h1>
<p>We could not sign you in through your organisation's identity provider. Try again from the start;
if it keeps failing, ask your administrator to check the team's single sign-on settings.</p>
<p>Reference: {{.}}</p></body></html>`))

// writeFailure shows the user a plain, generic message with a reference
// that matches the log line holding the details.
func (s *Service) writeFailure(w http.ResponseWriter, status int, ref string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	failurePage.Execute(w, ref)
}

// plainError answers metadata and login requests: not found for an unknown
// or unconfigured team, generic otherwise.
func (s *Service) plainError(w http.ResponseWriter, r *http.Request, err error, what string) {
	if errors.Is(err, db.ErrNotFound) {
		http.Error(w, "single sign-on is not set up for this team", http.StatusNotFound)
		return
	}
	if errors.Is(err, db.ErrInvalid) && db.CodeOf(err) == "invalid_text" {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ref, _ := s.randomToken(6)
	status := failureStatus(w, err)
	s.log.ErrorContext(r.Context(), "sso: "+what, "team", r.PathValue("team"), "ref", ref, "err", err)
	http.Error(w, "single sign-on is unavailable (reference "+ref+")", status)
}

// retryAfterUnavailable is the Retry-After (seconds) of every 503.
const retryAfterUnavailable = "5"

// failureStatus is the status of a failure that is not a refused sign-in:
// 503 with Retry-After when the database is unavailable (issue 9 #9), 400
// for text no backend stores (a NUL or invalid UTF-8, issue 9 #11), else 500.
func failureStatus(w http.ResponseWriter, err error) int {
	switch {
	case errors.Is(err, db.ErrUnavailable):
		w.Header().Set("Retry-After", retryAfterUnavailable)
		return http.StatusServiceUnavailable
	case errors.Is(err, db.ErrInvalid) && db.CodeOf(err) == "invalid_text":
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// checkRequestText rejects a path, query parameter or form field that is not
// UTF-8 or holds a NUL before any of it reaches the store (issue 9 #11).
func checkRequestText(r *http.Request) error {
	if err := db.CheckText("the request path", r.URL.Path); err != nil {
		return err
	}
	for _, vals := range []map[string][]string{r.URL.Query(), r.PostForm} {
		for k, vs := range vals {
			if err := db.CheckText("a parameter name", k); err != nil {
				return err
			}
			for _, v := range vs {
				if err := db.CheckText("parameter "+k, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": strings.TrimSpace(msg)}})
}

// testResultPage is an SSO test sign-in's outcome for a person: what the
// IdP asserted, or why the response was refused. Nothing is provisioned.
var testResultPage = template.Must(template.New("t").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>SSO test sign-in: {{if .OK}}succeeded{{else}}failed{{end}}</title></head>
<body><main>
<h1>SSO test sign-in {{if .OK}}succeeded{{else}}failed{{end}}</h1>
{{if .OK}}{{with .Identity}}
<p>The identity provider signed you in. Nothing was created or changed in Roster.</p>
<dl>
<dt>Email</dt><dd>{{.Email}}</dd>
<dt>First name</dt><dd>{{.FirstName}}</dd>
<dt>Last name</dt><dd>{{.LastName}}</dd>
<dt>Name ID</dt><dd>{{.NameID}} ({{.NameIDFormat}})</dd>
<dt>Issuer</dt><dd>{{.Issuer}}</dd>
<dt>Assertion ID</dt><dd>{{.AssertionID}}</dd>
<dt>Started at the identity provider</dt><dd>{{if .IdPInitiated}}yes{{else}}no{{end}}</dd>
</dl>
<h2>The user it would sign in as</h2>
{{with $.Mapping}}{{if .User}}<dl id="maps-to">
<dt>User</dt><dd>{{.User.Email}} ({{.User.FirstName}} {{.User.LastName}})</dd>
<dt>Status</dt><dd>{{.User.Status}}</dd>
<dt>Admin role</dt><dd>{{if .User.AdminRole}}{{.User.AdminRole}} (lands on the admin console){{else}}none (lands on My products){{end}}</dd>
</dl>{{else if .WouldCreate}}<p id="maps-to">No user has this email yet: just-in-time provisioning would create one at a real sign-in.</p>
{{else}}<p id="maps-to">A real sign-in would be refused: <strong>{{.Refusal}}</strong> ({{.Detail}}).</p>{{end}}{{end}}
<h2>Attributes</h2>
<table><thead><tr><th scope="col">Name</th><th scope="col">Values</th></tr></thead><tbody>
{{range $k, $v := .Attributes}}<tr><td>{{$k}}</td><td>{{range $i, $x := $v}}{{if $i}}, {{end}}{{$x}}{{end}}</td></tr>
{{end}}</tbody></table>
{{end}}{{else}}
<p>Reason: <strong>{{.Reason}}</strong></p>
<p>{{.Detail}}</p>
{{end}}
<p><a href="/console/sso-setup">Back to SSO setup</a></p>
</main></body></html>`))

type testResult struct {
	OK       bool
	Identity Identity
	Mapping  TestMapping
	Reason   string
	Detail   string
}

// writeTestResult answers a test sign-in: a readable page for a browser
// (Accept: text/html), the JSON the admin API documents otherwise.
func writeTestResult(w http.ResponseWriter, r *http.Request, status int, res testResult) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		testResultPage.Execute(w, res)
		return
	}
	if res.OK {
		writeJSON(w, status, map[string]any{"test": true, "ok": true, "identity": res.Identity, "maps_to": res.Mapping})
		return
	}
	writeJSON(w, status, map[string]any{"test": true, "ok": false, "reason": res.Reason, "detail": res.Detail})
}
