package directory

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/db"
)

func loadEntries(t *testing.T, name string) []*ldap.Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "entries", name))
	if err != nil {
		t.Fatal(err)
	}
	var rs []recordedEntry
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	out := make([]*ldap.Entry, len(rs))
	for i, r := range rs {
		out[i] = r.entry()
	}
	return out
}

type mapped struct {
	DN, Email, UserName, FirstName, LastName string
	Disabled, HasAnchor                      bool
}

func mapAll(t *testing.T, kind db.DirectoryKind, es []*ldap.Entry) map[string]mapped {
	m := Preset(kind)
	out := map[string]mapped{}
	for _, e := range es {
		u, ok := m.MapUser(e)
		if e.GetAttributeValue("mail") == "" {
			continue // service accounts: skipped by the store (no email)
		}
		out[u.Email] = mapped{DN: u.DN, Email: u.Email, UserName: u.UserName, FirstName: u.FirstName, LastName: u.LastName,
			Disabled: u.Disabled, HasAnchor: ok && len(u.Anchor) == 36}
	}
	return out
}

// Recorded slapd entries (after mutate-slapd.sh): entryUUID anchors, uid,
// names, and the renamed+moved dave.
func TestMapRecordedOpenLDAP(t *testing.T) {
	got := mapAll(t, db.DirectoryOpenLDAP, loadEntries(t, "openldap-users.json"))
	want := map[string]mapped{
		"alice.anderson@example.org": {DN: "uid=alice,ou=people,dc=example,dc=org", UserName: "alice", FirstName: "Alice", LastName: "Anderson"},
		"carol@partner-corp.com":     {DN: "uid=carol,ou=people,dc=example,dc=org", UserName: "carol", FirstName: "Carol", LastName: "Contractor"},
		"dave@example.org":           {DN: "uid=david,ou=alumni,dc=example,dc=org", UserName: "david", FirstName: "Dave", LastName: "Davis"},
		"erin@gmail.com":             {DN: "uid=erin,ou=people,dc=example,dc=org", UserName: "erin", FirstName: "Erin", LastName: "External"},
	}
	for k, v := range want {
		v.Email, v.HasAnchor = k, true
		want[k] = v
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
}

// Recorded Samba AD entries (after mutate-samba-ad.sh): binary objectGUIDs,
// userPrincipalName, userAccountControl 0x2 on carol.
func TestMapRecordedAD(t *testing.T) {
	es := loadEntries(t, "ad-users.json")
	got := mapAll(t, db.DirectoryAD, es)
	var emails []string
	for k := range got {
		emails = append(emails, k)
	}
	sort.Strings(emails)
	if diff := cmp.Diff([]string{"alice.anderson@corp.example.test", "carol@partner-corp.com", "dave@corp.example.test", "erin@gmail.com"}, emails); diff != "" {
		t.Fatalf("users (-want +got):\n%s", diff)
	}
	for email, u := range got {
		if !u.HasAnchor {
			t.Errorf("%s: no objectGUID anchor", email)
		}
		if u.Disabled != (email == "carol@partner-corp.com") {
			t.Errorf("%s: disabled = %v", email, u.Disabled)
		}
	}
	if u := got["dave@corp.example.test"]; u.DN != "cn=dave,ou=alumni,dc=corp,dc=example,dc=test" || u.FirstName != "Dave" || u.LastName != "Davis" {
		t.Errorf("dave: %+v", u)
	}
	// the anchor is the canonical GUID text, stable across a rename
	seen := map[string]bool{}
	m := Preset(db.DirectoryAD)
	for _, e := range es {
		u, _ := m.MapUser(e)
		if seen[u.Anchor] {
			t.Errorf("duplicate anchor %s", u.Anchor)
		}
		seen[u.Anchor] = true
		if GUIDString(e.GetRawAttributeValue("objectGUID")) != u.Anchor {
			t.Errorf("anchor %s is not the objectGUID", u.Anchor)
		}
	}
}

// Mapping rules on hand-made entries: disabled flags, overrides, fallbacks.
func TestMapUserRules(t *testing.T) {
	entry := func(attrs map[string]string) *ldap.Entry {
		e := &ldap.Entry{DN: "UID=X, OU=People,DC=Example,DC=Org"}
		for k, v := range attrs {
			e.Attributes = append(e.Attributes, &ldap.EntryAttribute{Name: k, Values: []string{v}, ByteValues: [][]byte{[]byte(v)}})
		}
		return e
	}
	tests := []struct {
		name  string
		conn  db.DirectoryConnection
		attrs map[string]string
		want  db.DirectoryUser
	}{
		{"openldap locked", db.DirectoryConnection{Kind: db.DirectoryOpenLDAP},
			map[string]string{"entryUUID": "ABC", "mail": "x@example.org", "uid": "x", "givenName": "X", "sn": "Y", "pwdAccountLockedTime": "000001010000Z"},
			db.DirectoryUser{Anchor: "abc", DN: "uid=x,ou=people,dc=example,dc=org", Email: "x@example.org", UserName: "x", FirstName: "X", LastName: "Y", Disabled: true}},
		{"ad enabled 512", db.DirectoryConnection{Kind: db.DirectoryAD},
			map[string]string{"objectGUID": "0123456789abcdef", "mail": "x@corp.test", "sAMAccountName": "x", "givenName": "X", "sn": "Y", "userAccountControl": "512"},
			db.DirectoryUser{Anchor: "33323130-3534-3736-3839-616263646566", DN: "uid=x,ou=people,dc=example,dc=org", Email: "x@corp.test", UserName: "x", FirstName: "X", LastName: "Y"}},
		{"ad disabled 514", db.DirectoryConnection{Kind: db.DirectoryAD},
			map[string]string{"objectGUID": "0123456789abcdef", "mail": "x@corp.test", "userPrincipalName": "x@CORP.TEST", "displayName": "Xena Young", "userAccountControl": "514"},
			db.DirectoryUser{Anchor: "33323130-3534-3736-3839-616263646566", DN: "uid=x,ou=people,dc=example,dc=org", Email: "x@corp.test", UserName: "x@CORP.TEST", FirstName: "Xena", LastName: "Young", Disabled: true}},
		{"override email attribute", db.DirectoryConnection{Kind: db.DirectoryOpenLDAP, Mapping: map[string]string{"email": "mailPrimaryAddress", "username": "mail"}},
			map[string]string{"entryUUID": "abc", "mail": "alias@example.org", "mailPrimaryAddress": "x@example.org", "cn": "X Y"},
			db.DirectoryUser{Anchor: "abc", DN: "uid=x,ou=people,dc=example,dc=org", Email: "x@example.org", UserName: "alias@example.org", FirstName: "X", LastName: "Y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := MappingFor(tc.conn).MapUser(entry(tc.attrs))
			if !ok {
				t.Fatal("no anchor")
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(db.DirectoryUser{}, "Hash")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// the hash changes with every mapped attribute, not with the DN
	m := Preset(db.DirectoryOpenLDAP)
	base := map[string]string{"entryUUID": "a", "mail": "x@example.org", "uid": "x", "givenName": "X", "sn": "Y"}
	h0, _ := m.MapUser(entry(base))
	for k, v := range map[string]string{"mail": "z@example.org", "uid": "z", "givenName": "Z", "sn": "Z", "pwdAccountLockedTime": "20260101000000Z"} {
		changed := map[string]string{}
		for a, b := range base {
			changed[a] = b
		}
		changed[k] = v
		if h, _ := m.MapUser(entry(changed)); h.Hash == h0.Hash {
			t.Errorf("hash ignores %s", k)
		}
	}
	moved := entry(base)
	moved.DN = "uid=x,ou=alumni,dc=example,dc=org"
	if h, _ := m.MapUser(moved); h.Hash != h0.Hash {
		t.Error("a move changes the attribute hash")
	}
}

// TestMapUserInvalidUTF8Attribute: an attribute value that is not UTF-8 or
// holds a NUL (FuzzLDAPEntry corpus 2433fbfaf775c03d: sn "000\xce\xce")
// maps to text the store accepts, so the batch applies instead of failing
// with invalid_text (issue 9 #11 fuzzing, found while working issue 10).
func TestMapUserInvalidUTF8Attribute(t *testing.T) {
	m := MappingFor(db.DirectoryConnection{Kind: db.DirectoryOpenLDAP})
	e := ldap.NewEntry("uid=jane,dc=example,dc=org", map[string][]string{
		"entryUUID": {"7f0c2c3e-1111-4222-8333-444455556666"}, "mail": {"jane@example.org"},
		"givenName": {"Ja\x00ne"}, "sn": {"000\xce\xce  "}, "uid": {"jane"},
	})
	u, ok := m.MapUser(e)
	if !ok {
		t.Fatal("entry not mapped")
	}
	for _, v := range []string{u.FirstName, u.LastName} {
		if err := db.CheckText("name", v); err != nil {
			t.Errorf("mapped %q: %v", v, err)
		}
	}
	if u.FirstName != "Jane" || u.LastName != "000\uFFFD" {
		t.Errorf("names %q %q, want Jane and 000\uFFFD", u.FirstName, u.LastName)
	}
}
