package scim

import (
	"context"
	"fmt"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	filter "github.com/scim2/filter-parser/v2"
)

// applyPatch applies PATCH operations (RFC 7644 §3.5.2) to a resource
// document. Keys in doc use canonical attribute names. Any error leaves the
// caller to discard doc, so a failed PATCH writes nothing. It stops when ctx
// ends.
func applyPatch(ctx context.Context, doc map[string]any, s schemaSet, ops []lib.PatchOperation) error {
	refs := multiValuedRefs(s)
	for i, op := range ops {
		if i%64 == 0 && ctx.Err() != nil {
			return cancelled()
		}
		touched := touchedMultiValued(s, refs, op)
		snap := snapshotPrimaries(doc, touched)
		err := applyOp(doc, s, op)
		if err == nil {
			err = settlePrimaries(doc, touched, snap)
		}
		if err != nil {
			if se, ok := err.(scimerr.ScimError); ok && len(ops) > 1 {
				se.Detail = fmt.Sprintf("operation %d: %s", i+1, se.Detail)
				return se
			}
			return err
		}
	}
	return nil
}

// touchedMultiValued lists the multi-valued complex attributes (of refs) an
// operation may change.
func touchedMultiValued(s schemaSet, refs []attrRef, op lib.PatchOperation) []attrRef {
	var out []attrRef
	pick := func(ext, name string) {
		if r, ok := multiValuedRef(refs, ext, name); ok {
			for _, o := range out {
				if o.ext == r.ext && o.name == r.name {
					return
				}
			}
			out = append(out, r)
		}
	}
	if op.Path != nil {
		if ref, ok := s.resolve(op.Path.AttributePath.URI(), op.Path.AttributePath.AttributeName, ""); ok {
			pick(ref.ext, ref.name)
		}
		return out
	}
	m, _ := op.Value.(map[string]any)
	for k, v := range m {
		ref, ok := s.resolveKey(k)
		if !ok {
			continue
		}
		if ref.name != "" {
			pick(ref.ext, ref.name)
			continue
		}
		ext, _ := v.(map[string]any)
		for ek := range ext {
			if r, ok := s.resolveKey(ref.ext + ":" + ek); ok {
				pick(r.ext, r.name)
			}
		}
	}
	return out
}

func applyOp(doc map[string]any, s schemaSet, op lib.PatchOperation) error {
	if op.Path == nil {
		if op.Op == "remove" {
			return bad(scimerr.ScimTypeNoTarget, "remove needs a path")
		}
		m, ok := op.Value.(map[string]any)
		if !ok {
			return bad(scimerr.ScimTypeInvalidValue, "a %s without a path needs an object value", op.Op)
		}
		for k, v := range m {
			if strings.EqualFold(k, "id") || strings.EqualFold(k, "schemas") {
				continue // Okta sends the id back; it cannot change
			}
			ref, ok := s.resolveKey(k)
			if !ok {
				return bad(scimerr.ScimTypeInvalidPath, "unknown attribute %q", k)
			}
			if ref.name == "" { // a whole extension object
				ext, ok := v.(map[string]any)
				if !ok {
					return bad(scimerr.ScimTypeInvalidValue, "%s must be an object", k)
				}
				for ek, ev := range ext {
					r, ok := s.resolveKey(ref.ext + ":" + ek)
					if !ok || r.name == "" {
						return bad(scimerr.ScimTypeInvalidPath, "unknown attribute %q in %s", ek, ref.ext)
					}
					if err := setAttr(doc, r, op.Op, ev); err != nil {
						return err
					}
				}
				continue
			}
			if err := setAttr(doc, ref, op.Op, v); err != nil {
				return err
			}
		}
		return nil
	}
	p := op.Path
	ref, ok := s.resolve(p.AttributePath.URI(), p.AttributePath.AttributeName, p.AttributePath.SubAttributeName())
	if !ok {
		return bad(scimerr.ScimTypeInvalidPath, "unknown attribute %q", p.AttributePath.String())
	}
	if ref.readOnly() {
		return bad(scimerr.ScimTypeMutability, "%s is read-only", ref)
	}
	if p.ValueExpression == nil {
		if op.Op == "remove" {
			removeAttr(doc, ref)
			return nil
		}
		return setAttr(doc, ref, op.Op, op.Value)
	}
	// attr[filter] or attr[filter].sub
	if !ref.attr.MultiValued() {
		return bad(scimerr.ScimTypeInvalidPath, "%s is not multi-valued; a value filter does not apply", ref)
	}
	sub := ""
	if p.SubAttribute != nil {
		sa, ok := ref.attr.SubAttributes().ContainsAttribute(*p.SubAttribute)
		if !ok {
			return bad(scimerr.ScimTypeInvalidPath, "%s has no sub-attribute %q", ref, *p.SubAttribute)
		}
		sub = sa.Name()
	}
	c := container(doc, ref.ext, op.Op != "remove")
	if c == nil {
		return bad(scimerr.ScimTypeNoTarget, "no value matches %s", p.String())
	}
	list, _ := c[ref.name].([]any)
	var matched []int
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		ok, err := matchElement(p.ValueExpression, m)
		if err != nil {
			return err
		}
		if ok {
			matched = append(matched, i)
		}
	}
	switch op.Op {
	case "remove":
		if len(matched) == 0 {
			return bad(scimerr.ScimTypeNoTarget, "no value matches %s", p.String())
		}
		if sub != "" {
			for _, i := range matched {
				delete(list[i].(map[string]any), sub)
			}
			return nil
		}
		kept := make([]any, 0, len(list))
		j := 0
		for i, e := range list {
			if j < len(matched) && matched[j] == i {
				j++
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) == 0 {
			delete(c, ref.name)
		} else {
			c[ref.name] = kept
		}
		return nil
	default: // add, replace
		if len(matched) == 0 {
			if sub == "" && op.Op == "replace" {
				return bad(scimerr.ScimTypeNoTarget, "no value matches %s", p.String())
			}
			// Entra ID: replace emails[type eq "work"].value on a user without
			// a work email creates it from the filter's eq conditions.
			el := map[string]any{}
			eqConditions(p.ValueExpression, el)
			if sub != "" {
				el[sub] = op.Value
			} else if m, ok := op.Value.(map[string]any); ok {
				for k, v := range m {
					el[k] = v
				}
			}
			canonicalElement(ref.attr, el)
			if _, withValue := hasValueSub(ref.attr); withValue && !assignedValue(el) {
				return bad(scimerr.ScimTypeNoTarget, "no value matches %s[%s]; a new %s element needs a value", p.AttributePath.String(), p.ValueExpression, ref.name)
			}
			c[ref.name] = append(list, el)
			return nil
		}
		for _, i := range matched {
			m := list[i].(map[string]any)
			if sub != "" {
				m[sub] = op.Value
				continue
			}
			v, ok := op.Value.(map[string]any)
			if !ok {
				return bad(scimerr.ScimTypeInvalidValue, "%s needs an object value", p.String())
			}
			if op.Op == "replace" {
				clear(m)
			}
			for k, x := range v {
				m[k] = x
			}
		}
		return nil
	}
}

// container returns the map an attribute lives in (the document or its
// extension object), creating the extension object if asked.
func container(doc map[string]any, ext string, create bool) map[string]any {
	if ext == "" {
		return doc
	}
	m, ok := doc[ext].(map[string]any)
	if !ok {
		if !create {
			return nil
		}
		m = map[string]any{}
		doc[ext] = m
	}
	return m
}

func removeAttr(doc map[string]any, ref attrRef) {
	c := container(doc, ref.ext, false)
	if c == nil {
		return
	}
	if ref.sub == "" {
		delete(c, ref.name)
		return
	}
	if m, ok := c[ref.name].(map[string]any); ok {
		delete(m, ref.sub)
		if len(m) == 0 {
			delete(c, ref.name)
		}
	}
}

// setAttr adds or replaces one attribute (or sub-attribute).
func setAttr(doc map[string]any, ref attrRef, op string, v any) error {
	if ref.readOnly() {
		if ref.name == "groups" || ref.ext == URNRoster || ref.name == "id" || ref.name == "meta" {
			return bad(scimerr.ScimTypeMutability, "%s is read-only", ref)
		}
		return nil // read-only sub-attributes (manager.displayName) are ignored
	}
	c := container(doc, ref.ext, true)
	if v == nil {
		removeAttr(doc, ref)
		return nil
	}
	if ref.sub != "" {
		m, _ := c[ref.name].(map[string]any)
		if m == nil {
			m = map[string]any{}
			c[ref.name] = m
		}
		m[ref.sub] = v
		return nil
	}
	if ref.name == "manager" && ref.ext == URNEnterprise {
		// The validator removes a manager with {"value":""}; a bare id is a value.
		switch x := v.(type) {
		case string:
			v = map[string]any{"value": x}
		case map[string]any:
			if s, _ := x["value"].(string); s == "" {
				delete(c, ref.name)
				return nil
			}
		}
	}
	if ref.attr.MultiValued() {
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		if op == "add" {
			cur, _ := c[ref.name].([]any)
			list = addElements(ref.attr, cur, list)
		}
		c[ref.name] = list
		return nil
	}
	if ref.attr.HasSubAttributes() {
		m, ok := v.(map[string]any)
		if !ok {
			return bad(scimerr.ScimTypeInvalidValue, "%s needs an object value", ref)
		}
		cur, _ := c[ref.name].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		for k, x := range m {
			if sa, ok := ref.attr.SubAttributes().ContainsAttribute(k); ok {
				k = sa.Name()
			}
			cur[k] = x
		}
		c[ref.name] = cur
		return nil
	}
	c[ref.name] = v
	return nil
}

// eqConditions copies attr eq "x" conditions of an and-chain into el.
func eqConditions(e filter.Expression, el map[string]any) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if x.Operator == filter.EQ {
			el[x.AttributePath.AttributeName] = unescape(x.CompareValue)
		}
	case *filter.LogicalExpression:
		if x.Operator == filter.AND {
			eqConditions(x.Left, el)
			eqConditions(x.Right, el)
		}
	}
}

// matchElement evaluates a value filter on one element of a multi-valued
// attribute. Strings compare case-insensitively.
func matchElement(e filter.Expression, el map[string]any) (bool, error) {
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := matchElement(x.Left, el)
		if err != nil {
			return false, err
		}
		r, err := matchElement(x.Right, el)
		if err != nil {
			return false, err
		}
		if x.Operator == filter.AND {
			return l && r, nil
		}
		return l || r, nil
	case *filter.NotExpression:
		v, err := matchElement(x.Expression, el)
		return !v, err
	case *filter.AttributeExpression:
		var got any
		found := false
		for k, v := range el {
			if strings.EqualFold(k, x.AttributePath.AttributeName) {
				got, found = v, true
			}
		}
		if x.Operator == filter.PR {
			return found && got != nil && got != "", nil
		}
		want := unescape(x.CompareValue)
		switch g := got.(type) {
		case bool:
			w, ok := want.(bool)
			if !ok {
				return false, nil
			}
			switch x.Operator {
			case filter.EQ:
				return g == w, nil
			case filter.NE:
				return g != w, nil
			}
			return false, bad(scimerr.ScimTypeInvalidFilter, "booleans compare with eq or ne")
		case string:
			w, ok := want.(string)
			if !ok {
				return false, nil
			}
			return compareStrings(x.Operator, strings.ToLower(g), strings.ToLower(w)), nil
		case nil:
			return x.Operator == filter.NE, nil
		}
		return compareStrings(x.Operator, strings.ToLower(fmt.Sprint(got)), strings.ToLower(fmt.Sprint(want))), nil
	}
	return false, bad(scimerr.ScimTypeInvalidFilter, "unsupported value filter")
}

func compareStrings(op filter.CompareOperator, g, w string) bool {
	switch op {
	case filter.EQ:
		return g == w
	case filter.NE:
		return g != w
	case filter.CO:
		return strings.Contains(g, w)
	case filter.SW:
		return strings.HasPrefix(g, w)
	case filter.EW:
		return strings.HasSuffix(g, w)
	case filter.GT:
		return g > w
	case filter.GE:
		return g >= w
	case filter.LT:
		return g < w
	case filter.LE:
		return g <= w
	}
	return false
}

// memberFilterIDs reads members[value eq "a" or value eq "b"].
func memberFilterIDs(e filter.Expression) ([]string, error) {
	switch x := e.(type) {
	case *filter.AttributeExpression:
		if strings.EqualFold(x.AttributePath.AttributeName, "value") && x.Operator == filter.EQ {
			if s, ok := unescape(x.CompareValue).(string); ok {
				return []string{s}, nil
			}
		}
	case *filter.LogicalExpression:
		if x.Operator == filter.OR {
			l, err := memberFilterIDs(x.Left)
			if err != nil {
				return nil, err
			}
			r, err := memberFilterIDs(x.Right)
			if err != nil {
				return nil, err
			}
			return append(l, r...), nil
		}
	}
	return nil, bad(scimerr.ScimTypeInvalidFilter, "members filters must be value eq \"id\" (optionally joined with or)")
}
