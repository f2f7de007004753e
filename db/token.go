package db

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// TokenSecretPrefix makes Roster's bearer tokens (SCIM and admin API alike)
// recognisable to secret scanners.
const TokenSecretPrefix = "rst_"

// NewTokenSecret returns a fresh bearer secret (256 random bits) and its
// SHA-256, which is all the database keeps. It is the one token format for
// every transport: SCIM and the admin API verify with HashToken.
func NewTokenSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	secret = TokenSecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken is the SHA-256 of a bearer secret, the form tokens are stored
// and looked up in (Store.TokenByHash).
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenPrefix is the part of a secret shown in lists and logs to recognise
// it; it is not enough to use the token.
func TokenPrefix(secret string) string {
	if len(secret) < 12 {
		return secret
	}
	return secret[:12]
}
