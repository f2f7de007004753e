package adminapi

import (
	"context"

	"github.com/roster-dev/roster/db"
)

// The operations below are the cores of the admin API's handlers: each takes
// the caller and a decoded input and returns the view the API encodes. The
// HTTP JSON handlers and the web console (cmd/roster/internal/console) call
// the same functions, so there is one copy of every check; the rules
// themselves stay in the store.

// Authorize resolves the caller for the console: userID must be an active
// admin of teamID whose current role is among allowed (ActingAdmin), the
// same rule the admin API applies to a token's owner on every request.
func (x *API) Authorize(ctx context.Context, teamID, userID string, allowed Roles) (Caller, error) {
	a := x.a
	team, err := a.Store.GetTeam(ctx, teamID)
	if err != nil {
		return Caller{}, err
	}
	admin, err := ActingAdmin(ctx, a.Store, teamID, AdminRef{UserID: userID}, allowed)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Team: team, Admin: admin, Actor: db.Actor{Kind: db.ActorAdmin, ID: admin.ID, Name: admin.Email}}, nil
}

// UsersPage is one page of the team's users.
type UsersPage struct {
	Users []UserView `json:"users"`
	Next  string     `json:"next"`
}

// ListUsers pages through the team's users by id: limit 1..UsersPageMax
// (0 means 100), after is the previous page's Next.
func (x *API) ListUsers(ctx context.Context, c Caller, after string, limit int) (UsersPage, error) {
	a := x.a
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > UsersPageMax {
		return UsersPage{}, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to %d", UsersPageMax)
	}
	// One more than the page tells whether a next page exists, so next is
	// never a cursor to an empty page.
	us, err := a.Store.ListUsers(ctx, c.Team.ID, db.Page{After: after, Limit: limit + 1})
	if err != nil {
		return UsersPage{}, err
	}
	next := ""
	if len(us) > limit {
		us = us[:limit]
		next = us[len(us)-1].ID
	}
	vs, err := UserViews(ctx, a.Store, c.Team.ID, us)
	if err != nil {
		return UsersPage{}, err
	}
	return UsersPage{Users: vs, Next: next}, nil
}

// QueryUsers is one page of the team's users searched, filtered and sorted
// in SQL like the members list (R-MEM-6).
func (x *API) QueryUsers(ctx context.Context, c Caller, q db.MemberQuery) (UsersPage, error) {
	p, err := x.a.Store.QueryMembers(ctx, c.Team.ID, q)
	if err != nil {
		return UsersPage{}, err
	}
	us := make([]db.User, len(p.Members))
	for i, m := range p.Members {
		us[i] = m.User
	}
	vs, err := UserViews(ctx, x.a.Store, c.Team.ID, us)
	if err != nil {
		return UsersPage{}, err
	}
	return UsersPage{Users: vs, Next: p.Next}, nil
}

// GetUser is one user's view.
func (x *API) GetUser(ctx context.Context, c Caller, userID string) (UserView, error) {
	u, err := x.a.Store.GetUser(ctx, c.Team.ID, userID)
	if err != nil {
		return UserView{}, err
	}
	return UserViewOf(ctx, x.a.Store, u)
}

// UserChange is a partial update of a user; nil fields stay as they are.
type UserChange struct {
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Status    *string `json:"status"`
}

// UpdateUser applies a change to a user (the store validates it).
func (x *API) UpdateUser(ctx context.Context, c Caller, userID string, req UserChange) (UserView, error) {
	u, err := x.a.Store.UpdateUser(ctx, c.Team.ID, userID, 0, c.Actor, func(u *db.User) error {
		if req.Email != nil {
			if u.UserName == u.Email {
				u.UserName = *req.Email
			}
			u.Email = *req.Email
		}
		if req.FirstName != nil {
			u.FirstName = *req.FirstName
		}
		if req.LastName != nil {
			u.LastName = *req.LastName
		}
		if req.Status != nil {
			u.Status = db.Status(*req.Status)
		}
		return nil
	})
	if err != nil {
		return UserView{}, err
	}
	return UserViewOf(ctx, x.a.Store, u)
}

// DeleteUser removes a user from the team.
func (x *API) DeleteUser(ctx context.Context, c Caller, userID string) error {
	return x.a.Store.DeleteUser(ctx, c.Team.ID, userID, c.Actor)
}

// SetRole gives a user an admin role (primary, secondary, sso or none);
// the store applies the role ladder (R-ADM, R-HIE).
func (x *API) SetRole(ctx context.Context, c Caller, userID, role string) (UserView, error) {
	r, ok := db.ParseRole(role)
	if !ok || role == "" {
		return UserView{}, db.Errorf(db.ErrInvalid, "role_invalid", "role must be primary, secondary, sso or none")
	}
	if err := x.a.Store.SetAdminRole(ctx, c.Team.ID, c.Admin.ID, userID, r, c.Actor); err != nil {
		return UserView{}, err
	}
	return x.GetUser(ctx, c, userID)
}

// ChangeUserTypes sets users' type (standard or external); the view carries
// the R-POL-8 warnings.
func (x *API) ChangeUserTypes(ctx context.Context, c Caller, userIDs []string, typ string) (TypeChangeView, error) {
	t, err := ParseUserType(typ)
	if err != nil {
		return TypeChangeView{}, err
	}
	tc, err := x.a.Store.ChangeUserTypes(ctx, c.Team.ID, userIDs, t, c.Actor)
	if err != nil {
		return TypeChangeView{}, err
	}
	return TypeChangeViewOf(tc), nil
}

// ShowPolicy is the team's role policy with its exception counts.
func (x *API) ShowPolicy(ctx context.Context, c Caller) (PolicyView, error) {
	return PolicyViewOf(ctx, x.a.Store, c.Team.ID)
}

// PolicyChange is a proposed policy: mode and domains (parsed by ParseDomains).
type PolicyChange struct {
	Mode    string   `json:"mode"`
	Domains []string `json:"domains"`
}

func (x *API) parsePolicy(in PolicyChange) (db.Policy, error) {
	m, err := ParseMode(in.Mode)
	if err != nil {
		return db.Policy{}, err
	}
	ds, err := x.a.ParseDomains(in.Domains)
	if err != nil {
		return db.Policy{}, err
	}
	return db.Policy{Mode: m, Domains: ds}, nil
}

// SetPolicy replaces the team's policy.
func (x *API) SetPolicy(ctx context.Context, c Caller, in PolicyChange) (PolicyView, error) {
	p, err := x.parsePolicy(in)
	if err != nil {
		return PolicyView{}, err
	}
	if _, err := x.a.Store.SetPolicy(ctx, c.Team.ID, p, c.Actor); err != nil {
		return PolicyView{}, err
	}
	return x.ShowPolicy(ctx, c)
}

// PreviewPolicy is a dry run of SetPolicy listing up to limit (1..1000,
// 0 means 100) of the users that would be exceptions.
func (x *API) PreviewPolicy(ctx context.Context, c Caller, in PolicyChange, limit int) (PolicyPreviewView, error) {
	p, err := x.parsePolicy(in)
	if err != nil {
		return PolicyPreviewView{}, err
	}
	if limit < 0 || limit > 1000 {
		return PolicyPreviewView{}, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be from 1 to 1000")
	}
	if limit == 0 {
		limit = 100
	}
	pv, err := x.a.Store.PreviewPolicy(ctx, c.Team.ID, p, db.Page{Limit: limit})
	if err != nil {
		return PolicyPreviewView{}, err
	}
	return PreviewViewOf(c.Team.ID, pv, limit), nil
}

// ModifyPolicyDomains adds and removes policy domains (the store refuses to
// remove the last one of a domain-based policy).
func (x *API) ModifyPolicyDomains(ctx context.Context, c Caller, add, remove []string) (PolicyView, error) {
	a := x.a
	ad, err := a.ParseDomains(add)
	if err != nil {
		return PolicyView{}, err
	}
	rm, err := a.ParseDomains(remove)
	if err != nil {
		return PolicyView{}, err
	}
	if _, err := a.Store.ModifyPolicyDomains(ctx, c.Team.ID, ad, rm, c.Actor); err != nil {
		return PolicyView{}, err
	}
	return x.ShowPolicy(ctx, c)
}

// ExceptionsPage is one page of role-policy exceptions.
type ExceptionsPage struct {
	Exceptions []ExceptionView `json:"exceptions"`
	Next       string          `json:"next"`
}

// ListExceptions pages the exceptions, filtered by type (all, standard, external).
func (x *API) ListExceptions(ctx context.Context, c Caller, typ string, page db.Page) (ExceptionsPage, error) {
	t, err := ParseTypeFilter(typ)
	if err != nil {
		return ExceptionsPage{}, err
	}
	es, err := x.a.Store.ListExceptions(ctx, c.Team.ID, db.ExceptionQuery{Type: t, After: page.After, Limit: page.Limit})
	if err != nil {
		return ExceptionsPage{}, err
	}
	next := ""
	if len(es) == page.Limit {
		next = es[len(es)-1].UserID
	}
	return ExceptionsPage{Exceptions: ExceptionViews(es), Next: next}, nil
}

// RevertExceptions gives users back the type the policy expects.
func (x *API) RevertExceptions(ctx context.Context, c Caller, userIDs []string) (TypeChangeView, error) {
	tc, err := x.a.Store.RevertExceptions(ctx, c.Team.ID, userIDs, c.Actor)
	if err != nil {
		return TypeChangeView{}, err
	}
	return TypeChangeViewOf(tc), nil
}

// ListTokens lists the tokens the caller may manage (mayManageToken).
func (x *API) ListTokens(ctx context.Context, c Caller) ([]TokenView, error) {
	ts, err := x.a.Store.ListTokens(ctx, c.Team.ID)
	if err != nil {
		return nil, err
	}
	vs := []TokenView{}
	for _, t := range ts {
		if c.mayManageToken(t) {
			vs = append(vs, TokenViewOf(t))
		}
	}
	return vs, nil
}

// NewTokenView is a token just created: the only time its secret is shown.
type NewTokenView struct {
	ID          string `json:"id"`
	Token       string `json:"token"`
	Kind        string `json:"kind"`
	Prefix      string `json:"prefix"`
	SCIMBaseURL string `json:"scim_base_url,omitempty"`
}

// CreateToken mints a SCIM token (kind "" or scim) or an admin API token
// for the caller themself (kind admin).
func (x *API) CreateToken(ctx context.Context, c Caller, kind string) (NewTokenView, error) {
	a := x.a
	k := db.TokenKind(kind)
	if k == "" {
		k = db.TokenSCIM
	}
	t := db.Token{TeamID: c.Team.ID, Kind: k}
	if k == db.TokenAdmin {
		t.UserID = c.Admin.ID // an admin mints tokens only for themself
	} else if k != db.TokenSCIM {
		return NewTokenView{}, db.Errorf(db.ErrInvalid, "token_kind", "kind must be scim or admin")
	}
	secret, hash := db.NewTokenSecret()
	t.Prefix, t.Hash = db.TokenPrefix(secret), hash
	t, err := a.Store.CreateToken(ctx, t, c.Actor)
	if err != nil {
		return NewTokenView{}, err
	}
	v := NewTokenView{ID: t.ID, Token: secret, Kind: string(k), Prefix: t.Prefix}
	if k == db.TokenSCIM {
		v.SCIMBaseURL = a.BaseURL + "/scim/v2"
	}
	return v, nil
}

// RevokeToken revokes a token the caller may manage; another admin's admin
// token looks exactly like a missing one.
func (x *API) RevokeToken(ctx context.Context, c Caller, id string) error {
	ts, err := x.a.Store.ListTokens(ctx, c.Team.ID)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.ID == id && !c.mayManageToken(t) {
			return db.Errorf(db.ErrNotFound, "token_not_found", "token %q does not exist in this team or is already revoked", id)
		}
	}
	return x.a.Store.RevokeToken(ctx, c.Team.ID, id, c.Actor)
}

// ListAudit is a page of the team's audit log, newest first.
func (x *API) ListAudit(ctx context.Context, c Caller, q db.AuditQuery) ([]AuditView, error) {
	es, err := x.a.Store.ListAudit(ctx, c.Team.ID, q)
	if err != nil {
		return nil, err
	}
	vs := make([]AuditView, len(es))
	for i, e := range es {
		vs[i] = AuditViewOf(e)
	}
	return vs, nil
}

// StatusOf is the HTTP status the admin API answers err with; the console
// uses the same table for its error pages.
func StatusOf(err error) int { return statusOf(err) }

// ClientMessage is the message a client may see for err (never an internal
// error's text: check StatusOf first).
func ClientMessage(err error) string { return clientMessage(err) }

// ShowSSO is the team's SSO configuration (SSO admins only, R-ADM-7).
func (x *API) ShowSSO(ctx context.Context, c Caller) (any, error) {
	if x.a.SSO == nil {
		return nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.Show(ctx, c.Team.ID, c.Actor)
}

// UpdateSSO applies a settings change; decode fills the settings value the
// SSO implementation owns (the admin API decodes its JSON body, the console
// its form).
func (x *API) UpdateSSO(ctx context.Context, c Caller, decode func(v any) error) (any, error) {
	if x.a.SSO == nil {
		return nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.Update(ctx, c.Team.ID, c.Actor, decode)
}

// VerifySSODomain checks a domain's TXT record.
func (x *API) VerifySSODomain(ctx context.Context, c Caller, domain string) (any, error) {
	if x.a.SSO == nil {
		return nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.VerifyDomain(ctx, c.Team.ID, domain, c.Actor)
}

// StartSSOTest begins a test sign-in: where to send the admin's browser.
func (x *API) StartSSOTest(ctx context.Context, c Caller) (redirectURL string, postForm []byte, err error) {
	if x.a.SSO == nil {
		return "", nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.StartTest(ctx, c.Team.ID, c.Actor)
}

// RotateSSOKey adds a new SP signing key; the previous one keeps verifying
// until it is retired (overlap for the IdP's metadata refresh).
func (x *API) RotateSSOKey(ctx context.Context, c Caller) (any, error) {
	if x.a.SSO == nil {
		return nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.RotateKey(ctx, c.Team.ID, c.Actor)
}

// RetireSSOKey removes an SP key (never the last one).
func (x *API) RetireSSOKey(ctx context.Context, c Caller, keyID string) (any, error) {
	if x.a.SSO == nil {
		return nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.RetireKey(ctx, c.Team.ID, keyID, c.Actor)
}

// DeleteSSO removes the team's whole SSO configuration.
func (x *API) DeleteSSO(ctx context.Context, c Caller) error {
	if x.a.SSO == nil {
		return db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	return x.a.SSO.Delete(ctx, c.Team.ID, c.Actor)
}

// RefreshSSO fetches the IdP's metadata from its URL now. It returns the
// SSO view after the attempt and, apart, the refresh's own error (the view's
// metadata_refresh_error says why); err is a failure to show the view.
func (x *API) RefreshSSO(ctx context.Context, c Caller) (v any, refreshErr, err error) {
	if x.a.SSO == nil {
		return nil, nil, db.Errorf(db.ErrNotFound, "sso_unavailable", "SSO is not enabled on this server")
	}
	if _, err := x.a.SSO.Show(ctx, c.Team.ID, c.Actor); err != nil {
		return nil, nil, err
	}
	refreshErr = x.a.SSO.Refresh(ctx, c.Team.ID)
	v, err = x.a.SSO.Show(ctx, c.Team.ID, c.Actor)
	return v, refreshErr, err
}
