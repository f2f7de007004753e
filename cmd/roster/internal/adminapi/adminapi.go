// Package adminapi is Roster's admin HTTP API under /api/v1: the team, its
// users, admin roles, tokens, audit log, role policy, usage report, SSO
// configuration, and the team's account and contracts. It is application glue (cmd/roster composes it): it sees the
// store only through the narrow Store interface below and SSO through the SSO
// interface, so it imports no storage backend and no feature package.
package adminapi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/roster-dev/roster/db"
)

// Store is every store method the admin API calls, and no other.
type Store interface {
	TokenByHash(ctx context.Context, hash []byte) (db.Token, error)
	TouchToken(ctx context.Context, tokenID string, at time.Time) error
	CreateToken(ctx context.Context, t db.Token, by db.Actor) (db.Token, error)
	ListTokens(ctx context.Context, teamID string) ([]db.Token, error)
	RevokeToken(ctx context.Context, teamID, tokenID string, by db.Actor) error

	GetTeam(ctx context.Context, teamID string) (db.Team, error)
	GetUser(ctx context.Context, teamID, userID string) (db.User, error)
	FindUser(ctx context.Context, teamID string, key db.UserKey) (db.User, error) // through ActingAdmin's UserLookup
	ListUsers(ctx context.Context, teamID string, page db.Page) ([]db.User, error)
	CreateUser(ctx context.Context, teamID string, in db.NewUser, by db.Actor) (db.User, error)
	UpdateUser(ctx context.Context, teamID, userID string, ifVersion int64, by db.Actor, change func(*db.User) error) (db.User, error)
	DeleteUser(ctx context.Context, teamID, userID string, by db.Actor) error
	ExpectedTypes(ctx context.Context, teamID string, userIDs []string) (map[string]db.UserType, error)
	SetAdminRole(ctx context.Context, teamID, actingUserID, targetUserID string, role db.Role, by db.Actor) error
	ListAdmins(ctx context.Context, teamID string) ([]db.User, error)
	ListAudit(ctx context.Context, teamID string, q db.AuditQuery) ([]db.AuditEntry, error)
	Audit(ctx context.Context, e db.AuditEntry) error // a refusal the authorization table made before the store saw the change
	ListEvents(ctx context.Context, teamID string, after int64, limit int) ([]db.Event, error)

	db.PolicyStore  // every policy method: show, set, preview, exceptions, type changes, usage report
	db.AccountStore // the account ladder and contracts (issue 12)
	db.MemberStore  // members: add by list, bulk edit, remove, search/filter/sort (issue 11)
	db.ProjectStore // products, projects, project members and their product access (issue 11)
	db.InvitationStore
	db.SeatStore
	db.ProductMappingStore // SCIM/directory group to product mappings (issue 11)

	// The directory page and routes (issue 13): connections and run history.
	GetDirectoryConnection(ctx context.Context, teamID, id string) (db.DirectoryConnection, error)
	ListDirectoryConnections(ctx context.Context, teamID string) ([]db.DirectoryConnection, error)
	ListDirectoryRuns(ctx context.Context, teamID, connID string, limit int) ([]db.DirectoryRun, error)
	db.WebhookStore // webhook endpoints, deliveries, replay (issue 14 #4)
}

// SSO is the per-team SAML configuration the SSO routes manage (R-ADM-7).
// cmd/roster adapts *sso.Service to it; the views it returns are encoded
// as they are.
type SSO interface {
	Show(ctx context.Context, teamID string, by db.Actor) (any, error)
	// Update decodes the request body with decode (into the settings type
	// the implementation owns) and applies it.
	Update(ctx context.Context, teamID string, by db.Actor, decode func(v any) error) (any, error)
	Delete(ctx context.Context, teamID string, by db.Actor) error
	VerifyDomain(ctx context.Context, teamID, domain string, by db.Actor) (any, error)
	RotateKey(ctx context.Context, teamID string, by db.Actor) (any, error)
	RetireKey(ctx context.Context, teamID, keyID string, by db.Actor) (any, error)
	// Refresh refetches the team's IdP metadata now.
	Refresh(ctx context.Context, teamID string) error
	// StartTest begins an SSO test sign-in: where to send the admin's browser.
	StartTest(ctx context.Context, teamID string, by db.Actor) (redirectURL string, postForm []byte, err error)
}

// Deps is what the admin API is built from.
type Deps struct {
	Store Store
	SSO   SSO // nil: no SSO routes
	Log   *slog.Logger
	// BaseURL is Roster's public URL (Location headers, scim_base_url).
	BaseURL string
	Now     func() time.Time
	// MaxBody caps every request body (413 body_too_large beyond it).
	MaxBody int64
	// ParseDomains splits and normalises a list of policy domains; the CLI
	// uses the same function, so both accept exactly the same input.
	ParseDomains func(list []string) ([]string, error)
	// Mail sends invitations; nil sends none (the invitation is still
	// created and can be resent).
	Mail Mailer
	// Directory syncs a connection on request; nil: the directory routes
	// list connections and history, and a sync is 404 directory_unavailable.
	Directory Directory
	// WebhookKey seals webhook signing secrets (webhooks.secret_key); nil
	// refuses adding endpoints (422 webhook_key_missing).
	WebhookKey []byte
}

// API is the admin API; Register mounts its routes.
type API struct{ a *api }

type api struct {
	Deps
	mux    routeMux
	routes []string // what Register mounted (Routes)
}

// New builds the admin API.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &API{a: &api{Deps: d}}
}

// Register mounts every admin API route on mux, under /api/v1/teams/{team}.
func (x *API) Register(mux *http.ServeMux) {
	x.a.routes = nil
	a := *x.a
	a.mux = routeMux{mux: mux, routes: &x.a.routes}
	a.mountOpenAPI()
	a.mountCore()
	a.mountPolicy()
	a.mountAccounts()
	a.mountMembers()
	a.mountProjects()
	a.mountInvitations()
	a.mountSeats()
	a.mountWebhooks()
	if a.SSO != nil {
		a.mountSSO()
	}
	a.mountDirectory()
	a.mountProductMappings()
}

// Caller is who performs an operation: the team, the admin acting (with
// the role they hold now) and the audit actor. The admin API builds one from
// a bearer token; the console from its session (Authorize).
type Caller struct {
	Team  db.Team
	Admin db.User
	Actor db.Actor
	Token db.Token // the admin API token, if the caller used one
}

type call = Caller

type handler func(w http.ResponseWriter, r *http.Request, c call) error

// ErrorBody is the body of every admin API error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is a stable code and a message for the client.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// route registers an authenticated admin route under /api/v1. path must start
// with /teams/{team}; allowed lists the admin roles that may call it.
func (a *api) route(method, path string, allowed Roles, h handler) {
	a.mux.HandleFunc(method+" /api/v1"+path, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, a.MaxBody)
		c, err := a.authenticate(r, allowed)
		if err == nil {
			err = checkURLText(r)
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

// authenticate resolves the bearer admin token and the team in the path,
// and the token's owner as the acting admin with a role among allowed.
// Another team's id looks exactly like a team that does not exist.
func (a *api) authenticate(r *http.Request, allowed Roles) (call, error) {
	secret := bearer(r)
	if secret == "" {
		a.authFailed(r, "missing_token")
		return call{}, errUnauthenticated
	}
	hash := db.HashToken(secret)
	tok, err := a.Store.TokenByHash(r.Context(), hash)
	if err != nil || tok.Kind != db.TokenAdmin || subtle.ConstantTimeCompare(tok.Hash, hash) != 1 {
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return call{}, err
		}
		reason := "unknown_token"
		if err == nil {
			reason = "not_an_admin_token"
		}
		a.authFailed(r, reason)
		return call{}, errUnauthenticated
	}
	teamID := r.PathValue("team")
	if teamID != tok.TeamID {
		return call{}, db.Errorf(db.ErrNotFound, "team_not_found", "team %q does not exist", teamID)
	}
	team, err := a.Store.GetTeam(r.Context(), teamID)
	if err != nil {
		return call{}, err
	}
	admin, err := ActingAdmin(r.Context(), a.Store, teamID, AdminRef{UserID: tok.UserID}, allowed)
	if admin.ID != "" {
		_ = a.Store.TouchToken(context.WithoutCancel(r.Context()), tok.ID, a.Now())
	}
	if err != nil {
		return call{}, err
	}
	return call{Team: team, Admin: admin, Token: tok,
		Actor: db.Actor{Kind: db.ActorAdmin, ID: admin.ID, Name: admin.Email}}, nil
}

// authFailed logs a refused credential at info with its reason — never the
// token, nor its hash (issue 14 #3).
func (a *api) authFailed(r *http.Request, reason string) {
	a.Log.InfoContext(r.Context(), "authentication failed", "surface", "admin_api", "reason", reason)
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
func (a *api) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	body := ErrorDetail{Code: db.CodeOf(err), Message: clientMessage(err)}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
		body = ErrorDetail{Code: "unauthenticated", Message: "a valid admin API token is required"}
	case http.StatusRequestEntityTooLarge:
		body = ErrorDetail{Code: "body_too_large", Message: fmt.Sprintf("request body exceeds %d bytes", a.MaxBody)}
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		a.Log.Error("admin api", "method", r.Method, "path", r.URL.Path, "err", err)
		body = ErrorDetail{Code: "internal", Message: "internal error"}
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", RetryAfterUnavailable)
			body = ErrorDetail{Code: "unavailable", Message: "the database is unavailable; retry after the Retry-After delay"}
		}
	}
	var re *db.RowErrors
	if errors.As(err, &re) && status < 500 {
		WriteJSON(w, status, RowErrorBody{Error: body, Rows: re.Rows})
		return
	}
	WriteJSON(w, status, ErrorBody{Error: body})
}

// RetryAfterUnavailable is the Retry-After (seconds) of every 503.
const RetryAfterUnavailable = "5"

// checkURLText rejects a path or query parameter that is not UTF-8 or holds
// a NUL (issue 9 #11): the same 400 invalid_text on every backend.
func checkURLText(r *http.Request) error {
	return db.CheckURLText(r.URL.Path, r.URL.Query())
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

// clientMessage is the one-line message a client error carries.
func clientMessage(err error) string {
	var de *db.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// WriteJSON writes v as a JSON response with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
