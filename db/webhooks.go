package db

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// WebhookEndpoint is a URL a team's admins registered to receive the
// team's events (issue 14 #4), signed per Standard Webhooks.
type WebhookEndpoint struct {
	ID     string
	TeamID string
	URL    string
	// Events filters by event type: empty means every event; an entry is
	// an exact type ("user.created") or a prefix ending in ".*" ("group.*").
	Events []string
	// SealedSecret is the signing secret encrypted with the server's
	// webhook key (SealSecret); the plaintext is shown once, at creation.
	SealedSecret string
	Enabled      bool
	DisabledAt   *time.Time
	// LastSuccessAt is the last 2xx answer; an endpoint whose delivery ran
	// through the whole retry schedule with no success since the delivery
	// was created is disabled.
	LastSuccessAt *time.Time
	CreatedAt     time.Time
}

// Wants reports whether the endpoint's filter takes events of type t.
func (e WebhookEndpoint) Wants(t string) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, f := range e.Events {
		if f == t || (strings.HasSuffix(f, ".*") && strings.HasPrefix(t, strings.TrimSuffix(f, "*"))) {
			return true
		}
	}
	return false
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"   // waiting for its next attempt
	DeliveryDelivered = "delivered" // an attempt got a 2xx
	DeliveryFailed    = "failed"    // every attempt of the schedule failed
)

// WebhookDelivery is one event on its way to one endpoint: the same
// webhook-id (the event's "msg_<event id>") on every attempt.
type WebhookDelivery struct {
	ID            string
	TeamID        string
	EndpointID    string
	EventID       int64
	EventType     string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int    // HTTP status of the last attempt (0: no answer)
	LastError     string // short, fixed-form reason of the last failure
	ReplayOf      string // the delivery this one replays, if any
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	DeliveryID string
	N          int // 1 for the first attempt
	At         time.Time
	Owner      string // the dispatcher (replica) that made it
	Status     int
	Error      string
	DurationMS int64
	// ResponsePrefix is at most WebhookResponsePrefix bytes of the body.
	ResponsePrefix string
}

// WebhookResponsePrefix bounds the response body kept per attempt.
const WebhookResponsePrefix = 256

// NewWebhook is the input of CreateWebhook.
type NewWebhook struct {
	URL          string
	Events       []string
	SealedSecret string
}

// DeliveryQuery selects deliveries: the team's, newest first, optionally
// of one endpoint, below a delivery id (paging) and at most Limit.
type DeliveryQuery struct {
	EndpointID string
	EventID    int64
	Limit      int
}

// WebhookStore manages a team's endpoints and their deliveries. Every
// write is audited, and so is itself an event (webhook.created, ...).
type WebhookStore interface {
	CreateWebhook(ctx context.Context, teamID string, in NewWebhook, by Actor) (WebhookEndpoint, error)
	ListWebhooks(ctx context.Context, teamID string) ([]WebhookEndpoint, error)
	// DeleteWebhook removes the endpoint and its deliveries.
	DeleteWebhook(ctx context.Context, teamID, endpointID string, by Actor) (WebhookEndpoint, error)
	// EnableWebhook turns a disabled endpoint back on.
	EnableWebhook(ctx context.Context, teamID, endpointID string, by Actor) (WebhookEndpoint, error)
	ListDeliveries(ctx context.Context, teamID string, q DeliveryQuery) ([]WebhookDelivery, error)
	DeliveryAttempts(ctx context.Context, teamID, deliveryID string) ([]WebhookAttempt, error)
	// ReplayDelivery queues the delivery's event to its endpoint again, as
	// a new delivery due now (the same webhook-id).
	ReplayDelivery(ctx context.Context, teamID, deliveryID string, by Actor) (WebhookDelivery, error)
	// ReplayEvent queues one of the team's events to an endpoint, whether
	// or not its filter takes it.
	ReplayEvent(ctx context.Context, teamID, endpointID string, eventID int64, by Actor) (WebhookDelivery, error)
}

// DeliveryJob is a claimed delivery with what its attempt needs.
type DeliveryJob struct {
	Delivery     WebhookDelivery
	URL          string
	SealedSecret string
	Event        Event
	LeaseUntil   time.Time
}

// AttemptResult is what a dispatcher reports of one attempt.
type AttemptResult struct {
	Attempt WebhookAttempt
	// Delivered: the endpoint answered 2xx.
	Delivered bool
	// NextAt is when to try again; nil after a failure means the schedule
	// is exhausted: the delivery fails and, with no success since it was
	// created, its endpoint is disabled (event webhook.disabled).
	NextAt *time.Time
}

// WebhookDispatchStore is the lease-based queue the dispatchers of every
// replica share: a delivery attempt is made by exactly one of them.
type WebhookDispatchStore interface {
	// ClaimDeliveries leases up to limit pending deliveries that are due at
	// now and whose lease (if any) has expired, for owner until now+lease:
	// each row is taken by one atomic conditional UPDATE, so two
	// dispatchers never hold the same delivery.
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]DeliveryJob, error)
	// FinishAttempt records the attempt and releases the lease; it is
	// refused (ErrConflict) when owner no longer holds the lease.
	FinishAttempt(ctx context.Context, owner string, job DeliveryJob, r AttemptResult) error
}

// WebhookPruneStore removes what the retention window (webhooks.retention)
// no longer needs, in bounded batches so no statement holds a long lock.
type WebhookPruneStore interface {
	// PruneDeliveries deletes up to limit finished (delivered or failed)
	// deliveries last changed before before, with their attempts; pending
	// ones stay whatever their age. It returns how many it deleted.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneEvents deletes up to limit outbox events older than before that
	// no delivery refers to (so every listed delivery can be replayed).
	PruneEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// Webhook secrets: "whsec_" + base64 of 24 random bytes (Standard Webhooks).
const webhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a fresh signing secret and its sealed form
// (AES-256-GCM under key, 32 bytes), the only form the store keeps.
func NewWebhookSecret(key []byte) (secret, sealed string, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	secret = webhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
	sealed, err = SealSecret(key, secret)
	return secret, sealed, err
}

// WebhookSecretBytes decodes a "whsec_…" secret to the HMAC key.
func WebhookSecretBytes(secret string) ([]byte, error) {
	if !strings.HasPrefix(secret, webhookSecretPrefix) {
		return nil, errors.New("webhook secret lacks the whsec_ prefix")
	}
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, webhookSecretPrefix))
}

// ErrNoWebhookKey: webhooks need the server's key (webhooks.secret_key).
var ErrNoWebhookKey = Errorf(ErrInvalid, "webhook_key_missing", "webhooks need the server's webhooks.secret_key (64 hex digits) to encrypt signing secrets")

// ErrKeySize: an AES-256 key must be 32 bytes.
var ErrKeySize = errors.New("the key must be 32 bytes (64 hex digits)")

// Seal encrypts plaintext with AES-256-GCM under key with additional data
// ad: a random nonce followed by the ciphertext. The one sealing routine of
// stored secrets (webhook signing secrets here, directory bind passwords in
// package directory).
func Seal(key, plaintext, ad []byte) ([]byte, error) {
	a, err := aead(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return a.Seal(nonce, nonce, plaintext, ad), nil
}

// Unseal reverses Seal; ok is false when sealed is too short or does not
// open with key and ad.
func Unseal(key, sealed, ad []byte) (plaintext []byte, ok bool, err error) {
	a, err := aead(key)
	if err != nil {
		return nil, false, err
	}
	if len(sealed) < a.NonceSize() {
		return nil, false, nil
	}
	p, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], ad)
	return p, err == nil, nil
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, ErrKeySize
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// SealSecret encrypts a webhook secret: "v1:" + base64(Seal(key, plaintext)).
func SealSecret(key []byte, plaintext string) (string, error) {
	b, err := Seal(key, []byte(plaintext), nil)
	if errors.Is(err, ErrKeySize) {
		return "", ErrNoWebhookKey
	}
	if err != nil {
		return "", err
	}
	return "v1:" + base64.StdEncoding.EncodeToString(b), nil
}

// OpenSecret reverses SealSecret.
func OpenSecret(key []byte, sealed string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	if err != nil || !strings.HasPrefix(sealed, "v1:") {
		return "", errors.New("sealed webhook secret is malformed")
	}
	p, ok, err := Unseal(key, raw, nil)
	if errors.Is(err, ErrKeySize) {
		return "", ErrNoWebhookKey
	}
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("webhook secret does not open with this key")
	}
	return string(p), nil
}

// ValidateWebhookURL is the registration check (the dispatcher checks the
// address it dials again): an absolute http or https URL with a host, no
// user info, no fragment, at most 2,000 characters. Whether the host may
// be private or loopback is the dispatcher's dial-time decision.
func ValidateWebhookURL(raw string) error {
	bad := func(msg string) error { return Errorf(ErrInvalid, "url_invalid", "webhook url %s", msg) }
	if len(raw) > 2000 {
		return bad("is longer than 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return bad("must be http or https")
	}
	if u.Host == "" || u.Hostname() == "" {
		return bad("has no host")
	}
	if u.User != nil {
		return bad("must not carry user info")
	}
	if u.Fragment != "" {
		return bad("must not have a fragment")
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return bad("has an invalid port")
		}
	}
	return nil
}

// ValidateWebhookEvents checks an event-type filter: each entry a known
// event type or a known prefix with ".*".
func ValidateWebhookEvents(events []string) error {
	known := map[string]bool{}
	for _, t := range EventTypes {
		known[t] = true
		if i := strings.IndexByte(t, '.'); i > 0 {
			known[t[:i]+".*"] = true
		}
	}
	for _, e := range events {
		if !known[e] {
			return Errorf(ErrInvalid, "events_invalid", "unknown event type %q (see the README's list)", e)
		}
	}
	return nil
}

// WebhookView is an endpoint as the admin API shows it (never the secret).
type WebhookView struct {
	ID            string     `json:"id"`
	URL           string     `json:"url"`
	Events        []string   `json:"events"`
	Enabled       bool       `json:"enabled"`
	DisabledAt    *time.Time `json:"disabled_at"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

// WebhookViewOf is e as the admin API and events show it.
func WebhookViewOf(e WebhookEndpoint) WebhookView {
	ev := e.Events
	if ev == nil {
		ev = []string{}
	}
	return WebhookView{ID: e.ID, URL: e.URL, Events: ev, Enabled: e.Enabled, DisabledAt: e.DisabledAt,
		LastSuccessAt: e.LastSuccessAt, CreatedAt: e.CreatedAt}
}

// ActorWebhooks is the webhook dispatcher: it disables an endpoint that
// kept failing.
const ActorWebhooks ActorKind = "webhooks"
