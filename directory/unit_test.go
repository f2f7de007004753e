package directory

import (
	"errors"
	"strings"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
)

func TestGUIDString(t *testing.T) {
	// AD stores the first three GUID fields little-endian.
	raw := []byte{0x19, 0x3b, 0x43, 0x68, 0xf8, 0x28, 0x2a, 0x4d, 0x9e, 0x3c, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	if got, want := GUIDString(raw), "68433b19-28f8-4d2a-9e3c-001122334455"; got != want {
		t.Errorf("GUIDString = %s, want %s", got, want)
	}
	if GUIDString(raw[:15]) != "" {
		t.Error("a short GUID must not render")
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		name   string
		want   valueRange
		errors bool
	}{
		{"member", valueRange{base: "member", hi: -1}, false},
		{"member;range=0-1499", valueRange{base: "member", lo: 0, hi: 1499, ranged: true}, false},
		{"member;range=1500-*", valueRange{base: "member", lo: 1500, hi: -1, ranged: true}, false},
		{"Member;Range=3000-4499", valueRange{base: "Member", lo: 3000, hi: 4499, ranged: true}, false},
		// issue 9 (fuzzing): malformed ranges are errors, not the last chunk
		{"member;range=0-x", valueRange{base: "member", ranged: true}, true},
		{"member;range=0--5", valueRange{base: "member", ranged: true}, true},
		{"member;range=5-4", valueRange{base: "member", lo: 5, ranged: true}, true},
		{"member;range=-1-*", valueRange{base: "member", ranged: true}, true},
		{"member;range=0-9223372036854775807", valueRange{base: "member", ranged: true}, true},
		{"member;range=1500", valueRange{base: "member", ranged: true}, true},
		// issue 9 (FuzzLDAPEntry crasher 61d33977344bce96): a non-UTF-8 byte
		// before the option made the lower-cased copy longer than the name,
		// and slicing the name at its index panicked
		{"\x8a;rAnge=0-1", valueRange{base: "\x8a", lo: 0, hi: 1, ranged: true}, false},
		{"\xc3member;range=0-*", valueRange{base: "\xc3member", lo: 0, hi: -1, ranged: true}, false},
	}
	for _, tc := range tests {
		got, err := parseRange(tc.name)
		if got != tc.want || (err != nil) != tc.errors {
			t.Errorf("parseRange(%q) = %+v, %v; want %+v, error %v", tc.name, got, err, tc.want, tc.errors)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url      string
		startTLS bool
		code     string
	}{
		{"ldaps://dc.example.test:636", false, ""},
		{"ldap://dc.example.test:389", true, ""},
		{"ldap://dc.example.test:389", false, "plaintext_refused"},
		{"ldaps://dc.example.test", true, "starttls_ldaps"},
		{"http://dc.example.test", false, "url_invalid"},
		{"dc.example.test", false, "url_invalid"},
	}
	for _, tc := range tests {
		_, err := CheckURL(tc.url, tc.startTLS)
		var de *db.Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("CheckURL(%q, %v) = %v", tc.url, tc.startTLS, err)
		case tc.code != "" && (!errors.As(err, &de) || de.Code != tc.code):
			t.Errorf("CheckURL(%q, %v) = %v, want %s", tc.url, tc.startTLS, err, tc.code)
		}
	}
}

func TestNormalizePin(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	colons := strings.ToUpper(strings.TrimSuffix(strings.Repeat("AB:", 32), ":"))
	for _, in := range []string{hex, colons, " " + hex + " "} {
		if got, err := NormalizePin(in); err != nil || got != hex {
			t.Errorf("NormalizePin(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "abcd", strings.Repeat("zz", 32), strings.Repeat("ab", 20)} {
		if _, err := NormalizePin(bad); !errors.Is(err, db.ErrInvalid) {
			t.Errorf("NormalizePin(%q) accepted", bad)
		}
	}
}

func TestDeleteLimit(t *testing.T) {
	tests := []struct {
		users, own, want int
	}{
		{0, 0, 0}, {4, 0, 1}, {5, 0, 1}, {24, 0, 5}, {1000, 0, 200}, {2500, 0, 500}, {100000, 0, 500}, {100000, 42, 42},
	}
	for _, tc := range tests {
		if got := DeleteLimit(db.DirectoryConnection{DeleteLimit: tc.own}, tc.users); got != tc.want {
			t.Errorf("DeleteLimit(own %d, %d users) = %d, want %d", tc.own, tc.users, got, tc.want)
		}
	}
}

// Values placed in filters are escaped (RFC 4515): a group DN holding filter
// syntax matches literally and cannot widen the search.
func TestFilterEscaping(t *testing.T) {
	for _, dn := range []string{"cn=a*)(uid=*,dc=x", `cn=back\slash,dc=x`, "cn=nul\x00,dc=x", "cn=Jürgen,dc=x"} {
		f := "(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=" + ldap.EscapeFilter(dn) + "))"
		p, err := ldap.CompileFilter(f)
		if err != nil {
			t.Errorf("escaped filter for %q does not compile: %v", dn, err)
			continue
		}
		if got, _ := ldap.DecompileFilter(p); strings.Count(got, "(") != 3 {
			t.Errorf("filter for %q has extra clauses: %s", dn, got)
		}
	}
	for _, bad := range []string{"(uid=*", "uid=a)(", "(&(uid=a)"} {
		if err := ValidateFilter(bad); !errors.Is(err, db.ErrInvalid) {
			t.Errorf("ValidateFilter(%q) accepted", bad)
		}
	}
	if err := ValidateFilter("objectClass=person"); err != nil {
		t.Errorf("a filter without parentheses: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	sealed, err := EncryptSecret(key, "Sync-Passw0rd!")
	if err != nil || strings.Contains(sealed, "Sync") {
		t.Fatalf("EncryptSecret = %q, %v", sealed, err)
	}
	if pw, err := ResolvePassword("enc:"+sealed, key, nil); err != nil || pw != "Sync-Passw0rd!" {
		t.Errorf("round trip = %q, %v", pw, err)
	}
	if _, err := ResolvePassword("enc:"+sealed, []byte(strings.Repeat("x", 32)), nil); err == nil {
		t.Error("opened with the wrong key")
	}
	env := func(k string) string { return map[string]string{"PW": "from-env"}[k] }
	if pw, err := ResolvePassword("env:PW", nil, env); err != nil || pw != "from-env" {
		t.Errorf("env = %q, %v", pw, err)
	}
	if _, err := ResolvePassword("hunter2", nil, env); err == nil {
		t.Error("a plaintext password reference was accepted")
	}
}

func TestFlattenCycle(t *testing.T) {
	a := &rawGroup{dn: "cn=a", members: []string{"uid=1", "cn=b"}}
	b := &rawGroup{dn: "cn=b", members: []string{"uid=2", "cn=a", "uid=1"}} // a and b contain each other
	byDN := map[string]*rawGroup{"cn=a": a, "cn=b": b}
	anchors := map[string]string{"uid=1": "u1", "uid=2": "u2"}
	if diff := cmp.Diff([]string{"u1", "u2"}, flatten(a, byDN, anchors)); diff != "" {
		t.Errorf("flatten(a) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"u2", "u1"}, flatten(b, byDN, anchors)); diff != "" {
		t.Errorf("flatten(b) (-want +got):\n%s", diff)
	}
}

func TestFillNames(t *testing.T) {
	tests := []struct {
		in          db.DirectoryUser
		full        string
		first, last string
	}{
		{db.DirectoryUser{LastName: "User00001"}, "Bulk User 00001", "Bulk", "User00001"},
		{db.DirectoryUser{FirstName: "Ada", LastName: "Lovelace"}, "x", "Ada", "Lovelace"},
		{db.DirectoryUser{LastName: "Anderson"}, "Alice Anderson", "Alice", "Anderson"},
		{db.DirectoryUser{UserName: "svc"}, "", "svc", "svc"},
		{db.DirectoryUser{Email: "jo@example.org"}, "", "jo", "jo"},
	}
	for _, tc := range tests {
		u := tc.in
		fillNames(&u, tc.full)
		if u.FirstName != tc.first || u.LastName != tc.last {
			t.Errorf("fillNames(%+v, %q) = %q %q, want %q %q", tc.in, tc.full, u.FirstName, u.LastName, tc.first, tc.last)
		}
	}
}

func TestScopeHash(t *testing.T) {
	c := db.DirectoryConnection{Kind: db.DirectoryAD, URL: "ldaps://dc1.example.test:636", BaseDN: "DC=example,DC=test"}
	same := c
	same.URL, same.StartTLS, same.BaseDN = "ldap://DC1.example.test:389", true, "dc=example, dc=test"
	if scopeHash(c) != scopeHash(same) {
		t.Error("the same server and base over StartTLS must keep the cursor")
	}
	for name, edit := range map[string]func(*db.DirectoryConnection){
		"base":   func(c *db.DirectoryConnection) { c.BaseDN = "OU=Staff,DC=example,DC=test" },
		"filter": func(c *db.DirectoryConnection) { c.UserFilter = "(department=eng)" },
		"server": func(c *db.DirectoryConnection) { c.URL = "ldaps://dc2.example.test" },
		"groups": func(c *db.DirectoryConnection) { c.GroupFilter = "(cn=eng*)" },
	} {
		changed := c
		edit(&changed)
		if scopeHash(changed) == scopeHash(c) {
			t.Errorf("a %s change keeps the cursor", name)
		}
	}
}

func TestNormDN(t *testing.T) {
	tests := map[string]string{
		"UID=Alice, OU=People,DC=Example,DC=Org": "uid=alice,ou=people,dc=example,dc=org",
		"CN=Smith\\, John,OU=Staff,DC=corp":      "cn=smith\\, john,ou=staff,dc=corp",
		"cn=a+uid=b,dc=x":                        "cn=a+uid=b,dc=x",
	}
	for in, want := range tests {
		if got := normDN(in); got != want {
			t.Errorf("normDN(%q) = %q, want %q", in, got, want)
		}
	}
	if !inScope("uid=a,OU=People,dc=example,dc=org", "ou=people, dc=example,dc=org") || inScope("uid=a,ou=other,dc=example,dc=org", "ou=people,dc=example,dc=org") {
		t.Error("inScope")
	}
}
