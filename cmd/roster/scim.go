package main

import (
	"context"
	"net/http"

	"github.com/roster-dev/roster/scim"
)

// The SCIM 2.0 service provider, mounted at /scim/v2/ (BaseURL + /scim/v2 is
// what identity providers are given as the tenant URL).
func startSCIM(ctx context.Context, a *app) error {
	c := a.Config.SCIM
	h := scim.NewHandler(a.Store, scim.Options{
		BaseURL:           a.BaseURL + "/scim/v2",
		Logger:            a.Log.With("area", "scim"),
		Now:               a.Now,
		RateLimit:         c.RateLimit,
		Burst:             c.Burst,
		MaxBodyBytes:      c.MaxBodyBytes,
		MaxResults:        c.MaxResults,
		MaxBulkOperations: c.MaxBulkOperations,
		TokenCacheTTL:     c.TokenCacheTTL,
		CursorKey:         c.cursorKey(),
	})
	a.Mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	return nil
}
