package scim

import (
	"reflect"
	"testing"

	filter "github.com/scim2/filter-parser/v2"
)

// TestParseSimpleFilter: the fast path gives the parser's result exactly, and
// leaves everything else (and everything the parser rejects) to the parser.
func TestParseSimpleFilter(t *testing.T) {
	for _, tc := range []struct {
		f    string
		fast bool
	}{
		{`userName eq "bjensen@example.com"`, true},
		{`userName EQ "x"`, true},
		{`userName  Eq   "x"`, true},
		{`name.familyName sw "O'Malley"`, true},
		{`externalId eq ""`, true},
		{`displayName co "Zoë ✓ [a] (b) and c"`, true},
		{`a-b_1 ne "x"`, true},
		{`userName eq "a\"b"`, false},
		{`userName eq "a\\b"`, false},
		{`userName eq "x" and active eq true`, false},
		{`active eq true`, false},
		{`meta.lastModified gt "2011-05-13T04:42:34Z"`, true},
		{`emails[type eq "work"].value eq "x"`, false},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1"`, false},
		{`userName pr`, false},
		{`userName eq x`, false},
		{`userName xx "x"`, false},
		{`userName eq"x"`, false},
		{`userNameeq "x"`, false},
		{` userName eq "x"`, false},
		{`userName eq "x" `, false},
		{`1userName eq "x"`, false},
		{`$ref eq "x"`, false},
		{`userName eq "x"y"`, false},
		{"userName eq \"a\tb\"", false},
		{"userName eq \"a\xffb\"", false},
		{`userName eq "`, false},
		{`(userName eq "x")`, false},
	} {
		got, ok := parseSimpleFilter(tc.f)
		if ok != tc.fast {
			t.Errorf("%q: fast path %v, want %v", tc.f, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		want, err := filter.ParseFilter([]byte(tc.f))
		if err != nil {
			t.Errorf("%q: fast path took a filter the parser rejects: %v", tc.f, err)
			continue
		}
		if !reflect.DeepEqual(filter.Expression(got), want) {
			t.Errorf("%q: fast %#v, parser %#v", tc.f, got, want)
		}
	}
}

// TestParseSimpleValuePath: name[simple] gives the parser's value path, and
// a simple condition gives what ParseAttrExp gives.
func TestParseSimpleValuePath(t *testing.T) {
	for _, tc := range []struct {
		f    string
		fast bool
	}{
		{`emails[type eq "work"]`, true},
		{`members[value eq "2819c223-7f76-453a-919d-413861904646"]`, true},
		{`emails[type eq "work" and primary eq true]`, false},
		{`emails[type eq "work"] and userName eq "x"`, false},
		{`emails [type eq "work"]`, false},
		{`emails[type eq "a\"]"]`, false},
		{`urn:x:emails[type eq "work"]`, false},
		{`emails[]`, false},
	} {
		got, ok := parseSimpleValuePath(tc.f)
		if ok != tc.fast {
			t.Errorf("%q: fast path %v, want %v", tc.f, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		want, err := filter.ParseFilter([]byte(tc.f))
		if err != nil || !reflect.DeepEqual(filter.Expression(got), want) {
			t.Errorf("%q: fast %#v, parser %#v (%v)", tc.f, got, want, err)
		}
	}
	for _, c := range []string{`value eq "w1@example.com"`, `display Co "Ann"`} {
		got, ok := parseSimpleFilter(c)
		want, err := filter.ParseAttrExp([]byte(c))
		if !ok || err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("%q: fast %#v, ParseAttrExp %#v (%v)", c, got, want, err)
		}
	}
}
