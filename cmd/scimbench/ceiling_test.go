package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCeilingServesTheBenchWorkloads: the no-store ceiling answers every
// request the load generator sends with the status it expects, so the
// ratios compare the same work (the email value-path filter excepted: the
// library refuses it, and compare prints n/a for it).
func TestCeilingServesTheBenchWorkloads(t *testing.T) {
	h, err := ceilingHandler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := &bench{base: srv.URL + "/scim/v2", token: "x", run: "t", client: srv.Client()}
	ctx := context.Background()
	if r := b.create(ctx, 2, 20); r.errors != 0 || len(b.users) != 20 {
		t.Fatalf("create: %d errors (%s), %d users", r.errors, r.firstErr, len(b.users))
	}
	u := b.users[3]
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/Users/" + u.id, nil, 200},
		{"GET", "/Users/nope", nil, 404},
		{"GET", "/Users?filter=" + url.QueryEscape(`userName eq "`+u.userName+`"`), nil, 200},
		{"PATCH", "/Users/" + u.id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
			"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}}, 200},
	} {
		code, body, err := b.do(ctx, c.method, c.path, c.body)
		if err != nil || code != c.want {
			t.Errorf("%s %s = %d %v %s, want %d", c.method, c.path, code, err, body, c.want)
		}
		if strings.Contains(c.path, "filter=") {
			var lr struct{ TotalResults int }
			json.Unmarshal(body, &lr)
			if lr.TotalResults != 1 {
				t.Errorf("filter found %d users, want 1: %s", lr.TotalResults, body)
			}
		}
	}
	if r := b.listAll(ctx, 2); r.errors != 0 || r.n != 1 {
		t.Errorf("list: %d pages, %d errors (%s)", r.n, r.errors, r.firstErr)
	}
	grow, rm, err := b.group(ctx, 2, 20, 5)
	if err != nil || grow.errors != 0 || rm.errors != 0 {
		t.Fatalf("group: %v, %d/%d errors (%s %s)", err, grow.errors, rm.errors, grow.firstErr, rm.firstErr)
	}
}

// TestCompareRatios: compare divides Roster's rate by the ceiling's for the
// same workload, and refuses a ratio where either side had errors.
func TestCompareRatios(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rs []result) string {
		p := filepath.Join(dir, name)
		if err := writeResults(p, rs); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ro := write("roster.json", []result{{name: "GET", conc: 16, n: 300, elapsed: time.Second},
		{name: "list all pages of 100 (23 pages)", conc: 1, n: 23, elapsed: time.Second},
		{name: "filter", conc: 16, n: 10, elapsed: time.Second}})
	ce := write("ceiling.json", []result{{name: "GET", conc: 16, n: 600, elapsed: time.Second},
		{name: "list all pages of 100 (22 pages)", conc: 1, n: 46, elapsed: time.Second},
		{name: "filter", conc: 16, n: 10, errors: 10, elapsed: time.Second}})
	var out bytes.Buffer
	if err := runCompare(context.Background(), []string{"--roster", ro, "--ceiling", ce}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"0.50", "n/a (errors: roster 0, ceiling 10)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("compare output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "0.50") != 2 {
		t.Errorf("want GET and list both at 0.50 (list matched despite its page count):\n%s", out.String())
	}
	_ = os.Remove(ro)
}
