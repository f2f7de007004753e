// Package webhook delivers a team's events to the endpoints its admins
// registered, following Standard Webhooks (webhook-id, webhook-timestamp,
// webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">). It
// knows only db: deliveries are rows the store queued in each event's own
// transaction, leased by one dispatcher (replica) at a time
// (db.WebhookDispatchStore), retried on a schedule, and recorded per attempt.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/roster-dev/roster/db"
)

// DefaultSchedule is the delay after each failed attempt: the first retry
// after 5 s, the last of eight attempts about 27 h 35 min after the first
// (the Standard Webhooks schedule). A delivery whose every attempt failed
// fails, and disables its endpoint if that had no success since.
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Results of an attempt, the values of Dispatcher.OnAttempt's result (and
// the metric label): bounded.
const (
	ResultDelivered = "delivered" // 2xx
	ResultRetry     = "retry"     // failed; another attempt is scheduled
	ResultFailed    = "failed"    // failed; the schedule is exhausted
)

// Dispatcher makes due delivery attempts. Several may run against one
// database (one per replica); each attempt is made by exactly one.
type Dispatcher struct {
	Store db.WebhookDispatchStore
	// Key opens the endpoints' sealed secrets (webhooks.secret_key).
	Key []byte
	// Client sends the requests; nil means NewClient(false, 10s).
	Client *http.Client
	// Now is the clock (attempt times, webhook-timestamp, the schedule).
	Now func() time.Time
	// Schedule is the delay after failed attempt n (Schedule[n-1]);
	// nil means DefaultSchedule.
	Schedule []time.Duration
	// Owner names this dispatcher in leases and attempts (unique per replica).
	Owner string
	// Lease is how long a claimed delivery is this dispatcher's; it must
	// exceed the client's timeout. Zero means 2 minutes.
	Lease time.Duration
	// Batch is the most deliveries claimed and attempted at once (default 10).
	Batch int
	Log   *slog.Logger
	// OnAttempt, if set, is called after each attempt (metrics).
	OnAttempt func(result string, took time.Duration)
	// Retention, if positive, is how long finished deliveries and the
	// events no delivery needs are kept (webhooks.retention): Run prunes
	// older ones every PruneEvery (default 10 minutes) when Store is a
	// db.WebhookPruneStore, PruneBatch rows per statement (default 1000).
	Retention  time.Duration
	PruneEvery time.Duration
	PruneBatch int
}

// maxPruneBatches bounds one Prune pass; the rest waits for the next pass.
const maxPruneBatches = 20

// Prune deletes, in batches, finished deliveries and then unreferenced
// events older than the retention window at the dispatcher's clock. It
// returns how many deliveries and events it removed.
func (d *Dispatcher) Prune(ctx context.Context) (deliveries, events int, err error) {
	ps, ok := d.Store.(db.WebhookPruneStore)
	if !ok || d.Retention <= 0 {
		return 0, 0, nil
	}
	batch := d.PruneBatch
	if batch <= 0 {
		batch = 1000
	}
	before := d.now().Add(-d.Retention)
	for i := 0; i < maxPruneBatches; i++ {
		n, err := ps.PruneDeliveries(ctx, before, batch)
		deliveries += n
		if err != nil || n < batch {
			if err != nil {
				return deliveries, events, err
			}
			break
		}
	}
	for i := 0; i < maxPruneBatches; i++ {
		n, err := ps.PruneEvents(ctx, before, batch)
		events += n
		if err != nil {
			return deliveries, events, err
		}
		if n < batch {
			break
		}
	}
	return deliveries, events, nil
}

// MessageID is the webhook-id of an event's deliveries: the same on every
// attempt and every replay, so a receiver can drop duplicates.
func MessageID(e db.Event) string { return "msg_" + strconv.FormatInt(e.ID, 10) }

// Body is the JSON body of an event's delivery: Standard Webhooks' type,
// timestamp (the event's time) and data (the event's payload), plus the
// event id.
func Body(e db.Event) ([]byte, error) {
	data := json.RawMessage(e.Payload)
	if !json.Valid(data) {
		data = json.RawMessage("{}")
	}
	return json.Marshal(struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		EventID   int64           `json:"event_id"`
		Data      json.RawMessage `json:"data"`
	}{e.Type, e.At.UTC().Format(time.RFC3339Nano), e.ID, data})
}

// Sign is the webhook-signature value for secret ("whsec_…"), message id,
// Unix timestamp and body.
func Sign(secret, id string, ts int64, body []byte) (string, error) {
	key, err := db.WebhookSecretBytes(secret)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (d *Dispatcher) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return 10
}

// RunOnce claims up to Batch due deliveries and attempts them (in
// parallel), returning how many it attempted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	lease := d.Lease
	if lease <= 0 {
		lease = 2 * time.Minute
	}
	jobs, err := d.Store.ClaimDeliveries(ctx, d.Owner, d.now(), lease, d.batch())
	if err != nil && len(jobs) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.attempt(ctx, j)
		}()
	}
	wg.Wait()
	return len(jobs), errors.Join(append(errs, err)...)
}

// Run attempts due deliveries until ctx ends: again at once after a full
// batch, else after every.
func (d *Dispatcher) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	pruneEvery := d.PruneEvery
	if pruneEvery <= 0 {
		pruneEvery = 10 * time.Minute
	}
	var pruned time.Time
	for {
		if now := d.now(); d.Retention > 0 && now.Sub(pruned) >= pruneEvery {
			pruned = now
			if nd, ne, err := d.Prune(ctx); err != nil && ctx.Err() == nil {
				d.log().Warn("webhook retention", "err", err)
			} else if nd+ne > 0 {
				d.log().Info("webhook retention", "deliveries_deleted", nd, "events_deleted", ne)
			}
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log().Warn("webhook dispatch", "err", err)
		}
		if n == d.batch() && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Dispatcher) attempt(ctx context.Context, j db.DeliveryJob) error {
	start := d.now()
	n := j.Delivery.Attempts + 1
	status, reason, prefix := d.send(ctx, j, start)
	took := d.now().Sub(start)
	r := db.AttemptResult{Attempt: db.WebhookAttempt{At: start, Status: status, Error: reason,
		DurationMS: took.Milliseconds(), ResponsePrefix: prefix}, Delivered: status >= 200 && status < 300 && reason == ""}
	result := ResultDelivered
	if !r.Delivered {
		sched := d.Schedule
		if sched == nil {
			sched = DefaultSchedule
		}
		result = ResultFailed
		if n-1 < len(sched) {
			next := start.Add(sched[n-1])
			r.NextAt = &next
			result = ResultRetry
		}
	}
	if d.OnAttempt != nil {
		d.OnAttempt(result, took)
	}
	if err := d.Store.FinishAttempt(context.WithoutCancel(ctx), d.Owner, j, r); err != nil {
		return fmt.Errorf("webhook delivery %s: %w", j.Delivery.ID, err)
	}
	if result != ResultDelivered {
		d.log().Info("webhook attempt failed", "delivery", j.Delivery.ID, "endpoint", j.Delivery.EndpointID,
			"attempt", n, "status", status, "reason", reason, "result", result)
	}
	return nil
}

// send makes one request; reason is empty on an answer, else a short fixed
// description of why there was none (never the URL or the secret).
func (d *Dispatcher) send(ctx context.Context, j db.DeliveryJob, at time.Time) (status int, reason, prefix string) {
	secret, err := db.OpenSecret(d.Key, j.SealedSecret)
	if err != nil {
		return 0, "secret_unreadable", ""
	}
	body, err := Body(j.Event)
	if err != nil {
		return 0, "body_unencodable", ""
	}
	id, ts := MessageID(j.Event), at.Unix()
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return 0, "secret_unreadable", ""
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(body))
	if err != nil {
		return 0, "url_invalid", ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	c := d.Client
	if c == nil {
		c = NewClient(false, 10*time.Second)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, reasonOf(err), ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, db.WebhookResponsePrefix))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused, within bounds
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, "status_" + strconv.Itoa(resp.StatusCode), string(b)
	}
	return resp.StatusCode, "", string(b)
}

func reasonOf(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errAddressNotAllowed):
		return "address_not_allowed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, new(*net.DNSError)):
		return "dns_error"
	}
	return "request_failed"
}

var errAddressNotAllowed = errors.New("address not allowed")

// NewClient is the delivery HTTP client: no proxy from the environment, no
// redirects followed (a 3xx is a failed attempt), a total timeout, and —
// unless allowPrivate — a dial-time refusal of every address that is not
// public unicast: loopback, RFC 1918 and unique-local, link-local (cloud
// metadata at 169.254.169.254), carrier-grade NAT, unspecified, multicast.
// The check runs on the resolved address, so DNS names that resolve to
// such addresses (rebinding included) are refused too.
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return errAddressNotAllowed
		}
		ip := net.ParseIP(host)
		if ip == nil || !Public(ip) {
			return errAddressNotAllowed
		}
		return nil
	}}
	tr := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, MaxIdleConnsPerHost: 2,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var cgnat = &net.IPNet{IP: net.IPv4(100, 64, 0, 0), Mask: net.CIDRMask(10, 32)}

// Public reports whether ip is a public unicast address.
func Public(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip))
}
