package main

import "encoding/hex"

// ConsoleConfig is the web console section (env: ROSTER_CONSOLE_<FIELD>).
type ConsoleConfig struct {
	// SecretKey (64 hex digits, AES-256) encrypts the authenticator-app
	// secrets of console two-step verification at rest; without it the
	// console offers no set-up. Set it from the environment
	// (ROSTER_CONSOLE_SECRET_KEY), never in a checked-in file.
	SecretKey string `yaml:"secret_key"`
}

func (c *ConsoleConfig) validate() []string {
	if c.SecretKey == "" {
		return nil
	}
	if b, err := hex.DecodeString(c.SecretKey); err != nil || len(b) != 32 {
		return []string{"console.secret_key: must be 64 hex digits (32 bytes)"}
	}
	return nil
}

// key returns the decoded secret key (nil when unset).
func (c *ConsoleConfig) key() []byte {
	b, _ := hex.DecodeString(c.SecretKey)
	return b
}
