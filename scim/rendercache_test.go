package scim

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/roster-dev/roster/db"
)

// TestRenderCacheGivesTheUncachedBytes (issue 15): a user's document from
// the render cache, on the miss that fills it and on the hits after, encodes
// to exactly the bytes of the uncached rendering, with and without groups
// and an expected type; a row that differs in any column it was rendered
// from is rendered afresh, never served from the entry of the same version.
func TestRenderCacheGivesTheUncachedBytes(t *testing.T) {
	h := NewHandler(nil, Options{BaseURL: "https://roster.test/scim/v2"}).(*handler)
	r := h.users
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var users []db.User
	for i, attrs := range []string{
		``, `{}`, `{"name":{"givenName":"x"}}`,
		`{"_roster":{"derivedGiven":true},"displayName":"A <b> & \"c\"","emails":[{"value":"other@x.test","type":"home"}],"nickName":"ünï ✓"}`,
		`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"m1"}},"emails":[{"value":"u@x.test","primary":true,"type":"work"}],"phoneNumbers":[{"value":"+1","type":"work"},null]}`,
		`{"emails":[{"value":"a@x.test","primary":true},{"value":"b@x.test","primary":true}],"addresses":[]}`,
	} {
		users = append(users, db.User{ID: "id-" + string(rune('a'+i)), TeamID: "t", Email: "u@x.test", UserName: "user<" + string(rune('a'+i)) + ">",
			FirstName: "F", LastName: "L", Status: db.StatusActive, Type: db.TypeStandard, Source: db.SourceSCIM,
			ExternalID: []string{"", "ext-1"}[i%2], Attributes: json.RawMessage(attrs), Version: int64(i + 1), CreatedAt: t0, UpdatedAt: t0.Add(time.Second)})
	}
	for _, f := range []string{"testdata/entra_user_create.json", "testdata/okta_user_create.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		u := db.User{ID: "id-" + f, Version: 3, CreatedAt: t0, UpdatedAt: t0, Status: db.StatusInactive, Type: db.TypeExternal}
		if _, err := docToUser(doc, &u, true); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	views := []userView{{}, {withGroups: true, groups: []db.Group{{ID: "g<1>", DisplayName: "G & H"}, {ID: "g2", DisplayName: "G2"}}},
		{withGroups: true, expected: db.TypeStandard, hasExpected: true}, {expected: db.TypeExternal, hasExpected: true}}
	check := func(u db.User) {
		t.Helper()
		for _, v := range views {
			want, err := appendJSON(nil, r.full(u, v))
			if err != nil {
				t.Fatal(err)
			}
			for pass := 0; pass < 2; pass++ { // a miss, then a hit
				doc, err := r.encodedFull(u, v)
				if err != nil {
					t.Fatal(err)
				}
				got, err := appendJSON(nil, doc)
				if err != nil || string(got) != string(want) {
					t.Fatalf("user %s pass %d: cached\n %s\nuncached\n %s", u.ID, pass, got, want)
				}
			}
		}
	}
	for _, u := range users {
		check(u)
	}
	// The same id and version with any rendered column changed is not
	// served from the entry.
	u := users[4]
	for _, change := range []func(*db.User){
		func(u *db.User) { u.Attributes = json.RawMessage(`{"nickName":"changed"}`) },
		func(u *db.User) { u.UserName = "renamed" },
		func(u *db.User) { u.Email = "new@x.test" },
		func(u *db.User) { u.FirstName = "G" },
		func(u *db.User) { u.LastName = "M" },
		func(u *db.User) { u.Status = db.StatusInactive },
		func(u *db.User) { u.ExternalID = "other" },
		func(u *db.User) { u.UpdatedAt = u.UpdatedAt.Add(time.Millisecond) },
		func(u *db.User) { u.CreatedAt = u.CreatedAt.Add(time.Millisecond) },
	} {
		c := u
		change(&c)
		check(c)
		check(u)
	}
}
