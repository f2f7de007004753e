package scim_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/scim"
)

var testCursorKey = []byte("0123456789abcdef0123456789abcdef")

// issue 9 #5: cursors were base64 of "i<id>" or "o<offset>", accepted by any
// team, endpoint, filter and sort. Now a cursor continues only the list it
// was issued for; anything else is 400 invalidCursor.
func TestCursorsAreBoundToTheirQuery(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{CursorKey: testCursorKey})
	for i := 0; i < 6; i++ {
		e.createUser(e.a, fmt.Sprintf("u%d@example.com", i))
		e.createUser(e.b, fmt.Sprintf("u%d@example.com", i))
		e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": fmt.Sprintf("g%d", i)}).want(t, 201)
	}
	filter := "&filter=" + url.QueryEscape(`userName sw "u"`)
	next := func(tn tenant, path string) string {
		t.Helper()
		r := e.do(tn, "GET", path+"&cursor=", nil).want(t, 200)
		c, _ := r.body["nextCursor"].(string)
		if c == "" {
			t.Fatalf("GET %s: no nextCursor: %s", path, r.raw)
		}
		return c
	}
	byID := next(e.a, "/Users?count=2"+filter)                      // keyset cursor
	sorted := next(e.a, "/Users?count=2&sortBy=userName"+filter)    // offset cursor
	groups := next(e.a, "/Groups?count=2")                          // keyset cursor of groups
	groupsSorted := next(e.a, "/Groups?count=2&sortBy=displayName") // offset cursor of groups
	flip := func(c string, i int) string {
		b, _ := base64.RawURLEncoding.DecodeString(c)
		b[(i+len(b))%len(b)] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	legacy := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	other := http.StripPrefix("/scim/v2", scim.NewHandler(e.store, scim.Options{BaseURL: base, TokenCacheTTL: -1,
		CursorKey: []byte("another key, another deployment")}))
	replica := http.StripPrefix("/scim/v2", scim.NewHandler(e.store, scim.Options{BaseURL: base, TokenCacheTTL: -1,
		CursorKey: testCursorKey}))
	for _, tc := range []struct {
		name   string
		h      http.Handler // nil: e.h
		tn     *tenant      // nil: team A
		path   string       // without the cursor
		cursor string
		ok     bool
	}{
		{"same query", nil, nil, "/Users?count=2" + filter, byID, true},
		{"same filter written differently", nil, nil, "/Users?count=2&filter=" + url.QueryEscape(`userName  SW  "u"`), byID, true},
		{"same query, other count", nil, nil, "/Users?count=5" + filter, byID, true},
		{"sorted, same query", nil, nil, "/Users?count=2&sortBy=userName" + filter, sorted, true},
		{"replica with the same key", replica, nil, "/Users?count=2" + filter, byID, true},
		{"groups, same query", nil, nil, "/Groups?count=2", groups, true},
		{"groups sorted, same query", nil, nil, "/Groups?count=2&sortBy=displayName", groupsSorted, true},

		{"other team", nil, &e.b, "/Users?count=2" + filter, byID, false},
		{"other team, sorted", nil, &e.b, "/Users?count=2&sortBy=userName" + filter, sorted, false},
		{"other endpoint", nil, nil, "/Groups?count=2", byID, false},
		{"users cursor on groups, sorted", nil, nil, "/Groups?count=2&sortBy=displayName", sorted, false},
		{"groups cursor on users", nil, nil, "/Users?count=2", groups, false},
		{"other filter", nil, nil, "/Users?count=2&filter=" + url.QueryEscape(`userName sw "u1"`), byID, false},
		{"no filter", nil, nil, "/Users?count=2", byID, false},
		{"other sortBy", nil, nil, "/Users?count=2&sortBy=externalId" + filter, sorted, false},
		{"other sortOrder", nil, nil, "/Users?count=2&sortBy=userName&sortOrder=descending" + filter, sorted, false},
		{"keyset cursor on a sorted list", nil, nil, "/Users?count=2&sortBy=userName" + filter, byID, false},
		{"offset cursor on the id order", nil, nil, "/Users?count=2" + filter, sorted, false},
		{"other key", other, nil, "/Users?count=2" + filter, byID, false},
		{"altered first byte", nil, nil, "/Users?count=2" + filter, flip(byID, 0), false},
		{"altered position", nil, nil, "/Users?count=2" + filter, flip(byID, 3), false},
		{"altered offset", nil, nil, "/Users?count=2&sortBy=userName" + filter, flip(sorted, 2), false},
		{"altered MAC", nil, nil, "/Users?count=2" + filter, flip(byID, -1), false},
		{"truncated", nil, nil, "/Users?count=2" + filter, byID[:len(byID)-3], false},
		{"old unsigned id cursor", nil, nil, "/Users?count=2", legacy("i" + e.a.teamID), false},
		{"old unsigned offset cursor", nil, nil, "/Users?count=2&sortBy=userName", legacy("o2"), false},
		{"not base64", nil, nil, "/Users?count=2", "garbage!", false},
		{"huge", nil, nil, "/Users?count=2", strings.Repeat("A", 100000), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tn := e.a
			if tc.tn != nil {
				tn = *tc.tn
			}
			saved := e.h
			if tc.h != nil {
				e.h = tc.h
			}
			defer func() { e.h = saved }()
			path := tc.path + "&cursor=" + url.QueryEscape(tc.cursor)
			if !tc.ok {
				if r := e.do(tn, "GET", path, nil).want(t, 400); r.scimType() != "invalidCursor" {
					t.Errorf("scimType %q, want invalidCursor", r.scimType())
				}
				return
			}
			if r := e.do(tn, "GET", path, nil).want(t, 200); len(r.body["Resources"].([]any)) == 0 {
				t.Errorf("an empty page: %s", r.raw)
			}
		})
	}
	// /.search takes the same cursors as GET.
	body := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
		"filter": `userName sw "u"`, "count": 2, "cursor": byID}
	e.do(e.a, "POST", "/Users/.search", body).want(t, 200)
	if r := e.do(e.b, "POST", "/Users/.search", body).want(t, 400); r.scimType() != "invalidCursor" {
		t.Errorf("search with another team's cursor: scimType %q", r.scimType())
	}
}
