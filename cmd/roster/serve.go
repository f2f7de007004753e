package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/db/gormdb"
)

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
	w, err := wire(cfg, store, e.Log, e.Now)
	if err != nil {
		ln.Close()
		return err
	}
	// The background loops (directory sync, SSO metadata refresh) stop with
	// ctx; serve waits for them before it returns.
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	var bg sync.WaitGroup
	for _, loop := range w.loops {
		bg.Add(1)
		go func() { defer bg.Done(); loop(loopCtx) }()
	}
	log := e.Log
	handler := w.handler
	if e.wrapHandler != nil {
		handler = e.wrapHandler(handler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	var msrv *http.Server
	if w.metrics != nil {
		mln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics: listen on %s: %w", cfg.Metrics.Listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", w.metrics)
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		log.Info("metrics serving", "addr", mln.Addr().String())
		go func() { _ = msrv.Serve(mln) }()
		defer msrv.Close()
	}
	log.Info("roster serving", "addr", ln.Addr().String(), "tls", cfg.TLS.CertFile != "", "base_url", cfg.BaseURL, "database", string(store.Dialect()), "sqlite_driver", gormdb.SQLiteDriver, "version", version)
	if cfg.TLS.CertFile != "" {
		// Load now, so a bad certificate fails start-up, not each handshake.
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopLoops()
		bg.Wait()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	stopLoops()
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	bg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
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
