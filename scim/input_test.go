package scim_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
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

func email(value, typ string, primary bool) map[string]any {
	m := map[string]any{"value": value}
	if typ != "" {
		m["type"] = typ
	}
	if primary {
		m["primary"] = true
	}
	return m
}

const patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

func patchBody(ops ...map[string]any) map[string]any {
	l := make([]any, len(ops))
	for i, o := range ops {
		l[i] = o
	}
	return map[string]any{"schemas": []string{patchOp}, "Operations": l}
}

// multiValued reads a multi-valued attribute of a response as comparable
// maps, with primary:false spelled out as absent (RFC 7643 §2.4: the default).
func multiValued(r resp, attr string) []map[string]any {
	list, _ := r.body[attr].([]any)
	out := []map[string]any{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		c := map[string]any{}
		for k, v := range m {
			if k == "primary" && v == false {
				continue
			}
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

// TestSCIMStoresNoJunkInMultiValuedAttributes pins the RFC 7643 §2.4 /
// RFC 7644 §3.5.2 rules for emails and phoneNumbers on create, PUT and
// PATCH: null elements are dropped, an element with attributes but no value
// is refused, at most one primary (a PATCH that sets a new primary clears
// the others), duplicate (type, value) pairs are merged, and a value-path
// add never creates an element without a value. issue 9 #14
func TestSCIMStoresNoJunkInMultiValuedAttributes(t *testing.T) {
	const a, b = "junk@alpha.example", "other@alpha.example"
	base := func() map[string]any { return userBody(a, a) } // one work email a, primary
	with := func(attr string, v ...any) map[string]any {
		m := base()
		m[attr] = v
		return m
	}
	for _, tc := range []struct {
		name     string
		method   string // POST (create), PUT or PATCH (on a user created from base())
		body     map[string]any
		code     int
		scimType string
		detail   string
		attr     string
		want     []map[string]any
	}{
		{name: "create drops a null-valued email", method: "POST",
			body: with("emails", email(a, "work", true), map[string]any{"value": nil}),
			code: 201, attr: "emails", want: []map[string]any{email(a, "work", true)}},
		{name: "create drops a null email element", method: "POST",
			body: with("emails", email(a, "work", true), nil),
			code: 201, attr: "emails", want: []map[string]any{email(a, "work", true)}},
		{name: "create refuses an email with a type but no value", method: "POST",
			body: with("emails", email(a, "work", true), map[string]any{"type": "home", "value": nil}),
			code: 400, scimType: "invalidValue", detail: "emails[2] has no value; every emails element needs one"},
		{name: "create refuses two primary emails", method: "POST",
			body: with("emails", email(a, "work", true), email(b, "home", true)),
			code: 400, scimType: "invalidValue", detail: "emails has more than one primary value; at most one may be primary (RFC 7643 §2.4)"},
		{name: "create merges duplicate (type, value) emails", method: "POST",
			body: with("emails", email(a, "work", false), map[string]any{"value": "JUNK@alpha.example", "type": "Work", "primary": true, "display": "J"}),
			code: 201, attr: "emails", want: []map[string]any{{"value": a, "type": "work", "primary": true, "display": "J"}}},
		{name: "create keeps the same value with another type", method: "POST",
			body: with("emails", email(a, "work", true), email(a, "home", false)),
			code: 201, attr: "emails", want: []map[string]any{email(a, "work", true), email(a, "home", false)}},
		{name: "create refuses two primary phone numbers", method: "POST",
			body: with("phoneNumbers", map[string]any{"value": "+1 555 0100", "primary": true}, map[string]any{"value": "+1 555 0101", "primary": true}),
			code: 400, scimType: "invalidValue", detail: "phoneNumbers has more than one primary value; at most one may be primary (RFC 7643 §2.4)"},
		{name: "create drops null phone numbers and merges duplicates", method: "POST",
			body: with("phoneNumbers", map[string]any{"value": nil}, map[string]any{"value": "+1 555 0100", "type": "work"}, map[string]any{"value": "+1 555 0100", "type": "work"}),
			code: 201, attr: "phoneNumbers", want: []map[string]any{{"value": "+1 555 0100", "type": "work"}}},
		{name: "PUT refuses two primary emails", method: "PUT",
			body: with("emails", email(a, "work", true), email(b, "home", true)),
			code: 400, scimType: "invalidValue", detail: "emails has more than one primary value; at most one may be primary (RFC 7643 §2.4)"},
		{name: "PUT drops a null-valued email", method: "PUT",
			body: with("emails", map[string]any{"value": nil}, email(a, "work", true)),
			code: 200, attr: "emails", want: []map[string]any{email(a, "work", true)}},
		{name: "PATCH add of a new primary makes the old one non-primary", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": "emails", "value": []any{email(b, "home", true)}}),
			code: 200, attr: "emails", want: []map[string]any{email(a, "work", false), email(b, "home", true)}},
		{name: "PATCH value-path primary moves the primary", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": "emails", "value": []any{email(b, "home", false)}},
				map[string]any{"op": "replace", "path": `emails[type eq "home"].primary`, "value": true}),
			code: 200, attr: "emails", want: []map[string]any{email(a, "work", false), email(b, "home", true)}},
		{name: "PATCH add of an existing (type, value) merges", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "Junk@Alpha.example", "type": "work", "display": "J"}}}),
			code: 200, attr: "emails", want: []map[string]any{{"value": a, "type": "work", "primary": true, "display": "J"}}},
		{name: "PATCH add of two primaries in one value is refused", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": "emails", "value": []any{email(b, "home", true), email("third@alpha.example", "other", true)}}),
			code: 400, scimType: "invalidValue", detail: "emails has more than one primary value; at most one may be primary (RFC 7643 §2.4)"},
		{name: "PATCH add of a null-valued email adds nothing", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": nil}}}),
			code: 200, attr: "emails", want: []map[string]any{email(a, "work", true)}},
		{name: "PATCH value-path add without a value creates nothing", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": `emails[type eq "home"].display`, "value": "Home"}),
			code: 400, scimType: "noTarget", detail: `no value matches emails[type eq "home"]; a new emails element needs a value`},
		{name: "PATCH value-path replace of the value creates the email", method: "PATCH",
			body: patchBody(map[string]any{"op": "replace", "path": `emails[type eq "home"].value`, "value": b}),
			code: 200, attr: "emails", want: []map[string]any{email(a, "work", true), email(b, "home", false)}},
		{name: "PATCH that removes an email's value is refused", method: "PATCH",
			body: patchBody(map[string]any{"op": "remove", "path": `emails[type eq "work"].value`}),
			code: 400, scimType: "invalidValue", detail: "emails[1] has no value; every emails element needs one"},
		{name: "PATCH path-less replace of emails with two primaries is refused", method: "PATCH",
			body: patchBody(map[string]any{"op": "replace", "value": map[string]any{"emails": []any{email(a, "work", true), email(b, "home", true)}}}),
			code: 400, scimType: "invalidValue", detail: "emails has more than one primary value; at most one may be primary (RFC 7643 §2.4)"},
		{name: "PATCH add of a new primary phone number clears the old", method: "PATCH",
			body: patchBody(map[string]any{"op": "add", "path": "phoneNumbers", "value": []any{map[string]any{"value": "1", "primary": true}}},
				map[string]any{"op": "add", "path": "phoneNumbers", "value": []any{map[string]any{"value": "2", "primary": true}}}),
			code: 200, attr: "phoneNumbers", want: []map[string]any{{"value": "1"}, {"value": "2", "primary": true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, gormdb.SQLite, scim.Options{})
			path := "/Users"
			before := ""
			if tc.method != "POST" {
				r := e.do(e.a, "POST", "/Users", base()).want(t, 201)
				path += "/" + r.str("id")
				before = e.do(e.a, "GET", path, nil).raw
			}
			r := e.do(e.a, tc.method, path, tc.body).want(t, tc.code)
			if tc.code >= 400 {
				if r.scimType() != tc.scimType || r.str("detail") != tc.detail {
					t.Errorf("got %s %q, want %s %q", r.scimType(), r.str("detail"), tc.scimType, tc.detail)
				}
				if before != "" {
					if after := e.do(e.a, "GET", path, nil).raw; after != before {
						t.Errorf("a refused %s wrote:\nbefore %s\nafter  %s", tc.method, before, after)
					}
				}
				return
			}
			if diff := cmp.Diff(tc.want, multiValued(r, tc.attr)); diff != "" {
				t.Errorf("%s in the response (-want +got):\n%s", tc.attr, diff)
			}
			g := e.do(e.a, "GET", "/Users/"+r.str("id"), nil).want(t, 200)
			if diff := cmp.Diff(tc.want, multiValued(g, tc.attr)); diff != "" {
				t.Errorf("%s stored (-want +got):\n%s", tc.attr, diff)
			}
		})
	}
}

// TestStoredJunkIsRepairedOnRead pins that a user stored before the
// multi-valued rules (an empty email, two primaries, a duplicate) is shown
// repaired and can still be patched: the junk never blocks an IdP's
// unrelated PATCH (an invalid secondary address is only refused once a
// PATCH changes the emails). issue 9 #14
func TestStoredJunkIsRepairedOnRead(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	const a, b = "legacy@alpha.example", "legacy2@alpha.example"
	id := e.createUser(e.a, a)
	junk := `{"emails":[{"value":"` + a + `","type":"work","primary":true},{},{"value":"` + b + `","type":"home","primary":true},{"value":"` + a + `","type":"work"},{"value":"not an address","type":"other"}]}`
	if _, err := e.store.UpdateSCIMUser(context.Background(), e.a.teamID, id, 0, operator, func(u *db.User, _ *[]db.UserEmail) error {
		u.Attributes = []byte(junk)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{email(a, "work", true), email(b, "home", false), email("not an address", "other", false)}
	r := e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)
	if diff := cmp.Diff(want, multiValued(r, "emails")); diff != "" {
		t.Errorf("GET of stored junk (-want +got):\n%s", diff)
	}
	r = e.do(e.a, "PATCH", "/Users/"+id, patchBody(map[string]any{"op": "replace", "path": "active", "value": false})).want(t, 200)
	if diff := cmp.Diff(want, multiValued(r, "emails")); diff != "" {
		t.Errorf("PATCH over stored junk (-want +got):\n%s", diff)
	}
	// A PATCH that changes emails has every value checked.
	r = e.do(e.a, "PATCH", "/Users/"+id, patchBody(map[string]any{"op": "add", "path": "emails", "value": []any{email("third@alpha.example", "", false)}})).want(t, 400)
	if r.str("detail") != `emails[].value "not an address" is not a valid email address` {
		t.Errorf("PATCH of emails over an invalid stored value: %s", r.raw)
	}
}

// findUnassigned returns the JSON paths in v that hold null, [] or {}.
func findUnassigned(path string, v any) []string {
	var out []string
	switch x := v.(type) {
	case nil:
		out = append(out, path)
	case []any:
		if len(x) == 0 {
			out = append(out, path)
		}
		for i, e := range x {
			out = append(out, findUnassigned(fmt.Sprintf("%s[%d]", path, i), e)...)
		}
	case map[string]any:
		if len(x) == 0 && path != "" {
			out = append(out, path)
		}
		for k, e := range x {
			out = append(out, findUnassigned(path+"/"+k, e)...)
		}
	}
	return out
}

// TestUnassignedAttributesLeftOut pins RFC 7643 §2.5 in responses: null,
// empty lists and empty objects are unassigned and left out ("roles": []
// came back as "roles": null; a user in no group had "groups": [], an
// empty group "members": []). issue 9 #15
func TestUnassignedAttributesLeftOut(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	u := userBody("empty@alpha.example", "empty@alpha.example")
	u["roles"] = []any{}
	u["phoneNumbers"] = []any{}
	u["x509Certificates"] = nil
	u["name"] = map[string]any{"givenName": "Given", "familyName": "Family", "middleName": nil}
	u[scim.URNEnterprise] = map[string]any{"department": nil, "manager": map[string]any{}}
	u["schemas"] = []string{scim.URNUser, scim.URNEnterprise}
	created := e.do(e.a, "POST", "/Users", u).want(t, 201)
	id := created.str("id")
	put := userBody("empty@alpha.example", "empty@alpha.example")
	put["entitlements"] = []any{}
	put["addresses"] = []any{map[string]any{"type": nil}}
	for _, tc := range []struct {
		name string
		r    resp
	}{
		{"POST /Users", created},
		{"GET /Users/{id}", e.do(e.a, "GET", "/Users/"+id, nil).want(t, 200)},
		{"GET /Users", e.do(e.a, "GET", "/Users?filter="+url.QueryEscape(`userName eq "empty@alpha.example"`), nil).want(t, 200)},
		{"PATCH /Users/{id}", e.do(e.a, "PATCH", "/Users/"+id, patchBody(map[string]any{"op": "add", "path": "roles", "value": []any{}})).want(t, 200)},
		{"PUT /Users/{id}", e.do(e.a, "PUT", "/Users/"+id, put).want(t, 200)},
		{"POST /Groups", e.do(e.a, "POST", "/Groups", map[string]any{"schemas": []string{scim.URNGroup}, "displayName": "empty", "members": []any{}}).want(t, 201)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := findUnassigned("", tc.r.body); len(got) > 0 {
				t.Errorf("unassigned attributes in the response: %v\n%s", got, tc.r.raw)
			}
		})
	}
	g := e.do(e.a, "GET", "/Groups?filter="+url.QueryEscape(`displayName eq "empty"`), nil).want(t, 200)
	if got := findUnassigned("", g.body); len(got) > 0 {
		t.Errorf("unassigned attributes in the group list: %v\n%s", got, g.raw)
	}
}

// schemaAttr finds an attribute (a/b for a sub-attribute) in a served schema.
func schemaAttr(sch map[string]any, path string) map[string]any {
	attrs, _ := sch["attributes"].([]any)
	name, sub, _ := strings.Cut(path, "/")
	for _, a := range attrs {
		m, _ := a.(map[string]any)
		if m["name"] != name {
			continue
		}
		if sub == "" {
			return m
		}
		return schemaAttr(map[string]any{"attributes": m["subAttributes"]}, sub)
	}
	return nil
}

// TestDiscoveryAdvertisesEmailRequirement pins that /Schemas tells a strict
// client every requirement Roster enforces on users: an email address (an
// email-shaped userName or emails[].value), a value in every multi-valued
// element, one primary, and the length limits; and that the create error is
// precise. issue 9 #15
func TestDiscoveryAdvertisesEmailRequirement(t *testing.T) {
	e := newEnv(t, gormdb.SQLite, scim.Options{})
	one := e.do(e.a, "GET", "/Schemas/"+scim.URNUser, nil).want(t, 200)
	list := e.do(e.a, "GET", "/Schemas", nil).want(t, 200)
	var fromList map[string]any
	for _, s := range list.body["Resources"].([]any) {
		if m := s.(map[string]any); m["id"] == scim.URNUser {
			fromList = m
		}
	}
	for _, sch := range []map[string]any{one.body, fromList} {
		for _, tc := range []struct {
			attr     string
			required bool
			mentions []string
		}{
			{"userName", true, []string{"email address", "255 characters"}},
			{"emails", false, []string{"Required unless userName is an email address", "one primary"}},
			{"emails/value", true, []string{"valid email address"}},
			{"phoneNumbers/value", true, nil},
			{"name/givenName", false, []string{"255 characters"}},
		} {
			a := schemaAttr(sch, tc.attr)
			if a == nil {
				t.Errorf("%s not in the User schema", tc.attr)
				continue
			}
			if a["required"] != tc.required {
				t.Errorf("%s required = %v, want %v", tc.attr, a["required"], tc.required)
			}
			for _, s := range tc.mentions {
				if d, _ := a["description"].(string); !strings.Contains(d, s) {
					t.Errorf("%s description %q does not mention %q", tc.attr, d, s)
				}
			}
		}
		if d, _ := sch["description"].(string); !strings.Contains(d, "email address") {
			t.Errorf("User schema description %q does not state the email requirement", d)
		}
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		detail string
	}{
		{"no email at all", map[string]any{"schemas": []string{scim.URNUser}, "userName": "bob"},
			`Roster needs an email address: userName "bob" is not one, and no emails[].value was sent`},
		{"an email that is not an address", map[string]any{"schemas": []string{scim.URNUser}, "userName": "bob",
			"emails": []any{map[string]any{"value": "bob at example"}}},
			`emails[].value "bob at example" is not a valid email address`},
	} {
		r := e.do(e.a, "POST", "/Users", tc.body).want(t, 400)
		if r.scimType() != "invalidValue" || r.str("detail") != tc.detail {
			t.Errorf("%s: got %s %q, want invalidValue %q", tc.name, r.scimType(), r.str("detail"), tc.detail)
		}
	}
}
