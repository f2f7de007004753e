package scim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/scim"
)

func serve(h http.Handler, token, method, path, body string) int {
	req := httptest.NewRequest(method, "/scim/v2"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// reportCPU reports the process's CPU time (user + system) per operation:
// on a shared machine ns/op is wall time and says little about cost.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkHandler(b *testing.B) {
	s := gormdbtestOpen(b)
	tn := newTenantTB(b, s, "bench")
	h := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: 60e9}))
	const n = 2000
	ids := make([]string, n)
	for i := range ids {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d@example.com","name":{"givenName":"G","familyName":"F"},"emails":[{"value":"w%d@example.com","type":"work","primary":true}]}`, i, i)
		req := httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tn.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 201 {
			b.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		ids[i] = strings.Split(strings.Split(rec.Body.String(), `"id":"`)[1], `"`)[0]
	}
	var k atomic.Int64
	for _, w := range []struct {
		name string
		req  func(i int) (string, string, string)
	}{
		{"get", func(i int) (string, string, string) { return "GET", "/Users/" + ids[i%n], "" }},
		{"filter-username", func(i int) (string, string, string) {
			return "GET", "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`userName eq "u%d@example.com"`, i%n)), ""
		}},
		{"filter-email", func(i int) (string, string, string) {
			return "GET", "/Users?filter=" + url.QueryEscape(fmt.Sprintf(`emails[type eq "work"].value eq "w%d@example.com"`, i%n)), ""
		}},
		{"patch-active", func(i int) (string, string, string) {
			v := "False"
			if i%2 == 0 {
				v = "True"
			}
			return "PATCH", "/Users/" + ids[i%n], `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"` + v + `"}]}`
		}},
		{"create", func(i int) (string, string, string) {
			return "POST", "/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"c%d@example.com","name":{"givenName":"G","familyName":"F"},"emails":[{"value":"c%d@example.com","type":"work","primary":true}]}`, i, i)
		}},
		{"list-100", func(i int) (string, string, string) {
			return "GET", fmt.Sprintf("/Users?count=100&startIndex=%d", (i%20)*100+1), ""
		}},
	} {
		b.Run(w.name, func(b *testing.B) {
			defer reportCPU(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					m, p, body := w.req(int(k.Add(1)))
					if code := serve(h, tn.token, m, p, body); code >= 300 {
						b.Errorf("%s %s: %d", m, p, code)
						return
					}
				}
			})
		})
	}
}
