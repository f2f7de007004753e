package sso

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"time"
)

// Login state. An unauthenticated GET /sso/{team}/login writes nothing: the
// AuthnRequest's state (team, RelayState, request ID, return path, expiry)
// goes to the browser in a cookie, HMAC-SHA256-signed with a key derived
// from the team's SP private key. That key lives in the database, so every
// replica derives the same state key, and a cookie made for one team never
// verifies for another. The state is not secret (a request ID and a path on
// Roster), so it is signed, not encrypted. Test-mode sign-ins, which an
// authenticated admin starts through the API without a browser, keep their
// state server side (db.SSORequest).

// stateCookiePrefix starts the name of each login's state cookie; the rest
// of the name is the RelayState, so parallel logins in one browser do not
// overwrite each other.
const stateCookiePrefix = "roster_sso_"

// stateInfo separates the state key from any other use of the SP key.
const stateInfo = "roster sso login state v1"

// loginState is what the state cookie carries.
type loginState struct {
	Team      string `json:"t"`
	Relay     string `json:"r"`
	RequestID string `json:"i"`
	ReturnTo  string `json:"p"`
	Expires   int64  `json:"e"` // Unix seconds
}

// stateKeys derives one HMAC key per SP key (newest first), so a login
// started just before a key rotation still completes.
func stateKeys(privateKeyPEMs []string) ([][]byte, error) {
	out := make([][]byte, 0, len(privateKeyPEMs))
	for _, p := range privateKeyPEMs {
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			return nil, errors.New("SP key is not PEM")
		}
		k, err := hkdf.Key(sha256.New, b.Bytes, nil, stateInfo, 32)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func stateMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// sealState returns the cookie value: base64url(JSON) "." base64url(MAC).
func sealState(key []byte, st loginState) (string, error) {
	j, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	payload := b64url.EncodeToString(j)
	return payload + "." + b64url.EncodeToString(stateMAC(key, payload)), nil
}

// openState verifies a cookie value for team and relay at now against each
// key. Every failure is the same refusal.
func openState(keys [][]byte, value, team, relay string, now time.Time) (loginState, error) {
	bad := errors.New("the sign-in state cookie is missing, expired, tampered or not this team's")
	if len(value) > 4096 {
		return loginState{}, bad
	}
	payload, mac, ok := strings.Cut(value, ".")
	if !ok {
		return loginState{}, bad
	}
	sum, err := b64url.DecodeString(mac)
	if err != nil {
		return loginState{}, bad
	}
	valid := false
	for _, k := range keys {
		if hmac.Equal(sum, stateMAC(k, payload)) {
			valid = true
			break
		}
	}
	if !valid {
		return loginState{}, bad
	}
	j, err := b64url.DecodeString(payload)
	if err != nil {
		return loginState{}, bad
	}
	var st loginState
	if err := json.Unmarshal(j, &st); err != nil {
		return loginState{}, bad
	}
	if st.Team != team || st.Relay != relay || st.RequestID == "" || !now.Before(time.Unix(st.Expires, 0)) {
		return loginState{}, bad
	}
	return st, nil
}

// validRelay is true for the RelayState values Roster issues: URL-safe
// base64 of 24 random bytes (32 characters), which are also valid cookie
// name characters.
func validRelay(r string) bool {
	if len(r) != 32 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
