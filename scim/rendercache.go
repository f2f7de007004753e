package scim

import (
	"maps"
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

// renderCacheSize bounds the entries (a rendered user is ~1 KB).
const renderCacheSize = 20000

type renderCache struct {
	mu      sync.Mutex
	entries map[string]*rendered
}

// rendered is one user's cached document and the columns it came from.
type rendered struct {
	version                                                    int64
	created, updated                                           time.Time
	email, userName, first, last, status, externalID, attrsRaw string
	doc                                                        map[string]any // values are encodedJSON
}

func (e *rendered) matches(u db.User) bool {
	return e.version == u.Version && e.created.Equal(u.CreatedAt) && e.updated.Equal(u.UpdatedAt) &&
		e.email == u.Email && e.userName == u.UserName && e.first == u.FirstName && e.last == u.LastName &&
		e.status == string(u.Status) && e.externalID == u.ExternalID && e.attrsRaw == string(u.Attributes)
}

// base returns a fresh copy (safe to add keys to) of u's document without
// its groups and Roster extension, from the cache or rendered and cached.
func (c *renderCache) base(r *userResource, u db.User) (map[string]any, error) {
	c.mu.Lock()
	e := c.entries[u.ID]
	c.mu.Unlock()
	if e != nil && e.matches(u) {
		return maps.Clone(e.doc), nil
	}
	doc := r.complete(u, storedDoc(u))
	enc := make(map[string]any, len(doc))
	for k, v := range doc {
		b, err := appendJSON(nil, v)
		if err != nil {
			return nil, err
		}
		enc[k] = encodedJSON(b)
	}
	e = &rendered{version: u.Version, created: u.CreatedAt, updated: u.UpdatedAt, email: u.Email, userName: u.UserName,
		first: u.FirstName, last: u.LastName, status: string(u.Status), externalID: u.ExternalID,
		attrsRaw: string(u.Attributes), doc: enc}
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
	return maps.Clone(enc), nil
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
