package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	scimerr "github.com/elimity-com/scim/errors"

	"github.com/roster-dev/roster/db"
)

const timeFormat = time.RFC3339 // the same precision as the library's responses

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

type ctxIfMatchKey struct{}

// ifMatch is the version the request's If-Match demands (0: none or "*").
func ifMatch(ctx context.Context) int64 { v, _ := ctx.Value(ctxIfMatchKey{}).(int64); return v }

// parseVersion reads W/"3" or "3"; ok=false for anything else.
func parseVersion(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	s = strings.Trim(s, `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

// resourceKind is what the generic endpoints need from Users and Groups.
type resourceKind interface {
	endpoint() string
	sset() schemaSet
	coreURN() string
	resourceName() string
	getDoc(ctx context.Context, id string, p projection) (map[string]any, string, error)
	search(ctx context.Context, q db.Query, p projection) ([]map[string]any, int, string, error)
}

// serveGet serves GET /{Users,Groups}/{id} with projection and If-None-Match.
func (h *handler) serveGet(w http.ResponseWriter, r *http.Request, kind resourceKind, id string) {
	p, serr := parseProjection(kind.sset(), r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if serr != nil {
		writeScimError(w, *serr)
		return
	}
	doc, etag, err := kind.getDoc(r.Context(), id, p)
	if err != nil {
		writeScimError(w, h.toScimError(err, http.MethodGet))
		return
	}
	w.Header().Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if strings.TrimSpace(t) == "*" || strings.TrimSpace(t) == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			if v, ok := parseVersion(t); ok {
				if cur, _ := parseVersion(etag); cur == v {
					w.WriteHeader(http.StatusNotModified)
					return
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, p.apply(doc))
}

type ctxWrittenKey struct{}

// written receives, from a resource handler the library called, the complete
// response document of the write (absolute meta.location included), so
// serveLibrary writes it once instead of decoding the library's encoding of
// the same resource and encoding it again. Writes that leave it empty (groups)
// take the decoding path.
type written struct{ doc map[string]any }

// recorder buffers the library's response so it can be corrected.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}

// serveLibrary runs POST, PUT, PATCH and DELETE through the library after
// normalising the body, then fixes the response: absolute meta.location and a
// Location header on 201, the ETag, and attribute projection.
func (h *handler) serveLibrary(w http.ResponseWriter, r *http.Request, kind resourceKind, libPath, id string) {
	ctx := r.Context()
	if im := r.Header.Get("If-Match"); im != "" && r.Method != http.MethodPost && strings.TrimSpace(im) != "*" {
		v, ok := parseVersion(im)
		if !ok {
			writeError(w, http.StatusPreconditionFailed, "", "If-Match does not name a version of this resource")
			return
		}
		ctx = context.WithValue(ctx, ctxIfMatchKey{}, v)
	}
	p, serr := parseProjection(kind.sset(), r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	if serr != nil {
		writeScimError(w, *serr)
		return
	}
	if r.Method != http.MethodDelete {
		body, _ := io.ReadAll(r.Body)
		nb, serr := normalizeBody(ctx, kind, r.Method, body)
		if serr != nil {
			writeScimError(w, *serr)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(nb))
		r.ContentLength = int64(len(nb))
	}
	wr := &written{}
	if !h.libWrites {
		ctx = context.WithValue(ctx, ctxWrittenKey{}, wr)
	}
	ctx, note := withUnavailableNote(ctx)
	r2 := r.Clone(ctx)
	r2.URL.Path = libPath
	r2.URL.RawPath = ""
	rec := &recorder{header: http.Header{}}
	h.lib.ServeHTTP(rec, r2)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if note.set {
		rec.status = http.StatusServiceUnavailable
	}
	for k, v := range rec.header {
		if k != "Content-Type" && k != "Content-Length" && k != "Etag" {
			w.Header()[k] = v
		}
	}
	if rec.status == http.StatusServiceUnavailable {
		writeError(w, rec.status, "", unavailableDetail)
		return
	}
	if rec.status >= 500 {
		writeError(w, rec.status, "", "internal error")
		return
	}
	if rec.status == http.StatusNoContent || rec.body.Len() == 0 {
		w.WriteHeader(rec.status)
		return
	}
	if rec.status >= 300 {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
		return
	}
	doc := wr.doc
	if doc == nil {
		if err := json.Unmarshal(rec.body.Bytes(), &doc); err != nil {
			writeError(w, http.StatusInternalServerError, "", "internal error")
			return
		}
	}
	meta, _ := doc["meta"].(map[string]any)
	rid, _ := doc["id"].(string)
	if meta != nil && rid != "" {
		loc := h.opts.BaseURL + "/" + kind.endpoint() + "/" + url.PathEscape(rid)
		meta["location"] = loc
		if rec.status == http.StatusCreated {
			w.Header().Set("Location", loc)
		}
		if v, _ := meta["version"].(string); v != "" {
			w.Header().Set("ETag", v)
		}
	}
	delete(doc, "password")
	writeJSON(w, rec.status, p.apply(doc))
}

// serveSPC serves /ServiceProviderConfig, telling the truth.
func (h *handler) serveSPC(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{urnSPC},
		"documentationUri": "https://github.com/roster-dev/roster#scim",
		"patch":            map[string]any{"supported": true, "maxOperations": maxPatchOperations},
		"bulk":             map[string]any{"supported": true, "maxOperations": h.opts.MaxBulkOperations, "maxPayloadSize": h.opts.MaxBodyBytes},
		"filter":           map[string]any{"supported": true, "maxResults": h.opts.MaxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"pagination": map[string]any{"cursor": true, "index": true, "defaultPaginationMethod": "index",
			"defaultPageSize": 100, "maxPageSize": h.opts.MaxResults, "cursorTimeout": 0},
		"interopProfileConformant": true,
		"authenticationSchemes": []any{map[string]any{"type": "oauthbearertoken", "name": "Bearer token",
			"description": "A team's SCIM token (roster token create), sent as Authorization: Bearer <secret>", "primary": true}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": h.opts.BaseURL + "/ServiceProviderConfig"},
	})
}

// serveDiscovery serves /Schemas and /ResourceTypes through the library, with
// the core meta-schema URNs answered too (the library 404s them).
func (h *handler) serveDiscovery(w http.ResponseWriter, r *http.Request, seg []string) {
	path := "/" + strings.Join(seg, "/")
	if strings.EqualFold(seg[0], "Schemas") {
		path = "/Schemas" + strings.TrimPrefix(path, "/"+seg[0])
	} else {
		path = "/ResourceTypes" + strings.TrimPrefix(path, "/"+seg[0])
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = ""
	rec := httptest.NewRecorder()
	h.lib.ServeHTTP(rec, r2)
	body := rec.Body.Bytes()
	var doc map[string]any
	if rec.Code == http.StatusOK && json.Unmarshal(body, &doc) == nil {
		addMeta := func(m map[string]any) {
			id, _ := m["id"].(string)
			if m["meta"] == nil && id != "" {
				rt := "Schema"
				if strings.EqualFold(seg[0], "ResourceTypes") {
					rt = "ResourceType"
				}
				m["meta"] = map[string]any{"resourceType": rt, "location": h.opts.BaseURL + "/" + seg[0] + "/" + id}
			}
		}
		isSchemas := strings.EqualFold(seg[0], "Schemas")
		if list, ok := doc["Resources"].([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					addMeta(m)
					if isSchemas {
						annotateSchema(m)
					}
				}
			}
			doc["itemsPerPage"] = len(list)
		} else {
			addMeta(doc)
			if isSchemas {
				annotateSchema(doc)
			}
		}
		writeJSON(w, http.StatusOK, doc)
		return
	}
	if rec.Code == http.StatusNotFound {
		writeError(w, http.StatusNotFound, "", "no such schema or resource type")
		return
	}
	if rec.Code >= 500 {
		writeError(w, http.StatusInternalServerError, "", "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// normalizeBody rewrites Entra ID and Okta dialects into what the library
// accepts, and rejects what it would wrongly accept.
func normalizeBody(ctx context.Context, kind resourceKind, method string, body []byte) ([]byte, *scimerr.ScimError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		e := bad(scimerr.ScimTypeInvalidSyntax, "the body is not a JSON object: %v", jsonErr(err))
		return nil, &e
	}
	if dec.More() {
		e := bad(scimerr.ScimTypeInvalidSyntax, "the body has data after the JSON object")
		return nil, &e
	}
	s := kind.sset()
	if method == http.MethodPatch {
		if err := normalizePatch(ctx, s, doc); err != nil {
			return nil, err
		}
	} else {
		if err := normalizeResource(kind, doc); err != nil {
			return nil, err
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		e := bad(scimerr.ScimTypeInvalidSyntax, "the body cannot be encoded")
		return nil, &e
	}
	return out, nil
}

func jsonErr(err error) string {
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// normalizeResource checks schemas, drops read-only and write-only input and
// converts string booleans ("True", "False") on POST and PUT.
func normalizeResource(kind resourceKind, doc map[string]any) *scimerr.ScimError {
	s := kind.sset()
	schemasV, ok := doc["schemas"]
	if !ok {
		e := bad(scimerr.ScimTypeInvalidValue, "schemas is required and must contain %s", kind.coreURN())
		return &e
	}
	list, ok := schemasV.([]any)
	if !ok {
		e := bad(scimerr.ScimTypeInvalidValue, "schemas must be a list of URNs")
		return &e
	}
	hasCore := false
	kept := []any{}
	for _, v := range list {
		u, _ := v.(string)
		switch {
		case strings.EqualFold(u, kind.coreURN()):
			hasCore = true
			kept = append(kept, kind.coreURN())
		case strings.EqualFold(u, urnEntraGroup):
			delete(doc, u)
		default:
			ext, ok := s.extension(u)
			if !ok {
				e := bad(scimerr.ScimTypeInvalidValue, "schema %q is not supported for %s", u, kind.resourceName())
				return &e
			}
			kept = append(kept, ext.ID)
		}
	}
	if !hasCore {
		e := bad(scimerr.ScimTypeInvalidValue, "schemas must contain %s", kind.coreURN())
		return &e
	}
	doc["schemas"] = kept
	for k, v := range doc {
		if strings.EqualFold(k, "password") || strings.EqualFold(k, "id") || strings.EqualFold(k, "meta") ||
			strings.EqualFold(k, "groups") || strings.EqualFold(k, URNRoster) {
			delete(doc, k)
			continue
		}
		if strings.HasPrefix(strings.ToLower(k), "urn:") || strings.HasPrefix(k, "http") {
			ext, ok := s.extension(k)
			if !ok {
				e := bad(scimerr.ScimTypeInvalidValue, "unknown extension %q", k)
				return &e
			}
			if m, isMap := v.(map[string]any); isMap {
				for ek, ev := range m {
					if _, known := ext.Attributes.ContainsAttribute(ek); !known {
						e := bad(scimerr.ScimTypeInvalidValue, "unknown attribute %q in %s", ek, ext.ID)
						return &e
					}
					m[ek] = fixBooleans(ek, ev)
				}
			}
			continue
		}
		if _, c := commonAttr(k); c {
			continue
		}
		if _, ok := s.core.Attributes.ContainsAttribute(k); !ok {
			e := bad(scimerr.ScimTypeInvalidValue, "unknown attribute %q for %s", k, kind.resourceName())
			return &e
		}
		doc[k] = fixBooleans(k, v)
	}
	if _, isUser := kind.(*userResource); isUser {
		if err := cleanMultiValued(doc, userMultiValued, true); err != nil {
			e := err.(scimerr.ScimError)
			return &e
		}
	}
	return nil
}

// fixBooleans turns "True"/"False" into booleans for boolean attributes
// (active, primary) anywhere under key.
func fixBooleans(key string, v any) any {
	switch x := v.(type) {
	case string:
		if isBoolKey(key) {
			switch strings.ToLower(x) {
			case "true":
				return true
			case "false":
				return false
			}
		}
	case map[string]any:
		for k, e := range x {
			x[k] = fixBooleans(k, e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixBooleans(key, e)
		}
	}
	return v
}

func isBoolKey(k string) bool {
	k = strings.ToLower(k)
	if i := strings.LastIndexAny(k, ".:"); i >= 0 {
		k = k[i+1:]
	}
	return k == "active" || k == "primary"
}

// normalizePatch fixes the PATCH forms the library rejects (capitalised ops,
// string booleans, whole-extension paths, nested extension objects in
// path-less values, unqualified enterprise paths, remove without a path) and
// refuses read-only targets with mutability.
//
// Work is linear in the operations; at most maxPatchOperations are accepted,
// and the loop stops when ctx ends (the client hung up).
func normalizePatch(ctx context.Context, s schemaSet, doc map[string]any) *scimerr.ScimError {
	ops, ok := doc["Operations"].([]any)
	if !ok {
		for k, v := range doc {
			if strings.EqualFold(k, "operations") {
				ops, ok = v.([]any)
				delete(doc, k)
			}
		}
	}
	if !ok || len(ops) == 0 {
		e := bad(scimerr.ScimTypeInvalidValue, "Operations must be a non-empty list")
		return &e
	}
	if len(ops) > maxPatchOperations {
		e := bad(scimerr.ScimTypeInvalidValue, "a PATCH carries at most %d operations; this one has %d", maxPatchOperations, len(ops))
		return &e
	}
	doc["Operations"] = ops
	if l, ok := doc["schemas"].([]any); !ok || len(l) != 1 || l[0] != urnPatchOp {
		e := bad(scimerr.ScimTypeInvalidValue, "schemas must be [%q]", urnPatchOp)
		return &e
	}
	for i, o := range ops {
		if i%64 == 0 && ctx.Err() != nil {
			e := cancelled()
			return &e
		}
		op, ok := o.(map[string]any)
		if !ok {
			e := bad(scimerr.ScimTypeInvalidSyntax, "operation %d is not an object", i+1)
			return &e
		}
		for k, v := range op {
			if lk := strings.ToLower(k); lk != k && (lk == "op" || lk == "path" || lk == "value") {
				delete(op, k)
				op[lk] = v
			}
		}
		name, _ := op["op"].(string)
		name = strings.ToLower(name)
		if name != "add" && name != "remove" && name != "replace" {
			e := bad(scimerr.ScimTypeInvalidValue, "operation %d: op must be add, remove or replace", i+1)
			return &e
		}
		op["op"] = name
		path, hasPath := op["path"].(string)
		path = strings.TrimSpace(path)
		if hasPath && path == "" {
			delete(op, "path")
			hasPath = false
		}
		// A whole extension as the path: the same as a path-less value
		// {"urn:…:User": {…}}.
		if _, isExt := s.extension(path); hasPath && isExt {
			m, ok := op["value"].(map[string]any)
			if !ok || name == "remove" {
				e := bad(scimerr.ScimTypeInvalidPath, "operation %d: %s can only be added or replaced with an object", i+1, path)
				return &e
			}
			delete(op, "path")
			op["value"] = map[string]any{path: m}
			hasPath = false
		}
		if !hasPath {
			if name == "remove" {
				e := bad(scimerr.ScimTypeNoTarget, "operation %d: remove needs a path", i+1)
				return &e
			}
			flat, err := flattenPathless(s, i, name, op["value"])
			if err != nil {
				return err
			}
			op["value"] = flat
			continue
		}
		// Unqualified enterprise attributes (Entra "Example 5": path "manager").
		head := path
		if j := strings.IndexAny(head, ".["); j >= 0 {
			head = head[:j]
		}
		if !strings.Contains(head, ":") {
			if _, core := s.core.Attributes.ContainsAttribute(head); !core {
				if _, c := commonAttr(head); !c {
					for _, ext := range s.extensions {
						if _, ok := ext.Attributes.ContainsAttribute(head); ok && ext.ID != URNRoster {
							path = ext.ID + ":" + path
							break
						}
					}
				}
			}
			if c, ok := commonAttr(head); ok && (c == "id" || c == "meta" || c == "schemas") {
				e := bad(scimerr.ScimTypeMutability, "operation %d: %s is read-only", i+1, c)
				return &e
			}
		}
		ref, ok := s.resolveKey(strings.SplitN(path, "[", 2)[0])
		if ok && ref.readOnly() && ref.sub == "" {
			e := bad(scimerr.ScimTypeMutability, "operation %d: %s is read-only", i+1, ref)
			return &e
		}
		if ok && ref.ext == URNEnterprise && ref.name == "manager" && ref.sub == "" {
			if sv, isStr := op["value"].(string); isStr {
				op["value"] = map[string]any{"value": sv}
			}
			// Entra "Example 5" sends the single manager as a one-element list.
			if l, isList := op["value"].([]any); isList && len(l) == 1 {
				op["value"] = l[0]
			}
		}
		op["path"] = path
		if v, ok := op["value"]; ok {
			op["value"] = fixBooleans(path, v)
		}
	}
	return nil
}

// maxPatchOperations caps the operations of one PATCH (documented in
// README.md and advertised as patch.maxOperations in
// /ServiceProviderConfig). Entra ID and Okta send one to a few dozen (the
// Microsoft validator's largest is 36).
const maxPatchOperations = 1000

// cancelled is the error for a request whose context ended mid-work.
func cancelled() scimerr.ScimError {
	return scimerr.ScimError{Status: http.StatusBadRequest, Detail: "request cancelled"}
}

// flattenPathless resolves the keys of a path-less add or replace value
// (operation i) into canonical flat keys, flattening nested extension
// objects.
func flattenPathless(s schemaSet, i int, name string, value any) (map[string]any, *scimerr.ScimError) {
	m, ok := value.(map[string]any)
	if !ok {
		e := bad(scimerr.ScimTypeInvalidValue, "operation %d: a %s without a path needs an object value", i+1, name)
		return nil, &e
	}
	flat := map[string]any{}
	for k, v := range m {
		if strings.EqualFold(k, "id") || strings.EqualFold(k, "schemas") || strings.EqualFold(k, "meta") {
			continue // Okta echoes id; read-only noise
		}
		ref, ok := s.resolveKey(k)
		if !ok {
			e := bad(scimerr.ScimTypeInvalidPath, "operation %d: unknown attribute %q", i+1, k)
			return nil, &e
		}
		if ref.name == "" { // nested extension object → flat URN keys
			em, ok := v.(map[string]any)
			if !ok {
				e := bad(scimerr.ScimTypeInvalidValue, "operation %d: %s must be an object", i+1, k)
				return nil, &e
			}
			for ek, ev := range em {
				r, ok := s.resolveKey(ref.ext + ":" + ek)
				if !ok || r.name == "" {
					e := bad(scimerr.ScimTypeInvalidPath, "operation %d: unknown attribute %q in %s", i+1, ek, ref.ext)
					return nil, &e
				}
				if r.readOnly() && r.sub == "" {
					e := bad(scimerr.ScimTypeMutability, "operation %d: %s is read-only", i+1, r)
					return nil, &e
				}
				flat[r.String()] = fixBooleans(r.String(), ev)
			}
			continue
		}
		if ref.readOnly() && ref.sub == "" {
			e := bad(scimerr.ScimTypeMutability, "operation %d: %s is read-only", i+1, ref)
			return nil, &e
		}
		flat[ref.String()] = fixBooleans(ref.String(), v)
	}
	return flat, nil
}
