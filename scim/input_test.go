package scim_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/scim"
)

// TestPatchManyWholeExtensionOpsAnswered pins, through the handler, that a
// PATCH with the maximum number of whole-extension operations is applied in
// order (it never answered at 9,000), that one more is refused with 400
// invalidValue naming the cap, and that /ServiceProviderConfig advertises
// the cap. issue 9 #7
func TestPatchManyWholeExtensionOpsAnswered(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	id := e.createUser(e.a, "many.ops@alpha.example")
	body := func(n int) map[string]any {
		ops := make([]any, n)
		for i := range ops {
			ops[i] = map[string]any{"op": "Replace", "path": scim.URNEnterprise,
				"value": map[string]any{"department": fmt.Sprintf("d%d", i+1)}}
		}
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
	}
	const max = 1000
	r := e.do(e.a, "PATCH", "/Users/"+id, body(max)).want(t, 200)
	if got := r.str(scim.URNEnterprise, "department"); got != fmt.Sprintf("d%d", max) {
		t.Errorf("department %q after %d operations, want d%d", got, max, max)
	}
	r = e.do(e.a, "PATCH", "/Users/"+id, body(max+1)).want(t, 400)
	if r.scimType() != "invalidValue" || r.str("detail") != fmt.Sprintf("a PATCH carries at most %d operations; this one has %d", max, max+1) {
		t.Errorf("over the cap: %s", r.raw)
	}
	r = e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)
	if got := r.str(scim.URNEnterprise, "department"); got != fmt.Sprintf("d%d", max) {
		t.Errorf("the refused PATCH wrote: department %q", got)
	}
	r = e.do(e.a, "GET", "/ServiceProviderConfig", nil).want(t, 200)
	if got := r.str("patch", "maxOperations"); got != fmt.Sprint(max) {
		t.Errorf("ServiceProviderConfig patch.maxOperations = %q, want %d", got, max)
	}
}

// TestFilterUnmatchedBracketAnswers400 pins, through GET and .search, that a
// filter ending in an unmatched "[" (a panic in rewriteValuePathSub) and its
// siblings are 400 invalidFilter. issue 9 #10
func TestFilterUnmatchedBracketAnswers400(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	for _, f := range []string{`emails[`, `emails[type eq "work"].value eq "x" and emails[`, `emails[type eq "work\`, `members[`, `emails]`, `userName eq "x`} {
		for _, ep := range []string{"/Users", "/Groups"} {
			r := e.do(e.a, "GET", ep+"?filter="+url.QueryEscape(f), nil).want(t, 400)
			if r.scimType() != "invalidFilter" {
				t.Errorf("GET %s filter %q: scimType %q, want invalidFilter: %s", ep, f, r.scimType(), r.raw)
			}
			r = e.do(e.a, "POST", ep+"/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": f}).want(t, 400)
			if r.scimType() != "invalidFilter" {
				t.Errorf("POST %s/.search filter %q: scimType %q, want invalidFilter: %s", ep, f, r.scimType(), r.raw)
			}
		}
	}
}
