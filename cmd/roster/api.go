package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/db"
)

// apiCall is an authenticated admin API request: the team in the path, the
// admin the bearer token acts as (with the role they hold now), and the audit actor.
type apiCall struct {
	Team  db.Team
	Admin db.User
	Actor db.Actor
	Token db.Token
}

type apiHandler func(w http.ResponseWriter, r *http.Request, c apiCall) error

type apiErrorBody struct {
	Error apiErrorDetail `json:"error"`
}

type apiErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// allAdmins is R-ADM-6: every admin role may manage users and reports.
var allAdmins = []db.Role{db.RolePrimary, db.RoleSecondary, db.RoleSSO}

// API registers an authenticated admin route under /api/v1. path must start
// with /teams/{team}; allowed lists the admin roles that may call it.
func (a *app) API(method, path string, allowed []db.Role, h apiHandler) {
	a.Mux.HandleFunc(method+" /api/v1"+path, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, a.Config.API.MaxBodyBytes)
		c, err := a.authenticate(r)
		if err == nil {
			err = checkURLText(r)
		}
		if err == nil {
			err = authorize(c, allowed)
		}
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			a.writeAPIError(w, r, err)
		}
	})
}

var errUnauthenticated = errors.New("unauthenticated")

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate resolves the bearer admin token and the team in the path.
// Another team's id looks exactly like a team that does not exist.
func (a *app) authenticate(r *http.Request) (apiCall, error) {
	secret := bearer(r)
	if secret == "" {
		return apiCall{}, errUnauthenticated
	}
	hash := db.HashToken(secret)
	tok, err := a.Store.TokenByHash(r.Context(), hash)
	if err != nil || tok.Kind != db.TokenAdmin || subtle.ConstantTimeCompare(tok.Hash, hash) != 1 {
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return apiCall{}, err
		}
		return apiCall{}, errUnauthenticated
	}
	teamID := r.PathValue("team")
	if teamID != tok.TeamID {
		return apiCall{}, db.Errorf(db.ErrNotFound, "team_not_found", "team %q does not exist", teamID)
	}
	team, err := a.Store.GetTeam(r.Context(), teamID)
	if err != nil {
		return apiCall{}, err
	}
	admin, err := a.Store.GetUser(r.Context(), teamID, tok.UserID)
	if err != nil {
		if !db.IsClientError(err) {
			return apiCall{}, err // a store outage is a 503, not a bad token (issue 9 #9)
		}
		return apiCall{}, errUnauthenticated
	}
	_ = a.Store.TouchToken(context.WithoutCancel(r.Context()), tok.ID, a.Now())
	return apiCall{Team: team, Admin: admin, Token: tok,
		Actor: db.Actor{Kind: db.ActorAdmin, ID: admin.ID, Name: admin.Email}}, nil
}

// authorize checks the admin's current role and status (a demoted or
// deactivated admin's token loses power at once, issue 9 #1).
func authorize(c apiCall, allowed []db.Role) error {
	if err := db.CheckActingAdmin(c.Admin); err != nil && c.Admin.AdminRole.IsAdmin() {
		return err
	}
	for _, r := range allowed {
		if c.Admin.AdminRole == r {
			return nil
		}
	}
	if !c.Admin.AdminRole.IsAdmin() {
		return db.Errorf(db.ErrForbidden, "not_admin", "%s is no longer an admin of this team", c.Admin.Email)
	}
	return db.Errorf(db.ErrForbidden, "role_not_allowed", "the %s admin role may not do this", c.Admin.AdminRole)
}

// statusOf is the one table from domain error to HTTP status.
func statusOf(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, errUnauthenticated):
		return http.StatusUnauthorized
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, db.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, db.ErrConflict), errors.Is(err, db.ErrStale):
		return http.StatusConflict
	case errors.Is(err, db.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, db.ErrForbidden):
		return http.StatusForbidden
	case db.CodeOf(err) == "primary_admin_inactive":
		// The team's state (this user is its primary admin) conflicts with
		// the request; transferring the primary role first resolves it.
		return http.StatusConflict
	case errors.Is(err, db.ErrRule):
		return http.StatusUnprocessableEntity
	case errors.Is(err, db.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeAPIError is the admin API's one error writer: clients get a stable
// code and a precise message for their mistakes, and "internal error" for ours.
func (a *app) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	body := apiErrorDetail{Code: db.CodeOf(err), Message: errorLine(err)}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
		body = apiErrorDetail{Code: "unauthenticated", Message: "a valid admin API token is required"}
	case http.StatusRequestEntityTooLarge:
		body = apiErrorDetail{Code: "body_too_large", Message: fmt.Sprintf("request body exceeds %d bytes", a.Config.API.MaxBodyBytes)}
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		a.Log.Error("admin api", "method", r.Method, "path", r.URL.Path, "err", err)
		body = apiErrorDetail{Code: "internal", Message: "internal error"}
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", retryAfterUnavailable)
			body = apiErrorDetail{Code: "unavailable", Message: "the database is unavailable; retry after the Retry-After delay"}
		}
	}
	writeJSON(w, status, apiErrorBody{Error: body})
}

// retryAfterUnavailable is the Retry-After (seconds) of every 503.
const retryAfterUnavailable = "5"

// checkURLText rejects a path or query parameter that is not UTF-8 or holds
// a NUL (issue 9 #11): the same 400 invalid_text on every backend.
func checkURLText(r *http.Request) error {
	if err := db.CheckText("the request path", r.URL.Path); err != nil {
		return err
	}
	for k, vs := range r.URL.Query() {
		if err := db.CheckText("a query parameter name", k); err != nil {
			return err
		}
		for _, v := range vs {
			if err := db.CheckText("query parameter "+strconv.Quote(k), v); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeJSON decodes one JSON object, rejecting unknown fields, trailing
// data, bytes that are not UTF-8 and NUL characters (invalid_text).
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return db.Errorf(db.ErrInvalid, "invalid_json", "could not read the request body")
	}
	if err := db.CheckJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return db.Errorf(db.ErrInvalid, "body_required", "a JSON request body is required")
		}
		return db.Errorf(db.ErrInvalid, "invalid_json", "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return db.Errorf(db.ErrInvalid, "invalid_json", "request body has data after the JSON object")
	}
	return nil
}
