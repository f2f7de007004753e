package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// FetchOptions configures the IdP metadata fetcher.
type FetchOptions struct {
	// MaxBytes caps a metadata document (default 1 MiB).
	MaxBytes int64
	// Timeout bounds one fetch, connect to last byte (default 10s).
	Timeout time.Duration
	// BlockPrivate refuses metadata URLs resolving to private, link-local,
	// unspecified or (unless AllowLoopback) loopback addresses: an SSRF guard
	// for multi-tenant deployments. Off by default, since IdPs on internal
	// networks are common for self-hosted Roster.
	BlockPrivate bool
	// AllowLoopback keeps loopback addresses allowed when BlockPrivate is on
	// (for a local test IdP).
	AllowLoopback bool
}

// Fetcher downloads IdP metadata with a size cap, a timeout, an http(s)-only
// scheme check, no redirects to other schemes and an optional private-IP block.
type Fetcher struct {
	opts   FetchOptions
	client *http.Client
}

// NewFetcher builds a Fetcher.
func NewFetcher(o FetchOptions) *Fetcher {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 20
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: o.Timeout, Control: func(network, address string, _ syscall.RawConn) error {
		return checkAddr(o, address)
	}}
	tr := &http.Transport{DialContext: d.DialContext, Proxy: nil, TLSHandshakeTimeout: o.Timeout,
		ResponseHeaderTimeout: o.Timeout, MaxResponseHeaderBytes: 64 << 10}
	c := &http.Client{Transport: tr, Timeout: o.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		return checkScheme(req.URL)
	}}
	return &Fetcher{opts: o, client: c}
}

// checkAddr applies the private-IP block to the address actually dialled
// (after DNS), so a name resolving to an internal address is caught too.
func checkAddr(o FetchOptions, address string) error {
	if !o.BlockPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		if o.AllowLoopback {
			return nil
		}
		return fmt.Errorf("metadata address %s is loopback, which is blocked", ip)
	}
	if ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() || ip.IsMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) {
		return fmt.Errorf("metadata address %s is private, which is blocked", ip)
	}
	return nil
}

func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("metadata URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("metadata URL has no host")
	}
	if u.User != nil {
		return errors.New("metadata URL must not contain credentials")
	}
	return nil
}

// Fetch downloads the document at raw. Errors are safe to show an admin.
func (f *Fetcher) Fetch(ctx context.Context, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("metadata URL is malformed")
	}
	if err := checkScheme(u); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("metadata URL is malformed")
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch metadata: HTTP status %d", resp.StatusCode)
	}
	if resp.ContentLength > f.opts.MaxBytes {
		return nil, fmt.Errorf("fetch metadata: document larger than %d bytes", f.opts.MaxBytes)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch metadata: %w", err)
	}
	if int64(len(b)) > f.opts.MaxBytes {
		return nil, fmt.Errorf("fetch metadata: document larger than %d bytes", f.opts.MaxBytes)
	}
	return b, nil
}
