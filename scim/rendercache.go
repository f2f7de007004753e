package scim

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/roster-dev/roster/db"
)

// Rendering a user once per version (issue 15). A list page spent a fifth of
// its CPU turning each stored user into its SCIM document (decoding the
// attributes JSON, repairing multi-valued attributes, merging the core
// columns) and encoding it again. That part of the document is a pure
// function of the user row's columns, so it is kept here, encoded, per user:
// a top-level map whose values are already-encoded JSON (encodedJSON), which
// appendJSON writes verbatim, so the response bytes are exactly those of the
// uncached path (keys still sorted, the groups and Roster extension merged in
// per request, since memberships and the role policy change without the
// user's version).
//
// An entry is used only if every column it was rendered from is equal to
// the row just read (not only the version), so it can never serve a stale
// document: not after a write through another replica, nor after a write
// path that did not bump the version. Nothing needs invalidating.

// encodedJSON is a value appendJSON writes as is: valid, already-encoded JSON.
type encodedJSON []byte

// renderCacheSize bounds the entries: a rendered user holds ~1.6 KB
// (BenchmarkRenderCacheBytes), so a full cache is ~32 MB of live heap.
const renderCacheSize = 20000

type renderCache struct {
	mu      sync.Mutex
	entries map[string]*rendered
}

// rendered is one user's cached document and the columns it came from.
// It is kept small (issue 15: peak RSS): the document's members are a slice,
// not a map, and the stored attributes are kept as their SHA-256 and length,
// not a copy (2,125 → 1,622 bytes per user, BenchmarkRenderCacheBytes).
type rendered struct {
	version                                          int64
	created, updated                                 time.Time
	email, userName, first, last, status, externalID string
	attrsLen                                         int
	attrsSum                                         [sha256.Size]byte
	doc                                              []member // values are encodedJSON
}

type member struct {
	key string
	val any
}

func (e *rendered) matches(u db.User) bool {
	return e.version == u.Version && e.created.Equal(u.CreatedAt) && e.updated.Equal(u.UpdatedAt) &&
		e.email == u.Email && e.userName == u.UserName && e.first == u.FirstName && e.last == u.LastName &&
		e.status == string(u.Status) && e.externalID == u.ExternalID &&
		e.attrsLen == len(u.Attributes) && e.attrsSum == sha256.Sum256(u.Attributes)
}

// open is a fresh map of the cached members, with room for the keys a
// request adds (groups, the Roster extension).
func (e *rendered) open() map[string]any {
	m := make(map[string]any, len(e.doc)+2)
	for _, kv := range e.doc {
		m[kv.key] = kv.val
	}
	return m
}

// base returns a fresh copy (safe to add keys to) of u's document without
// its groups and Roster extension, from the cache or rendered and cached.
func (c *renderCache) base(r *userResource, u db.User) (map[string]any, error) {
	c.mu.Lock()
	e := c.entries[u.ID]
	c.mu.Unlock()
	if e != nil && e.matches(u) {
		return e.open(), nil
	}
	doc := r.complete(u, storedDoc(u))
	enc := make([]member, 0, len(doc))
	for k, v := range doc {
		b, err := appendJSON(nil, v)
		if err != nil {
			return nil, err
		}
		enc = append(enc, member{k, encodedJSON(b)})
	}
	e = &rendered{version: u.Version, created: u.CreatedAt, updated: u.UpdatedAt, email: u.Email, userName: u.UserName,
		first: u.FirstName, last: u.LastName, status: string(u.Status), externalID: u.ExternalID,
		attrsLen: len(u.Attributes), attrsSum: sha256.Sum256(u.Attributes), doc: enc}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]*rendered)
	}
	if len(c.entries) >= renderCacheSize {
		// Drop an arbitrary eighth (map order is random): cheap, and a
		// working set larger than the cache still hits most of the time.
		n := renderCacheSize / 8
		for k := range c.entries {
			delete(c.entries, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.entries[u.ID] = e
	c.mu.Unlock()
	return e.open(), nil
}

// encodedFull is full for a response without a projection: the cached base
// plus the groups and Roster extension rendered for this request. The result
// is for appendJSON only (its values are encoded), never for projection.
func (r *userResource) encodedFull(u db.User, v userView) (map[string]any, error) {
	doc, err := r.h.renders.base(r, u)
	if err != nil {
		return nil, err
	}
	r.addViews(doc, u, v)
	return doc, nil
}
