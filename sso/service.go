// Package sso runs one SAML service provider per team on crewjam/saml and
// manages each team's SSO configuration (R-ADM-7): the IdP metadata and its
// refresh, trusted certificates, email domains and their DNS verification,
// attribute mapping, just-in-time provisioning and the security checks
// crewjam leaves to its caller (replay cache, InResponseTo, audience,
// algorithms, bounded clock skew).
package sso

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster/db"
)

// Store is what the package needs from storage: the core store and the SSO
// store, as gormdb.Store provides both.
type Store interface {
	db.Store
	db.SSOStore
}

// TXTResolver looks up DNS TXT records; net.Resolver satisfies it and tests
// inject their own.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Options configures a Service.
type Options struct {
	Store Store
	// BaseURL is Roster's public base URL (ROSTER_BASE_URL); SP entity IDs
	// and ACS URLs are built from it and must match what the IdP sends.
	BaseURL *url.URL
	Log     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness for keys, RelayState and sessions; nil means crypto/rand.
	Rand io.Reader
	// Resolver is used for domain verification; nil means net.DefaultResolver.
	Resolver TXTResolver
	// Fetch configures the metadata fetcher.
	Fetch FetchOptions
	// SessionTTL is how long a sign-in session lasts (default 12h).
	SessionTTL time.Duration
	// CertWarning is how long before a trusted IdP certificate expires that
	// it is reported (default 30 days).
	CertWarning time.Duration
	// RequestTTL is how long an AuthnRequest may be answered (default 10m).
	RequestTTL time.Duration
	// MaxResponseBytes caps the ACS form body (default 512 KiB).
	MaxResponseBytes int64
	// OnSignIn, if set, sees each finished ACS sign-in: reason "" for a
	// success, else a short stable code (SignInError.Reason, or "error" for
	// a server-side failure). The metrics count with it.
	OnSignIn func(reason string)
}

// Service is the SSO feature: configuration (R-ADM-7) and sign-in.
type Service struct {
	store       Store
	base        *url.URL
	log         *slog.Logger
	now         func() time.Time
	rand        io.Reader
	resolver    TXTResolver
	fetcher     *Fetcher
	sessionTTL  time.Duration
	certWarning time.Duration
	requestTTL  time.Duration
	maxBody     int64
	onSignIn    func(reason string)

	mu  sync.Mutex
	sps map[string]*teamSP // cached per team, keyed also by config version and keys
}

// New builds a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("sso: a store is required")
	}
	if o.BaseURL == nil || (o.BaseURL.Scheme != "http" && o.BaseURL.Scheme != "https") || o.BaseURL.Host == "" {
		return nil, errors.New("sso: the base URL must be an absolute http(s) URL")
	}
	s := &Service{store: o.Store, base: o.BaseURL, log: o.Log, now: o.Now, rand: o.Rand, resolver: o.Resolver,
		sessionTTL: o.SessionTTL, certWarning: o.CertWarning, requestTTL: o.RequestTTL, maxBody: o.MaxResponseBytes,
		onSignIn: o.OnSignIn, sps: map[string]*teamSP{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = 12 * time.Hour
	}
	if s.certWarning <= 0 {
		s.certWarning = 30 * 24 * time.Hour
	}
	if s.requestTTL <= 0 {
		s.requestTTL = 10 * time.Minute
	}
	if s.maxBody <= 0 {
		s.maxBody = 512 << 10
	}
	s.fetcher = NewFetcher(o.Fetch)
	// The store renders the resource of each sso event with this service's
	// view, in the change's transaction (issue 14 #4).
	if vs, ok := o.Store.(interface{ SetSSOView(db.SSOViewer) }); ok {
		vs.SetSSOView(s.Renderer())
	}
	return s, nil
}

// teamURL is the public URL of one of a team's SSO endpoints.
func (s *Service) teamURL(teamID, endpoint string) url.URL {
	u := *s.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/sso/" + url.PathEscape(teamID) + "/" + endpoint
	u.RawQuery, u.Fragment = "", ""
	return u
}

// authorize allows the team's primary admin and SSO admins, and the
// operator (the CLI on the database), to manage SSO (R-ADM-7).
func (s *Service) authorize(ctx context.Context, teamID string, by db.Actor) error {
	if _, err := s.store.GetTeam(ctx, teamID); err != nil {
		return err
	}
	switch by.Kind {
	case db.ActorOperator:
		return nil
	case db.ActorAdmin:
		u, err := s.store.GetUser(ctx, teamID, by.ID)
		if err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return forbidden()
			}
			return err
		}
		if err := db.CheckActingAdmin(u); err != nil && u.AdminRole.IsAdmin() {
			return err // an inactive admin holds no power (issue 9 #1)
		}
		if u.AdminRole == db.RolePrimary || u.AdminRole == db.RoleSSO {
			return nil
		}
	}
	return forbidden()
}

func forbidden() error {
	return db.Errorf(db.ErrForbidden, "sso_admin_required", "only the team's primary admin and SSO admins manage SSO (R-ADM-7)")
}

// randomToken returns n random bytes, URL-safe base64 without padding.
func (s *Service) randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return b64url.EncodeToString(b), nil
}

func (s *Service) teamURLString(teamID, endpoint string) string {
	u := s.teamURL(teamID, endpoint)
	return u.String()
}
