package scim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	scimerr "github.com/elimity-com/scim/errors"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/roster-dev/roster/db"
)

// projection is the attributes / excludedAttributes request (RFC 7644 §3.9).
type projection struct {
	include []attrRef // empty: all default attributes
	exclude []attrRef
}

func parseProjection(s schemaSet, attrs, excluded string) (projection, *scimerr.ScimError) {
	var p projection
	parse := func(list string) ([]attrRef, *scimerr.ScimError) {
		var out []attrRef
		for _, k := range strings.Split(list, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			ref, ok := s.resolveKey(k)
			if !ok {
				e := bad(scimerr.ScimTypeInvalidValue, "unknown attribute %q in attributes/excludedAttributes", k)
				return nil, &e
			}
			out = append(out, ref)
		}
		return out, nil
	}
	var err *scimerr.ScimError
	if p.include, err = parse(attrs); err != nil {
		return p, err
	}
	if p.exclude, err = parse(excluded); err != nil {
		return p, err
	}
	return p, nil
}

// wants reports whether a core attribute will be in the response (so it is
// worth loading).
func (p projection) wants(name string) bool {
	for _, r := range p.exclude {
		if r.ext == "" && r.name == name && r.sub == "" {
			return false
		}
	}
	if len(p.include) == 0 {
		return true
	}
	for _, r := range p.include {
		if r.ext == "" && r.name == name {
			return true
		}
	}
	return false
}

// empty reports whether p returns documents whole (no attributes or
// excludedAttributes).
func (p projection) empty() bool { return len(p.include) == 0 && len(p.exclude) == 0 }

// apply projects a full document; id and schemas are always returned.
func (p projection) apply(doc map[string]any) map[string]any {
	if len(p.include) == 0 && len(p.exclude) == 0 {
		return doc
	}
	if len(p.include) > 0 {
		out := map[string]any{"id": doc["id"], "schemas": doc["schemas"]}
		for _, r := range p.include {
			src := container(doc, r.ext, false)
			if src == nil {
				continue
			}
			if r.name == "" {
				out[r.ext] = src
				continue
			}
			v, ok := src[r.name]
			if !ok {
				continue
			}
			dst := out
			if r.ext != "" {
				m, _ := out[r.ext].(map[string]any)
				if m == nil {
					m = map[string]any{}
					out[r.ext] = m
				}
				dst = m
			}
			if r.sub == "" {
				dst[r.name] = v
				continue
			}
			switch x := v.(type) {
			case map[string]any:
				m, _ := dst[r.name].(map[string]any)
				if m == nil {
					m = map[string]any{}
					dst[r.name] = m
				}
				if sv, ok := x[r.sub]; ok {
					m[r.sub] = sv
				}
			case []any:
				list := make([]any, 0, len(x))
				for _, e := range x {
					if em, ok := e.(map[string]any); ok {
						if sv, ok := em[r.sub]; ok {
							list = append(list, map[string]any{r.sub: sv})
						}
					}
				}
				dst[r.name] = list
			}
		}
		doc = out
	}
	for _, r := range p.exclude {
		if r.name == "id" || r.name == "schemas" {
			continue
		}
		if r.name == "" {
			delete(doc, r.ext)
			continue
		}
		removeAttr(doc, r)
	}
	return doc
}

// listParams are the query parameters of a list or search.
type listParams struct {
	filter, sortBy, sortOrder, attributes, excluded string
	startIndex, count                               *int
	cursor                                          *string
}

func (h *handler) serveList(w http.ResponseWriter, r *http.Request, kind resourceKind, q url.Values) {
	lp := listParams{filter: q.Get("filter"), sortBy: q.Get("sortBy"), sortOrder: q.Get("sortOrder"),
		attributes: q.Get("attributes"), excluded: q.Get("excludedAttributes")}
	for _, x := range []struct {
		name string
		dst  **int
	}{{"startIndex", &lp.startIndex}, {"count", &lp.count}} {
		if v := q.Get(x.name); v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, x.name+" must be an integer")
				return
			}
			*x.dst = &n
		}
	}
	if q.Has("cursor") {
		c := q.Get("cursor")
		lp.cursor = &c
	}
	h.list(w, r, kind, lp)
}

func (h *handler) serveSearch(w http.ResponseWriter, r *http.Request, kind resourceKind) {
	var req struct {
		Schemas            []string `json:"schemas"`
		Filter             string   `json:"filter"`
		SortBy             string   `json:"sortBy"`
		SortOrder          string   `json:"sortOrder"`
		Attributes         []string `json:"attributes"`
		ExcludedAttributes []string `json:"excludedAttributes"`
		StartIndex         *int     `json:"startIndex"`
		Count              *int     `json:"count"`
		Cursor             *string  `json:"cursor"`
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidSyntax, "the search request is not valid JSON: "+jsonErr(err))
		return
	}
	if len(req.Schemas) != 1 || req.Schemas[0] != urnSearch {
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "schemas must be [\""+urnSearch+"\"]")
		return
	}
	h.list(w, r, kind, listParams{filter: req.Filter, sortBy: req.SortBy, sortOrder: req.SortOrder,
		attributes: strings.Join(req.Attributes, ","), excluded: strings.Join(req.ExcludedAttributes, ","),
		startIndex: req.StartIndex, count: req.Count, cursor: req.Cursor})
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, kind resourceKind, lp listParams) {
	p, serr := parseProjection(kind.sset(), lp.attributes, lp.excluded)
	if serr != nil {
		writeScimError(w, *serr)
		return
	}
	q := db.Query{Limit: 100}
	if lp.count != nil {
		q.Limit = *lp.count
		if q.Limit < 0 {
			q.Limit = 0
		}
		if q.Limit > h.opts.MaxResults {
			q.Limit = h.opts.MaxResults
		}
	}
	if strings.TrimSpace(lp.filter) != "" {
		e, serr := translateFilter(kind, lp.filter)
		if serr != nil {
			writeScimError(w, *serr)
			return
		}
		q.Filter = e
	}
	if lp.sortBy != "" {
		f, serr := sortField(kind, lp.sortBy)
		if serr != nil {
			writeScimError(w, *serr)
			return
		}
		q.SortBy = f
	}
	switch strings.ToLower(lp.sortOrder) {
	case "", "ascending":
	case "descending":
		q.Descending = true
	default:
		writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "sortOrder must be ascending or descending")
		return
	}
	startIndex := 1
	if lp.cursor != nil {
		if lp.startIndex != nil {
			writeError(w, http.StatusBadRequest, scimerr.ScimTypeInvalidValue, "use either cursor or startIndex, not both")
			return
		}
		if *lp.cursor != "" {
			pos, ok := h.decodeCursor(cursorScope{team: teamOf(r.Context()), endpoint: kind.endpoint(), q: q}, *lp.cursor)
			if !ok || pos.after != "" && q.SortBy != "" && q.SortBy != db.FieldID {
				writeError(w, http.StatusBadRequest, "invalidCursor",
					"the cursor is not one this server issued for this query: a cursor only continues the list of the same team, endpoint, filter, sortBy and sortOrder, unaltered")
				return
			}
			q.After, q.Offset = pos.after, pos.offset
		}
	} else if lp.startIndex != nil {
		startIndex = *lp.startIndex
		if startIndex < 1 {
			startIndex = 1
		}
		q.Offset = startIndex - 1
	}
	// Totals are counted by the store on every request: a cached total went
	// stale with every write that bypasses SCIM (admin API, directory sync,
	// SSO), and the store counts a team from an index (issue 9 #13).
	docs, total, last, err := kind.search(r.Context(), q, p)
	if err != nil {
		writeScimError(w, h.toScimError(err, http.MethodGet))
		return
	}
	h.writeList(w, cursorScope{team: teamOf(r.Context()), endpoint: kind.endpoint(), q: q}, lp, p, docs, total, last, startIndex)
}

func (h *handler) writeList(w http.ResponseWriter, scope cursorScope, lp listParams, p projection, docs []map[string]any, total int, last string, startIndex int) {
	q := scope.q
	res := make([]any, len(docs))
	for i, d := range docs {
		res[i] = p.apply(d)
	}
	out := map[string]any{"schemas": []string{urnListResponse}, "totalResults": total,
		"itemsPerPage": len(res), "Resources": res}
	if lp.cursor != nil {
		more := len(docs) == q.Limit && q.Limit > 0
		if q.After == "" && q.Offset+len(docs) >= total {
			more = false
		}
		if more {
			if q.SortBy == "" || q.SortBy == db.FieldID {
				out["nextCursor"] = h.encodeCursor(scope, cursorPos{after: last})
			} else {
				out["nextCursor"] = h.encodeCursor(scope, cursorPos{offset: q.Offset + len(docs)})
			}
		}
	} else {
		out["startIndex"] = startIndex
	}
	writeJSON(w, http.StatusOK, out)
}

func sortField(kind resourceKind, sortBy string) (db.Field, *scimerr.ScimError) {
	ref, ok := kind.sset().resolveKey(sortBy)
	if ok {
		if f, _, ok := fieldOf(kind, ref); ok && f != db.FieldAttr {
			return f, nil
		}
	}
	e := bad(scimerr.ScimTypeInvalidValue, "cannot sort by %q", sortBy)
	return "", &e
}

// rewriteValuePathSub removes the ".sub op value" after each "attr[filter]"
// (Entra ID sends emails[type eq "work"].value eq "x"; the parser has no
// sub-attribute after "]" and cannot parse a longer filter inside [...]). It
// returns, for each value path in order, the removed "sub op value" or "";
// ok=false for a "[" without its "]" or a string without its closing quote
// (the filter cannot be valid).
func rewriteValuePathSub(f string) (_ string, _ []string, ok bool) {
	var extras []string
	var out strings.Builder
	i := 0
	inStr := false
	for i < len(f) {
		c := f[i]
		if inStr {
			out.WriteByte(c)
			if c == '\\' && i+1 < len(f) {
				out.WriteByte(f[i+1])
				i += 2
				continue
			}
			if c == '"' {
				inStr = false
			}
			i++
			continue
		}
		if c == '"' {
			inStr = true
			out.WriteByte(c)
			i++
			continue
		}
		if c == '[' {
			// find the matching ']'
			j, depth, s := i+1, 1, false
			for ; j < len(f) && depth > 0; j++ {
				switch {
				case s && f[j] == '\\':
					j++
				case f[j] == '"':
					s = !s
				case !s && f[j] == '[':
					depth++
				case !s && f[j] == ']':
					depth--
				}
			}
			if depth > 0 || j > len(f) {
				return "", nil, false
			}
			inner := f[i+1 : j-1]
			rest := f[j:]
			if strings.HasPrefix(rest, ".") {
				k := 1
				for k < len(rest) && (isAlnum(rest[k]) || rest[k] == '_' || rest[k] == '-' || rest[k] == '$') {
					k++
				}
				sub := rest[1:k]
				cond, n := readCondition(rest[k:])
				if sub != "" && cond != "" {
					extras = append(extras, sub+" "+cond)
					out.WriteString("[" + inner + "]")
					i = j + k + n
					continue
				}
			}
			extras = append(extras, "")
			out.WriteString("[" + inner + "]")
			i = j
			continue
		}
		out.WriteByte(c)
		i++
	}
	if inStr {
		return "", nil, false
	}
	return out.String(), extras, true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// readCondition reads ` op value` (or ` pr`) and returns it and its length.
func readCondition(s string) (string, int) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i == 0 {
		return "", 0
	}
	j := i
	for j < len(s) && isAlnum(s[j]) {
		j++
	}
	op := strings.ToLower(s[i:j])
	if op == "pr" {
		return "pr", j
	}
	switch op {
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return "", 0
	}
	k := j
	for k < len(s) && s[k] == ' ' {
		k++
	}
	if k == j || k >= len(s) {
		return "", 0
	}
	e := k
	if s[k] == '"' {
		e++
		for e < len(s) && s[e] != '"' {
			if s[e] == '\\' {
				e++
			}
			e++
		}
		e++
		if e > len(s) {
			return "", 0
		}
	} else {
		for e < len(s) && s[e] != ' ' && s[e] != ')' && s[e] != ']' {
			e++
		}
	}
	return op + " " + s[k:e], e
}

// unescape decodes JSON escapes in a string compare value (the parser keeps
// them verbatim).
func unescape(v any) any {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, `\`) {
		return v
	}
	var out string
	if err := json.Unmarshal([]byte(`"`+s+`"`), &out); err == nil {
		return out
	}
	return s
}

func translateFilter(kind resourceKind, f string) (*db.Expr, *scimerr.ScimError) {
	if len(f) > 4096 {
		e := bad(scimerr.ScimTypeInvalidFilter, "the filter is too long")
		return nil, &e
	}
	var ast filter.Expression
	var extras []string
	if simple, ok := parseSimpleFilter(f); ok {
		ast = simple
	} else {
		rewritten, ex, ok := rewriteValuePathSub(f)
		if !ok {
			e := bad(scimerr.ScimTypeInvalidFilter, "the filter could not be parsed: a \"[\" or a quote is not closed")
			return nil, &e
		}
		extras = ex
		var err error
		if vp, ok := parseSimpleValuePath(rewritten); ok {
			ast = vp
		} else if ast, err = filter.ParseFilter([]byte(rewritten)); err != nil {
			e := bad(scimerr.ScimTypeInvalidFilter, "the filter could not be parsed: check quoting, operators and parentheses")
			return nil, &e
		}
	}
	tr := &translator{kind: kind, extras: extras}
	out, terr := tr.toExpr(ast, "", 0)
	if terr != nil {
		return nil, terr
	}
	return out, nil
}

// fieldOf maps a resolved attribute to a storage field.
func fieldOf(kind resourceKind, r attrRef) (db.Field, []string, bool) {
	if _, isUser := kind.(*userResource); isUser {
		switch {
		case r.ext == "" && r.name == "id":
			return db.FieldID, nil, true
		case r.ext == "" && r.name == "externalId":
			return db.FieldExternalID, nil, true
		case r.ext == "" && r.name == "meta" && r.sub == "created":
			return db.FieldCreated, nil, true
		case r.ext == "" && r.name == "meta" && r.sub == "lastModified":
			return db.FieldLastModified, nil, true
		case r.ext == "" && r.name == "userName":
			return db.FieldUserName, nil, true
		case r.ext == "" && r.name == "active":
			return db.FieldActive, nil, true
		case r.ext == "" && r.name == "name" && r.sub == "givenName":
			return db.FieldGivenName, nil, true
		case r.ext == "" && r.name == "name" && r.sub == "familyName":
			return db.FieldFamilyName, nil, true
		case r.ext == URNRoster && r.name == "userType":
			return db.FieldUserType, nil, true
		case r.ext == URNRoster:
			return "", nil, false
		case r.name == "meta":
			return "", nil, false
		}
		if r.attr.MultiValued() {
			return "", nil, false
		}
		path := []string{r.name}
		if r.ext != "" {
			path = []string{r.ext, r.name}
		}
		if r.sub != "" {
			path = append(path, r.sub)
		} else if r.attr.HasSubAttributes() {
			return "", nil, false
		}
		return db.FieldAttr, path, true
	}
	switch {
	case r.ext == "" && r.name == "id":
		return db.FieldID, nil, true
	case r.ext == "" && r.name == "externalId":
		return db.FieldExternalID, nil, true
	case r.ext == "" && r.name == "displayName":
		return db.FieldDisplayName, nil, true
	case r.ext == "" && r.name == "meta" && r.sub == "created":
		return db.FieldCreated, nil, true
	case r.ext == "" && r.name == "meta" && r.sub == "lastModified":
		return db.FieldLastModified, nil, true
	}
	return "", nil, false
}

func filterErr(format string, a ...any) *scimerr.ScimError {
	e := bad(scimerr.ScimTypeInvalidFilter, format, a...)
	return &e
}

// toExpr translates the parser's AST into db.Expr, checking every attribute
// against the schema and every value against the attribute's type.
type translator struct {
	kind   resourceKind
	extras []string // per value path, in order: a trailing "sub op value"
	n      int      // value paths seen
}

func (tr *translator) toExpr(e filter.Expression, multi string, depth int) (*db.Expr, *scimerr.ScimError) {
	kind := tr.kind
	if depth > 32 {
		return nil, filterErr("the filter is nested too deeply")
	}
	switch x := e.(type) {
	case *filter.LogicalExpression:
		l, err := tr.toExpr(x.Left, multi, depth+1)
		if err != nil {
			return nil, err
		}
		r, err := tr.toExpr(x.Right, multi, depth+1)
		if err != nil {
			return nil, err
		}
		op := db.ExprAnd
		if x.Operator == filter.OR {
			op = db.ExprOr
		}
		return &db.Expr{Op: op, Args: []*db.Expr{l, r}}, nil
	case *filter.NotExpression:
		in, err := tr.toExpr(x.Expression, multi, depth+1)
		if err != nil {
			return nil, err
		}
		return &db.Expr{Op: db.ExprNot, Args: []*db.Expr{in}}, nil
	case *filter.ValuePath:
		if multi != "" {
			return nil, filterErr("value filters cannot be nested")
		}
		ref, ok := kind.sset().resolve(x.AttributePath.URI(), x.AttributePath.AttributeName, "")
		if !ok || !ref.attr.MultiValued() {
			return nil, filterErr("%s is not a multi-valued attribute", x.AttributePath.String())
		}
		m, err := multiName(kind, ref)
		if err != nil {
			return nil, err
		}
		in, err := tr.toExpr(x.ValueFilter, m, depth+1)
		if err != nil {
			return nil, err
		}
		extra := ""
		if tr.n < len(tr.extras) {
			extra = tr.extras[tr.n]
		}
		tr.n++
		if extra != "" {
			var ae filter.AttributeExpression
			if simple, ok := parseSimpleFilter(extra); ok {
				ae = *simple
			} else {
				var perr error
				if ae, perr = filter.ParseAttrExp([]byte(extra)); perr != nil {
					return nil, filterErr("the condition after %s[...] could not be parsed", x.AttributePath.String())
				}
			}
			sub, err := attrExpr(kind, &ae, m)
			if err != nil {
				return nil, err
			}
			in = &db.Expr{Op: db.ExprAnd, Args: []*db.Expr{in, sub}}
		}
		return &db.Expr{Op: db.ExprAny, Multi: m, Args: []*db.Expr{in}}, nil
	case *filter.AttributeExpression:
		return attrExpr(kind, x, multi)
	}
	return nil, filterErr("unsupported filter expression")
}

func multiName(kind resourceKind, ref attrRef) (string, *scimerr.ScimError) {
	_, isUser := kind.(*userResource)
	switch {
	case isUser && ref.ext == "" && ref.name == "emails":
		return "emails", nil
	case !isUser && ref.ext == "" && ref.name == "members":
		return "members", nil
	}
	return "", filterErr("filtering on %s is not supported", ref)
}

func attrExpr(kind resourceKind, x *filter.AttributeExpression, multi string) (*db.Expr, *scimerr.ScimError) {
	p := x.AttributePath
	var out db.Expr
	out.Op = db.ExprCmp
	out.Cmp = db.CmpOp(strings.ToLower(string(x.Operator)))
	value := unescape(x.CompareValue)
	var typ string
	caseExact := false
	if multi != "" {
		// inside attr[...]: the name is a sub-attribute of the multi-valued attribute
		ref, _ := kind.sset().resolve("", multi, "")
		sa, ok := ref.attr.SubAttributes().ContainsAttribute(p.AttributeName)
		if !ok || p.SubAttribute != nil || p.URIPrefix != nil {
			return nil, filterErr("%s has no sub-attribute %q", multi, p.String())
		}
		out.Field = db.Field(multi + "." + sa.Name())
		switch out.Field {
		case db.FieldEmailValue, db.FieldEmailType, db.FieldEmailPrimary, db.FieldMemberValue:
		default:
			return nil, filterErr("filtering on %s.%s is not supported", multi, sa.Name())
		}
		typ, caseExact = sa.AttributeType(), sa.CaseExact()
	} else {
		ref, ok := kind.sset().resolve(p.URI(), p.AttributeName, p.SubAttributeName())
		if !ok {
			return nil, filterErr("unknown attribute %q", p.String())
		}
		if ref.attr.MultiValued() {
			// emails.value eq x / emails eq x: any element
			m, err := multiName(kind, ref)
			if err != nil {
				return nil, err
			}
			sub := ref.sub
			if sub == "" {
				sub = "value"
			}
			inner := &filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: sub},
				Operator: x.Operator, CompareValue: x.CompareValue}
			in, err := attrExpr(kind, inner, m)
			if err != nil {
				return nil, err
			}
			return &db.Expr{Op: db.ExprAny, Multi: m, Args: []*db.Expr{in}}, nil
		}
		f, path, ok := fieldOf(kind, ref)
		if !ok {
			return nil, filterErr("filtering on %s is not supported", ref)
		}
		out.Field, out.JSONPath = f, path
		switch {
		case ref.name == "id" || ref.name == "externalId":
			typ, caseExact = "string", true
		case ref.name == "meta":
			typ = "dateTime"
		case ref.sub != "":
			typ, caseExact = ref.subA.AttributeType(), ref.subA.CaseExact()
		default:
			typ, caseExact = ref.attr.AttributeType(), ref.attr.CaseExact()
		}
	}
	out.CaseExact = caseExact
	if out.Cmp == db.CmpPr {
		return &out, nil
	}
	switch typ {
	case "boolean":
		b, ok := value.(bool)
		if !ok {
			return nil, filterErr("%s is a boolean; compare it with true or false", p.String())
		}
		if out.Cmp != db.CmpEq && out.Cmp != db.CmpNe {
			return nil, filterErr("%s is a boolean; only eq, ne and pr apply", p.String())
		}
		out.Value = b
	case "dateTime":
		s, ok := value.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil {
			return nil, filterErr("%s is a dateTime; compare it with an RFC 3339 string", p.String())
		}
		if out.Cmp == db.CmpCo || out.Cmp == db.CmpSw || out.Cmp == db.CmpEw {
			return nil, filterErr("%s is a dateTime; co, sw and ew do not apply", p.String())
		}
		out.Value = t
	default:
		s, ok := value.(string)
		if !ok {
			return nil, filterErr("%s is a string; compare it with a quoted value", p.String())
		}
		out.Value = s
	}
	return &out, nil
}
