package adminapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/adminapi/apitest"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

func contract(t testing.TB) *apitest.Validator { return apitest.AdminAPI(t) }

// documentedElsewhere are routes the document describes that another
// package mounts (cmd/roster's TestOpenAPIServedRoutes checks them on the
// whole server).
var documentedElsewhere = []string{"GET /api/v1/me"} // sso.Service.Register

// TestOpenAPICoversEveryRoute: every route Register mounts (read from the
// API itself, not a list kept here) is in the document, and every
// operation in the document is a mounted route.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	api := adminapi.New(adminapi.Deps{Store: gormdbtest.New(t, gormdb.Config{}), SSO: fakeSSO{}})
	api.Register(http.NewServeMux())
	registered := api.Routes()
	if len(registered) < 60 {
		t.Fatalf("Routes() has %d patterns; expected every admin API route", len(registered))
	}
	documented := documentedOps(t)
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			method, path, _ := strings.Cut(r, " ")
			t.Errorf("route %s is registered but not in the OpenAPI document: add paths.%q.%s to cmd/roster/internal/adminapi/openapi.yaml", r, path, strings.ToLower(method))
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) && !slices.Contains(documentedElsewhere, d) {
			t.Errorf("openapi.yaml documents %s but no such route is registered: remove it or mount the route", d)
		}
	}
}

// documentedOps is "METHOD /path" for every operation in the document.
func documentedOps(t *testing.T) []string {
	t.Helper()
	doc := servedDoc(t)
	var ops []string
	for p, item := range doc.Paths {
		for m := range item {
			if m != "parameters" && m != "summary" && m != "description" {
				ops = append(ops, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(ops)
	return ops
}

type openapiDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

func servedDoc(t *testing.T) openapiDoc {
	t.Helper()
	mux := http.NewServeMux()
	adminapi.New(adminapi.Deps{Store: gormdbtest.New(t, gormdb.Config{})}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/openapi.json") // no token: the contract is public
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var doc openapiDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if _, err := apitest.New(b); err != nil {
		t.Fatalf("the served document: %v", err)
	}
	return doc
}

// TestOpenAPIAuthenticatedErrors: every authenticated operation documents
// the wrapper's statuses, and one with a body 409 and 413 as well.
func TestOpenAPIAuthenticatedErrors(t *testing.T) {
	doc := servedDoc(t)
	for p, item := range doc.Paths {
		for m, raw := range item {
			var op struct {
				Security    []any                      `json:"security"`
				RequestBody json.RawMessage            `json:"requestBody"`
				Responses   map[string]json.RawMessage `json:"responses"`
			}
			if m == "parameters" || json.Unmarshal(raw, &op) != nil || op.Security == nil {
				continue
			}
			want := []string{"400", "401", "403", "404", "500", "503"}
			if op.RequestBody != nil {
				want = append(want, "409", "413")
			}
			for _, c := range want {
				if _, ok := op.Responses[c]; !ok {
					t.Errorf("%s %s does not document %s", m, p, c)
				}
			}
		}
	}
}

// TestOpenAPIValidatorCatchesMismatches: the validator the suites run is
// not a rubber stamp — each deliberately wrong exchange is reported, the
// right one is not.
func TestOpenAPIValidatorCatchesMismatches(t *testing.T) {
	v := contract(t)
	user := `{"id":"u1","email":"a@x.test","user_name":"a@x.test","first_name":"A","last_name":"B","status":"active","type":"standard","source":"admin","admin_role":"","exception":false,"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`
	for _, tc := range []struct {
		name, method, path, reqBody string
		status                      int
		respBody                    string
		wantMismatch                string // "" when it matches
	}{
		{"a right user", "GET", "/api/v1/teams/t1/users/u1", "", 200, user, ""},
		{"a field missing", "GET", "/api/v1/teams/t1/users/u1", "", 200, strings.Replace(user, `"email":"a@x.test",`, "", 1), "email"},
		{"a field of the wrong type", "GET", "/api/v1/teams/t1/users/u1", "", 200, strings.Replace(user, `"exception":false`, `"exception":"no"`, 1), "exception"},
		{"a field the view does not have", "GET", "/api/v1/teams/t1/users/u1", "", 200, strings.Replace(user, `{`, `{"password":"x",`, 1), "password"},
		{"a list where an object belongs", "GET", "/api/v1/teams/t1/users/u1", "", 200, "[" + user + "]", "response"},
		{"an undocumented status", "GET", "/api/v1/teams/t1/users/u1", "", 418, `{"error":{"code":"teapot","message":"x"}}`, "418"},
		{"an error in another shape", "GET", "/api/v1/teams/t1/users/u1", "", 404, `{"code":"user_not_found"}`, "error"},
		{"a right error", "GET", "/api/v1/teams/t1/users/u1", "", 404, `{"error":{"code":"user_not_found","message":"no"}}`, ""},
		{"an accepted request the document does not allow", "PUT", "/api/v1/teams/t1/users/u1/role", `{"role":"king"}`, 200, user, "request"},
		{"a refused request is not held against the server", "PUT", "/api/v1/teams/t1/users/u1/role", `{"role":"king"}`, 400, `{"error":{"code":"role_invalid","message":"no"}}`, ""},
		{"a null list", "GET", "/api/v1/teams/t1/users", "", 200, `{"users":null,"next":""}`, "users"},
		{"a string for a list", "GET", "/api/v1/teams/t1/companies", "", 200, `"Acme"`, "response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			h := http.Header{"Content-Type": {"application/json"}}
			got := strings.Join(v.Check(req, []byte(tc.reqBody), tc.status, h, []byte(tc.respBody)), "\n")
			if tc.wantMismatch == "" && got != "" {
				t.Errorf("a matching exchange was reported: %s", got)
			}
			if tc.wantMismatch != "" && !strings.Contains(got, tc.wantMismatch) {
				t.Errorf("want a mismatch naming %q, got %q", tc.wantMismatch, got)
			}
		})
	}
}
