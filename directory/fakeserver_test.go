package directory

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	ldap "github.com/go-ldap/ldap/v3"
)

// fakeLDAP is a synthetic server for behaviour Samba does not show but
// Windows does (MS-ADTS 3.1.1.3.4.6): a page-size cap, ranged `member`
// values and DirSync answers with Flags != 0. handle answers one search with
// entries and response controls.
type fakeLDAP struct {
	t      *testing.T
	handle func(req fakeSearch) ([]*ldap.Entry, []ldap.Control)
}

type fakeSearch struct {
	Base     string
	Attrs    []string
	Controls []ldap.Control
}

func (f *fakeLDAP) dial() *ldap.Conn {
	client, server := net.Pipe()
	go f.serve(server)
	lc := ldap.NewConn(client, false)
	lc.Start()
	f.t.Cleanup(func() { lc.Close() })
	return lc
}

func (f *fakeLDAP) serve(c net.Conn) {
	defer c.Close()
	for {
		p, err := ber.ReadPacket(c)
		if err != nil || len(p.Children) < 2 {
			return
		}
		id := p.Children[0].Value.(int64)
		op := p.Children[1]
		switch op.Tag {
		case ldap.ApplicationSearchRequest:
			req := fakeSearch{Base: op.Children[0].Data.String()}
			for _, a := range op.Children[7].Children {
				req.Attrs = append(req.Attrs, a.Data.String())
			}
			if len(p.Children) > 2 {
				for _, cp := range p.Children[2].Children {
					if ctl, err := ldap.DecodeControl(cp); err == nil {
						req.Controls = append(req.Controls, ctl)
					}
				}
			}
			entries, ctls := f.handle(req)
			for _, e := range entries {
				c.Write(message(id, entryPacket(e), nil).Bytes())
			}
			done := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultDone, nil, "done")
			done.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(0), "resultCode"))
			done.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
			done.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "diagnostic"))
			c.Write(message(id, done, ctls).Bytes())
		case ldap.ApplicationUnbindRequest:
			return
		}
	}
}

func message(id int64, op *ber.Packet, ctls []ldap.Control) *ber.Packet {
	p := ber.NewSequence("LDAPMessage")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, "id"))
	p.AppendChild(op)
	if len(ctls) > 0 {
		cp := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "controls")
		for _, c := range ctls {
			cp.AppendChild(c.Encode())
		}
		p.AppendChild(cp)
	}
	return p
}

func entryPacket(e *ldap.Entry) *ber.Packet {
	p := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "entry")
	p.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, e.DN, "dn"))
	attrs := ber.NewSequence("attributes")
	for _, a := range e.Attributes {
		ap := ber.NewSequence("attribute")
		ap.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a.Name, "type"))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "values")
		for _, v := range a.Values {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, "value"))
		}
		ap.AppendChild(set)
		attrs.AppendChild(ap)
	}
	p.AppendChild(attrs)
	return p
}

// A server that splits `member` into ranges of 3 values: every value is read.
func TestRangedMembersSynthetic(t *testing.T) {
	all := []string{"uid=1", "uid=2", "uid=3", "uid=4", "uid=5", "uid=6", "uid=7"}
	var asked []string
	srv := &fakeLDAP{t: t, handle: func(req fakeSearch) ([]*ldap.Entry, []ldap.Control) {
		asked = append(asked, strings.Join(req.Attrs, ","))
		_, lo, _ := strings.Cut(req.Attrs[0], "range=")
		from, _ := strconv.Atoi(strings.TrimSuffix(lo, "-*"))
		to := min(from+3, len(all))
		name := fmt.Sprintf("member;range=%d-%d", from, to-1)
		if to == len(all) {
			name = fmt.Sprintf("member;range=%d-*", from)
		}
		return []*ldap.Entry{{DN: req.Base, Attributes: []*ldap.EntryAttribute{{Name: name, Values: all[from:to]}}}}, nil
	}}
	lc := srv.dial()
	first := &ldap.Entry{DN: "cn=big", Attributes: []*ldap.EntryAttribute{{Name: "member;range=0-2", Values: all[:3]}}}
	got, err := (&Syncer{}).memberValues(lc, first)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != strings.Join(all, " ") {
		t.Fatalf("members = %v, want %v (requests %v)", got, all, asked)
	}
	if want := "member;range=3-*,member;range=6-*"; strings.Join(asked, ",") != want {
		t.Errorf("requests = %v, want %s", asked, want)
	}
}

// A server that caps pages at 2 entries: the loop follows the cookie to the
// end and never asks for more than 1,000 per page.
func TestPagedSearchSynthetic(t *testing.T) {
	total := 7
	var sizes []uint32
	srv := &fakeLDAP{t: t, handle: func(req fakeSearch) ([]*ldap.Entry, []ldap.Control) {
		pc := ldap.FindControl(req.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		sizes = append(sizes, pc.PagingSize)
		from := 0
		if len(pc.Cookie) > 0 {
			from, _ = strconv.Atoi(string(pc.Cookie))
		}
		to := min(from+2, total) // the server's cap
		var es []*ldap.Entry
		for i := from; i < to; i++ {
			es = append(es, &ldap.Entry{DN: fmt.Sprintf("uid=%d", i)})
		}
		next := &ldap.ControlPaging{}
		if to < total {
			next.Cookie = []byte(strconv.Itoa(to))
		}
		return es, []ldap.Control{next}
	}}
	lc := srv.dial()
	var dns []string
	s := &Syncer{PageSize: 5000}
	err := s.paged(context.Background(), lc, "dc=x", "(objectClass=*)", nil, func(es []*ldap.Entry) error {
		for _, e := range es {
			dns = append(dns, e.DN)
		}
		return nil
	})
	if err != nil || len(dns) != total {
		t.Fatalf("paged: %v, %d entries %v", err, len(dns), dns)
	}
	for _, n := range sizes {
		if n > 1000 {
			t.Errorf("asked for a page of %d", n)
		}
	}
	if len(sizes) != 4 {
		t.Errorf("%d requests, want 4", len(sizes))
	}
}

// A DirSync server that answers in two parts (Flags != 0, then 0): the loop
// continues with each cookie and returns the last one.
func TestDirSyncFlagsLoopSynthetic(t *testing.T) {
	var cookies []string
	srv := &fakeLDAP{t: t, handle: func(req fakeSearch) ([]*ldap.Entry, []ldap.Control) {
		ds := ldap.FindControl(req.Controls, ldap.ControlTypeDirSync).(*ldap.ControlDirSync)
		cookies = append(cookies, string(ds.Cookie))
		if len(ds.Cookie) == 0 {
			return []*ldap.Entry{{DN: "cn=a"}}, []ldap.Control{&ldap.ControlDirSync{Flags: 1, Cookie: []byte("part1")}}
		}
		return []*ldap.Entry{{DN: "cn=b"}}, []ldap.Control{&ldap.ControlDirSync{Flags: 0, Cookie: []byte("final")}}
	}}
	lc := srv.dial()
	var seen []string
	cookie, err := (&Syncer{}).dirSync(context.Background(), lc, "dc=x", nil, []string{"objectGUID"}, func(e *ldap.Entry) error {
		seen = append(seen, e.DN)
		return nil
	})
	if err != nil || string(cookie) != "final" || strings.Join(seen, ",") != "cn=a,cn=b" {
		t.Fatalf("dirSync = %q, %v, entries %v", cookie, err, seen)
	}
	if strings.Join(cookies, ",") != ",part1" {
		t.Errorf("cookies sent = %q", cookies)
	}
}

// TestRangedMembersMalformedOrStuck: issue 9 (fuzzing, LDAP entry mapping).
// A server whose ranged `member` values never advance ("member;range=0-2"
// again and again) used to keep memberValues asking forever; a malformed
// range ("0--5", "0-x", an overflowing bound) used to end the values
// silently, dropping the rest of the group's members. Both are now an error
// naming the group entry. The fake server gives up after 20 requests, so a
// regression fails instead of hanging.
func TestRangedMembersMalformedOrStuck(t *testing.T) {
	tests := []struct {
		name  string
		first string // the entry's own attribute name
		reply string // what the server answers to every ranged request
	}{
		{"stuck", "member;range=0-2", "member;range=0-2"},
		{"going back", "member;range=0-2", "member;range=1-2"},
		{"negative bound", "member;range=0--5", ""},
		{"non-numeric bound", "member;range=0-x", ""},
		{"overflowing bound", "member;range=0-9223372036854775807", ""},
		{"no dash", "member;range=1500", ""},
		{"stuck after one step", "member;range=0-2", "member;range=3-2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requests := 0
			srv := &fakeLDAP{t: t, handle: func(req fakeSearch) ([]*ldap.Entry, []ldap.Control) {
				requests++
				name := tc.reply
				if requests >= 20 || name == "" {
					name = "member;range=3-*" // let a regression end
				}
				return []*ldap.Entry{{DN: req.Base, Attributes: []*ldap.EntryAttribute{{Name: name, Values: []string{"uid=x"}}}}}, nil
			}}
			lc := srv.dial()
			first := &ldap.Entry{DN: "cn=big", Attributes: []*ldap.EntryAttribute{{Name: tc.first, Values: []string{"uid=1", "uid=2", "uid=3"}}}}
			_, err := (&Syncer{}).memberValues(lc, first)
			if err == nil || !strings.Contains(err.Error(), "cn=big") {
				t.Errorf("memberValues = %v after %d requests, want an error naming cn=big", err, requests)
			}
			if requests > 1 {
				t.Errorf("%d requests, want at most 1", requests)
			}
		})
	}
}
