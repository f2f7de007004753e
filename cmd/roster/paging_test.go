package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
)

// TestUsersListPages: the CLI's users list and the admin API's GET /users
// page with limit and an after cursor; next is the cursor of the following
// page and empty on the last one (never a pointer to an empty page).
// issue 9 #16b.
func TestUsersListPages(t *testing.T) {
	c := newCLI(t)
	team := c.team("A", "pat@a.test")
	for i := 1; i <= 5; i++ {
		c.ok(nil, "users", "add", "--team", team, "--email", fmt.Sprintf("u%d@a.test", i), "--first-name", "U", "--last-name", "A")
	}
	var all []adminapi.UserView
	c.ok(&all, "users", "list", "--team", team, "-o", "json")
	var want []string
	for _, u := range all {
		want = append(want, u.ID)
	}
	if len(want) != 6 || !sort.StringsAreSorted(want) {
		t.Fatalf("users list without --limit = %v, want all 6 users by id", want)
	}

	t.Run("CLI", func(t *testing.T) {
		for _, limit := range []int{1, 2, 3, 6, 7} {
			var got []string
			after := ""
			for pages := 0; pages < 10; pages++ {
				args := []string{"users", "list", "--team", team, "-o", "json", "--limit", fmt.Sprint(limit)}
				if after != "" {
					args = append(args, "--after", after)
				}
				out, errs, code := c.run(args...)
				if code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, errs)
				}
				var page []adminapi.UserView
				if err := json.Unmarshal([]byte(out), &page); err != nil {
					t.Fatalf("%v: %v", args, err)
				}
				if len(page) > limit {
					t.Fatalf("%v: %d users", args, len(page))
				}
				for _, u := range page {
					got = append(got, u.ID)
				}
				// The next cursor is on stderr (stdout stays the JSON list).
				after = ""
				if i := strings.Index(errs, "--after "); i >= 0 {
					after = strings.Fields(errs[i+len("--after "):])[0]
				}
				if after == "" {
					break
				}
				if after != page[len(page)-1].ID {
					t.Fatalf("%v: next cursor %q is not the page's last id", args, after)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("limit %d: pages (-want +got):\n%s", limit, diff)
			}
		}
		c.fails("--limit", "users", "list", "--team", team, "--limit", "0")
		c.fails("--limit", "users", "list", "--team", team, "--limit", "1001")
	})

	t.Run("API", func(t *testing.T) {
		s := startServer(t, c)
		tok := adminToken(t, c, team, "pat@a.test")
		api := s.url + "/api/v1/teams/" + team + "/users"
		for _, limit := range []int{1, 2, 3, 6, 7} {
			var got []string
			after := ""
			for pages := 0; pages < 10; pages++ {
				r := call(t, "GET", fmt.Sprintf("%s?limit=%d&after=%s", api, limit, after), tok, "")
				if r.status != 200 {
					t.Fatalf("%d %v", r.status, r.body)
				}
				users, _ := r.body["users"].([]any)
				for _, u := range users {
					got = append(got, u.(map[string]any)["id"].(string))
				}
				after, _ = r.body["next"].(string)
				if after == "" {
					break
				}
				if len(users) == 0 {
					t.Fatalf("limit %d: a non-empty next led to an empty page", limit)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("limit %d: pages (-want +got):\n%s", limit, diff)
			}
		}
		r := call(t, "GET", api+"?limit=6", tok, "")
		if next := r.body["next"]; next != "" {
			t.Errorf("last full page: next = %v, want empty", next)
		}
		for _, q := range []string{"limit=0", "limit=1001", "limit=x"} {
			if r := call(t, "GET", api+"?"+q, tok, ""); r.status != 400 || r.code() != "limit_invalid" {
				t.Errorf("%s: %d %v", q, r.status, r.body)
			}
		}
	})
}
