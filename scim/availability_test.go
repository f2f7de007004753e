package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
	"github.com/roster-dev/roster/scim"
)

// TestUnavailableStoreIs503NotUnauthorized is issue 9 #9: with the database
// gone, every SCIM request (token cached or not) is 503 with Retry-After.
// It used to be 500 for a cached token, then 401 once the cache expired,
// telling the IdP its credentials were wrong.
func TestUnavailableStoreIs503NotUnauthorized(t *testing.T) {
	for _, ttl := range []time.Duration{-1, time.Hour} {
		name := "token cache off"
		if ttl > 0 {
			name = "token cached"
		}
		t.Run(name, func(t *testing.T) {
			s := gormdbtest.Open(t, gormdb.SQLite, gormdb.Config{})
			tn := newTenant(t, s, "alpha")
			h := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: ttl}))
			send := func(method, path, body string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, "/scim/v2"+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tn.token)
				req.Header.Set("Content-Type", "application/scim+json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			if rec := send("GET", "/Users", ""); rec.Code != 200 {
				t.Fatalf("before the outage: %d %s", rec.Code, rec.Body)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for _, rq := range []struct{ method, path, body string }{
				{"GET", "/Users", ""},
				{"GET", "/Users?filter=" + urlQuery(`userName eq "a"`), ""},
				{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u@example.com","name":{"givenName":"U","familyName":"X"},"emails":[{"value":"u@example.com","primary":true}]}`},
				{"GET", "/Users/00000000-0000-0000-0000-000000000000", ""},
				{"PATCH", "/Users/00000000-0000-0000-0000-000000000000", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`},
				{"PUT", "/Users/00000000-0000-0000-0000-000000000000", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u@example.com","name":{"givenName":"U","familyName":"X"}}`},
				{"DELETE", "/Users/00000000-0000-0000-0000-000000000000", ""},
				{"GET", "/Groups", ""},
				{"POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g"}`},
			} {
				rec := send(rq.method, rq.path, rq.body)
				if rec.Code != http.StatusServiceUnavailable {
					t.Errorf("%s %s with the database down: status %d, want 503: %s", rq.method, rq.path, rec.Code, rec.Body)
					continue
				}
				if ra := rec.Header().Get("Retry-After"); ra == "" {
					t.Errorf("%s %s: 503 without Retry-After", rq.method, rq.path)
				}
				if !strings.Contains(rec.Body.String(), "unavailable") {
					t.Errorf("%s %s: 503 body %s does not say the database is unavailable", rq.method, rq.path, rec.Body)
				}
			}
		})
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "%20", `"`, "%22")
	return r.Replace(s)
}

// TestInvalidTextIs400 is issue 9 #11: a NUL or invalid UTF-8 in a value,
// a path id, a filter, a cursor or a query parameter is a 400 invalidValue
// on every backend, and nothing is written. PostgreSQL answered 500; SQLite
// stored the bytes.
func TestInvalidTextIs400(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		uid := e.createUser(e.a, "alice@example.com")
		gid := e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "g1"}).want(t, 201).str("id")
		user := func(userName, title string) string {
			return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + userName +
				`","title":"` + title + `","name":{"givenName":"B","familyName":"X"},"emails":[{"value":"bob@example.com","primary":true}]}`
		}
		patch := func(path, value string) string {
			return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"` + path + `","value":"` + value + `"}]}`
		}
		for _, tc := range []struct {
			name, method, path, body string
		}{
			{"NUL in userName", "POST", "/Users", user(`bob\u0000@example.com`, "t")},
			{"NUL in title", "POST", "/Users", user("bob@example.com", `a\u0000b`)},
			{"NUL in a key", "POST", "/Users", strings.Replace(user("bob@example.com", "t"), `"title"`, `"ti\u0000tle"`, 1)},
			{"invalid UTF-8 in userName", "POST", "/Users", user("bob\xff@example.com", "t")},
			{"invalid UTF-8 in title", "POST", "/Users", user("bob@example.com", "a\xc0\x80b")},
			{"NUL in PATCH value", "PATCH", "/Users/" + uid, patch("name.givenName", `x\u0000`)},
			{"invalid UTF-8 in PATCH value", "PATCH", "/Users/" + uid, patch("name.givenName", "x\xed\xa0\x80")},
			{"NUL in PUT value", "PUT", "/Users/" + uid, user(`alice\u0000@example.com`, "t")},
			{"NUL in group name", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g\u0000"}`},
			{"NUL in group PATCH", "PATCH", "/Groups/" + gid, patch("displayName", `g\u0000`)},
			{"NUL in path id", "GET", "/Users/a%00b", ""},
			{"invalid UTF-8 in path id", "GET", "/Users/a%FFb", ""},
			{"NUL in group path id", "DELETE", "/Groups/a%00b", ""},
			{"invalid UTF-8 in PATCH path id", "PATCH", "/Users/a%FFb", patch("active", "false")},
			{"NUL in filter", "GET", "/Users?filter=userName%20eq%20%22a%00b%22", ""},
			{"invalid UTF-8 in filter", "GET", "/Users?filter=userName%20eq%20%22a%FFb%22", ""},
			{"NUL in cursor", "GET", "/Users?cursor=a%00b", ""},
			{"invalid UTF-8 in attributes", "GET", "/Users?attributes=user%FFName", ""},
			{"NUL in a .search filter", "POST", "/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"a\u0000b\""}`},
			{"invalid UTF-8 in a .search filter", "POST", "/Users/.search", "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:SearchRequest\"],\"filter\":\"userName eq \\\"a\xffb\\\"\"}"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(e.a, tc.method, tc.path, tc.body).want(t, http.StatusBadRequest)
				if st := r.scimType(); st != "invalidValue" {
					t.Errorf("scimType %q, want invalidValue: %s", st, r.raw)
				}
			})
		}
		n, err := e.store.CountUsers(context.Background(), e.a.teamID)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 { // the primary admin and alice
			t.Errorf("users = %d after rejected requests, want 2", n)
		}
		if got := e.do(e.a, "GET", "/Users/"+uid, nil).want(t, 200).str("name", "givenName"); strings.ContainsRune(got, 0) || strings.ContainsRune(got, '\uFFFD') {
			t.Errorf("givenName changed to %q", got)
		}
		_ = db.ErrInvalid
	})
}
