package directory

import (
	"context"
	"encoding/json"
	"fmt"
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
// per-entry "skip" change, never an error of the whole batch; a ranged
// member attribute name parses to 0 <= lo <= hi or to an error (a
// malformed range used to read as the last chunk, silently dropping the
// rest of a group's members).
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
	st := gormdbtest.New(f, gormdb.Config{Classify: testClassify, PlanDirectory: Plan})
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
		if r, err := parseRange(memberAttr); err == nil && !r.last() && (r.lo < 0 || r.hi < r.lo || r.hi >= maxRangeBound+1) {
			t.Fatalf("parseRange(%q) = %+v: bounds out of order or range", memberAttr, r)
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

// TestWriteLDAPFuzzCorpus regenerates the committed seed corpus of
// FuzzLDAPEntry when ROSTER_WRITE_FUZZ_CORPUS=1; otherwise it skips.
func TestWriteLDAPFuzzCorpus(t *testing.T) {
	if os.Getenv("ROSTER_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set ROSTER_WRITE_FUZZ_CORPUS=1 to regenerate testdata/fuzz/FuzzLDAPEntry")
	}
	guid := []byte{0x23, 0x91, 0x05, 0xe2, 0xde, 0xf4, 0xdb, 0x46, 0x97, 0xe4, 0x26, 0x57, 0x9b, 0x40, 0x50, 0xd3}
	type entry struct {
		ad                                                        bool
		dn                                                        string
		anchor                                                    []byte
		mail, user, given, sn, full, disabled, memberAttr, member string
	}
	base := func(ad bool) entry {
		if ad {
			return entry{true, "CN=Jane Doe,OU=Staff,DC=corp,DC=example,DC=test", guid, "jane.doe@corp.example.test", "jane@corp.example.test",
				"Jane", "Doe", "Jane Doe", "512", "member;range=0-1499", "CN=Bob,OU=Staff,DC=corp,DC=example,DC=test"}
		}
		return entry{false, "uid=jane,ou=people,dc=example,dc=org", []byte("49b06e84-7b29-1041-8156-b7eabbd0acfa"), "jane@example.org", "jane",
			"Jane", "Doe", "Jane Doe", "", "member", "uid=bob,ou=people,dc=example,dc=org"}
	}
	with := func(e entry, f func(*entry)) entry { f(&e); return e }
	entries := map[string]entry{
		"ad-guid-short":          with(base(true), func(e *entry) { e.anchor = guid[:15] }),
		"ad-guid-long":           with(base(true), func(e *entry) { e.anchor = append(append([]byte{}, guid...), 0) }),
		"ad-guid-empty":          with(base(true), func(e *entry) { e.anchor = nil }),
		"ad-uac-disabled":        with(base(true), func(e *entry) { e.disabled = "514" }),
		"ad-uac-hex":             with(base(true), func(e *entry) { e.disabled = "0x2" }),
		"ad-uac-negative":        with(base(true), func(e *entry) { e.disabled = "-1" }),
		"ad-uac-overflow":        with(base(true), func(e *entry) { e.disabled = "99999999999999999999" }),
		"ad-uac-spaces":          with(base(true), func(e *entry) { e.disabled = " 2 " }),
		"ad-range-last":          with(base(true), func(e *entry) { e.memberAttr = "member;range=1500-*" }),
		"ad-range-upper":         with(base(true), func(e *entry) { e.memberAttr = "MEMBER;RANGE=0-1499" }),
		"ad-range-open":          with(base(true), func(e *entry) { e.memberAttr = "member;range=0-" }),
		"ad-range-dash":          with(base(true), func(e *entry) { e.memberAttr = "member;range=-" }),
		"ad-range-negative":      with(base(true), func(e *entry) { e.memberAttr = "member;range=0--5" }),
		"ad-range-overflow":      with(base(true), func(e *entry) { e.memberAttr = "member;range=0-9223372036854775807" }),
		"ad-range-nodash":        with(base(true), func(e *entry) { e.memberAttr = "member;range=1500" }),
		"ad-dn-escaped-comma":    with(base(true), func(e *entry) { e.dn = `CN=Doe\, Jane,OU=Staff,DC=corp,DC=example,DC=test` }),
		"ad-dn-hex-value":        with(base(true), func(e *entry) { e.dn, e.member = `CN=#04024869,DC=corp`, `CN=#zz,DC=corp` }),
		"ad-dn-multivalued-rdn":  with(base(true), func(e *entry) { e.dn = `CN=Jane+SN=Doe,DC=corp,DC=example,DC=test` }),
		"ad-dn-trailing-escape":  with(base(true), func(e *entry) { e.dn = `CN=foo\` }),
		"ad-dn-garbage":          with(base(true), func(e *entry) { e.dn, e.member = "=,=,;<>", "\"#+" }),
		"ad-no-mail":             with(base(true), func(e *entry) { e.mail = "" }),
		"ad-mail-invalid":        with(base(true), func(e *entry) { e.mail = "not an email" }),
		"ad-mail-two-at":         with(base(true), func(e *entry) { e.mail = "a@b@corp.example.test" }),
		"ad-mail-nul":            with(base(true), func(e *entry) { e.mail = "jane\x00@corp.example.test" }),
		"ad-name-too-long":       with(base(true), func(e *entry) { e.given = strings.Repeat("J", 300) }),
		"ad-names-missing":       with(base(true), func(e *entry) { e.given, e.sn, e.full = "", "", "" }),
		"ad-names-invalid-utf8":  with(base(true), func(e *entry) { e.given, e.sn = "\xff\xfe", "\xc3\x28" }),
		"ad-names-blank":         with(base(true), func(e *entry) { e.given, e.sn, e.full, e.user = " ", "\t", "   ", "" }),
		"ldap-locked":            with(base(false), func(e *entry) { e.disabled = "000001010000Z" }),
		"ldap-lock-false":        with(base(false), func(e *entry) { e.disabled = "FALSE" }),
		"ldap-anchor-upper":      with(base(false), func(e *entry) { e.anchor = []byte("49B06E84-7B29-1041-8156-B7EABBD0ACFA") }),
		"ldap-anchor-binary":     with(base(false), func(e *entry) { e.anchor = []byte{0, 1, 2, 0xff} }),
		"ldap-user-too-long":     with(base(false), func(e *entry) { e.user = strings.Repeat("u", 1000) }),
		"ldap-email-huge-domain": with(base(false), func(e *entry) { e.mail = "a@" + strings.Repeat("x", 300) + ".org" }),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzLDAPEntry")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, e := range entries {
		body := fmt.Sprintf("go test fuzz v1\nbool(%v)\nstring(%q)\n[]byte(%q)\nstring(%q)\nstring(%q)\nstring(%q)\nstring(%q)\nstring(%q)\nstring(%q)\nstring(%q)\nstring(%q)\n",
			e.ad, e.dn, e.anchor, e.mail, e.user, e.given, e.sn, e.full, e.disabled, e.memberAttr, e.member)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
