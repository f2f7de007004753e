package scim

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	scimerr "github.com/elimity-com/scim/errors"
)

// wholeExtensionPatch is a PATCH body of n operations that each replace the
// whole enterprise extension (path "urn:…:enterprise:2.0:User").
func wholeExtensionPatch(n int) map[string]any {
	ops := make([]any, n)
	for i := range ops {
		ops[i] = map[string]any{"op": "replace", "path": URNEnterprise,
			"value": map[string]any{"department": fmt.Sprintf("d%d", i), "employeeNumber": "1"}}
	}
	return map[string]any{"schemas": []any{urnPatchOp}, "Operations": ops}
}

// TestPatchWholeExtensionOpsLinear pins that normalising a PATCH costs work
// linear in its operations: normalizePatch used to re-run itself from the
// first operation for every whole-extension path, so 3,000 such operations
// took ~28 s and 9,000 never answered. Work is measured in allocations (a
// count, not wall time): doubling the operations must not quadruple them.
// issue 9 #7
func TestPatchWholeExtensionOpsLinear(t *testing.T) {
	s := userSchemas()
	allocs := func(n int) float64 {
		return testing.AllocsPerRun(3, func() {
			doc := wholeExtensionPatch(n)
			if err := normalizePatch(context.Background(), s, doc); err != nil {
				t.Fatalf("normalizePatch(%d ops): %v", n, err)
			}
		})
	}
	small, large := allocs(200), allocs(800)
	// Linear work gives a ratio near 4 (800/200); the quadratic re-run gave ~16.
	if ratio := large / small; ratio > 6 {
		t.Errorf("allocations for 800 ops / 200 ops = %.1f (%.0f / %.0f): work grows faster than the op count", ratio, large, small)
	}
	doc := wholeExtensionPatch(3)
	if err := normalizePatch(context.Background(), s, doc); err != nil {
		t.Fatal(err)
	}
	for i, o := range doc["Operations"].([]any) {
		op := o.(map[string]any)
		if _, has := op["path"]; has {
			t.Errorf("operation %d still has a path: %v", i+1, op)
		}
		v, _ := op["value"].(map[string]any)
		if got := v[URNEnterprise+":department"]; got != fmt.Sprintf("d%d", i) {
			t.Errorf("operation %d: department = %v, want flattened d%d; value %v", i+1, got, i, v)
		}
	}
}

// TestPatchOperationsCapped pins the cap on operations per PATCH: beyond
// maxPatchOperations the request is 400 invalidValue with a message naming
// the cap, before any work on the operations. issue 9 #7
func TestPatchOperationsCapped(t *testing.T) {
	s := userSchemas()
	for _, tc := range []struct {
		n    int
		fail bool
	}{
		{1, false},
		{maxPatchOperations, false},
		{maxPatchOperations + 1, true},
		{9000, true},
	} {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			err := normalizePatch(context.Background(), s, wholeExtensionPatch(tc.n))
			if !tc.fail {
				if err != nil {
					t.Fatalf("%d ops: %v", tc.n, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%d ops accepted, want 400", tc.n)
			}
			want := fmt.Sprintf("a PATCH carries at most %d operations; this one has %d", maxPatchOperations, tc.n)
			if err.Status != http.StatusBadRequest || err.ScimType != scimerr.ScimTypeInvalidValue || err.Detail != want {
				t.Errorf("got %d %s %q, want 400 invalidValue %q", err.Status, err.ScimType, err.Detail, want)
			}
		})
	}
}

// TestPatchNormalisationStopsWhenRequestEnds pins that normalising a PATCH
// stops when the request's context ends (a client that hung up gets no more
// CPU). issue 9 #7
func TestPatchNormalisationStopsWhenRequestEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := normalizePatch(ctx, userSchemas(), wholeExtensionPatch(10))
	if err == nil {
		t.Fatal("normalizePatch ran to the end on a cancelled request")
	}
	if err.Detail != "request cancelled" {
		t.Errorf("detail %q, want %q", err.Detail, "request cancelled")
	}
}
