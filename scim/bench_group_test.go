package scim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roster-dev/roster/scim"
)

// BenchmarkGroupPatch grows one group by 100 members per PATCH (in process).
func BenchmarkGroupPatch(b *testing.B) {
	s := gormdbtestOpen(b)
	tn := newTenantTB(b, s, "benchg")
	h := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base, TokenCacheTTL: 60e9}))
	n := b.N * 100
	ids := make([]string, n)
	for i := range ids {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"g%d@example.com","emails":[{"value":"g%d@example.com","primary":true}]}`, i, i)
		req := httptest.NewRequest("POST", "/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tn.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		ids[i] = strings.Split(strings.Split(rec.Body.String(), `"id":"`)[1], `"`)[0]
	}
	req := httptest.NewRequest("POST", "/scim/v2/Groups", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"big"}`))
	req.Header.Set("Authorization", "Bearer "+tn.token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	gid := strings.Split(strings.Split(rec.Body.String(), `"id":"`)[1], `"`)[0]
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		var vals []string
		for _, id := range ids[i*100 : (i+1)*100] {
			vals = append(vals, `{"value":"`+id+`"}`)
		}
		body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[` + strings.Join(vals, ",") + `]}]}`
		if code := serve(h, tn.token, "PATCH", "/Groups/"+gid, body); code != 204 {
			b.Fatalf("patch: %d", code)
		}
	}
}
