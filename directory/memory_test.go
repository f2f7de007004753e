package directory

import (
	"fmt"
	"runtime"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
)

// A group of many members read through go-ldap holds each member value in a
// buffer of its own length, not in a 512-byte one: the patched BER decoder
// in third_party/asn1-ber (see its ROSTER.md). With upstream asn1-ber v1.5.8
// the entry returned here holds ~600 bytes per value and decoding it ~1,040
// (a 100,000-member group was the peak RSS of a full sync: 176–181 MB with
// upstream, 128–137 MB patched); patched it is ~140 / ~560.
func TestBigGroupEntryHoldsValuesCompactly(t *testing.T) {
	const n = 20000
	members := make([]string, n)
	for i := range members {
		members[i] = fmt.Sprintf("uid=bulk%06d,ou=people,dc=example,dc=org", i)
	}
	srv := &fakeLDAP{t: t, handle: func(req fakeSearch) ([]*ldap.Entry, []ldap.Control) {
		return []*ldap.Entry{{DN: req.Base, Attributes: []*ldap.EntryAttribute{{Name: "member", Values: members}}}}, nil
	}}
	lc := srv.dial()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := lc.Search(ldap.NewSearchRequest("cn=bulk,ou=groups,dc=example,dc=org", ldap.ScopeBaseObject,
		ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", []string{"member"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := len(res.Entries[0].GetAttributeValues("member")); got != n {
		t.Fatalf("%d member values, want %d", got, n)
	}
	perValue := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("the entry holds %d bytes per member value", perValue)
	if perValue > 300 {
		t.Errorf("the entry holds %d bytes per member value, want ≤ 300 (upstream asn1-ber: ~600)", perValue)
	}
	runtime.KeepAlive(res)
}
