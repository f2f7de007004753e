package scim_test

import (
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/roster-dev/roster/scim"
)

// BenchmarkRenderCacheBytes reports the heap one cached user costs
// (issue 15: peak RSS ≤ 150 MB; the cache keeps up to 20,000 users). It
// creates n users, measures the live heap, lists them all in pages of 100
// (which renders and caches each) and measures again. A benchmark, since it
// prints a figure and asserts none.
func BenchmarkRenderCacheBytes(b *testing.B) {
	s := gormdbtestOpen(b)
	tn := newTenantTB(b, s, "mem")
	h := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: 60e9}))
	const n = 2000
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u%d@example.com","externalId":"%08d-0000-4000-8000-000000000000","name":{"givenName":"Given%d","familyName":"Family%d"},"displayName":"Given%d Family%d","emails":[{"value":"u%d@example.com","type":"work","primary":true}],"active":true}`, i, i, i, i, i, i, i)
		if code := serve(h, tn.token, "POST", "/Users", body); code != 201 {
			b.Fatalf("create: %d", code)
		}
	}
	live := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for b.Loop() {
		// A fresh handler each round: an empty cache.
		h = http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: 60e9}))
		serve(h, tn.token, "GET", "/Users?startIndex=1&count=1", "")
		before := live()
		for start := 1; start <= n; start += 100 {
			if code := serve(h, tn.token, "GET", fmt.Sprintf("/Users?startIndex=%d&count=100", start), ""); code != 200 {
				b.Fatalf("list: %d", code)
			}
		}
		after := live()
		b.ReportMetric(float64(int64(after)-int64(before))/n, "B/cached-user")
		runtime.KeepAlive(h)
	}
}
