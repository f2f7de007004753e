package main

import (
	"encoding/hex"
	"fmt"
	"time"
)

// SCIMConfig is the scim section of the configuration (env override:
// ROSTER_SCIM_<FIELD>, e.g. ROSTER_SCIM_RATE_LIMIT).
type SCIMConfig struct {
	// RateLimit is the sustained SCIM requests per second allowed per team;
	// 0 disables the limit. Over it, clients get 429 with Retry-After.
	RateLimit float64 `yaml:"rate_limit"`
	// Burst is how many requests a team may send at once (default 2×rate_limit).
	Burst int `yaml:"burst"`
	// MaxBodyBytes limits SCIM request bodies (and /Bulk's maxPayloadSize); larger → 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxResults caps count on list and search requests.
	MaxResults int `yaml:"max_results"`
	// MaxBulkOperations caps the operations of one /Bulk request.
	MaxBulkOperations int `yaml:"max_bulk_operations"`
	// TokenCacheTTL keeps authenticated SCIM tokens in memory; a revoked token
	// stops working within this time. 0 uses the default; negative disables.
	TokenCacheTTL time.Duration `yaml:"token_cache_ttl"`
	// CursorKey (64 hex digits) signs RFC 9865 paging cursors. Give every
	// replica the same key (ROSTER_SCIM_CURSOR_KEY, never a checked-in file)
	// so a cursor works on all of them and after a restart; unset, each
	// process signs with a random key of its own.
	CursorKey string `yaml:"cursor_key"`
}

func (c *SCIMConfig) defaults() {
	c.RateLimit = 1000
	c.MaxBodyBytes = 1 << 20
	c.MaxResults = 1000
	c.MaxBulkOperations = 1000
	c.TokenCacheTTL = 5 * time.Second
}

func (c *SCIMConfig) validate() []string {
	var p []string
	check := func(ok bool, format string, a ...any) {
		if !ok {
			p = append(p, fmt.Sprintf(format, a...))
		}
	}
	check(c.RateLimit >= 0, "scim.rate_limit must be >= 0 (0 disables the limit), got %v", c.RateLimit)
	check(c.Burst >= 0, "scim.burst must be >= 0, got %d", c.Burst)
	check(c.MaxBodyBytes >= 1024 && c.MaxBodyBytes <= 64<<20, "scim.max_body_bytes must be between 1 KiB and 64 MiB, got %d", c.MaxBodyBytes)
	check(c.MaxResults >= 1 && c.MaxResults <= 10000, "scim.max_results must be between 1 and 10000, got %d", c.MaxResults)
	check(c.MaxBulkOperations >= 1 && c.MaxBulkOperations <= 10000, "scim.max_bulk_operations must be between 1 and 10000, got %d", c.MaxBulkOperations)
	check(c.TokenCacheTTL <= time.Minute, "scim.token_cache_ttl must be at most 1m (revocation latency), got %s", c.TokenCacheTTL)
	if c.CursorKey != "" {
		b, err := hex.DecodeString(c.CursorKey)
		check(err == nil && len(b) == 32, "scim.cursor_key must be 64 hex digits (32 bytes)")
	}
	return p
}

// cursorKey returns the decoded cursor key (nil when unset).
func (c *SCIMConfig) cursorKey() []byte {
	b, _ := hex.DecodeString(c.CursorKey)
	return b
}
