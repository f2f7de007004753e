package adminapi

import (
	"net/http"
	"strconv"

	"github.com/roster-dev/roster/db"
)

// mountCore registers the core admin API: the team, its users, admin
// roles, tokens and audit log. policy.go and sso.go add the feature routes.
func (a *api) mountCore() {
	a.route("GET", "/teams/{team}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		WriteJSON(w, http.StatusOK, TeamViewOf(c.Team))
		return nil
	})
	a.route("GET", "/teams/{team}/users", AllAdmins, a.apiListUsers)
	a.route("POST", "/teams/{team}/users", AllAdmins, a.apiCreateUser)
	a.route("GET", "/teams/{team}/users/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		u, err := a.Store.GetUser(r.Context(), c.Team.ID, r.PathValue("user"))
		if err != nil {
			return err
		}
		return a.writeUser(w, r, http.StatusOK, u)
	})
	a.route("PATCH", "/teams/{team}/users/{user}", AllAdmins, a.apiUpdateUser)
	a.route("DELETE", "/teams/{team}/users/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := a.Store.DeleteUser(r.Context(), c.Team.ID, r.PathValue("user"), c.Actor); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("PUT", "/teams/{team}/users/{user}/role", AllAdmins, a.apiSetRole)
	a.route("GET", "/teams/{team}/admins", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		us, err := a.Store.ListAdmins(r.Context(), c.Team.ID)
		if err != nil {
			return err
		}
		vs, err := UserViews(r.Context(), a.Store, c.Team.ID, us)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, vs)
		return nil
	})
	a.route("GET", "/teams/{team}/tokens", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		ts, err := a.Store.ListTokens(r.Context(), c.Team.ID)
		if err != nil {
			return err
		}
		vs := []TokenView{}
		for _, t := range ts {
			if c.mayManageToken(t) {
				vs = append(vs, TokenViewOf(t))
			}
		}
		WriteJSON(w, http.StatusOK, vs)
		return nil
	})
	a.route("POST", "/teams/{team}/tokens", AllAdmins, a.apiCreateToken)
	a.route("DELETE", "/teams/{team}/tokens/{token}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		id := r.PathValue("token")
		ts, err := a.Store.ListTokens(r.Context(), c.Team.ID)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == id && !c.mayManageToken(t) {
				// Another admin's admin token looks exactly like a missing one.
				return db.Errorf(db.ErrNotFound, "token_not_found", "token %q does not exist in this team or is already revoked", id)
			}
		}
		if err := a.Store.RevokeToken(r.Context(), c.Team.ID, id, c.Actor); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("GET", "/teams/{team}/audit", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		q := db.AuditQuery{}
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be a positive integer")
			}
			q.Limit = n
		}
		if v := r.URL.Query().Get("before"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				return db.Errorf(db.ErrInvalid, "before_invalid", "before must be a positive integer")
			}
			q.BeforeID = n
		}
		es, err := a.Store.ListAudit(r.Context(), c.Team.ID, q)
		if err != nil {
			return err
		}
		vs := make([]AuditView, len(es))
		for i, e := range es {
			vs[i] = AuditViewOf(e)
		}
		WriteJSON(w, http.StatusOK, vs)
		return nil
	})
}

// mayManageToken is the admin API's token rule (issue 9 #2): SCIM tokens
// are the team's, so every admin the route allows lists and revokes them; an
// admin token is its owner's alone. The CLI operator is not bound by it.
func (c call) mayManageToken(t db.Token) bool {
	return t.Kind != db.TokenAdmin || t.UserID == c.Admin.ID
}

// UsersPageMax is the largest page of users list (CLI --limit, API limit).
const UsersPageMax = 1000

// apiListUsers pages through the team's users by id: limit (default 100,
// at most UsersPageMax), after (a cursor: the previous page's next), and
// next in the response, empty on the last page.
//
// With any of q, status, company, level, type, source, sort or order it
// searches, filters and sorts in SQL like the members list (R-MEM-6); next
// is then that list's cursor.
func (a *api) apiListUsers(w http.ResponseWriter, r *http.Request, c call) error {
	if q, ok, err := MemberQueryOf(r.URL.Query()); err != nil {
		return err
	} else if ok {
		p, err := a.Store.QueryMembers(r.Context(), c.Team.ID, q)
		if err != nil {
			return err
		}
		us := make([]db.User, len(p.Members))
		for i, m := range p.Members {
			us[i] = m.User
		}
		vs, err := UserViews(r.Context(), a.Store, c.Team.ID, us)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]any{"users": vs, "next": p.Next})
		return nil
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > UsersPageMax {
			return db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to %d", UsersPageMax)
		}
		limit = n
	}
	// One more than the page tells whether a next page exists, so next is
	// never a cursor to an empty page.
	us, err := a.Store.ListUsers(r.Context(), c.Team.ID, db.Page{After: r.URL.Query().Get("after"), Limit: limit + 1})
	if err != nil {
		return err
	}
	next := ""
	if len(us) > limit {
		us = us[:limit]
		next = us[len(us)-1].ID
	}
	vs, err := UserViews(r.Context(), a.Store, c.Team.ID, us)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, map[string]any{"users": vs, "next": next})
	return nil
}

type createUserRequest struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Source    string `json:"source"` // admin (default) or product
	Type      string `json:"type"`   // optional: standard or external, skipping classification
}

func (a *api) apiCreateUser(w http.ResponseWriter, r *http.Request, c call) error {
	var req createUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	src := db.Source(req.Source)
	if src == "" {
		src = db.SourceAdmin
	}
	if src != db.SourceAdmin && src != db.SourceProduct {
		return db.Errorf(db.ErrInvalid, "source_invalid", "source must be admin or product")
	}
	by := c.Actor
	if src == db.SourceProduct {
		by.Kind = db.ActorProduct
	}
	u, err := a.Store.CreateUser(r.Context(), c.Team.ID, db.NewUser{Email: req.Email, FirstName: req.FirstName,
		LastName: req.LastName, Source: src, Type: db.UserType(req.Type)}, by)
	if err != nil {
		return err
	}
	v, err := UserViewOf(r.Context(), a.Store, u)
	if err != nil {
		return err
	}
	w.Header().Set("Location", a.BaseURL+"/api/v1/teams/"+c.Team.ID+"/users/"+u.ID)
	WriteJSON(w, http.StatusCreated, v)
	return nil
}

type updateUserRequest struct {
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Status    *string `json:"status"`
}

func (a *api) apiUpdateUser(w http.ResponseWriter, r *http.Request, c call) error {
	var req updateUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := a.Store.UpdateUser(r.Context(), c.Team.ID, r.PathValue("user"), 0, c.Actor, func(u *db.User) error {
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
		return err
	}
	return a.writeUser(w, r, http.StatusOK, u)
}

func (a *api) apiSetRole(w http.ResponseWriter, r *http.Request, c call) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	role, ok := db.ParseRole(req.Role)
	if !ok || req.Role == "" {
		return db.Errorf(db.ErrInvalid, "role_invalid", "role must be primary, secondary, sso or none")
	}
	if err := a.Store.SetAdminRole(r.Context(), c.Team.ID, c.Admin.ID, r.PathValue("user"), role, c.Actor); err != nil {
		return err
	}
	u, err := a.Store.GetUser(r.Context(), c.Team.ID, r.PathValue("user"))
	if err != nil {
		return err
	}
	return a.writeUser(w, r, http.StatusOK, u)
}

func (a *api) apiCreateToken(w http.ResponseWriter, r *http.Request, c call) error {
	var req struct {
		Kind string `json:"kind"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	k := db.TokenKind(req.Kind)
	if k == "" {
		k = db.TokenSCIM
	}
	t := db.Token{TeamID: c.Team.ID, Kind: k}
	if k == db.TokenAdmin {
		t.UserID = c.Admin.ID // an admin mints tokens only for themself
	} else if k != db.TokenSCIM {
		return db.Errorf(db.ErrInvalid, "token_kind", "kind must be scim or admin")
	}
	secret, hash := db.NewTokenSecret()
	t.Prefix, t.Hash = db.TokenPrefix(secret), hash
	t, err := a.Store.CreateToken(r.Context(), t, c.Actor)
	if err != nil {
		return err
	}
	v := map[string]string{"id": t.ID, "token": secret, "kind": string(k), "prefix": t.Prefix}
	if k == db.TokenSCIM {
		v["scim_base_url"] = a.BaseURL + "/scim/v2"
	}
	WriteJSON(w, http.StatusCreated, v)
	return nil
}

// writeUser answers with one user's view (the same JSON the CLI prints).
func (a *api) writeUser(w http.ResponseWriter, r *http.Request, status int, u db.User) error {
	v, err := UserViewOf(r.Context(), a.Store, u)
	if err != nil {
		return err
	}
	WriteJSON(w, status, v)
	return nil
}
