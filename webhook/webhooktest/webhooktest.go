// Package webhooktest is a Standard Webhooks receiver for tests: an
// httptest server on 127.0.0.1 that checks every request's signature with
// its own implementation of the specification's check (not package
// webhook's Sign), records what arrived, and answers 500 to the first
// Fails requests of each webhook-id.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Verify is the Standard Webhooks check: the secret's base64 after
// "whsec_" is the HMAC-SHA256 key over "<webhook-id>.<webhook-timestamp>.<body>";
// any "v1,<sig>" of the space-separated header may match; the timestamp
// must be within 5 minutes of now.
func Verify(secret string, h http.Header, body []byte, now time.Time) bool {
	if !strings.HasPrefix(secret, "whsec_") {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute || h.Get("webhook-id") == "" {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		v, sig, ok := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if ok && v == "v1" && err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// Clock is an injected time shared by dispatchers and the receiver.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Message is one verified request.
type Message struct {
	ID   string
	Type string
	Body map[string]any
}

// Receiver is the recording endpoint.
type Receiver struct {
	URL    string
	Secret string // set after registering the endpoint
	Fails  int    // answer 500 to the first Fails requests of each webhook-id
	Always bool   // answer 500 to everything
	clock  *Clock

	mu   sync.Mutex
	hits map[string]int
	msgs map[string]Message
	bad  int
}

// NewReceiver starts a receiver; it stops when the test ends.
func NewReceiver(t testing.TB, c *Clock, fails int) *Receiver {
	r := &Receiver{Fails: fails, clock: c, hits: map[string]int{}, msgs: map[string]Message{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		body, _ := io.ReadAll(q.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if !Verify(r.Secret, q.Header, body, r.clock.Now()) {
			r.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		id := q.Header.Get("webhook-id")
		r.hits[id]++
		ty, _ := m["type"].(string)
		r.msgs[id] = Message{ID: id, Type: ty, Body: m}
		if r.Always || r.hits[id] <= r.Fails {
			http.Error(w, strings.Repeat("boom ", 200), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Hits is the number of requests per webhook-id.
func (r *Receiver) Hits() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.hits))
	for k, v := range r.hits {
		out[k] = v
	}
	return out
}

// Messages is the last verified request per webhook-id.
func (r *Receiver) Messages() map[string]Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Message, len(r.msgs))
	for k, v := range r.msgs {
		out[k] = v
	}
	return out
}

// Bad is the number of requests whose signature did not verify.
func (r *Receiver) Bad() int { r.mu.Lock(); defer r.mu.Unlock(); return r.bad }
