package adminapi

import (
	"net/http"
	"strconv"

	"github.com/roster-dev/roster/db"
)

// mountCore registers the core admin API: the team, its users, admin
// roles, tokens and audit log. policy.go and sso.go add the feature routes.
// Each handler decodes its request and calls the operation in ops.go, the
// same one the console calls.
func (a *api) mountCore() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		WriteJSON(w, http.StatusOK, TeamViewOf(c.Team))
		return nil
	})
	a.route("GET", "/teams/{team}/users", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		// With any of q, status, company, level, type, source, sort or
		// order it searches, filters and sorts in SQL like the members list
		// (R-MEM-6); next is then that list's cursor.
		if q, ok, err := MemberQueryOf(r.URL.Query()); err != nil {
			return err
		} else if ok {
			return writeView(w, http.StatusOK)(x.QueryUsers(r.Context(), c, q))
		}
		limit := 100
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > UsersPageMax {
				return db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to %d", UsersPageMax)
			}
			limit = n
		}
		p, err := x.ListUsers(r.Context(), c, r.URL.Query().Get("after"), limit)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, p)
		return nil
	})
	a.route("POST", "/teams/{team}/users", AllAdmins, a.apiCreateUser)
	a.route("GET", "/teams/{team}/users/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.GetUser(r.Context(), c, r.PathValue("user")))
	})
	a.route("PATCH", "/teams/{team}/users/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req UserChange
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.UpdateUser(r.Context(), c, r.PathValue("user"), req))
	})
	a.route("DELETE", "/teams/{team}/users/{user}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := x.DeleteUser(r.Context(), c, r.PathValue("user")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	a.route("PUT", "/teams/{team}/users/{user}/role", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			Role string `json:"role"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(x.SetRole(r.Context(), c, r.PathValue("user"), req.Role))
	})
	a.route("GET", "/teams/{team}/admins", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		us, err := a.Store.ListAdmins(r.Context(), c.Team.ID)
		if err != nil {
			return err
		}
		return writeView(w, http.StatusOK)(UserViews(r.Context(), a.Store, c.Team.ID, us))
	})
	a.route("GET", "/teams/{team}/tokens", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListTokens(r.Context(), c))
	})
	a.route("POST", "/teams/{team}/tokens", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		var req struct {
			Kind string `json:"kind"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		return writeView(w, http.StatusCreated)(x.CreateToken(r.Context(), c, req.Kind))
	})
	a.route("DELETE", "/teams/{team}/tokens/{token}", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		if err := x.RevokeToken(r.Context(), c, r.PathValue("token")); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	// GET /events?after=ID&limit=N: the team's events above after, oldest
	// first; a consumer passes the last id it processed.
	a.route("GET", "/teams/{team}/events", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		limit := 100
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > EventsPageMax {
				return db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to %d", EventsPageMax)
			}
			limit = n
		}
		var after int64
		if v := r.URL.Query().Get("after"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return db.Errorf(db.ErrInvalid, "after_invalid", "after must be a non-negative integer (an event id)")
			}
			after = n
		}
		es, err := a.Store.ListEvents(r.Context(), c.Team.ID, after, limit)
		if err != nil {
			return err
		}
		vs := make([]EventView, len(es))
		for i, e := range es {
			vs[i] = EventViewOf(e)
		}
		WriteJSON(w, http.StatusOK, vs)
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
		return writeView(w, http.StatusOK)(x.ListAudit(r.Context(), c, q))
	})
}

// writeView answers with an operation's view, or returns its error.
func writeView(w http.ResponseWriter, status int) func(any, error) error {
	return func(v any, err error) error {
		if err != nil {
			return err
		}
		WriteJSON(w, status, v)
		return nil
	}
}

// mayManageToken is the admin API's token rule (issue 9 #2): SCIM tokens
// are the team's, so every admin the route allows lists and revokes them; an
// admin token is its owner's alone. The CLI operator is not bound by it.
func (c call) mayManageToken(t db.Token) bool {
	return t.Kind != db.TokenAdmin || t.UserID == c.Admin.ID
}

// UsersPageMax is the largest page of users list (CLI --limit, API limit).
const UsersPageMax = 1000

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
