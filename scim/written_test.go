package scim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/scim"
)

// TestWriteResponsesAsLibrary: user writes answered from the document the
// handler rendered are the responses decoded from the library's encoding
// (status, Location, ETag and body, ids and times aside).
func TestWriteResponsesAsLibrary(t *testing.T) {
	s := gormdbtestOpen(t)
	fast := http.StripPrefix("/scim/v2", scim.NewHandler(s, scim.Options{BaseURL: base}))
	lib := scim.NewHandler(s, scim.Options{BaseURL: base})
	scim.DecodeLibraryWrites(lib)
	libH := http.StripPrefix("/scim/v2", lib)
	ta, tb := newTenantTB(t, s, "fastw"), newTenantTB(t, s, "libw")
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	steps := []struct{ method, path, body string }{
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + ent + `"],"userName":"Bé@x.test",
			"externalId":"e-1","name":{"givenName":"Bé","familyName":"<J>"},"displayName":"Bé J","title":"t & c",
			"emails":[{"value":"be@x.test","type":"work","primary":true},{"value":"h@x.test","type":"home"}],
			"phoneNumbers":[{"value":"+1","type":"work"}],"` + ent + `":{"department":"R&D","employeeNumber":"7"}}`},
		{"PATCH", "/Users/{id}", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
		{"PATCH", "/Users/{id}?attributes=userName,emails.value", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"o@x.test","type":"other"}]}]}`},
		{"PATCH", "/Users/{id}?excludedAttributes=name.givenName", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"` + ent + `:manager":{"value":"m-1"},"name.familyName":"K"}}]}`},
		{"PUT", "/Users/{id}", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"be2@x.test","active":true}`},
		{"POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"plain@x.test"}`},
	}
	ids := map[*tenant]string{}
	run := func(h http.Handler, tn *tenant, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
		req := httptest.NewRequest(method, "/scim/v2"+strings.ReplaceAll(path, "{id}", ids[tn]), strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tn.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var doc map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
		if method == "POST" {
			ids[tn], _ = doc["id"].(string)
		}
		return rec, doc
	}
	norm := func(rec *httptest.ResponseRecorder, doc map[string]any, id string) string {
		if m, ok := doc["meta"].(map[string]any); ok {
			for _, k := range []string{"created", "lastModified"} {
				if ts, _ := m[k].(string); len(ts) != len("2006-01-02T15:04:05Z") || !strings.HasSuffix(ts, "Z") {
					t.Errorf("meta.%s %q", k, ts)
				}
			}
			delete(m, "created")
			delete(m, "lastModified")
			if loc, _ := m["location"].(string); loc != base+"/Users/"+id {
				t.Errorf("meta.location %q", loc)
			}
			delete(m, "location")
		}
		if got, _ := doc["id"].(string); got != id {
			t.Errorf("id %q, want %q", got, id)
		}
		delete(doc, "id")
		b, _ := json.MarshalIndent(doc, "", " ")
		return fmt.Sprintf("%d Location=%q ETag=%q\n%s", rec.Code, strings.ReplaceAll(rec.Header().Get("Location"), id, "ID"),
			rec.Header().Get("ETag"), b)
	}
	for _, st := range steps {
		r1, d1 := run(fast, &ta, st.method, st.path, st.body)
		r2, d2 := run(libH, &tb, st.method, st.path, st.body)
		if r1.Code >= 300 {
			t.Fatalf("%s %s: %d %s", st.method, st.path, r1.Code, r1.Body)
		}
		if diff := cmp.Diff(norm(r2, d2, ids[&tb]), norm(r1, d1, ids[&ta])); diff != "" {
			t.Errorf("%s %s: rendered response differs from the library's (-library +rendered):\n%s", st.method, st.path, diff)
		}
	}
}
