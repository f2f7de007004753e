package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/webhook"
)

// WebhooksConfig is the webhooks section (env: ROSTER_WEBHOOKS_<FIELD>).
type WebhooksConfig struct {
	// SecretKey (64 hex digits, AES-256-GCM) encrypts each endpoint's
	// signing secret in the database; without it webhooks cannot be added
	// (422 webhook_key_missing) and `roster serve` delivers none. Set it from
	// the environment (ROSTER_WEBHOOKS_SECRET_KEY), never in a checked-in file.
	SecretKey string `yaml:"secret_key"`
	// AllowPrivate lets deliveries reach loopback, private and link-local
	// addresses (tests, or receivers on the same network); off by default.
	AllowPrivate bool `yaml:"allow_private"`
	// Timeout bounds one delivery attempt: connect, TLS, answer (10s, at most 1m).
	Timeout time.Duration `yaml:"timeout"`
	// Tick is how often `roster serve` looks for due deliveries (2s).
	Tick time.Duration `yaml:"tick"`
	// Disabled stops `roster serve` from delivering (another replica may).
	Disabled bool `yaml:"disabled"`
	// Retention is how long finished deliveries (with their attempts) and
	// outbox events no delivery refers to are kept (720h = 30 days, at least
	// 48h, beyond the 27 h retry schedule); `GET /events?after=` pullers must
	// poll within it. Pending deliveries are never pruned.
	Retention time.Duration `yaml:"retention"`
}

func (c *WebhooksConfig) defaults() {
	c.Timeout = 10 * time.Second
	c.Tick = 2 * time.Second
	c.Retention = 30 * 24 * time.Hour
}

func (c *WebhooksConfig) validate() []string {
	var p []string
	if c.SecretKey != "" {
		if b, err := hex.DecodeString(c.SecretKey); err != nil || len(b) != 32 {
			p = append(p, "webhooks.secret_key: must be 64 hex digits (32 bytes)")
		}
	}
	if c.Timeout < time.Second || c.Timeout > time.Minute {
		p = append(p, "webhooks.timeout: must be between 1s and 1m")
	}
	if c.Retention < 48*time.Hour {
		p = append(p, "webhooks.retention: must be at least 48h (the retry schedule runs 27 h)")
	}
	if c.Tick < 100*time.Millisecond {
		p = append(p, "webhooks.tick: must be at least 100ms")
	}
	return p
}

// key returns the decoded secret key (nil when unset).
func (c *WebhooksConfig) key() []byte {
	b, _ := hex.DecodeString(c.SecretKey)
	return b
}

// webhookLoop is the webhook dispatcher `roster serve` runs (nil when
// webhooks.disabled or no webhooks.secret_key): every replica runs one, and
// the store's leases give each attempt to exactly one of them.
func webhookLoop(cfg *Config, store *gormdb.Store, log *slog.Logger, now func() time.Time, onAttempt func(string, time.Duration)) func(ctx context.Context) {
	if cfg.Webhooks.Disabled || len(cfg.Webhooks.key()) == 0 {
		if !cfg.Webhooks.Disabled {
			log.Info("webhook delivery off: webhooks.secret_key is not set")
		}
		return nil
	}
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	d := &webhook.Dispatcher{Store: store, Key: cfg.Webhooks.key(), Client: webhook.NewClient(cfg.Webhooks.AllowPrivate, cfg.Webhooks.Timeout),
		Now: now, Owner: fmt.Sprintf("%.40s-%x", host, b), Lease: cfg.Webhooks.Timeout + time.Minute, Log: log, OnAttempt: onAttempt,
		Retention: cfg.Webhooks.Retention}
	tick := cfg.Webhooks.Tick
	return func(ctx context.Context) { d.Run(ctx, tick) }
}
