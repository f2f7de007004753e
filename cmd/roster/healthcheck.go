package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
)

// cmdHealthcheck lets the distroless image (no curl, no shell) check itself.
func cmdHealthcheck(fs *pflag.FlagSet) runFunc {
	path := fs.String("path", "/healthz", "path to probe (/healthz or /readyz)")
	return func(ctx context.Context, e *env, args []string) error {
		cfg, err := e.Config()
		if err != nil {
			return err
		}
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return fmt.Errorf("listen address %q: %w", cfg.Listen, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
		defer cancel()
		url := "http://" + net.JoinHostPort(host, port) + "/" + strings.TrimPrefix(*path, "/")
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthcheck: %s answered %d", *path, resp.StatusCode)
		}
		return e.output(e.format, map[string]string{"status": "ok", "path": *path}, func(w *tabwriter.Writer) { fmt.Fprintln(w, "ok") })
	}
}
