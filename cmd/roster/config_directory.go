package main

import (
	"encoding/hex"
	"time"
)

// DirectoryConfig is the directory sync section (env: ROSTER_DIRECTORY_<FIELD>).
type DirectoryConfig struct {
	// SecretKey (64 hex digits, AES-256) encrypts bind passwords stored by
	// `roster directory add`; without it the connection stores a reference to
	// the password file instead. Set it from the environment
	// (ROSTER_DIRECTORY_SECRET_KEY), never in a checked-in file.
	SecretKey string `yaml:"secret_key"`
	// Interval is the default time between runs of a connection (5m).
	Interval time.Duration `yaml:"interval"`
	// Tick is how often `roster serve` looks for due connections (15s).
	Tick time.Duration `yaml:"tick"`
	// PageSize of paged LDAP searches (500; at most 1000).
	PageSize int `yaml:"page_size"`
	// Disabled stops `roster serve` from running directory syncs.
	Disabled bool `yaml:"disabled"`
}

func (c *DirectoryConfig) defaults() {
	c.Interval = 5 * time.Minute
	c.Tick = 15 * time.Second
	c.PageSize = 500
}

func (c *DirectoryConfig) validate() []string {
	var p []string
	if c.SecretKey != "" {
		if b, err := hex.DecodeString(c.SecretKey); err != nil || len(b) != 32 {
			p = append(p, "directory.secret_key: must be 64 hex digits (32 bytes)")
		}
	}
	if c.Interval < time.Minute {
		p = append(p, "directory.interval: must be at least 1m")
	}
	if c.Tick < time.Second {
		p = append(p, "directory.tick: must be at least 1s")
	}
	if c.PageSize < 1 || c.PageSize > 1000 {
		p = append(p, "directory.page_size: must be between 1 and 1000")
	}
	return p
}

// key returns the decoded secret key (nil when unset).
func (c *DirectoryConfig) key() []byte {
	b, _ := hex.DecodeString(c.SecretKey)
	return b
}
