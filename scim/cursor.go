package scim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strconv"

	"github.com/roster-dev/roster/db"
)

// RFC 9865 cursors are opaque to clients. Each one carries where the next
// page starts (after an id for the default order, at an offset for sorted
// lists) and a MAC over that position and the query it belongs to: team,
// endpoint, the normalised filter (the translated expression, so spacing and
// operator case do not matter) and sort. A cursor of another team, endpoint,
// filter or sort, or an altered one, fails the MAC: 400 invalidCursor.
//
// Layout, base64url without padding:
//
//	version (1) | kind 'i' or 'o' (1) | position | MAC (16)
//
// where the position is the id ('i') or a uvarint offset ('o').

const (
	cursorVersion = 1
	cursorMACSize = 16
	// maxCursorLen bounds the work spent on a client's cursor (ids are at
	// most a few dozen bytes).
	maxCursorLen = 512
	// maxCursorOffset is the largest offset a cursor may carry.
	maxCursorOffset = 1 << 31
)

// cursorPos is the position a cursor carries.
type cursorPos struct {
	after  string // keyset: continue after this id (default order)
	offset int    // index: continue at this offset (sorted lists)
}

// cursorKey returns the key cursors are signed with: Options.CursorKey, or,
// when none is configured, a random key for this process.
func cursorKey(configured []byte) []byte {
	if len(configured) > 0 {
		return append([]byte(nil), configured...)
	}
	k := make([]byte, 32)
	rand.Read(k) // never fails (crypto/rand)
	return k
}

// cursorScope names the query a cursor belongs to.
type cursorScope struct {
	team, endpoint string
	q              db.Query
}

func (h *handler) cursorMAC(s cursorScope, body []byte) []byte {
	m := hmac.New(sha256.New, h.cursorKey)
	filter := []byte("null")
	if s.q.Filter != nil {
		if b, err := json.Marshal(s.q.Filter); err == nil {
			filter = b
		}
	}
	for _, part := range [][]byte{[]byte("roster scim cursor"), []byte(s.team), []byte(s.endpoint), filter,
		[]byte(s.q.SortBy), []byte(strconv.FormatBool(s.q.Descending)), body} {
		var n [binary.MaxVarintLen64]byte
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(part)))])
		m.Write(part)
	}
	return m.Sum(nil)[:cursorMACSize]
}

// encodeCursor returns the cursor for position p of the query s.
func (h *handler) encodeCursor(s cursorScope, p cursorPos) string {
	body := []byte{cursorVersion}
	if p.after != "" {
		body = append(body, 'i')
		body = append(body, p.after...)
	} else {
		body = append(body, 'o')
		body = binary.AppendUvarint(body, uint64(p.offset))
	}
	return base64.RawURLEncoding.EncodeToString(append(body, h.cursorMAC(s, body)...))
}

// decodeCursor returns the position in c if this server issued c for the
// query s; ok is false for anything else.
func (h *handler) decodeCursor(s cursorScope, c string) (p cursorPos, ok bool) {
	if len(c) > maxCursorLen {
		return cursorPos{}, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil || len(b) < 2+cursorMACSize || b[0] != cursorVersion {
		return cursorPos{}, false
	}
	body, mac := b[:len(b)-cursorMACSize], b[len(b)-cursorMACSize:]
	if !hmac.Equal(mac, h.cursorMAC(s, body)) {
		return cursorPos{}, false
	}
	switch pos := body[2:]; body[1] {
	case 'i':
		if len(pos) == 0 {
			return cursorPos{}, false
		}
		return cursorPos{after: string(pos)}, true
	case 'o':
		n, used := binary.Uvarint(pos)
		if used <= 0 || used != len(pos) || n > maxCursorOffset {
			return cursorPos{}, false
		}
		return cursorPos{offset: int(n)}, true
	}
	return cursorPos{}, false
}
