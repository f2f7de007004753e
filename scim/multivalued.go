package scim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/schema"
)

// Multi-valued complex attributes (emails, phoneNumbers, addresses, roles,
// ...) are normalised on every write, per RFC 7643 §2.4 and §2.5 and
// RFC 7644 §3.5.2:
//
//   - a null element, and an element whose sub-attributes are all null, is
//     unassigned and dropped; null sub-attributes are dropped;
//   - for attributes with a "value" sub-attribute, an element that has other
//     sub-attributes but no value is refused (400 invalidValue): it names
//     nothing;
//   - elements with the same (type, value) — compared as the schema says,
//     emails case-insensitively — are one value: they are merged;
//   - at most one element is primary (400 invalidValue otherwise); a PATCH
//     operation that makes an element primary makes the others non-primary.
//
// Stored documents written before these rules are repaired when read
// (duplicates merged, the first primary kept, value-less elements dropped).

// multiValuedRefs lists the writable multi-valued complex attributes of s.
func multiValuedRefs(s schemaSet) []attrRef {
	var out []attrRef
	add := func(ext string, attrs schema.Attributes) {
		for _, a := range attrs {
			if a.MultiValued() && a.HasSubAttributes() && a.Mutability() != "readOnly" {
				out = append(out, attrRef{ext: ext, name: a.Name(), attr: a})
			}
		}
	}
	add("", s.core.Attributes)
	for _, e := range s.extensions {
		if e.ID != URNRoster {
			add(e.ID, e.Attributes)
		}
	}
	return out
}

// userMultiValued is multiValuedRefs(userSchemas()), computed once.
var userMultiValued = multiValuedRefs(userSchemas())

// multiValuedRef returns the multi-valued complex attribute named by ref, if
// it is one.
func multiValuedRef(refs []attrRef, ext, name string) (attrRef, bool) {
	for _, r := range refs {
		if r.ext == ext && strings.EqualFold(r.name, name) {
			return r, true
		}
	}
	return attrRef{}, false
}

// cleanMultiValued normalises every multi-valued complex attribute in doc
// (see the rules above). strict refuses what a client sent wrongly; !strict
// repairs a stored document silently.
func cleanMultiValued(doc map[string]any, refs []attrRef, strict bool) error {
	for _, r := range refs {
		if err := cleanAttr(doc, r, strict); err != nil {
			return err
		}
	}
	return nil
}

// cleanAttr normalises one multi-valued attribute of doc in place.
func cleanAttr(doc map[string]any, r attrRef, strict bool) error {
	c := container(doc, r.ext, false)
	if c == nil {
		return nil
	}
	key := ""
	if _, ok := c[r.name]; ok {
		key = r.name
	} else if strict { // client input may spell names in any case
		for k := range c {
			if strings.EqualFold(k, r.name) {
				key = k
				break
			}
		}
	}
	if key == "" {
		return nil
	}
	list, ok := c[key].([]any)
	if !ok {
		if c[key] == nil {
			delete(c, key)
		}
		return nil // a single object or a wrong type: the schema check answers
	}
	out, err := cleanList(r, list, strict)
	if err != nil {
		return err
	}
	if len(out) == 0 {
		delete(c, key)
		return nil
	}
	c[key] = out
	return nil
}

// subAttr returns the canonical name of a sub-attribute of a.
func subAttr(a schema.CoreAttribute, k string) (schema.CoreAttribute, string, bool) {
	sa, ok := a.SubAttributes().ContainsAttribute(k)
	if !ok {
		return schema.CoreAttribute{}, k, false
	}
	return sa, sa.Name(), true
}

// hasValueSub reports whether a's elements are identified by "value".
func hasValueSub(a schema.CoreAttribute) (schema.CoreAttribute, bool) {
	sa, _, ok := subAttr(a, "value")
	return sa, ok
}

// canonicalElement drops null sub-attributes and spells the others as the
// schema does. It reports false for an element with nothing assigned.
func canonicalElement(a schema.CoreAttribute, m map[string]any) bool {
	for k, v := range m {
		if v == nil {
			delete(m, k)
			continue
		}
		if _, name, ok := subAttr(a, k); ok && name != k {
			delete(m, k)
			m[name] = v
		}
	}
	return len(m) > 0
}

// assignedValue reports whether an element carries a non-empty value.
func assignedValue(m map[string]any) bool {
	v, ok := m["value"]
	if !ok || v == nil {
		return false
	}
	if s, isStr := v.(string); isStr && strings.TrimSpace(s) == "" {
		return false
	}
	return true
}

// elementKey identifies an element: (type, value) for attributes with a
// value, the whole element but primary otherwise.
func elementKey(a schema.CoreAttribute, m map[string]any) string {
	if sa, ok := hasValueSub(a); ok {
		typ, _ := m["type"].(string)
		var v string
		if s, isStr := m["value"].(string); isStr {
			v = strings.TrimSpace(s)
		} else {
			v = fmt.Sprint(m["value"])
		}
		if !sa.CaseExact() {
			v = strings.ToLower(v)
		}
		return strings.ToLower(strings.TrimSpace(typ)) + "\x00" + v
	}
	rest := make(map[string]any, len(m))
	for k, v := range m {
		if k != "primary" {
			rest[k] = v
		}
	}
	b, _ := json.Marshal(rest)
	return string(b)
}

func isPrimary(m map[string]any) bool { p, _ := m["primary"].(bool); return p }

// mergeInto merges a duplicate element into the one kept: sub-attributes the
// kept one lacks are taken (all of them, if override), and it is primary if
// either is.
func mergeInto(dst, src map[string]any, override bool) {
	for k, v := range src {
		switch {
		case k == "primary":
			if v == true {
				dst[k] = true
			}
		case k == "value" || k == "type":
			if _, has := dst[k]; !has {
				dst[k] = v
			}
		default:
			if _, has := dst[k]; !has || override {
				dst[k] = v
			}
		}
	}
}

// cleanList applies the rules to the elements of one attribute.
func cleanList(r attrRef, list []any, strict bool) ([]any, error) {
	_, withValue := hasValueSub(r.attr)
	out := make([]any, 0, len(list))
	seen := make(map[string]int, len(list))
	for i, e := range list {
		if e == nil {
			continue
		}
		m, ok := e.(map[string]any)
		if !ok {
			out = append(out, e) // not an object: the schema check answers
			continue
		}
		if !canonicalElement(r.attr, m) {
			continue
		}
		if withValue && !assignedValue(m) {
			if strict {
				return nil, bad(scimerr.ScimTypeInvalidValue, "%s[%d] has no value; every %s element needs one", r.name, i+1, r.name)
			}
			continue
		}
		k := elementKey(r.attr, m)
		if j, dup := seen[k]; dup {
			mergeInto(out[j].(map[string]any), m, false)
			continue
		}
		seen[k] = len(out)
		out = append(out, m)
	}
	primary := -1
	for i, e := range out {
		if m, ok := e.(map[string]any); ok && isPrimary(m) {
			if primary < 0 {
				primary = i
				continue
			}
			if strict {
				return nil, bad(scimerr.ScimTypeInvalidValue, "%s has more than one primary value; at most one may be primary (RFC 7643 §2.4)", r.name)
			}
			m["primary"] = false
		}
	}
	return out, nil
}

// addElements is PATCH add on a multi-valued attribute: new elements are
// appended, an element equal to an existing one (same key) is merged into
// it, its sub-attributes winning. Work is linear in both lists.
func addElements(a schema.CoreAttribute, cur, add []any) []any {
	seen := make(map[string]int, len(cur)+len(add))
	for i, e := range cur {
		if m, ok := e.(map[string]any); ok {
			if _, has := seen[elementKey(a, m)]; !has {
				seen[elementKey(a, m)] = i
			}
		}
	}
	for _, x := range add {
		m, ok := x.(map[string]any)
		if !ok || !canonicalElement(a, m) {
			if ok {
				continue // nothing assigned: nothing to add
			}
			cur = append(cur, x)
			continue
		}
		k := elementKey(a, m)
		if j, dup := seen[k]; dup {
			if dst, ok := cur[j].(map[string]any); ok {
				mergeInto(dst, m, true)
				continue
			}
		}
		seen[k] = len(cur)
		cur = append(cur, m)
	}
	return cur
}

// primarySnapshot records which elements of the touched attributes are
// primary before a PATCH operation.
type primarySnapshot map[string]map[uintptr]bool

func elementID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

func attrList(doc map[string]any, r attrRef) []any {
	c := container(doc, r.ext, false)
	if c == nil {
		return nil
	}
	l, _ := c[r.name].([]any)
	return l
}

func snapshotPrimaries(doc map[string]any, refs []attrRef) primarySnapshot {
	snap := primarySnapshot{}
	for _, r := range refs {
		ids := map[uintptr]bool{}
		for _, e := range attrList(doc, r) {
			if m, ok := e.(map[string]any); ok && isPrimary(m) {
				ids[elementID(m)] = true
			}
		}
		snap[r.String()] = ids
	}
	return snap
}

// settlePrimaries makes the elements that were primary before an operation
// non-primary when the operation made another element primary (RFC 7644
// §3.5.2), then checks the attribute's rules.
func settlePrimaries(doc map[string]any, refs []attrRef, snap primarySnapshot) error {
	for _, r := range refs {
		before := snap[r.String()]
		list := attrList(doc, r)
		fresh := false
		for _, e := range list {
			if m, ok := e.(map[string]any); ok && isPrimary(m) && !before[elementID(m)] {
				fresh = true
			}
		}
		if fresh {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok && isPrimary(m) && before[elementID(m)] {
					m["primary"] = false
				}
			}
		}
		if err := cleanAttr(doc, r, true); err != nil {
			return err
		}
	}
	return nil
}
