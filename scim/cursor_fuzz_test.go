package scim_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/scim"
)

// FuzzCursor sends arbitrary cursors to the list endpoints (issue 9 #5):
// random bytes, truncated and altered cursors, another team's cursor, old
// unsigned ones. Invariants: no panic, no 5xx; a cursor this server did not
// issue for exactly this query is 400 invalidCursor; only issued cursors
// are 200. The seeds the fuzzer mutates include live cursors of both teams.
func FuzzCursor(f *testing.F) {
	s := gormdbtest.New(f, gormdb.Config{})
	a, b := newTenantTB(f, s, "alpha"), newTenantTB(f, s, "beta")
	h := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: -1, CursorKey: testCursorKey}))
	get := func(tn tenant, path string) (int, map[string]any) {
		req := httptest.NewRequest("GET", "/scim/v2"+path, nil)
		req.Header.Set("Authorization", "Bearer "+tn.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body map[string]any
		json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	for _, tn := range []tenant{a, b} {
		for i := 0; i < 5; i++ {
			body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d@example.com","emails":[{"value":"u%d@example.com","primary":true}]}`, i, i)
			req := httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tn.token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 201 {
				f.Fatalf("create: %d %s", rec.Code, rec.Body)
			}
			g := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g%d"}`, i)
			req = httptest.NewRequest("POST", "/scim/v2/Groups", strings.NewReader(g))
			req.Header.Set("Authorization", "Bearer "+tn.token)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 201 {
				f.Fatalf("create group: %d %s", rec.Code, rec.Body)
			}
		}
	}
	// The queries each input is tried on, as team A.
	queries := []string{"/Users?count=2", "/Users?count=2&sortBy=userName", "/Groups?count=2",
		"/Groups?count=2&sortBy=displayName&sortOrder=descending",
		"/Users?count=2&filter=" + url.QueryEscape(`userName sw "u"`)}
	// issued[query][cursor]: every cursor team A's walk of each query yields.
	issued := map[string]map[string]bool{}
	for _, tn := range []tenant{a, b} {
		for _, q := range queries {
			cursor := ""
			for range 10 {
				code, body := get(tn, q+"&cursor="+url.QueryEscape(cursor))
				if code != 200 {
					f.Fatalf("walk %s: %d", q, code)
				}
				next, _ := body["nextCursor"].(string)
				if next == "" {
					break
				}
				if tn == a {
					if issued[q] == nil {
						issued[q] = map[string]bool{}
					}
					issued[q][next] = true
				}
				f.Add(next)
				cursor = next
			}
		}
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		for _, q := range queries {
			code, body := get(a, q+"&cursor="+url.QueryEscape(cursor))
			switch {
			case code == 200 && (cursor == "" || issued[q][cursor]):
			case code == 200:
				raw, _ := base64.RawURLEncoding.DecodeString(cursor)
				t.Fatalf("GET %s: cursor %q (% x) accepted but never issued for this query", q, cursor, raw)
			case code == 400 && body["scimType"] == "invalidCursor":
			case code == 400 && body["scimType"] == "invalidValue" && db.CheckText("cursor", cursor) != nil:
				// a NUL or invalid UTF-8 is refused at the edge, before the
				// cursor is read (issue 9 #11)
			default:
				t.Fatalf("GET %s: cursor %q: status %d, body %v", q, cursor, code, body)
			}
		}
	})
}
