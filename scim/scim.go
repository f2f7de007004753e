// Package scim serves SCIM 2.0 (RFC 7643/7644) per team on top of
// github.com/elimity-com/scim. The bearer token identifies the team; every
// write goes through the db.Store domain path (classification, audit).
//
// The library validates POST/PUT bodies and parses PATCH operations and serves
// /Schemas and /ResourceTypes. This package adds what the library lacks or gets
// wrong at the pinned version: authentication and tenancy, body limits, rate
// limits, request normalisation for Entra ID and Okta dialects, filters run in
// the database, sorting, attribute projection, cursor paging, /.search, ETag
// preconditions, /Bulk, an honest /ServiceProviderConfig and SCIM error bodies
// that never carry internal error text.
package scim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"

	"github.com/roster-dev/roster/db"
)

// Store is the storage the SCIM service provider uses; *gormdb.Store
// satisfies it.
type Store interface {
	db.SCIMStore
	GetUser(ctx context.Context, teamID, userID string) (db.User, error)
	DeleteUser(ctx context.Context, teamID, userID string, by db.Actor) error
	CreateGroup(ctx context.Context, teamID string, in db.NewGroup, by db.Actor) (db.Group, error)
	GetGroup(ctx context.Context, teamID, groupID string) (db.Group, error)
	DeleteGroup(ctx context.Context, teamID, groupID string, by db.Actor) error
	ListMembers(ctx context.Context, teamID, groupID string, page db.Page) ([]db.Member, error)
	TokenByHash(ctx context.Context, hash []byte) (db.Token, error)
	TouchToken(ctx context.Context, tokenID string, at time.Time) error
}

// Options configures NewHandler.
type Options struct {
	// BaseURL is the absolute URL the handler is mounted at, e.g.
	// https://roster.example.com/scim/v2 (used for Location and meta.location).
	BaseURL string
	// Logger receives internal errors; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RateLimit is the sustained requests per second allowed per team (0: no
	// limit); Burst is the bucket size (default 2×RateLimit, at least 1).
	RateLimit float64
	Burst     int
	// MaxBodyBytes limits request bodies (default 1 MiB); larger → 413.
	MaxBodyBytes int64
	// MaxResults caps count on list and search (default 1000).
	MaxResults int
	// MaxBulkOperations caps /Bulk (default 1000).
	MaxBulkOperations int
	// TokenCacheTTL keeps authenticated tokens in memory this long (default
	// 5s; negative disables). A revoked token stops working within it.
	TokenCacheTTL time.Duration
	// CursorKey signs RFC 9865 cursors (HMAC-SHA256). Give every replica the
	// same key so a cursor works on all of them and across restarts; when
	// empty, each handler draws a random key, and its cursors are good only
	// on that process until it stops.
	CursorKey []byte
}

type ctxKey int

const (
	ctxTeam ctxKey = iota
	ctxActor
)

func teamOf(ctx context.Context) string    { s, _ := ctx.Value(ctxTeam).(string); return s }
func actorOf(ctx context.Context) db.Actor { a, _ := ctx.Value(ctxActor).(db.Actor); return a }

// handler is the http.Handler NewHandler returns.
type handler struct {
	store  Store
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	lib    lib.Server
	users  *userResource
	groups *groupResource

	mu      sync.Mutex
	tokens  map[[32]byte]tokenEntry
	touched map[string]time.Time
	buckets map[string]*bucket

	// libWrites makes serveLibrary decode the library's response body even
	// when the resource handler rendered it (tests compare the two).
	libWrites bool
	cursorKey []byte // signs cursors; see Options.CursorKey
	renders   renderCache
}

type tokenEntry struct {
	tok     db.Token
	expires time.Time
}

// NewHandler returns the SCIM service provider. Mount it with its prefix
// stripped, e.g. mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h)).
func NewHandler(store Store, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxResults <= 0 {
		opts.MaxResults = 1000
	}
	if opts.MaxBulkOperations <= 0 {
		opts.MaxBulkOperations = 1000
	}
	if opts.TokenCacheTTL == 0 {
		opts.TokenCacheTTL = 5 * time.Second
	}
	if opts.Burst <= 0 {
		opts.Burst = int(2 * opts.RateLimit)
		if opts.Burst < 1 {
			opts.Burst = 1
		}
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	h := &handler{store: store, opts: opts, log: opts.Logger, now: opts.Now,
		tokens: map[[32]byte]tokenEntry{}, touched: map[string]time.Time{}, buckets: map[string]*bucket{},
		cursorKey: cursorKey(opts.CursorKey)}
	h.users = &userResource{h: h, schemas: userSchemas()}
	h.groups = &groupResource{h: h, schemas: groupSchemas()}
	us, gs := h.users.schemas, h.groups.schemas
	srv, err := lib.NewServer(&lib.ServerArgs{
		ServiceProviderConfig: &lib.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: opts.MaxResults},
		ResourceTypes: []lib.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Description: optional.NewString("User Account"),
				Schema: us.core, Handler: unavailableGuard{h.users},
				SchemaExtensions: []lib.SchemaExtension{{Schema: us.extensions[0]}, {Schema: us.extensions[1]}}},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Description: optional.NewString("Group"),
				Schema: gs.core, Handler: unavailableGuard{h.groups}},
		},
	})
	if err != nil {
		// Only possible with nil arguments, which are constants here.
		panic(fmt.Sprintf("scim: %v", err))
	}
	h.lib = srv
	return h
}

// ServeHTTP authenticates, limits and dispatches one request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("scim: panic", "panic", p, "method", r.Method, "path", r.URL.Path)
			writeError(w, http.StatusInternalServerError, "", "internal error")
		}
	}()
	tok, reason, err := h.authenticate(r)
	if err != nil {
		// The store could not say whether the token is valid: an IdP must
		// not be told its credentials are wrong (issue 9 #9).
		writeScimError(w, h.toScimError(err, r.Method))
		return
	}
	if reason != "" {
		// Never the token nor its hash (issue 14 #3).
		h.log.InfoContext(r.Context(), "authentication failed", "surface", "scim", "reason", reason)
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster-scim"`)
		writeError(w, http.StatusUnauthorized, "", "authentication required: send a valid SCIM bearer token")
		return
	}
	if wait, ok := h.allow(tok.TeamID); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		writeError(w, http.StatusTooManyRequests, "", "too many requests for this team; retry after the Retry-After delay")
		return
	}
	// Read the body with a limit; the library reads without one (and ignores
	// read errors), so it only ever sees this copy.
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBodyBytes+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidSyntax, "could not read the request body")
			return
		}
		if int64(len(body)) > h.opts.MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("request body exceeds %d bytes", h.opts.MaxBodyBytes))
			return
		}
		if err := db.CheckJSONText(body); err != nil {
			writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err := checkURLText(r); err != nil {
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, err.Error())
		return
	}
	ctx := context.WithValue(r.Context(), ctxTeam, tok.TeamID)
	ctx = context.WithValue(ctx, ctxActor, db.Actor{Kind: db.ActorSCIMToken, ID: tok.ID, Name: tok.Prefix})
	h.dispatch(w, r.WithContext(ctx))
}

// checkURLText rejects a path or query parameter that is not UTF-8 or holds
// a NUL (issue 9 #11), before any of it reaches the store.
func checkURLText(r *http.Request) error {
	return db.CheckURLText(r.URL.Path, r.URL.Query())
}

// authenticate checks the bearer token: a SCIM token, not revoked. A store
// failure is an error, not a refusal: the caller answers 503, never 401.
// A refusal returns its reason (a fixed word for the log); "" is success.
func (h *handler) authenticate(r *http.Request) (db.Token, string, error) {
	auth := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(auth, " ")
	if auth == "" {
		return db.Token{}, "missing_token", nil
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return db.Token{}, "not_bearer", nil
	}
	secret = strings.TrimSpace(secret)
	if secret == "" || len(secret) > 512 {
		return db.Token{}, "malformed_token", nil
	}
	var sum [32]byte // the cache key: the stored form of the token (db.HashToken)
	copy(sum[:], db.HashToken(secret))
	now := h.now()
	h.mu.Lock()
	e, cached := h.tokens[sum]
	h.mu.Unlock()
	if cached && now.Before(e.expires) {
		h.touch(r.Context(), e.tok, now)
		return e.tok, "", nil
	}
	tok, err := h.store.TokenByHash(r.Context(), sum[:])
	if errors.Is(err, db.ErrNotFound) {
		return db.Token{}, "unknown_token", nil
	}
	if err != nil {
		return db.Token{}, "", fmt.Errorf("token lookup: %w", err)
	}
	if tok.RevokedAt != nil {
		return db.Token{}, "revoked_token", nil
	}
	if tok.Kind != db.TokenSCIM || tok.TeamID == "" {
		return db.Token{}, "not_a_scim_token", nil
	}
	if h.opts.TokenCacheTTL > 0 {
		h.mu.Lock()
		if len(h.tokens) > 10000 {
			clear(h.tokens)
		}
		h.tokens[sum] = tokenEntry{tok: tok, expires: now.Add(h.opts.TokenCacheTTL)}
		h.mu.Unlock()
	}
	h.touch(r.Context(), tok, now)
	return tok, "", nil
}

// touch records last use at most once a minute per token.
func (h *handler) touch(ctx context.Context, tok db.Token, now time.Time) {
	h.mu.Lock()
	last, ok := h.touched[tok.ID]
	if ok && now.Sub(last) < time.Minute {
		h.mu.Unlock()
		return
	}
	h.touched[tok.ID] = now
	h.mu.Unlock()
	if err := h.store.TouchToken(ctx, tok.ID, now); err != nil {
		h.log.Warn("scim: touch token", "token", tok.ID, "err", err)
	}
}

// bucket is a token bucket for one team.
type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes one request from the team's bucket, or says how long to wait.
func (h *handler) allow(teamID string) (time.Duration, bool) {
	if h.opts.RateLimit <= 0 {
		return 0, true
	}
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.buckets[teamID]
	if !ok {
		b = &bucket{tokens: float64(h.opts.Burst), last: now}
		h.buckets[teamID] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * h.opts.RateLimit
	if b.tokens > float64(h.opts.Burst) {
		b.tokens = float64(h.opts.Burst)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := time.Duration((1 - b.tokens) / h.opts.RateLimit * float64(time.Second))
	if wait < time.Second {
		wait = time.Second
	}
	return wait, false
}

// dispatch routes an authenticated request. Paths are relative to the mount
// point ("/Users", "/Groups/123", ...).
func (h *handler) dispatch(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	if path == "" {
		path = "/"
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	first := seg[0]
	switch {
	case strings.EqualFold(first, "ServiceProviderConfig") && len(seg) == 1:
		if r.Method != http.MethodGet {
			methodNotAllowed(w, "GET")
			return
		}
		h.serveSPC(w, r)
		return
	case first == ".search" && len(seg) == 1:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "searching across resource types is not supported; POST to /Users/.search or /Groups/.search")
		return
	case strings.EqualFold(first, "Bulk") && len(seg) == 1:
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		h.serveBulk(w, r)
		return
	case strings.EqualFold(first, "Me"):
		writeError(w, http.StatusNotImplemented, "", "/Me is not supported: SCIM tokens act for a team, not a user")
		return
	case strings.EqualFold(first, "Schemas") || strings.EqualFold(first, "ResourceTypes"):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, "GET")
			return
		}
		h.serveDiscovery(w, r, seg)
		return
	}
	var kind resourceKind
	switch {
	case strings.EqualFold(first, "Users"):
		kind = h.users
	case strings.EqualFold(first, "Groups"):
		kind = h.groups
	default:
		writeError(w, http.StatusNotFound, "", "no such endpoint")
		return
	}
	canonical := "/" + kind.endpoint()
	switch {
	case len(seg) == 1:
		switch r.Method {
		case http.MethodGet:
			h.serveList(w, r, kind, r.URL.Query())
		case http.MethodPost:
			h.serveLibrary(w, r, kind, canonical, "")
		default:
			methodNotAllowed(w, "GET, POST")
		}
	case len(seg) == 2 && seg[1] == ".search":
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST")
			return
		}
		h.serveSearch(w, r, kind)
	case len(seg) == 2 && seg[1] != "":
		id := seg[1]
		switch r.Method {
		case http.MethodGet:
			h.serveGet(w, r, kind, id)
		case http.MethodPut, http.MethodPatch, http.MethodDelete:
			h.serveLibrary(w, r, kind, canonical+"/"+id, id)
		default:
			methodNotAllowed(w, "GET, PUT, PATCH, DELETE")
		}
	default:
		writeError(w, http.StatusNotFound, "", "no such endpoint")
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "", "method not allowed; use "+allow)
}

// writeError writes a SCIM error body (RFC 7644 §3.12), status as a string.
func writeError(w http.ResponseWriter, status int, scimType scimerr.ScimType, detail string) {
	writeJSON(w, status, scimerr.ScimError{Status: status, ScimType: scimType, Detail: detail})
}

func writeScimError(w http.ResponseWriter, e scimerr.ScimError) {
	writeJSON(w, e.Status, e)
}

// encodeBufs recycles response buffers (a list page is ~100 KB).
var encodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// unavailableDetail is the body of every 503: the database is down, not
// the client's credentials or request (issue 9 #9).
const unavailableDetail = "the database is unavailable; retry after the Retry-After delay"

// retryAfterUnavailable is the Retry-After (seconds) sent with every 503.
const retryAfterUnavailable = "5"

func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", retryAfterUnavailable)
	}
	bp := encodeBufs.Get().(*[]byte)
	b, err := appendJSON((*bp)[:0], v)
	if err != nil {
		status = http.StatusInternalServerError
		b = append(b[:0], `{"schemas":["`+urnError+`"],"status":"500","detail":"internal error"}`...)
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= 1<<20 {
		*bp = b
		encodeBufs.Put(bp)
	}
}

// toScimError maps a store or handler error to a SCIM error value (never a
// pointer: the library type-asserts values). Internal errors are logged and
// reach the client only as "internal error".
func (h *handler) toScimError(err error, method string) scimerr.ScimError {
	var se scimerr.ScimError
	if errors.As(err, &se) {
		return se
	}
	msg := ""
	var de *db.Error
	if errors.As(err, &de) {
		msg = de.Message
	}
	pick := func(def string) string {
		if msg != "" {
			return msg
		}
		return def
	}
	switch {
	case errors.Is(err, db.ErrNotFound):
		return scimerr.ScimError{Status: http.StatusNotFound, Detail: pick("resource not found")}
	case errors.Is(err, db.ErrConflict):
		return scimerr.ScimError{Status: http.StatusConflict, ScimType: scimerr.ScimTypeUniqueness, Detail: pick("a resource with these unique attributes already exists")}
	case errors.Is(err, db.ErrStale):
		if method == http.MethodGet || method == http.MethodPost {
			return scimerr.ScimError{Status: http.StatusConflict, Detail: "the resource changed concurrently; retry"}
		}
		return scimerr.ScimError{Status: http.StatusPreconditionFailed, Detail: pick("the resource has changed")}
	case errors.Is(err, db.ErrInvalid):
		t := scimerr.ScimTypeInvalidValue
		if de != nil && de.Code == "invalid_filter" {
			t = scimerr.ScimTypeInvalidFilter
		}
		return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: pick("invalid value")}
	case errors.Is(err, db.ErrRule):
		return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: scimerr.ScimTypeMutability, Detail: pick("the change breaks a rule")}
	case errors.Is(err, db.ErrForbidden):
		return scimerr.ScimError{Status: http.StatusForbidden, Detail: pick("not allowed")}
	case errors.Is(err, db.ErrUnavailable):
		h.log.Warn("scim: database unavailable", "method", method, "err", err)
		return scimerr.ScimError{Status: http.StatusServiceUnavailable, Detail: unavailableDetail}
	case errors.Is(err, context.Canceled):
		return scimerr.ScimError{Status: http.StatusBadRequest, Detail: "request cancelled"}
	}
	h.log.Error("scim: internal error", "method", method, "err", err)
	return scimerr.ScimError{Status: http.StatusInternalServerError, Detail: "internal error"}
}

// writeErr is toScimError for writes: a lost race without If-Match is a 409
// to retry, not a failed precondition the client never set.
func (h *handler) writeErr(ctx context.Context, err error, method string) scimerr.ScimError {
	if errors.Is(err, db.ErrStale) && ifMatch(ctx) == 0 {
		var se scimerr.ScimError
		if !errors.As(err, &se) {
			return scimerr.ScimError{Status: http.StatusConflict, Detail: "the resource changed concurrently; retry"}
		}
	}
	return h.toScimError(err, method)
}

// bad builds a 400 SCIM error.
func bad(t scimerr.ScimType, format string, a ...any) scimerr.ScimError {
	return scimerr.ScimError{Status: http.StatusBadRequest, ScimType: t, Detail: fmt.Sprintf(format, a...)}
}
