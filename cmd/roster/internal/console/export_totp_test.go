package console

import "time"

// TOTPCode is the authenticator code for secret at t (for the flow tests).
func TOTPCode(secret []byte, t time.Time) string { return hotp(secret, totpStep(t)) }

// B32Decode decodes a key as the page shows it.
func B32Decode(s string) ([]byte, error) { return b32.DecodeString(s) }
