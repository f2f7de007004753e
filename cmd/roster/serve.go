package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/sso"
)

// app is what serve-time services get: the mux to mount on, the store, the
// configuration, the logger and Roster's public base URL.
type app struct {
	Mux     *http.ServeMux
	Store   *gormdb.Store
	Config  *Config
	Log     *slog.Logger
	BaseURL string
	Now     func() time.Time
	// SSO is set by the sso service; the admin API's SSO routes use it.
	SSO *sso.Service

	bg sync.WaitGroup
}

// service is a part of `roster serve` (SCIM, SSO, directory sync, ...). Start
// mounts handlers and may start background loops that stop when ctx ends
// (use a.Go so serve waits for them on shutdown).
type service struct {
	Name  string
	Start func(ctx context.Context, a *app) error
}

// services are the parts of `roster serve`, in start order: one explicit
// list, no init() registry (issue 10 #4).
func services() []service {
	return []service{
		{Name: "directory", Start: startDirectoryService},
		{Name: "scim", Start: startSCIM},
		{Name: "sso", Start: startSSO},
	}
}

// Go runs f in the background; serve waits for it before exiting.
func (a *app) Go(f func()) {
	a.bg.Add(1)
	go func() { defer a.bg.Done(); f() }()
}

func cmdServe(fs *pflag.FlagSet) runFunc {
	listen := fs.String("listen", "", "listen address (overrides ROSTER_LISTEN and listen in the config file)")
	return func(ctx context.Context, e *env, args []string) error {
		cfg, err := e.Config()
		if err != nil {
			return err
		}
		if *listen != "" {
			cfg.Listen = *listen
		}
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
		}
		return serve(ctx, e, cfg, ln)
	}
}

// serve runs the server on ln until ctx is cancelled, then shuts down
// gracefully: no new connections, in-flight requests finish (up to 15 s).
func serve(ctx context.Context, e *env, cfg *Config, ln net.Listener) error {
	e.create = true // serve creates its database
	store, err := e.Store(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	if cfg.baseURLDefault {
		e.Log.Warn("base_url is not set (ROSTER_BASE_URL); clients are told " + cfg.BaseURL + " as Roster's URL")
	} else if err := store.PutSetting(ctx, settingBaseURL, cfg.BaseURL); err != nil {
		// The CLI reads it to print the right SCIM and API URLs (issue 9 #16c).
		ln.Close()
		return err
	}
	a := &app{Mux: http.NewServeMux(), Store: store, Config: cfg, Log: e.Log, BaseURL: cfg.BaseURL, Now: e.Now}
	a.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		adminapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	a.Mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(pctx); err != nil {
			a.Log.Warn("readiness check failed", "err", err)
			w.Header().Set("Retry-After", adminapi.RetryAfterUnavailable)
			adminapi.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		adminapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	svcCtx, stopServices := context.WithCancel(ctx)
	defer stopServices()
	for _, s := range services() {
		if err := s.Start(svcCtx, a); err != nil {
			ln.Close()
			return fmt.Errorf("start %s: %w", s.Name, err)
		}
	}
	mountAdminAPI(a)
	srv := &http.Server{
		Handler:           recoverer(a.Log, logRequests(a.Log, a.Mux)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	a.Log.Info("roster serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "database", string(store.Dialect()), "sqlite_driver", gormdb.SQLiteDriver, "version", version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopServices()
		a.bg.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	stopServices()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	a.bg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// mountAdminAPI mounts the admin API (internal/adminapi) on the store, with
// the sso service's configuration routes when the sso service runs.
func mountAdminAPI(a *app) {
	d := adminapi.Deps{Store: a.Store, Log: a.Log, BaseURL: a.BaseURL, Now: a.Now,
		MaxBody: a.Config.API.MaxBodyBytes, ParseDomains: parseDomains}
	if a.SSO != nil {
		d.SSO = ssoAdminAPI{a.SSO}
	}
	adminapi.New(d).Register(a.Mux)
}

// The admin API sees the store and SSO only through the interfaces it declares.
var (
	_ adminapi.Store = (*gormdb.Store)(nil)
	_ adminapi.SSO   = ssoAdminAPI{}
)

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, path (never the query or headers, which can carry
// secrets or personal data), status and duration at debug level; 5xx at warn.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}

// recoverer turns a panic into a logged 500 with a generic body.
func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "path", r.URL.Path, "panic", fmt.Sprint(v))
				adminapi.WriteJSON(w, http.StatusInternalServerError, adminapi.ErrorBody{Error: adminapi.ErrorDetail{Code: "internal", Message: "internal error"}})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// openStore opens the configured database with the role policy wired in.
func openStore(ctx context.Context, cfg *Config, log *slog.Logger, skipMigrate bool) (*gormdb.Store, error) {
	s, err := gormdb.Open(ctx, storeConfig(cfg, log, skipMigrate))
	if err != nil {
		return nil, err
	}
	return s, nil
}

func cmdMigrate(fs *pflag.FlagSet) runFunc {
	status := fs.Bool("status", false, "list pending migrations without applying them")
	return func(ctx context.Context, e *env, args []string) error {
		cfg, err := e.Config() // migrate creates a missing SQLite file
		if err != nil {
			return err
		}
		s, err := openStore(ctx, cfg, e.Log, true)
		if err != nil {
			return err
		}
		defer s.Close()
		if *status {
			p, err := s.Pending(ctx)
			if err != nil {
				return err
			}
			return e.output(e.format, map[string][]string{"pending": nonNil(p)}, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "%d pending migrations\n", len(p))
				for _, id := range p {
					fmt.Fprintln(w, "  "+id)
				}
			})
		}
		ran, err := s.Migrate(ctx)
		if err != nil {
			return err
		}
		return e.confirm(map[string][]string{"applied": nonNil(ran)}, "applied %d migrations", len(ran))
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
