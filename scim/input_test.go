package scim_test

import (
	"fmt"
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
