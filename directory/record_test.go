package directory

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	ldap "github.com/go-ldap/ldap/v3"
)

// recordedEntry is a directory entry as stored in testdata/entries: raw
// attribute values, so binary objectGUIDs survive.
type recordedEntry struct {
	DN         string              `json:"dn"`
	Attributes map[string][][]byte `json:"attributes"`
}

func (r recordedEntry) entry() *ldap.Entry {
	e := &ldap.Entry{DN: r.DN}
	names := make([]string, 0, len(r.Attributes))
	for n := range r.Attributes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := &ldap.EntryAttribute{Name: n, ByteValues: r.Attributes[n]}
		for _, v := range r.Attributes[n] {
			a.Values = append(a.Values, string(v))
		}
		e.Attributes = append(e.Attributes, a)
	}
	return e
}

// maybeRecord saves the users the connection sees to testdata/entries/name
// when ROSTER_RECORD=1 (used to refresh the recorded payloads).
func maybeRecord(t *testing.T, f *fixture, name string) {
	if os.Getenv("ROSTER_RECORD") != "1" {
		return
	}
	lc, err := f.syncer.dial(context.Background(), f.conn)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	m := MappingFor(f.conn)
	r, err := lc.Search(ldap.NewSearchRequest(f.conn.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		UserFilter(f.conn), m.userAttrs(), nil))
	if err != nil {
		t.Fatal(err)
	}
	var out []recordedEntry
	for _, e := range r.Entries {
		re := recordedEntry{DN: e.DN, Attributes: map[string][][]byte{}}
		for _, a := range e.Attributes {
			re.Attributes[a.Name] = a.ByteValues
		}
		out = append(out, re)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DN < out[j].DN })
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := os.WriteFile(filepath.Join("testdata", "entries", name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
