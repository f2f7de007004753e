package scim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/roster-dev/roster/scim"
)

// raceSCIM sends n requests at once and returns their statuses and ETags.
func raceSCIM(e *env, n int, req func(i int) (method, path, body string, hdr []string)) ([]int, []string) {
	codes, etags := make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, path, body, hdr := req(i)
			r := httptest.NewRequest(method, "/scim/v2"+path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+e.a.token)
			r.Header.Set("Content-Type", "application/scim+json")
			for j := 0; j+1 < len(hdr); j += 2 {
				r.Header.Set(hdr[j], hdr[j+1])
			}
			<-start
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, r)
			codes[i], etags[i] = rec.Code, rec.Header().Get("ETag")
		}()
	}
	close(start)
	wg.Wait()
	return codes, etags
}

// TestSCIMRaces is issue 9's race tests at the SCIM edge, on every backend:
// concurrent creates of one userName give exactly one 201 and 409
// uniqueness for the rest; concurrent member adds lose no member; updates
// racing on one If-Match version give one winner and 412 for the rest.
func TestSCIMRaces(t *testing.T) {
	const n = 8
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		t.Run("same userName", func(t *testing.T) {
			codes, _ := raceSCIM(e, n, func(i int) (string, string, string, []string) {
				return "POST", "/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"same@example.com",`+
					`"name":{"givenName":"S","familyName":"N"},"emails":[{"value":"same%d@example.com","primary":true}]}`, i), nil
			})
			if got := count(codes, 201); got != 1 || count(codes, 409) != n-1 {
				t.Fatalf("statuses %v, want one 201 and %d 409", codes, n-1)
			}
			r := e.do(e.a, "GET", "/Users?filter=userName%20eq%20%22same@example.com%22", nil).want(t, 200)
			if r.body["totalResults"] != float64(1) {
				t.Fatalf("%v users named same@example.com", r.body["totalResults"])
			}
		})
		t.Run("group member adds", func(t *testing.T) {
			gid := e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "members-race"}).want(t, 201).str("id")
			ids := make([]string, n)
			for i := range ids {
				ids[i] = e.createUser(e.a, fmt.Sprintf("member%d@example.com", i))
			}
			codes, _ := raceSCIM(e, n, func(i int) (string, string, string, []string) {
				return "PATCH", "/Groups/" + gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"` + ids[i] + `"}]}]}`, nil
			})
			for _, c := range codes {
				if c != 200 && c != 204 {
					t.Fatalf("statuses %v, want all 200/204", codes)
				}
			}
			r := e.do(e.a, "GET", "/Groups/"+gid, nil).want(t, 200)
			if ms, _ := r.body["members"].([]any); len(ms) != n {
				t.Fatalf("%d members after %d concurrent adds, want %d: %s", len(ms), n, n, r.raw)
			}
		})
		t.Run("If-Match", func(t *testing.T) {
			id := e.createUser(e.a, "ifmatch@example.com")
			etag := e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200).hdr.Get("ETag")
			codes, etags := raceSCIM(e, n, func(i int) (string, string, string, []string) {
				return "PATCH", "/Users/" + id, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name.familyName","value":"w%d"}]}`, i),
					[]string{"If-Match", etag}
			})
			if count(codes, 200) != 1 || count(codes, http.StatusPreconditionFailed) != n-1 {
				t.Fatalf("statuses %v, want one 200 and %d 412", codes, n-1)
			}
			for i, c := range codes {
				if c == 200 && (etags[i] == "" || etags[i] == etag) {
					t.Errorf("winner's ETag %q, want a new version (was %q)", etags[i], etag)
				}
			}
		})
	})
}

func count(codes []int, want int) int {
	n := 0
	for _, c := range codes {
		if c == want {
			n++
		}
	}
	return n
}
