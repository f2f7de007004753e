package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// tokenSecretPrefix makes Roster tokens recognisable to secret scanners.
const tokenSecretPrefix = "rst_"

// newTokenSecret returns a fresh bearer secret (256 random bits) and its
// SHA-256, which is all the database keeps.
func newTokenSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = tokenSecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, hashToken(secret)
}

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// tokenPrefix is the part of a secret shown in lists and logs to recognise it.
func tokenPrefix(secret string) string {
	if len(secret) < 12 {
		return secret
	}
	return secret[:12]
}
