package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/roster-dev/roster/scim"
)

// scimHandler is the SCIM 2.0 service provider, mounted at /scim/v2/ (BaseURL + /scim/v2 is
// what identity providers are given as the tenant URL).
func scimHandler(cfg *Config, store scim.Store, log *slog.Logger, now func() time.Time) http.Handler {
	c := cfg.SCIM
	h := scim.NewHandler(store, scim.Options{
		BaseURL:           cfg.BaseURL + "/scim/v2",
		Logger:            log.With("area", "scim"),
		Now:               now,
		RateLimit:         c.RateLimit,
		Burst:             c.Burst,
		MaxBodyBytes:      c.MaxBodyBytes,
		MaxResults:        c.MaxResults,
		MaxBulkOperations: c.MaxBulkOperations,
		TokenCacheTTL:     c.TokenCacheTTL,
		CursorKey:         c.cursorKey(),
	})
	return http.StripPrefix("/scim/v2", h)
}
