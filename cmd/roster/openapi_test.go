package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi/apitest"
)

// contract validates every exchange of the servers startServer runs
// against the admin API's OpenAPI document (issue 14 #2).
func contract(t testing.TB) *apitest.Validator { return apitest.AdminAPI(t) }

// TestOpenAPIServedRoutes: on the whole `roster serve`, the document is
// served without a token, and every operation it documents is a route of
// the server's mux (GET /api/v1/me, which the sso package mounts, included)
// — a request to each reaches a handler, never the mux's own 404/405.
func TestOpenAPIServedRoutes(t *testing.T) {
	c := newCLI(t)
	s := startServer(t, c)
	resp, err := http.Get(s.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&doc) != nil || len(doc.Paths) < 40 {
		t.Fatalf("GET /api/v1/openapi.json: %d, %d paths", resp.StatusCode, len(doc.Paths))
	}
	for p, item := range doc.Paths {
		for m := range item {
			if m == "parameters" {
				continue
			}
			path := strings.NewReplacer("{team}", "t", "{user}", "u", "{project}", "p", "{contract}", "c", "{email}", "e",
				"{product}", "x", "{token}", "k", "{domain}", "d.test", "{key}", "k").Replace(p)
			req, _ := http.NewRequest(strings.ToUpper(m), s.url+path, nil)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if (r.StatusCode == 404 || r.StatusCode == 405) && strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("%s %s is documented but not served (%d from the mux)", strings.ToUpper(m), p, r.StatusCode)
			}
		}
	}
}
