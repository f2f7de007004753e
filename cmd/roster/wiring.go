package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/directory"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/rolepolicy"
	"github.com/roster-dev/roster/sso"
)

// storeConfig is where cmd/roster composes the store with the feature
// packages' pure functions: the role policy classifies every new user inside
// the store's transaction, and email domains are stored in the policy's
// normalised (IDN to ASCII) form so exceptions can be computed in SQL.
func storeConfig(cfg *Config, log *slog.Logger, skipMigrate bool) gormdb.Config {
	return gormdb.Config{DSN: cfg.Database, Logger: log, SkipMigrate: skipMigrate,
		Classify: rolepolicy.Classify, PlanDirectory: directory.Plan}
}

// wired is what `roster serve` runs: one HTTP handler and the background
// loops, each stopping when its context ends.
type wired struct {
	handler http.Handler
	// metrics is /metrics when metrics.listen puts it on a listener of its
	// own; otherwise it is nil and handler serves /metrics.
	metrics http.Handler
	loops   []func(ctx context.Context)
}

// wire is the one place `roster serve` is composed (issue 10 #4): every
// HTTP handler — health, readiness, SCIM, SAML SSO with GET /api/v1/me, the
// admin API, the web console — and every background loop — directory sync, SSO metadata
// refresh — built from the configuration and the store. serve only listens
// and shuts down.
func wire(cfg *Config, store *gormdb.Store, log *slog.Logger, now func() time.Time) (*wired, error) {
	w := &wired{}
	m := newMetrics(store.PoolStats)
	mux := http.NewServeMux()
	if cfg.Metrics.Listen == "" {
		mux.Handle("GET /metrics", m.handler())
	} else {
		w.metrics = m.handler()
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		adminapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(pctx); err != nil {
			log.Warn("readiness check failed", "err", err)
			w.Header().Set("Retry-After", adminapi.RetryAfterUnavailable)
			adminapi.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		adminapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if loop := directoryLoop(cfg, store, log, now, m.observeDirectoryRun(now)); loop != nil {
		w.loops = append(w.loops, loop)
	}
	if loop := webhookLoop(cfg, store, log, now, m.observeWebhookAttempt); loop != nil {
		w.loops = append(w.loops, loop)
	}
	mux.Handle("/scim/v2/", scimHandler(cfg, store, log, now))
	svc, err := newSSOService(cfg, store, log, now, m.observeSignIn)
	if err != nil {
		return nil, fmt.Errorf("start sso: %w", err)
	}
	svc.Register(mux) // /sso/{team}/metadata, login, acs and GET /api/v1/me
	interval := cfg.SSO.MetadataRefreshInterval
	w.loops = append(w.loops, func(ctx context.Context) { svc.Run(ctx, interval) })
	api := newAdminAPI(cfg, store, log, now, svc)
	api.Register(mux)
	newConsole(cfg, store, log, now, svc, api).Register(mux) // /console/
	rootRedirect(mux)
	proxies, err := parseTrustedProxies(cfg.HTTP.TrustedProxies)
	if err != nil {
		return nil, err
	}
	w.handler = logRequests(log, proxies, m.observeRequest, recoverer(log, mux))
	return w, nil
}

// newAdminAPI builds the admin API (internal/adminapi) on the store, with
// the SSO configuration routes when svc is not nil.
func newAdminAPI(cfg *Config, store *gormdb.Store, log *slog.Logger, now func() time.Time, svc *sso.Service) *adminapi.API {
	d := adminapi.Deps{Store: store, Log: log, BaseURL: cfg.BaseURL, Now: now,
		MaxBody: cfg.API.MaxBodyBytes, ParseDomains: parseDomains, Mail: mailer{newMailSender(cfg.Mail, log)},
		WebhookKey: cfg.Webhooks.key()}
	if svc != nil {
		d.SSO = ssoAdminAPI{svc}
	}
	return adminapi.New(d)
}

// newMailSender is the configured sender: SMTP when mail.smtp_addr is set,
// else the outbox, which logs each invitation's recipient and subject (never
// the link). An unreadable password file falls back to no authentication
// and is logged (without the password).
func newMailSender(c MailConfig, log *slog.Logger) mail.Sender {
	if c.SMTPAddr == "" {
		return &mail.Outbox{Log: log}
	}
	s := mail.SMTP{Addr: c.SMTPAddr, From: c.From, Username: c.Username}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			log.Error("mail: cannot read mail.password_file; sending without authentication", "file", c.PasswordFile, "err", err)
			s.Username = ""
		}
		s.Password = strings.TrimSpace(string(b))
	}
	return s
}

// mailer adapts a mail.Sender to the admin API's Mailer.
type mailer struct{ s mail.Sender }

func (m mailer) Send(ctx context.Context, to, subject, body string) error {
	return m.s.Send(ctx, mail.Message{To: to, Subject: subject, Body: body})
}

// The admin API sees the store and SSO only through the interfaces it declares.
var (
	_ adminapi.Store = (*gormdb.Store)(nil)
	_ adminapi.SSO   = ssoAdminAPI{}
)

// recoverer turns a panic into a logged 500 with a generic body.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v))
				adminapi.WriteJSON(w, http.StatusInternalServerError, adminapi.ErrorBody{Error: adminapi.ErrorDetail{Code: "internal", Message: "internal error"}})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
