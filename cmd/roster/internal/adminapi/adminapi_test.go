package adminapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/adminapi/apitest"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// apiEnv is the admin API alone, built with adminapi.New on a real store:
// what cmd/roster composes, without the CLI or the rest of serve.
type apiEnv struct {
	t     *testing.T
	store *gormdb.Store
	srv   *httptest.Server
	team  db.Team
	owner db.User
}

var operator = db.Actor{Kind: db.ActorOperator, ID: "test"}

func newAPIEnv(t *testing.T, store adminapi.Store, sso adminapi.SSO) *apiEnv {
	t.Helper()
	e := &apiEnv{t: t}
	if store == nil {
		e.store = gormdbtest.New(t, gormdb.Config{})
		store = e.store
	}
	mux := http.NewServeMux()
	adminapi.New(adminapi.Deps{Store: store, SSO: sso, BaseURL: "http://roster.test", MaxBody: 1 << 10,
		ParseDomains: func(l []string) ([]string, error) { return l, nil }}).Register(mux)
	e.srv = httptest.NewServer(apitest.Handler(t, contract(t), mux)) // every exchange checked against the OpenAPI document
	t.Cleanup(e.srv.Close)
	return e
}

func (e *apiEnv) createTeam(s db.Store) {
	e.t.Helper()
	var err error
	e.team, e.owner, err = s.CreateTeam(context.Background(), db.NewTeam{Name: "Acme", PrimaryEmail: "boss@acme.example", PrimaryFirstName: "Bo", PrimaryLastName: "Ss"}, operator)
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *apiEnv) token(s db.Store, kind db.TokenKind, userID string) string {
	e.t.Helper()
	secret, hash := db.NewTokenSecret()
	if _, err := s.CreateToken(context.Background(), db.Token{TeamID: e.team.ID, Kind: kind, UserID: userID,
		Prefix: db.TokenPrefix(secret), Hash: hash}, operator); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

type reply struct {
	Status int
	Code   string
}

func (e *apiEnv) do(token, method, path, body string) reply {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+"/api/v1"+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var b adminapi.ErrorBody
	json.Unmarshal(raw, &b)
	return reply{Status: resp.StatusCode, Code: b.Error.Code}
}

// TestAdminAPIAuthorization pins the admin API's authentication and
// authorization contract as the package serves it on its own (issue 10 #4:
// the API moved out of cmd/roster's package main; its statuses and codes
// did not change). R-ADM-6, R-ADM-7.
func TestAdminAPIAuthorization(t *testing.T) {
	e := newAPIEnv(t, nil, nil)
	e.createTeam(e.store)
	ctx := context.Background()
	sec, err := e.store.CreateUser(ctx, e.team.ID, db.NewUser{Email: "sec@acme.example", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAdminRole(ctx, e.team.ID, e.owner.ID, sec.ID, db.RoleSecondary, operator); err != nil {
		t.Fatal(err)
	}
	plain, err := e.store.CreateUser(ctx, e.team.ID, db.NewUser{Email: "plain@acme.example", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAdminRole(ctx, e.team.ID, e.owner.ID, plain.ID, db.RoleSecondary, operator); err != nil {
		t.Fatal(err)
	}
	owner := e.token(e.store, db.TokenAdmin, e.owner.ID)
	secondary := e.token(e.store, db.TokenAdmin, sec.ID)
	notAdmin := e.token(e.store, db.TokenAdmin, plain.ID)
	// demoted after the token was minted: the token loses its power at once (issue 9 #1)
	if err := e.store.SetAdminRole(ctx, e.team.ID, e.owner.ID, plain.ID, db.RoleNone, operator); err != nil {
		t.Fatal(err)
	}
	scimTok := e.token(e.store, db.TokenSCIM, "")
	team := "/teams/" + e.team.ID
	for _, tc := range []struct {
		name, token, method, path, body string
		want                            reply
	}{
		{"no token", "", "GET", team, "", reply{401, "unauthenticated"}},
		{"unknown token", "rst_nope", "GET", team, "", reply{401, "unauthenticated"}},
		{"scim token", scimTok, "GET", team, "", reply{401, "unauthenticated"}},
		{"another team", owner, "GET", "/teams/other", "", reply{404, "team_not_found"}},
		{"owner", owner, "GET", team, "", reply{200, ""}},
		{"secondary lists users", secondary, "GET", team + "/users", "", reply{200, ""}},
		{"demoted admin", notAdmin, "GET", team + "/users", "", reply{403, "not_admin"}},
		{"bad limit", owner, "GET", team + "/users?limit=0", "", reply{400, "limit_invalid"}},
		{"unknown field", owner, "POST", team + "/users", `{"email":"a@acme.example","x":1}`, reply{400, "invalid_json"}},
		{"body too large", owner, "POST", team + "/users", `{"email":"` + strings.Repeat("a", 2<<10) + `"}`, reply{413, "body_too_large"}},
		{"NUL in query", owner, "GET", team + "/audit?limit=%00", "", reply{400, "invalid_text"}},
		{"no SSO configured: no SSO routes", owner, "GET", team + "/sso", "", reply{404, ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, e.do(tc.token, tc.method, tc.path, tc.body)); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tc.method, tc.path, diff)
			}
		})
	}
}

// downStore is the real store with GetTeam failing as an unreachable
// database does (a fault injected, not a mock).
type downStore struct{ *gormdb.Store }

func (downStore) GetTeam(context.Context, string) (db.Team, error) {
	return db.Team{}, db.Errorf(db.ErrUnavailable, "unavailable", "connection refused")
}

// TestAdminAPIStoreOutageIs503: an outage behind the narrow Store
// interface is a 503 with Retry-After, never the driver's text (issue 9 #9).
func TestAdminAPIStoreOutageIs503(t *testing.T) {
	s := gormdbtest.New(t, gormdb.Config{})
	e := newAPIEnv(t, downStore{s}, nil)
	e.createTeam(s)
	tok := e.token(s, db.TokenAdmin, e.owner.ID)
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/teams/"+e.team.ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != adminapi.RetryAfterUnavailable ||
		strings.Contains(string(raw), "refused") {
		t.Errorf("status %d, Retry-After %q, body %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
}

// fakeSSO stands in for the sso service behind the SSO interface, so the
// routes' role rule is tested without SAML (R-ADM-7).
type fakeSSO struct{ adminapi.SSO }

func (fakeSSO) Show(_ context.Context, team string, _ db.Actor) (any, error) {
	return map[string]any{"team_id": team, "sp": map[string]any{}, "idp": map[string]any{}}, nil
}

func (fakeSSO) Update(_ context.Context, _ string, _ db.Actor, decode func(any) error) (any, error) {
	var in struct {
		EntityID string `json:"entity_id"`
	}
	if err := decode(&in); err != nil {
		return nil, err
	}
	if in.EntityID == "" {
		return nil, errors.New("unreachable in this test")
	}
	return map[string]any{"team_id": "t", "sp": map[string]any{}, "idp": map[string]any{"entity_id": in.EntityID}}, nil
}

// TestAdminAPISSORoutesRoles: only the primary and SSO admins reach the
// SSO routes (R-ADM-7); the body goes through the API's strict decoder.
func TestAdminAPISSORoutesRoles(t *testing.T) {
	s := gormdbtest.New(t, gormdb.Config{})
	e := newAPIEnv(t, s, fakeSSO{})
	e.createTeam(s)
	ctx := context.Background()
	sec, err := s.CreateUser(ctx, e.team.ID, db.NewUser{Email: "sec@acme.example", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdminRole(ctx, e.team.ID, e.owner.ID, sec.ID, db.RoleSecondary, operator); err != nil {
		t.Fatal(err)
	}
	owner, secondary := e.token(s, db.TokenAdmin, e.owner.ID), e.token(s, db.TokenAdmin, sec.ID)
	path := "/teams/" + e.team.ID + "/sso"
	for _, tc := range []struct {
		name, token, method, body string
		want                      reply
	}{
		{"primary shows", owner, "GET", "", reply{200, ""}},
		{"secondary refused", secondary, "GET", "", reply{403, "role_not_allowed"}},
		{"primary updates", owner, "PUT", `{"entity_id":"https://idp.example"}`, reply{200, ""}},
		{"unknown settings field", owner, "PATCH", `{"nope":true}`, reply{400, "invalid_json"}},
		{"no body", owner, "PUT", "", reply{400, "body_required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, e.do(tc.token, tc.method, path, tc.body)); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tc.method, path, diff)
			}
		})
	}
}

// TestActingAdminRule is the one acting-admin rule, by token owner (id) and
// by --as (email), for every kind of user (issue 10 #4; R-ADM-6, R-ADM-7;
// issue 9 #1: a demoted or inactive admin holds no power).
func TestActingAdminRule(t *testing.T) {
	s := gormdbtest.New(t, gormdb.Config{})
	e := &apiEnv{t: t}
	e.createTeam(s)
	ctx := context.Background()
	users := map[string]db.User{"boss": e.owner}
	for name, role := range map[string]db.Role{"sec": db.RoleSecondary, "ssoadm": db.RoleSSO, "plain": db.RoleNone, "gone": db.RoleSecondary} {
		u, err := s.CreateUser(ctx, e.team.ID, db.NewUser{Email: name + "@acme.example", FirstName: "F", LastName: "L", Source: db.SourceAdmin}, operator)
		if err != nil {
			t.Fatal(err)
		}
		if role != db.RoleNone {
			if err := s.SetAdminRole(ctx, e.team.ID, e.owner.ID, u.ID, role, operator); err != nil {
				t.Fatal(err)
			}
		}
		users[name] = u
	}
	if _, err := s.UpdateUser(ctx, e.team.ID, users["gone"].ID, 0, operator, func(u *db.User) error {
		u.Status = db.StatusInactive
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user  string
		roles adminapi.Roles
		want  string // error code, "" allowed
	}{
		{"boss", adminapi.AllAdmins, ""},
		{"sec", adminapi.AllAdmins, ""},
		{"ssoadm", adminapi.AllAdmins, ""},
		{"plain", adminapi.AllAdmins, "not_admin"},
		{"gone", adminapi.AllAdmins, "admin_inactive"},
		{"boss", adminapi.SSOAdmins, ""},
		{"ssoadm", adminapi.SSOAdmins, ""},
		{"sec", adminapi.SSOAdmins, "role_not_allowed"},
		{"plain", adminapi.SSOAdmins, "not_admin"},
		{"gone", adminapi.SSOAdmins, "admin_inactive"},
	} {
		for _, ref := range []adminapi.AdminRef{{UserID: users[tc.user].ID}, {Email: users[tc.user].Email}} {
			u, err := adminapi.ActingAdmin(ctx, s, e.team.ID, ref, tc.roles)
			got := ""
			if err != nil {
				got = db.CodeOf(err)
			}
			if got != tc.want || u.ID != users[tc.user].ID {
				t.Errorf("%s %+v %v: user %q, code %q; want %q", tc.user, ref, tc.roles.Allowed, u.ID, got, tc.want)
			}
		}
	}
	// Unknown: a token whose owner is gone is unauthenticated; an unknown --as is not_admin.
	if _, err := adminapi.ActingAdmin(ctx, s, e.team.ID, adminapi.AdminRef{Email: "who@acme.example"}, adminapi.AllAdmins); db.CodeOf(err) != "not_admin" {
		t.Errorf("unknown --as: %v", err)
	}
	if _, err := adminapi.ActingAdmin(ctx, s, e.team.ID, adminapi.AdminRef{UserID: "nope"}, adminapi.AllAdmins); err == nil || errors.Is(err, db.ErrForbidden) { // the API answers it 401 (TestAdminAPIAuthorization)
		t.Errorf("unknown token owner: %v, want unauthenticated", err)
	}
}
