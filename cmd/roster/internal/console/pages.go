package console

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// handler is a signed-in page.
type handler func(w http.ResponseWriter, r *http.Request, s session) error

// signedIn wraps a page: the session must be live and its user an admin
// whose role is among allowed; every error renders as a page.
func (c *Console) signedIn(allowed adminapi.Roles, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := c.authenticate(r, allowed)
		if err == nil {
			err = h(w, r, s)
		}
		if err != nil {
			c.fail(w, r, s, err)
		}
	}
}

func (c *Console) mountPages(m *http.ServeMux) {
	m.HandleFunc("GET /console/users", c.signedIn(adminapi.AllAdmins, c.usersPage))
	m.HandleFunc("GET /console/users/{user}", c.signedIn(adminapi.AllAdmins, c.userPage))
	m.HandleFunc("POST /console/users/{user}", c.signedIn(adminapi.AllAdmins, c.saveUser))
	m.HandleFunc("POST /console/users/{user}/role", c.signedIn(adminapi.AllAdmins, c.changeRole))
	m.HandleFunc("POST /console/users/{user}/type", c.signedIn(adminapi.AllAdmins, c.setType))
	m.HandleFunc("POST /console/users/{user}/remove", c.signedIn(adminapi.AllAdmins, c.removeUser))
	m.HandleFunc("GET /console/policy", c.signedIn(adminapi.AllAdmins, c.policyPage))
	m.HandleFunc("POST /console/policy", c.signedIn(adminapi.AllAdmins, c.setPolicy))
	m.HandleFunc("POST /console/policy/revert", c.signedIn(adminapi.AllAdmins, c.revert))
	c.mountSSOPages(m) // pages_sso.go
	m.HandleFunc("GET /console/tokens", c.signedIn(adminapi.AllAdmins, c.tokensPage))
	m.HandleFunc("POST /console/tokens", c.signedIn(adminapi.AllAdmins, c.createToken))
	m.HandleFunc("POST /console/tokens/{token}/revoke", c.signedIn(adminapi.AllAdmins, c.revokeToken))
	m.HandleFunc("GET /console/audit", c.signedIn(adminapi.AllAdmins, c.auditPage))
	m.HandleFunc("GET /console/audit.csv", c.signedIn(adminapi.AllAdmins, c.auditCSV))
	c.mountAccountAdminPages(m)
	c.mountWebhookPages(m) // pages_webhooks.go
	c.mountGapPages(m)     // pages_gaps.go
}

// form parses a posted form (bounded) and rejects text no database holds.
func form(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return db.Errorf(db.ErrInvalid, "invalid_form", "the form could not be read")
	}
	return db.CheckURLText(r.URL.Path, r.PostForm)
}

// ---- Users ----

type userPageView struct {
	User      adminapi.UserView
	Roles     []string // the roles this admin may choose for the user (db.AssignableRoles)
	Warnings  []adminapi.WarningView
	IsSelf    bool
	ConfirmRm bool
}

func roleValue(r db.Role) string {
	if r == db.RoleNone {
		return "none"
	}
	return string(r)
}

func (c *Console) renderUser(w http.ResponseWriter, r *http.Request, s session, status int, id string, notice, msg string, warnings []adminapi.WarningView) error {
	u, err := c.Ops.GetUser(r.Context(), s.Caller, id)
	if err != nil {
		return err
	}
	v := userPageView{User: u, Warnings: warnings, IsSelf: u.ID == s.Caller.Admin.ID}
	for _, role := range db.AssignableRoles(s.Caller.Admin.AdminRole, db.Role(u.AdminRole)) {
		v.Roles = append(v.Roles, roleValue(role))
	}
	c.render(w, r, status, "user", page{Title: "user.title", Nav: "users", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) userPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderUser(w, r, s, http.StatusOK, r.PathValue("user"), "", "", nil)
}

// actionResult shows the user page again with the outcome: a notice, or
// the refusal's precise message with the API's status.
func (c *Console) actionResult(w http.ResponseWriter, r *http.Request, s session, id string, err error, okKey string, warnings []adminapi.WarningView) error {
	if err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderUser(w, r, s, adminapi.StatusOf(err), id, "", adminapi.ClientMessage(err), nil)
	}
	return c.renderUser(w, r, s, http.StatusOK, id, tr(lang(r), okKey), "", warnings)
}

func (c *Console) saveUser(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	id := r.PathValue("user")
	f := r.PostForm
	ch := adminapi.UserChange{}
	for _, x := range []struct {
		name string
		dst  **string
	}{{"first_name", &ch.FirstName}, {"last_name", &ch.LastName}, {"email", &ch.Email}, {"status", &ch.Status}} {
		if f.Has(x.name) {
			v := f.Get(x.name)
			*x.dst = &v
		}
	}
	_, err := c.Ops.UpdateUser(r.Context(), s.Caller, id, ch)
	return c.actionResult(w, r, s, id, err, "user.saved", nil)
}

func (c *Console) changeRole(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	id := r.PathValue("user")
	_, err := c.Ops.SetRole(r.Context(), s.Caller, id, r.PostForm.Get("role"))
	return c.actionResult(w, r, s, id, err, "user.role_saved", nil)
}

func (c *Console) setType(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	id := r.PathValue("user")
	tc, err := c.Ops.ChangeUserTypes(r.Context(), s.Caller, []string{id}, r.PostForm.Get("type"))
	return c.actionResult(w, r, s, id, err, "user.type_saved", tc.Warnings)
}

func (c *Console) removeUser(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	id := r.PathValue("user")
	if r.PostForm.Get("confirm") != "yes" {
		u, err := c.Ops.GetUser(r.Context(), s.Caller, id)
		if err != nil {
			return err
		}
		c.render(w, r, http.StatusOK, "user", page{Title: "user.title", Nav: "users", Signed: true, Me: s.Caller,
			Data: userPageView{User: u, ConfirmRm: true}})
		return nil
	}
	if err := c.Ops.DeleteUser(r.Context(), s.Caller, id); err != nil {
		return c.actionResult(w, r, s, id, err, "", nil)
	}
	http.Redirect(w, r, "/console/users?removed=1", http.StatusSeeOther)
	return nil
}

// ---- Role policy ----

type policyView struct {
	Policy     adminapi.PolicyView
	Domains    string // one per line, for the form
	Preview    *adminapi.PolicyPreviewView
	Exceptions adminapi.ExceptionsPage
	Filter     string
	Revert     *adminapi.TypeChangeView
}

func (c *Console) renderPolicy(w http.ResponseWriter, r *http.Request, s session, status int, v policyView, notice, msg string) error {
	p, err := c.Ops.ShowPolicy(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	v.Policy = p
	if v.Domains == "" {
		v.Domains = strings.Join(p.Domains, "\n")
	}
	if v.Filter == "" {
		v.Filter = r.URL.Query().Get("type")
	}
	v.Exceptions, err = c.Ops.ListExceptions(r.Context(), s.Caller, v.Filter, db.Page{After: r.URL.Query().Get("after"), Limit: 100})
	if err != nil {
		return err
	}
	c.render(w, r, status, "policy", page{Title: "policy.title", Nav: "policy", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) policyPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderPolicy(w, r, s, http.StatusOK, policyView{}, "", "")
}

func splitDomains(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' })
}

func (c *Console) setPolicy(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	in := adminapi.PolicyChange{Mode: r.PostForm.Get("mode"), Domains: splitDomains(r.PostForm.Get("domains"))}
	v := policyView{Domains: r.PostForm.Get("domains")}
	if r.PostForm.Get("action") == "preview" {
		pv, err := c.Ops.PreviewPolicy(r.Context(), s.Caller, in, 100)
		if err != nil {
			if adminapi.StatusOf(err) >= 500 {
				return err
			}
			return c.renderPolicy(w, r, s, adminapi.StatusOf(err), v, "", adminapi.ClientMessage(err))
		}
		v.Preview = &pv
		return c.renderPolicy(w, r, s, http.StatusOK, v, "", "")
	}
	if _, err := c.Ops.SetPolicy(r.Context(), s.Caller, in); err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderPolicy(w, r, s, adminapi.StatusOf(err), v, "", adminapi.ClientMessage(err))
	}
	return c.renderPolicy(w, r, s, http.StatusOK, policyView{}, tr(lang(r), "policy.saved"), "")
}

func (c *Console) revert(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	tc, err := c.Ops.RevertExceptions(r.Context(), s.Caller, r.PostForm["user"])
	if err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderPolicy(w, r, s, adminapi.StatusOf(err), policyView{}, "", adminapi.ClientMessage(err))
	}
	return c.renderPolicy(w, r, s, http.StatusOK, policyView{Revert: &tc}, tr(lang(r), "policy.reverted"), "")
}

// ---- SCIM tokens ----

type tokensView struct {
	Tokens  []adminapi.TokenView
	Created *adminapi.NewTokenView
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, s session, status int, created *adminapi.NewTokenView, notice, msg string) error {
	ts, err := c.Ops.ListTokens(r.Context(), s.Caller)
	if err != nil {
		return err
	}
	c.render(w, r, status, "tokens", page{Title: "tokens.title", Nav: "tokens", Signed: true, Me: s.Caller, Notice: notice, Message: msg,
		Data: tokensView{Tokens: ts, Created: created}})
	return nil
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderTokens(w, r, s, http.StatusOK, nil, "", "")
}

// createToken mints a SCIM token; it needs a recent sign-in.
func (c *Console) createToken(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	if c.Now().Sub(s.CreatedAt) > c.ReauthWithin {
		return c.renderTokens(w, r, s, http.StatusForbidden, nil, "", tr(lang(r), "reauth.needed"))
	}
	t, err := c.Ops.CreateToken(r.Context(), s.Caller, "scim")
	if err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderTokens(w, r, s, adminapi.StatusOf(err), nil, "", adminapi.ClientMessage(err))
	}
	return c.renderTokens(w, r, s, http.StatusCreated, &t, tr(lang(r), "tokens.created"), "")
}

func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	if err := c.Ops.RevokeToken(r.Context(), s.Caller, r.PathValue("token")); err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderTokens(w, r, s, adminapi.StatusOf(err), nil, "", adminapi.ClientMessage(err))
	}
	return c.renderTokens(w, r, s, http.StatusOK, nil, tr(lang(r), "tokens.revoked"), "")
}

// ---- Audit log ----

type auditView struct {
	Entries             []adminapi.AuditView
	Actor, Action, User string
	From, To            string
	NextURL, CSVURL     string
}

// auditEntries reads the log through the API's operation, newest first,
// and keeps the entries matching the filters (scanning at most 5,000).
func (c *Console) auditEntries(r *http.Request, s session, limit int) (auditView, error) {
	q := r.URL.Query()
	v := auditView{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		User: strings.TrimSpace(q.Get("user")), From: q.Get("from"), To: q.Get("to")}
	var from, to time.Time
	if v.From != "" {
		t, err := time.Parse("2006-01-02", v.From)
		if err != nil {
			return v, db.Errorf(db.ErrInvalid, "date_invalid", "from must be a date (YYYY-MM-DD)")
		}
		from = t
	}
	if v.To != "" {
		t, err := time.Parse("2006-01-02", v.To)
		if err != nil {
			return v, db.Errorf(db.ErrInvalid, "date_invalid", "to must be a date (YYYY-MM-DD)")
		}
		to = t.AddDate(0, 0, 1)
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	scanned := 0
	for scanned < 5000 && len(v.Entries) < limit {
		es, err := c.Ops.ListAudit(r.Context(), s.Caller, db.AuditQuery{BeforeID: before, Limit: 500})
		if err != nil {
			return v, err
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			scanned++
			before = e.ID
			if v.Actor != "" && !strings.Contains(strings.ToLower(e.ActorName+" "+e.ActorID), strings.ToLower(v.Actor)) ||
				v.Action != "" && !strings.HasPrefix(e.Action, v.Action) ||
				v.User != "" && !(e.TargetKind == "user" && (e.TargetID == v.User || strings.Contains(strings.ToLower(e.Details), strings.ToLower(v.User)))) ||
				!from.IsZero() && e.At.Before(from) || !to.IsZero() && !e.At.Before(to) {
				continue
			}
			v.Entries = append(v.Entries, e)
			if len(v.Entries) == limit {
				break
			}
		}
	}
	base := url.Values{"actor": {v.Actor}, "action": {v.Action}, "user": {v.User}, "from": {v.From}, "to": {v.To}}
	v.CSVURL = "/console/audit.csv?" + base.Encode()
	if len(v.Entries) == limit {
		base.Set("before", strconv.FormatInt(v.Entries[len(v.Entries)-1].ID, 10))
		v.NextURL = "/console/audit?" + base.Encode()
	}
	return v, nil
}

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, s session) error {
	v, err := c.auditEntries(r, s, 100)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "audit", page{Title: "audit.title", Nav: "audit", Signed: true, Me: s.Caller, Data: v})
	return nil
}

func (c *Console) auditCSV(w http.ResponseWriter, r *http.Request, s session) error {
	v, err := c.auditEntries(r, s, 5000)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="audit.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "actor_kind", "actor_id", "actor_name", "action", "target_kind", "target_id", "details"})
	for _, e := range v.Entries {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), e.ActorKind, e.ActorID, csvSafe(e.ActorName),
			e.Action, e.TargetKind, e.TargetID, csvSafe(e.Details)})
	}
	cw.Flush()
	return nil
}

// csvSafe defuses a cell a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
