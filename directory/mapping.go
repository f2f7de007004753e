package directory

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	ldap "github.com/go-ldap/ldap/v3"

	"github.com/roster-dev/roster/db"
)

// Mapping names the directory attributes Roster reads for a user.
type Mapping struct {
	Anchor    string // immutable id: objectGUID (AD) or entryUUID (OpenLDAP)
	Email     string
	UserName  string
	UserName2 string // fallback when UserName is empty (AD: sAMAccountName)
	FirstName string
	LastName  string
	Disabled  string // AD: userAccountControl (bit 0x2); OpenLDAP: pwdAccountLockedTime (ppolicy; present = locked)
	GroupName string
	FullName  string // fallback for missing first/last names (cn, displayName)
}

// Preset is the attribute mapping of a directory kind.
func Preset(k db.DirectoryKind) Mapping {
	if k == db.DirectoryAD {
		return Mapping{Anchor: "objectGUID", Email: "mail", UserName: "userPrincipalName", UserName2: "sAMAccountName",
			FirstName: "givenName", LastName: "sn", Disabled: "userAccountControl", GroupName: "cn", FullName: "displayName"}
	}
	return Mapping{Anchor: "entryUUID", Email: "mail", UserName: "uid", FirstName: "givenName", LastName: "sn",
		Disabled: "pwdAccountLockedTime", GroupName: "cn", FullName: "cn"}
}

// MappingFor applies a connection's overrides to its kind's preset.
func MappingFor(c db.DirectoryConnection) Mapping {
	m := Preset(c.Kind)
	for k, v := range c.Mapping {
		if v == "" {
			continue
		}
		switch k {
		case "anchor":
			m.Anchor = v
		case "email":
			m.Email = v
		case "username":
			m.UserName, m.UserName2 = v, ""
		case "first_name":
			m.FirstName = v
		case "last_name":
			m.LastName = v
		case "disabled":
			m.Disabled = v
		case "group_name":
			m.GroupName = v
		}
	}
	return m
}

// userAttrs is the attribute list of a user search.
func (m Mapping) userAttrs() []string {
	a := []string{m.Anchor, m.Email, m.UserName, m.FirstName, m.LastName, "objectClass"}
	for _, x := range []string{m.UserName2, m.Disabled, m.FullName} {
		if x != "" {
			a = append(a, x)
		}
	}
	return a
}

// GUIDString renders AD's 16-byte objectGUID in its canonical text form (the
// first three fields are little-endian on the wire).
func GUIDString(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", binary.LittleEndian.Uint32(b[0:4]),
		binary.LittleEndian.Uint16(b[4:6]), binary.LittleEndian.Uint16(b[6:8]), b[8:10], b[10:16])
}

// anchorOf reads the immutable id of an entry.
func (m Mapping) anchorOf(e *ldap.Entry) string {
	if strings.EqualFold(m.Anchor, "objectGUID") {
		return GUIDString(e.GetRawAttributeValue(m.Anchor))
	}
	return strings.ToLower(e.GetAttributeValue(m.Anchor))
}

// MapUser turns a directory entry into Roster's fields. ok is false when the
// entry has no anchor.
func (m Mapping) MapUser(e *ldap.Entry) (db.DirectoryUser, bool) {
	u := db.DirectoryUser{Anchor: m.anchorOf(e), DN: normDN(e.DN),
		Email:     attrText(e.GetAttributeValue(m.Email)),
		UserName:  attrText(e.GetAttributeValue(m.UserName)),
		FirstName: attrText(e.GetAttributeValue(m.FirstName)),
		LastName:  attrText(e.GetAttributeValue(m.LastName)),
	}
	if u.UserName == "" && m.UserName2 != "" {
		u.UserName = attrText(e.GetAttributeValue(m.UserName2))
	}
	if u.FirstName == "" || u.LastName == "" {
		fillNames(&u, attrText(e.GetAttributeValue(m.FullName)))
	}
	if m.Disabled != "" {
		if v := e.GetAttributeValue(m.Disabled); v != "" {
			if strings.EqualFold(m.Disabled, "userAccountControl") {
				n, _ := strconv.ParseInt(v, 10, 64)
				u.Disabled = n&0x2 != 0 // ACCOUNTDISABLE
			} else {
				// pwdAccountLockedTime (ppolicy), nsAccountLock and the like: set means locked
				u.Disabled = !strings.EqualFold(v, "FALSE") && v != "0"
			}
		}
	}
	u.Hash = hashStrings(u.Email, u.UserName, u.FirstName, u.LastName, strconv.FormatBool(u.Disabled))
	return u, u.Anchor != ""
}

// attrText is an attribute value as text every database stores alike: LDAP
// strings are UTF-8 (RFC 4517), so bytes that are not are replaced with
// U+FFFD and NULs dropped, then the value is trimmed. A mangled attribute
// thus maps to a value the store accepts (or, for an email, validates and
// skips per entry) rather than failing the whole batch with invalid_text.
func attrText(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	return strings.TrimSpace(strings.ReplaceAll(v, "\x00", ""))
}

func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:40]
}

// groupHash covers a group's name and flattened member set.
func groupHash(name string, members []string) string {
	s := append([]string(nil), members...)
	sort.Strings(s)
	return hashStrings(append([]string{name}, s...)...)
}

// hasClass reports whether the entry has one of the object classes.
func hasClass(e *ldap.Entry, classes ...string) bool {
	for _, oc := range e.GetAttributeValues("objectClass") {
		for _, c := range classes {
			if strings.EqualFold(oc, c) {
				return true
			}
		}
	}
	return false
}

// maxRangeBound caps a ranged retrieval's bounds, so hi+1 never overflows
// (AD's ranges are MaxValRange, 1,500 or 5,000, values long).
const maxRangeBound = 1 << 30

// valueRange is an attribute name split from its range option, as in
// "member;range=0-1499" (AD's ranged retrieval).
type valueRange struct {
	base   string // the attribute name without the option
	lo, hi int    // the values' bounds; hi is -1 for "*", the last chunk
	ranged bool
}

// last reports whether no values follow this chunk.
func (r valueRange) last() bool { return !r.ranged || r.hi < 0 }

// parseRange reads an attribute name like "member;range=0-1499" or
// "member;range=1500-*". A range option that is not lo-hi or lo-* with
// 0 <= lo <= hi is an error: taking it for the last chunk would drop the
// values that follow.
func parseRange(name string) (valueRange, error) {
	// fold ASCII only: strings.ToLower turns an invalid byte into a
	// 3-byte U+FFFD, and an index into the folded copy would then not be
	// an index into name
	i := strings.Index(asciiLower(name), ";range=")
	if i < 0 {
		return valueRange{base: name, hi: -1}, nil
	}
	r := valueRange{base: name[:i], ranged: true}
	spec := name[i+len(";range="):]
	bad := fmt.Errorf("malformed range option %q", name)
	los, his, ok := strings.Cut(spec, "-")
	if !ok {
		return r, bad
	}
	lo, err := strconv.Atoi(los)
	if err != nil || lo < 0 || lo > maxRangeBound {
		return r, bad
	}
	r.lo = lo
	if his == "*" {
		r.hi = -1
		return r, nil
	}
	hi, err := strconv.Atoi(his)
	if err != nil || hi < lo || hi > maxRangeBound {
		return r, bad
	}
	r.hi = hi
	return r, nil
}

// asciiLower lower-cases A-Z and keeps every other byte, so the result has
// the same length and byte offsets as s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// normDN lower-cases a DN and trims spaces after separators, for map keys.
func normDN(dn string) string {
	if !strings.ContainsAny(dn, `\"+#<>;`) {
		// the common case needs no parser: lower-case, trim around separators
		parts := strings.Split(dn, ",")
		for i, p := range parts {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				return strings.ToLower(strings.TrimSpace(dn))
			}
			parts[i] = strings.ToLower(strings.TrimSpace(k)) + "=" + strings.ToLower(strings.TrimSpace(v))
		}
		return strings.Join(parts, ",")
	}
	if p, err := ldap.ParseDN(dn); err == nil {
		var parts []string
		for _, rdn := range p.RDNs {
			var as []string
			for _, a := range rdn.Attributes {
				as = append(as, strings.ToLower(a.Type)+"="+strings.ToLower(ldap.EscapeDN(a.Value)))
			}
			parts = append(parts, strings.Join(as, "+"))
		}
		return strings.Join(parts, ",")
	}
	return strings.ToLower(strings.TrimSpace(dn))
}

// inScope reports whether dn is baseDN or below it.
func inScope(dn, baseDN string) bool {
	d, b := normDN(dn), normDN(baseDN)
	return d == b || strings.HasSuffix(d, ","+b)
}

// fillNames completes missing first/last names (Roster requires both) from
// the full name, else from the user name or the email's local part.
func fillNames(u *db.DirectoryUser, full string) {
	words := strings.Fields(full)
	if u.LastName != "" && len(words) > 1 && strings.EqualFold(words[len(words)-1], u.LastName) {
		words = words[:len(words)-1]
	}
	if u.FirstName == "" && len(words) > 0 {
		u.FirstName = words[0]
		words = words[1:]
	}
	if u.LastName == "" && len(words) > 0 {
		u.LastName = strings.Join(words, " ")
	}
	fallback := u.UserName
	if i := strings.IndexByte(u.Email, '@'); fallback == "" && i > 0 {
		fallback = u.Email[:i]
	}
	if u.FirstName == "" {
		u.FirstName = fallback
	}
	if u.LastName == "" {
		u.LastName = fallback
	}
}

// mapUsers maps a page of entries (MapUser), dropping those that are not users.
func (m Mapping) mapUsers(es []*ldap.Entry) []db.DirectoryUser {
	out := make([]db.DirectoryUser, 0, len(es))
	for _, e := range es {
		if u, ok := m.MapUser(e); ok {
			out = append(out, u)
		}
	}
	return out
}
