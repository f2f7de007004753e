package directory

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// fuzzEntry builds a directory entry from the fuzzer's fields: the
// attributes of the AD or the OpenLDAP preset, raw anchor bytes (objectGUID
// is binary), a disabled flag string (userAccountControl or
// pwdAccountLockedTime) and one member attribute with a free name (ranges
// like "member;range=0-1499").
func fuzzEntry(ad bool, dn string, anchor []byte, mail, userName, given, sn, full, disabled, memberAttr, member string) *ldap.Entry {
	e := &ldap.Entry{DN: dn}
	add := func(name string, vals ...[]byte) {
		a := &ldap.EntryAttribute{Name: name, ByteValues: vals}
		for _, v := range vals {
			a.Values = append(a.Values, string(v))
		}
		e.Attributes = append(e.Attributes, a)
	}
	if ad {
		add("objectClass", []byte("top"), []byte("person"), []byte("user"))
		add("objectGUID", anchor)
		add("userPrincipalName", []byte(userName))
		add("sAMAccountName", []byte(strings.ToUpper(userName)))
		add("displayName", []byte(full))
		add("userAccountControl", []byte(disabled))
	} else {
		add("objectClass", []byte("inetOrgPerson"))
		add("entryUUID", anchor)
		add("uid", []byte(userName))
		add("cn", []byte(full))
		add("pwdAccountLockedTime", []byte(disabled))
	}
	add("mail", []byte(mail))
	add("givenName", []byte(given))
	add("sn", []byte(sn))
	add(memberAttr, []byte(member))
	return e
}

// FuzzLDAPEntry maps arbitrary directory entries to Roster's user and
// group records and applies each user to a real store (issue 9, fuzzing:
// LDAP entry mapping). Invariants: no panic; an entry without an anchor is
// refused by MapUser (ok false); a mapped user carries its anchor and
// trimmed fields; an invalid user (bad email, over-long name, ...) becomes a
// per-entry "skip" change, never an error of the whole batch; ranged member
// attribute names parse without panics and name a sane bound.
//
// Seeds: every recorded entry in testdata/entries, plus the committed
// corpus (bad GUID lengths, userAccountControl strings, member ranges, DNs
// with escapes).
func FuzzLDAPEntry(f *testing.F) {
	for _, file := range []string{"ad-users.json", "openldap-users.json"} {
		ad := strings.HasPrefix(file, "ad-")
		for _, r := range loadRecorded(f, file) {
			v := func(n string) string {
				if vs := r.Attributes[n]; len(vs) > 0 {
					return string(vs[0])
				}
				return ""
			}
			anchor, user, full, dis := r.Attributes["entryUUID"], v("uid"), v("cn"), v("pwdAccountLockedTime")
			if ad {
				anchor, user, full, dis = r.Attributes["objectGUID"], v("userPrincipalName"), v("displayName"), v("userAccountControl")
			}
			var a []byte
			if len(anchor) > 0 {
				a = anchor[0]
			}
			f.Add(ad, r.DN, a, v("mail"), user, v("givenName"), v("sn"), full, dis, "member;range=0-1499", "CN=x,"+r.DN)
		}
	}
	ctx := context.Background()
	st := gormdbtest.New(f, gormdb.Config{Classify: testClassify})
	op := db.Actor{Kind: db.ActorOperator, ID: "fuzz"}
	team, _, err := st.CreateTeam(ctx, db.NewTeam{Name: "Acme", PrimaryEmail: "owner@example.org", PrimaryFirstName: "O", PrimaryLastName: "W"}, op)
	if err != nil {
		f.Fatal(err)
	}
	pw := filepath.Join(f.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("pw"), 0o600); err != nil {
		f.Fatal(err)
	}
	conns := map[bool]db.DirectoryConnection{}
	for _, ad := range []bool{true, false} {
		c := db.DirectoryConnection{TeamID: team.ID, Kind: db.DirectoryOpenLDAP, URL: "ldaps://ldap.example.org:636",
			BindDN: "cn=sync,dc=example,dc=org", BaseDN: "dc=example,dc=org", PasswordRef: "file:" + pw, Enabled: true}
		if ad {
			c.Kind, c.URL, c.BindDN, c.BaseDN = db.DirectoryAD, "ldaps://dc.corp.example.test:636", "CN=sync,DC=corp,DC=example,DC=test", "DC=corp,DC=example,DC=test"
		}
		if c, err = st.CreateDirectoryConnection(ctx, c, op); err != nil {
			f.Fatal(err)
		}
		conns[ad] = c
	}
	f.Fuzz(func(t *testing.T, ad bool, dn string, anchor []byte, mail, userName, given, sn, full, disabled, memberAttr, member string) {
		c := conns[ad]
		m := MappingFor(c)
		e := fuzzEntry(ad, dn, anchor, mail, userName, given, sn, full, disabled, memberAttr, member)
		u, ok := m.MapUser(e)
		if ok != (u.Anchor != "") {
			t.Fatalf("MapUser ok=%v with anchor %q", ok, u.Anchor)
		}
		if ad && ok && len(u.Anchor) != 36 {
			t.Fatalf("objectGUID anchor %q is not a GUID string", u.Anchor)
		}
		for _, s := range []string{u.Email, u.UserName, u.FirstName, u.LastName} {
			if s != strings.TrimSpace(s) {
				t.Fatalf("mapped field %q is not trimmed", s)
			}
		}
		// the group side of the same entry: anchor, DN, ranged member names
		_ = m.anchorOf(e)
		_ = normDN(e.DN)
		_ = normDN(member)
		if base, hi, last, ranged := parseRange(memberAttr); ranged && !last && hi < 0 {
			t.Fatalf("parseRange(%q) = %q, %d, not last: a negative bound", memberAttr, base, hi)
		}
		if !ok {
			return
		}
		// An invalid user is a per-entry skip, not an error of the batch.
		if _, err := st.ApplyDirectoryBatch(ctx, c, db.DirectoryBatch{Users: []db.DirectoryUser{u}}, actorFor(c)); err != nil {
			t.Fatalf("ApplyDirectoryBatch(%+v) = %v, want per-entry skips only", u, err)
		}
	})
}

// loadRecorded reads testdata/entries/name.
func loadRecorded(t testing.TB, name string) []recordedEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "entries", name))
	if err != nil {
		t.Fatal(err)
	}
	var rs []recordedEntry
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}
