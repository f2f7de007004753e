package directory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/roster-dev/roster/db"
)

// ldapSyncRefreshRequired is RFC 4533's e-syncRefreshRequired result code.
const ldapSyncRefreshRequired = 4096

// dirSyncFilter: objectClass survives on tombstones, objectCategory does not.
const dirSyncFilter = "(|(objectClass=user)(objectClass=group))"

// snapshotCookie takes the incremental cursor of "now": a DirSync cookie
// (AD) or a syncrepl cookie (OpenLDAP), reading no attribute values.
func (s *Syncer) snapshotCookie(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection) ([]byte, error) {
	if c.Kind == db.DirectoryAD {
		nc, err := namingContext(lc)
		if err != nil {
			return nil, err
		}
		return s.dirSync(ctx, lc, nc, nil, []string{"objectGUID"}, nil)
	}
	return s.syncrepl(ctx, lc, c, nil, []string{"1.1"}, nil)
}

func namingContext(lc *ldap.Conn) (string, error) {
	r, err := lc.Search(ldap.NewSearchRequest("", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"defaultNamingContext"}, nil))
	if err != nil {
		return "", fmt.Errorf("read rootDSE: %w", err)
	}
	if len(r.Entries) == 0 || r.Entries[0].GetAttributeValue("defaultNamingContext") == "" {
		return "", errors.New("the server's rootDSE has no defaultNamingContext; is this Active Directory?")
	}
	return r.Entries[0].GetAttributeValue("defaultNamingContext"), nil
}

// dirSync repeats DirSync until the response's Flags say no more data
// (Samba always answers 0; Windows pages), handing entries to fn.
func (s *Syncer) dirSync(ctx context.Context, lc *ldap.Conn, nc string, cookie []byte, attrs []string, fn func(*ldap.Entry) error) ([]byte, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		req := ldap.NewSearchRequest(nc, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, dirSyncFilter, attrs, nil)
		res, err := lc.DirSync(req, 0, 1<<20, cookie)
		if err != nil {
			if cookie != nil && !ldap.IsErrorWithCode(err, ldap.ErrorNetwork) {
				return nil, fmt.Errorf("%w: %v", errCookieRefused, err)
			}
			return nil, fmt.Errorf("dirsync: %w", err)
		}
		ctl, ok := ldap.FindControl(res.Controls, ldap.ControlTypeDirSync).(*ldap.ControlDirSync)
		if !ok {
			return nil, errors.New("dirsync: the server sent no DirSync response control")
		}
		if fn != nil {
			for _, e := range res.Entries {
				if err := fn(e); err != nil {
					return nil, err
				}
			}
		}
		if len(ctl.Cookie) > 0 {
			cookie = ctl.Cookie
		}
		if ctl.Flags == 0 {
			return cookie, nil
		}
	}
}

// syncrepl runs an RFC 4533 refreshOnly search, handing each entry with its
// state to fn and returning the new cookie. ids receives refreshDeletes
// syncIdSet UUIDs as state "delete".
func (s *Syncer) syncrepl(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection, cookie []byte, attrs []string,
	fn func(e *ldap.Entry, state string, uuid string) error) ([]byte, error) {
	filter := "(|" + UserFilter(c) + GroupFilter(c) + ")"
	req := ldap.NewSearchRequest(c.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp := lc.Syncrepl(rctx, req, 64, ldap.SyncRequestModeRefreshOnly, cookie, false)
	newCookie := cookie
	for resp.Next() {
		e := resp.Entry()
		for _, ctl := range resp.Controls() {
			switch v := ctl.(type) {
			case *ldap.ControlSyncState:
				if len(v.Cookie) > 0 {
					newCookie = v.Cookie
				}
				if fn != nil && e != nil {
					st := map[ldap.ControlSyncStateState]string{0: "present", 1: "add", 2: "modify", 3: "delete"}[v.State]
					if err := fn(e, st, strings.ToLower(v.EntryUUID.String())); err != nil {
						return nil, err
					}
				}
			case *ldap.ControlSyncInfo:
				switch {
				case v.NewCookie != nil:
					newCookie = v.NewCookie.Cookie
				case v.SyncIdSet != nil:
					if len(v.SyncIdSet.Cookie) > 0 {
						newCookie = v.SyncIdSet.Cookie
					}
					if v.SyncIdSet.RefreshDeletes && fn != nil {
						for _, id := range v.SyncIdSet.SyncUUIDs {
							if err := fn(nil, "delete", strings.ToLower(id.String())); err != nil {
								return nil, err
							}
						}
					}
				}
			case *ldap.ControlSyncDone:
				if len(v.Cookie) > 0 { // an empty cookie means "nothing changed": keep ours
					newCookie = v.Cookie
				}
			}
		}
	}
	if err := resp.Err(); err != nil {
		if cookie != nil && ldap.IsErrorWithCode(err, ldapSyncRefreshRequired) {
			return nil, fmt.Errorf("%w: %v", errCookieRefused, err)
		}
		return nil, fmt.Errorf("syncrepl: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelling ends Syncrepl silently
	}
	if len(newCookie) == 0 {
		return nil, errors.New("syncrepl: the server returned no cookie; is the syncprov overlay configured?")
	}
	return newCookie, nil
}

// syncreplChanges reads an OpenLDAP delta: changed entries and deletions.
func (s *Syncer) syncreplChanges(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection, cookie []byte) (changes, error) {
	m := MappingFor(c)
	attrs := append(m.userAttrs(), m.GroupName)
	var ch changes
	seen := map[string]int{}
	var err error
	ch.cookie, err = s.syncrepl(ctx, lc, c, cookie, attrs, func(e *ldap.Entry, st, id string) error {
		if st == "delete" {
			ch.deleted = append(ch.deleted, id)
			return nil
		}
		if e == nil {
			return nil
		}
		if isGroupEntry(e) {
			ch.groupsChanged = true
			return nil
		}
		u, ok := m.MapUser(e)
		if !ok {
			return nil
		}
		if i, dup := seen[u.Anchor]; dup {
			ch.users[i] = u
			return nil
		}
		seen[u.Anchor] = len(ch.users)
		ch.users = append(ch.users, u)
		return nil
	})
	if err != nil {
		return changes{}, err
	}
	return ch, nil
}

func isGroupEntry(e *ldap.Entry) bool {
	return hasClass(e, "groupOfNames", "groupOfUniqueNames", "group")
}

// adChanges reads an AD delta with DirSync and re-reads each changed object
// by GUID under the connection's base and filters (DirSync itself returns
// only the changed attributes, from the whole naming context).
func (s *Syncer) adChanges(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection, cookie []byte) (changes, error) {
	m := MappingFor(c)
	nc, err := namingContext(lc)
	if err != nil {
		return changes{}, err
	}
	var ch changes
	var changed []string
	seen := map[string]bool{}
	attrs := append(m.userAttrs(), "isDeleted", "member", "name", "parentGUID")
	ch.cookie, err = s.dirSync(ctx, lc, nc, cookie, attrs, func(e *ldap.Entry) error {
		g := GUIDString(e.GetRawAttributeValue("objectGUID"))
		if g == "" || seen[g] {
			return nil
		}
		seen[g] = true
		if strings.EqualFold(e.GetAttributeValue("isDeleted"), "TRUE") {
			ch.deleted = append(ch.deleted, g)
			return nil
		}
		changed = append(changed, g)
		return nil
	})
	if err != nil {
		return changes{}, err
	}
	known, err := s.Store.DirectoryAnchors(ctx, c.ID, changed)
	if err != nil {
		return changes{}, err
	}
	for _, g := range changed {
		e, err := s.byGUID(lc, g, UserFilter(c), m.userAttrs())
		if err != nil {
			return changes{}, err
		}
		if e != nil && inScope(e.DN, c.BaseDN) {
			u, ok := m.MapUser(e)
			if ok {
				ch.users = append(ch.users, u)
			}
			continue
		}
		ge, err := s.byGUID(lc, g, GroupFilter(c), []string{"objectGUID"})
		if err != nil {
			return changes{}, err
		}
		if ge != nil && inScope(ge.DN, c.BaseDN) {
			ch.groupsChanged = true
			continue
		}
		if _, ok := known[g]; ok {
			ch.deleted = append(ch.deleted, g) // moved out of scope or no longer matches the filter
		}
	}
	return ch, nil
}

// byGUID reads one object by its GUID (a "<GUID=...>" base), or nil when it
// does not match filter.
func (s *Syncer) byGUID(lc *ldap.Conn, guid, filter string, attrs []string) (*ldap.Entry, error) {
	r, err := lc.Search(ldap.NewSearchRequest("<GUID="+guid+">", ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		if ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
			return nil, nil
		}
		return nil, fmt.Errorf("read object %s: %w", guid, err)
	}
	if len(r.Entries) == 0 {
		return nil, nil
	}
	return r.Entries[0], nil
}

// rawGroup is a group as read, before nested membership is flattened.
type rawGroup struct {
	anchor, dn, name string
	members          []string // normalised member DNs
}

// readGroups reads every group under the base with its member DNs (ranged
// retrieval where the server splits them) and flattens nested membership here,
// with a cycle guard, for both kinds. (AD's in-chain matching rule was the
// first design; Samba 4.17 took over 60 s per group with 5,000 users, so the
// client-side expansion that OpenLDAP needs anyway serves AD too.) resolve
// maps user DNs to anchors.
func (s *Syncer) readGroups(ctx context.Context, lc *ldap.Conn, c db.DirectoryConnection, resolve func([]string) (map[string]string, error),
	unchanged func(groups map[string]string) (map[string]bool, error)) ([]db.DirectoryGroup, error) {
	m := MappingFor(c)
	var raw []*rawGroup
	attrs := []string{m.Anchor, m.GroupName, "objectClass", "member"}
	err := s.paged(ctx, lc, c.BaseDN, GroupFilter(c), attrs, func(es []*ldap.Entry) error {
		for _, e := range es {
			g := &rawGroup{anchor: m.anchorOf(e), dn: normDN(e.DN), name: attrText(e.GetAttributeValue(m.GroupName))}
			if g.anchor == "" {
				continue
			}
			if g.name == "" {
				g.name = e.DN
			}
			vals, err := s.memberValues(lc, e)
			if err != nil {
				return err
			}
			releaseLarge(e, len(vals))
			g.members = make([]string, 0, len(vals))
			for _, v := range vals {
				g.members = append(g.members, normDN(v))
			}
			raw = append(raw, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]db.DirectoryGroup, 0, len(raw))
	byDN := make(map[string]*rawGroup, len(raw))
	for _, g := range raw {
		byDN[g.dn] = g
	}
	dnHash := make(map[string]string, len(raw))
	for _, g := range raw {
		dnHash[g.anchor] = groupHash(g.name, flattenDNs(g, byDN))
	}
	skip := map[string]bool{}
	if unchanged != nil {
		if skip, err = unchanged(dnHash); err != nil {
			return nil, err
		}
	}
	var userDNs []string
	seenDN := map[string]bool{}
	for _, g := range raw {
		if skip[g.anchor] {
			continue
		}
		for _, d := range flattenDNs(g, byDN) {
			if !seenDN[d] {
				seenDN[d] = true
				userDNs = append(userDNs, d)
			}
		}
	}
	anchors, err := resolve(userDNs)
	if err != nil {
		return nil, err
	}
	for _, g := range raw {
		if skip[g.anchor] {
			continue
		}
		members := flatten(g, byDN, anchors)
		out = append(out, db.DirectoryGroup{Anchor: g.anchor, DN: g.dn, DisplayName: g.name, Members: members,
			Hash: dnHash[g.anchor] + "." + groupHash(g.name, members)[:16]})
	}
	return out, nil
}

// largeMembers is the number of member values from which readGroups
// releases an entry as soon as its values are copied out (see releaseLarge).
const largeMembers = 10000

// releaseLarge drops a group entry with n member values once they have been
// copied out, and collects, when n is large. go-ldap keeps every value twice
// (a string, and the BER packet's read buffer of 512 bytes as a byte slice),
// and decoding a group of 100,000 members allocates over 100 MB that are
// garbage the moment the search returns; the heap goal the collector set
// while that was live would otherwise let the heap grow to twice that before
// the next cycle, which was the peak RSS of a full sync.
func releaseLarge(e *ldap.Entry, n int) {
	if n < largeMembers {
		return
	}
	e.Attributes = nil
	runtime.GC()
}

// flattenDNs lists the user DNs reachable from a group through nested groups.
func flattenDNs(root *rawGroup, byDN map[string]*rawGroup) []string {
	visited := map[string]bool{}
	seen := map[string]bool{}
	var out []string
	var walk func(g *rawGroup)
	walk = func(g *rawGroup) {
		if visited[g.dn] {
			return
		}
		visited[g.dn] = true
		for _, d := range g.members {
			if sub := byDN[d]; sub != nil {
				walk(sub)
			} else if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	walk(root)
	return out
}

// flatten expands nested groups depth-first; visited guards against cycles.
func flatten(root *rawGroup, byDN map[string]*rawGroup, anchors map[string]string) []string {
	visited := map[string]bool{}
	seen := map[string]bool{}
	var out []string
	var walk func(g *rawGroup)
	walk = func(g *rawGroup) {
		if visited[g.dn] {
			return
		}
		visited[g.dn] = true
		for _, d := range g.members {
			if sub := byDN[d]; sub != nil {
				walk(sub)
				continue
			}
			if a, ok := anchors[d]; ok && !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	walk(root)
	return out
}

// memberValues returns all member values of a group entry, following AD
// style ranged retrieval ("member;range=0-1499") when the server split them.
// Each request must advance: a server that answers a range ending before
// the values asked for, or a malformed range, is an error naming the entry
// (never a loop, never a group silently cut short).
func (s *Syncer) memberValues(lc *ldap.Conn, e *ldap.Entry) ([]string, error) {
	var vals []string
	next := -1
	for _, a := range e.Attributes {
		r, err := parseRange(a.Name)
		if !strings.EqualFold(r.base, "member") {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", e.DN, err)
		}
		vals = append(vals, a.Values...)
		if !r.last() {
			next = r.hi + 1
		}
	}
	for next >= 0 {
		res, err := lc.Search(ldap.NewSearchRequest(e.DN, ldap.ScopeBaseObject, ldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=*)", []string{fmt.Sprintf("member;range=%d-*", next)}, nil))
		if err != nil {
			return nil, fmt.Errorf("ranged members of %s: %w", e.DN, err)
		}
		asked := next
		next = -1
		if len(res.Entries) == 0 {
			break
		}
		for _, a := range res.Entries[0].Attributes {
			r, err := parseRange(a.Name)
			if !strings.EqualFold(r.base, "member") {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("ranged members of %s: %w", e.DN, err)
			}
			vals = append(vals, a.Values...)
			if !r.last() && len(a.Values) > 0 {
				if r.hi < asked {
					return nil, fmt.Errorf("ranged members of %s: asked for values from %d, the server answered %q", e.DN, asked, a.Name)
				}
				next = r.hi + 1
			}
		}
	}
	return vals, nil
}
