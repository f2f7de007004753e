package scim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"

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

// renderCacheSize bounds the entries: a rendered user holds ~0.9 KB
// (BenchmarkRenderCacheBytes), so a full cache is ~18 MB of live heap.
const renderCacheSize = 20000

type renderCache struct {
	mu      sync.Mutex
	entries map[string]*rendered
	shapes  map[string][]string // interned member keys, see intern
}

// rendered is one user's cached document and the columns it came from,
// kept small (issue 15: peak RSS ≤ 150 MB at a million users, where the
// cache is full): the columns as one SHA-256, the members' keys shared with
// every other user of the same shape, and their encoded values one after
// another in one buffer (1,622 → ~900 bytes per user,
// BenchmarkRenderCacheBytes; it was two thirds of the live heap at 1M).
type rendered struct {
	sum  [sha256.Size]byte // columnsSum of the row it was rendered from
	keys []string          // sorted; shared, never modified
	buf  []byte            // the members' encoded values, in keys' order
	ends []uint32          // ends[i] is where keys[i]'s value ends in buf
}

// columnsSum digests every column of u the cached document is rendered
// from, each length-prefixed so no two rows share an input.
func columnsSum(u db.User) [sha256.Size]byte {
	var b [8]byte
	h := sha256.New()
	num := func(n int64) {
		binary.LittleEndian.PutUint64(b[:], uint64(n))
		h.Write(b[:])
	}
	str := func(s string) {
		num(int64(len(s)))
		h.Write([]byte(s))
	}
	num(u.Version)
	num(u.CreatedAt.Unix())
	num(int64(u.CreatedAt.Nanosecond()))
	num(u.UpdatedAt.Unix())
	num(int64(u.UpdatedAt.Nanosecond()))
	for _, s := range []string{u.Email, u.UserName, u.FirstName, u.LastName, string(u.Status), u.ExternalID} {
		str(s)
	}
	num(int64(len(u.Attributes)))
	h.Write(u.Attributes)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// open is a fresh map of the cached members, with room for the keys a
// request adds (groups, the Roster extension). Its values are
// *encodedJSON into one slice allocated here: one allocation per user, not
// one per member.
func (e *rendered) open() map[string]any {
	m := make(map[string]any, len(e.keys)+2)
	vals := make([]encodedJSON, len(e.keys))
	start := uint32(0)
	for i, k := range e.keys {
		vals[i] = e.buf[start:e.ends[i]:e.ends[i]]
		m[k] = &vals[i]
		start = e.ends[i]
	}
	return m
}

// maxShapes bounds the interned key lists; a user of a shape beyond them
// keeps its own list.
const maxShapes = 256

// intern returns the shared copy of keys (sorted). Users of one team are
// mostly of a few shapes (the same core attributes and extensions), so
// their entries share one list. Called with c.mu held.
func (c *renderCache) intern(keys []string) []string {
	id := strings.Join(keys, "\x00")
	if k, ok := c.shapes[id]; ok {
		return k
	}
	if c.shapes == nil {
		c.shapes = make(map[string][]string)
	}
	if len(c.shapes) < maxShapes {
		c.shapes[id] = keys
	}
	return keys
}

// base returns a fresh copy (safe to add keys to) of u's document without
// its groups and Roster extension, from the cache or rendered and cached.
func (c *renderCache) base(r *userResource, u db.User) (map[string]any, error) {
	sum := columnsSum(u)
	c.mu.Lock()
	e := c.entries[u.ID]
	c.mu.Unlock()
	if e != nil && e.sum == sum {
		return e.open(), nil
	}
	doc := r.complete(u, storedDoc(u))
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e = &rendered{sum: sum, ends: make([]uint32, len(keys))}
	var buf []byte
	var err error
	for i, k := range keys {
		if buf, err = appendJSON(buf, doc[k]); err != nil {
			return nil, err
		}
		if len(buf) > math.MaxUint32 {
			return nil, errors.New("scim: rendered user too large to cache")
		}
		e.ends[i] = uint32(len(buf))
	}
	e.buf = bytes.Clone(buf) // exactly its length: append grew buf's capacity up to 2×
	c.mu.Lock()
	e.keys = c.intern(keys)
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
