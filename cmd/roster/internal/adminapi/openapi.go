package adminapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// openapiYAML is the hand-written half of the contract: paths, parameters,
// request bodies and the status codes particular to each operation.
//
//go:embed openapi.yaml
var openapiYAML []byte

// viewTypes are the Go types the handlers encode as response bodies. Their
// JSON Schemas are generated from the types (field names from the json
// tags, omitempty fields optional, pointers nullable, no other properties),
// so a field added to a view is in the contract without anyone editing it.
// Named struct types they contain (ErrorDetail, db.RowError, ...) become
// components too.
var viewTypes = []any{
	ErrorBody{}, RowErrorBody{},
	TeamView{}, UserView{}, UsersPage{}, TokenView{}, NewTokenView{}, AuditView{}, EventView{},
	PolicyView{}, PolicyPreviewView{}, ExceptionsPage{}, TypeChangeView{}, UsageRecord{},
	MemberView{}, EditResult{}, InvitationView{}, SeatView{},
	ProductView{}, ProjectView{}, ProjectMemberView{},
	AccountView{}, AccountRoleView{}, ContractView{}, ContractUserView{},
	MemberProfile{}, WebhookView{}, WebhookCreatedView{}, DeliveryView{},
	ProductRemoval{}, DirectoryView{}, DirectorySyncView{},
	ProductMappingView{},
}

// commonResponses are the statuses the route wrapper (route, authenticate,
// writeAPIError) can give on every authenticated operation.
var commonResponses = []string{"400", "401", "403", "404", "500", "503"}

// bodyResponses are added to an authenticated operation with a request
// body: the body limit (413 body_too_large) and a concurrent change (409).
var bodyResponses = []string{"409", "413"}

var openapiDoc = sync.OnceValues(func() ([]byte, error) { return buildOpenAPI(openapiYAML) })

// OpenAPI is the admin API's OpenAPI 3.1 document as served at GET
// /api/v1/openapi.json: openapi.yaml with the generated view schemas and the
// wrapper's common responses merged in.
func OpenAPI() ([]byte, error) { return openapiDoc() }

func buildOpenAPI(src []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		return nil, fmt.Errorf("openapi.yaml: no components")
	}
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{}
		comps["schemas"] = schemas
	}
	g := schemaGen{out: map[string]any{}}
	for _, v := range viewTypes {
		g.ref(reflect.TypeOf(v))
	}
	for name, s := range g.out {
		if _, ok := schemas[name]; ok {
			return nil, fmt.Errorf("openapi.yaml: components.schemas.%s is generated from the Go type; remove it from the file", name)
		}
		schemas[name] = s
	}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			if _, secured := o["security"]; !secured {
				continue
			}
			resps, _ := o["responses"].(map[string]any)
			if resps == nil {
				return nil, fmt.Errorf("openapi.yaml: %s %s has no responses", method, p)
			}
			codes := commonResponses
			if _, hasBody := o["requestBody"]; hasBody {
				codes = append(append([]string{}, codes...), bodyResponses...)
			}
			for _, c := range codes {
				if _, ok := resps[c]; !ok {
					resps[c] = map[string]any{"$ref": "#/components/responses/Error"}
				}
			}
		}
	}
	return json.Marshal(doc)
}

// schemaGen turns Go types into JSON Schema (2020-12, as OpenAPI 3.1 uses).
type schemaGen struct{ out map[string]any }

var timeType = reflect.TypeOf(time.Time{})
var rawType = reflect.TypeOf(json.RawMessage{})

// ref is the schema for t: a $ref for a named struct (generated once into
// out), inline for everything else.
func (g schemaGen) ref(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{} // any JSON value
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.ref(t.Elem())
		if typ, ok := s["type"].(string); ok {
			s["type"] = []any{typ, "null"}
			return s
		}
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		if _, done := g.out[t.Name()]; !done {
			g.out[t.Name()] = nil // a placeholder: a recursive type refers to itself
			g.out[t.Name()] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
	case reflect.Interface:
		return map[string]any{}
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

// object is a struct's schema as encoding/json writes it.
func (g schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if name == "" {
				name = f.Name
			}
			s := g.ref(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
			props[name] = s
		}
	}
	walk(t)
	sort.Strings(required)
	o := map[string]any{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// Routes are the patterns Register mounted ("GET /api/v1/teams/{team}"),
// in order: what the OpenAPI coverage test compares with the document.
func (x *API) Routes() []string { return append([]string(nil), x.a.routes...) }

// routeMux is the mux Register mounts on, recording each pattern.
type routeMux struct {
	mux    *http.ServeMux
	routes *[]string
}

func (m routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	*m.routes = append(*m.routes, pattern)
	m.mux.HandleFunc(pattern, h)
}

// mountOpenAPI serves the document; it needs no token (it is the public
// contract, and holds no team data).
func (a *api) mountOpenAPI() {
	a.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		b, err := OpenAPI()
		if err != nil {
			a.writeAPIError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(b)
	})
}
