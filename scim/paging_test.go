package scim_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/scim"
)

// walkCursor follows nextCursor from the first page of path (which has no
// cursor parameter yet) and returns every page; between pages it calls
// each of between.
func (e *env) walkCursor(t *testing.T, tn tenant, path string, between ...func()) []resp {
	t.Helper()
	var pages []resp
	cursor := ""
	for len(pages) <= 50 {
		r := e.do(tn, "GET", path+"&cursor="+url.QueryEscape(cursor), nil).want(t, 200)
		pages = append(pages, r)
		next, _ := r.body["nextCursor"].(string)
		if next == "" {
			return pages
		}
		cursor = next
		for _, f := range between {
			f()
		}
	}
	t.Fatalf("cursor paging of %s does not end", path)
	return nil
}

func ids(r resp) []string {
	var out []string
	for _, x := range r.body["Resources"].([]any) {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return out
}

// issue 9 #8: on SQLite every Groups page after the first was a 500 (no
// such table: "groups"), by startIndex and by offset cursor alike.
func TestGroupsPagesAfterTheFirst(t *testing.T) {
	forEachDialect(t, scim.Options{}, func(t *testing.T, e *env) {
		const n = 7
		for i := 0; i < n; i++ {
			e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup},
				"displayName": fmt.Sprintf("g%d", (i*3)%n)}).want(t, 201)
		}
		for _, q := range []string{"", "&sortBy=displayName", "&sortBy=displayName&sortOrder=descending", "&sortBy=meta.created"} {
			all := ids(e.do(e.a, "GET", "/Groups?count=100"+q, nil).want(t, 200))
			if len(all) != n {
				t.Fatalf("%s: %d groups, want %d", q, len(all), n)
			}
			var byIndex []string
			for start := 1; start <= n; start += 2 {
				r := e.do(e.a, "GET", fmt.Sprintf("/Groups?count=2&startIndex=%d%s", start, q), nil).want(t, 200)
				if r.total() != n {
					t.Errorf("%s startIndex=%d: totalResults %d, want %d", q, start, r.total(), n)
				}
				byIndex = append(byIndex, ids(r)...)
			}
			var byCursor []string
			for _, r := range e.walkCursor(t, e.a, "/Groups?count=2"+q) {
				byCursor = append(byCursor, ids(r)...)
			}
			if fmt.Sprint(byIndex) != fmt.Sprint(all) || fmt.Sprint(byCursor) != fmt.Sprint(all) {
				t.Errorf("%s: pages differ from the whole list:\nall     %v\nindex   %v\ncursor  %v", q, all, byIndex, byCursor)
			}
		}
	})
}

// issue 9 #13: cursor paging cached the count after the cursor as the
// query's total, and totals were cached for 2 s across writes that bypass
// SCIM. Every list answers the exact total, whatever came before it.
func TestListTotalsExactAfterCursorsAndOtherWriters(t *testing.T) {
	// A clock the test moves: a client pauses between pages.
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	pause := func() { mu.Lock(); now = now.Add(3 * time.Second); mu.Unlock() }
	forEachDialect(t, scim.Options{Now: clock}, func(t *testing.T, e *env) {
		ctx := context.Background()
		for i := 0; i < 7; i++ {
			e.createUser(e.a, fmt.Sprintf("u%d@example.com", i))
		}
		want := 8 // with the team's primary admin
		checkTotal := func(step string) {
			t.Helper()
			for _, path := range []string{"/Users?count=3", "/Users?count=3&startIndex=4", "/Users?count=0",
				"/Users?count=2&startIndex=7&sortBy=userName"} {
				r := e.do(e.a, "GET", path, nil).want(t, 200)
				if r.total() != want {
					t.Errorf("%s: GET %s: totalResults %d, want %d", step, path, r.total(), want)
				}
				if n := len(r.body["Resources"].([]any)); n > r.total() {
					t.Errorf("%s: GET %s: %d resources but totalResults %d", step, path, n, r.total())
				}
			}
		}
		// Cursor paging first: its later pages must not leave their
		// "matches after the cursor" count behind as the query's total.
		for _, r := range e.walkCursor(t, e.a, "/Users?count=3", pause) {
			if r.total() != want {
				t.Errorf("cursor page: totalResults %d, want %d", r.total(), want)
			}
		}
		checkTotal("after cursor paging")

		// Writers that bypass SCIM: the admin API, directory sync and SSO
		// JIT all write through the store.
		u, err := e.store.CreateUser(ctx, e.a.teamID, db.NewUser{Email: "admin-api@example.com", FirstName: "A",
			LastName: "B", Source: db.SourceAdmin}, operator)
		if err != nil {
			t.Fatal(err)
		}
		want++
		checkTotal("after a store create")
		if err := e.store.DeleteUser(ctx, e.a.teamID, u.ID, operator); err != nil {
			t.Fatal(err)
		}
		want--
		checkTotal("after a store delete")

		e.do(e.a, "GET", "/Groups?count=1", nil).want(t, 200)
		if _, err := e.store.CreateGroup(ctx, e.a.teamID, db.NewGroup{DisplayName: "direct", Source: db.SourceAdmin}, operator); err != nil {
			t.Fatal(err)
		}
		if r := e.do(e.a, "GET", "/Groups?count=1", nil).want(t, 200); r.total() != 1 {
			t.Errorf("groups after a store create: totalResults %d, want 1", r.total())
		}
	})
}
