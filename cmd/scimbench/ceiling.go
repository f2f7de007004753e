package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	lib "github.com/elimity-com/scim"
	scimerr "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// The ceiling (issue 15): the same SCIM library Roster builds on, with no
// store — resources live in a map behind one lock, filters are an in-memory
// scan (the library's own PassesFilter), no authentication, no audit, no
// classification. `scimbench ceiling` serves it; run.sh runs the same load
// generator against it and against Roster in one invocation and prints the
// ratio per workload. It is a yardstick, not a server: nothing is durable.

// runCeiling serves the no-store server on --listen until ctx ends.
func runCeiling(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scimbench ceiling", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:18081", "address to serve the no-store SCIM server on (under /scim/v2)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h, err := ceilingHandler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(out, "ceiling: no-store SCIM server on http://%s/scim/v2\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// ceilingHandler is the library's server with in-memory Users and Groups,
// mounted at /scim/v2/.
func ceilingHandler() (http.Handler, error) {
	// Entra sends "False" for booleans; the library refuses it unless this
	// global is on (Roster normalises per request instead).
	schema.SetAllowStringValues(true)
	users, groups := newMemStore(false), newMemStore(true)
	srv, err := lib.NewServer(&lib.ServerArgs{
		ServiceProviderConfig: &lib.ServiceProviderConfig{SupportFiltering: true, SupportPatch: true, MaxResults: 1000},
		ResourceTypes: []lib.ResourceType{
			{ID: optional.NewString("User"), Name: "User", Endpoint: "/Users", Schema: schema.CoreUserSchema(),
				SchemaExtensions: []lib.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}}, Handler: users},
			{ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups", Schema: schema.CoreGroupSchema(), Handler: groups},
		},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	return mux, nil
}

// memStore is one resource type's resources in memory. Groups keep their
// members as a set and answer PATCH with 204, as Roster does.
type memStore struct {
	mu     sync.RWMutex
	group  bool
	ids    []string // creation order, for index paging
	byID   map[string]*memResource
	names  map[string]bool // lower-cased userNames (uniqueness without a scan)
	noBody bool
}

type memResource struct {
	attrs   lib.ResourceAttributes
	doc     map[string]any  // attrs plus id, what filters see
	members map[string]bool // groups
	created time.Time
	version int
}

func newMemStore(group bool) *memStore {
	return &memStore{group: group, byID: map[string]*memResource{}, names: map[string]bool{}, noBody: group}
}

func newResourceID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (m *memStore) resource(id string, r *memResource) lib.Resource {
	attrs := make(lib.ResourceAttributes, len(r.attrs)+1)
	for k, v := range r.attrs {
		attrs[k] = v
	}
	if m.group {
		ms := make([]any, 0, len(r.members))
		for v := range r.members {
			ms = append(ms, map[string]any{"value": v})
		}
		attrs["members"] = ms
	}
	return lib.Resource{ID: id, Attributes: attrs, Meta: lib.Meta{Created: &r.created, LastModified: &r.created,
		Version: fmt.Sprintf(`W/"%d"`, r.version)}}
}

// docOf is what a filter is evaluated on: the attributes and the id.
func docOf(id string, attrs lib.ResourceAttributes) map[string]any {
	doc := make(map[string]any, len(attrs)+1)
	for k, v := range attrs {
		doc[k] = v
	}
	doc["id"] = id
	return doc
}

func notFound(id string) error { return scimerr.ScimErrorResourceNotFound(id) }

func (m *memStore) Create(_ *http.Request, a lib.ResourceAttributes) (lib.Resource, error) {
	id, now := newResourceID(), time.Now()
	r := &memResource{attrs: lib.ResourceAttributes{}, created: now, version: 1}
	for k, v := range a {
		if m.group && k == "members" {
			continue
		}
		r.attrs[k] = v
	}
	if m.group {
		r.members = map[string]bool{}
	}
	r.doc = docOf(id, r.attrs)
	m.mu.Lock()
	if !m.group {
		name, _ := a["userName"].(string)
		if m.names[strings.ToLower(name)] {
			m.mu.Unlock()
			return lib.Resource{}, scimerr.ScimErrorUniqueness
		}
		m.names[strings.ToLower(name)] = true
	}
	m.byID[id] = r
	m.ids = append(m.ids, id)
	res := m.resource(id, r)
	m.mu.Unlock()
	return res, nil
}

func (m *memStore) Get(_ *http.Request, id string) (lib.Resource, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	r, ok := m.byID[id]
	if !ok {
		return lib.Resource{}, notFound(id)
	}
	return m.resource(id, r), nil
}

func (m *memStore) GetAll(_ *http.Request, p lib.ListRequestParams) (lib.Page, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var page lib.Page
	start := max(p.StartIndex, 1)
	for _, id := range m.ids {
		r := m.byID[id]
		if p.FilterValidator != nil && p.FilterValidator.PassesFilter(r.doc) != nil {
			continue
		}
		page.TotalResults++
		if page.TotalResults >= start && len(page.Resources) < p.Count {
			page.Resources = append(page.Resources, m.resource(id, r))
		}
	}
	return page, nil
}

func (m *memStore) Replace(_ *http.Request, id string, a lib.ResourceAttributes) (lib.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	if !ok {
		return lib.Resource{}, notFound(id)
	}
	r.attrs, r.version = a, r.version+1
	r.doc = docOf(id, a)
	return m.resource(id, r), nil
}

func (m *memStore) Delete(_ *http.Request, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[id]; !ok {
		return notFound(id)
	}
	delete(m.byID, id)
	for i, x := range m.ids {
		if x == id {
			m.ids = append(m.ids[:i], m.ids[i+1:]...)
			break
		}
	}
	return nil
}

// Patch applies the operations the load generator sends: replace of a
// top-level attribute (active), add members, remove members[value eq "x"].
func (m *memStore) Patch(_ *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	if !ok {
		return lib.Resource{}, notFound(id)
	}
	for _, op := range ops {
		attr := ""
		if op.Path != nil {
			attr = op.Path.AttributePath.AttributeName
		}
		switch {
		case m.group && attr == "members" && strings.EqualFold(op.Op, "add"):
			vals, _ := op.Value.([]any)
			for _, v := range vals {
				if mv, ok := v.(map[string]any); ok {
					if s, ok := mv["value"].(string); ok {
						r.members[s] = true
					}
				}
			}
		case m.group && attr == "members" && strings.EqualFold(op.Op, "remove"):
			if op.Path.ValueExpression != nil {
				if s := valueOf(op.Path.ValueExpression); s != "" {
					delete(r.members, s)
				}
			} else {
				r.members = map[string]bool{}
			}
		case strings.EqualFold(op.Op, "remove"):
			delete(r.attrs, attr)
		default:
			if attr == "" {
				if mv, ok := op.Value.(map[string]any); ok {
					for k, v := range mv {
						r.attrs[k] = v
					}
				}
				continue
			}
			r.attrs[attr] = op.Value
		}
	}
	r.version++
	r.doc = docOf(id, r.attrs)
	if m.noBody {
		return lib.Resource{}, nil
	}
	return m.resource(id, r), nil
}

// valueOf is x of a `value eq "x"` member filter.
func valueOf(e filter.Expression) string {
	if a, ok := e.(*filter.AttributeExpression); ok && strings.EqualFold(a.AttributePath.AttributeName, "value") {
		s, _ := a.CompareValue.(string)
		return s
	}
	return ""
}
