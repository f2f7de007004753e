package console_test

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

var (
	secretRe   = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	recoveryRe = regexp.MustCompile(`<li><code>([A-Z2-7]{5}-[A-Z2-7]{5})</code></li>`)
	tokenRe    = regexp.MustCompile(`name="token" value="([^"]+)"`)
)

const totpPassword = "correct horse battery"

// totpEnv is the console with a console secret key and pat's password set.
func totpEnv(t *testing.T) *env {
	e := newEnvWith(t, gormdb.Config{}, func(e *env, _ *http.ServeMux, a *adminapi.Deps, c *console.Deps) {
		c.SecondFactorKey = bytes.Repeat([]byte{42}, 32)
	})
	if err := e.store.SetConsolePassword(context.Background(), e.team.ID, e.prim.ID, console.HashPassword(totpPassword), operator); err != nil {
		t.Fatal(err)
	}
	return e
}

// enrol sets up pat's authenticator through the page: the key and the
// recovery codes as shown once, then the confirmation with a code.
func (e *env) enrol(c *http.Client) (secret []byte, codes []string) {
	e.t.Helper()
	res, body := e.do(c, "POST", "/console/2fa/start", url.Values{})
	m := secretRe.FindStringSubmatch(body)
	if res.StatusCode != 200 || m == nil || !strings.Contains(body, "otpauth://totp/Roster:pat@acme.test?") {
		e.t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	secret, err := console.B32Decode(m[1])
	if err != nil {
		e.t.Fatal(err)
	}
	for _, x := range recoveryRe.FindAllStringSubmatch(body, -1) {
		codes = append(codes, x[1])
	}
	if len(codes) != 10 {
		e.t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	// Stored sealed: neither the secret nor a recovery code is in the row.
	st, err := e.store.GetTOTP(context.Background(), e.team.ID, e.prim.ID)
	if err != nil || bytes.Contains(st.Sealed, secret) || st.ConfirmedAt != nil {
		e.t.Fatalf("stored enrolment = %+v, %v", st, err)
	}
	if res, body := e.do(c, "POST", "/console/2fa/confirm", url.Values{"code": {"000000"}}); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "That code is not right") {
		e.t.Fatalf("confirm with a wrong code: %d", res.StatusCode)
	}
	res, body = e.do(c, "POST", "/console/2fa/confirm", url.Values{"code": {console.TOTPCode(secret, e.clock.Now())}})
	if res.StatusCode != 200 || !strings.Contains(body, "Two-step verification is on.") {
		e.t.Fatalf("confirm: %d %s", res.StatusCode, body)
	}
	if _, body := e.do(c, "GET", "/console/2fa", nil); strings.Contains(body, "totp-secret") || strings.Contains(body, codes[0]) {
		e.t.Error("the key or a recovery code is shown again after the set-up")
	}
	return secret, codes
}

// passwordStep posts the password and returns the code step's token ("" if
// the answer was not the code step).
func (e *env) passwordStep(c *http.Client) (*http.Response, string) {
	e.t.Helper()
	res, body := e.do(c, "POST", "/console/password", url.Values{"team": {e.team.ID}, "email": {"pat@acme.test"}, "password": {totpPassword}})
	m := tokenRe.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Enter your code") {
		return res, ""
	}
	return res, html.UnescapeString(m[1])
}

func (e *env) codeStep(c *http.Client, token, code string) (*http.Response, string) {
	e.t.Helper()
	return e.do(c, "POST", "/console/password/code", url.Values{"token": {token}, "code": {code}})
}

// TestTOTPSecondFactor: once enrolled, a password sign-in needs a code from
// the app or a recovery code; each code, recovery code and code-step link
// works once; the password alone never opens a session.
func TestTOTPSecondFactor(t *testing.T) {
	e := totpEnv(t)
	admin := e.browser()
	e.signIn(admin, e.link(e.prim))
	if _, body := e.do(admin, "GET", "/console/2fa", nil); !strings.Contains(body, "Set up an authenticator app") {
		t.Fatalf("2fa page before enrolment: %s", body)
	}
	secret, codes := e.enrol(admin)
	e.clock.Add(30 * time.Second) // the confirming code's step is spent

	c := e.browser()
	res, token := e.passwordStep(c)
	if res.StatusCode != 200 || token == "" || len(res.Cookies()) != 0 {
		t.Fatalf("password step: %d token=%q cookies=%v", res.StatusCode, token, res.Cookies())
	}
	if res, _ := e.do(c, "GET", "/console/users", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the password alone opened the console: %d", res.StatusCode)
	}
	res, body := e.codeStep(c, token, "123456")
	m := tokenRe.FindStringSubmatch(body)
	if res.StatusCode != http.StatusUnauthorized || m == nil || !strings.Contains(body, "That code is not right") {
		t.Fatalf("wrong code: %d %s", res.StatusCode, body)
	}
	if res, _ := e.codeStep(c, token, console.TOTPCode(secret, e.clock.Now())); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a spent code-step link: %d, want 401", res.StatusCode)
	}
	code := console.TOTPCode(secret, e.clock.Now())
	res, _ = e.codeStep(c, html.UnescapeString(m[1]), code)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/users" {
		t.Fatalf("right code: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := e.do(c, "GET", "/console/users", nil); res.StatusCode != 200 {
		t.Fatalf("console after the code: %d", res.StatusCode)
	}

	// The same code again (another sign-in within its step): refused.
	_, token = e.passwordStep(e.browser())
	if res, _ := e.codeStep(e.browser(), token, code); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed code: %d, want 401", res.StatusCode)
	}
	// A recovery code works once, typed loosely.
	_, token = e.passwordStep(e.browser())
	if res, _ := e.codeStep(e.browser(), token, " "+strings.ToLower(codes[3])+" "); res.StatusCode != http.StatusSeeOther {
		t.Errorf("recovery code: %d, want a sign-in", res.StatusCode)
	}
	_, token = e.passwordStep(e.browser())
	if res, _ := e.codeStep(e.browser(), token, codes[3]); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("spent recovery code: %d, want 401", res.StatusCode)
	}
	// The code step expires.
	_, token = e.passwordStep(e.browser())
	e.clock.Add(console.SecondFactorTTL + time.Second)
	if res, body := e.codeStep(e.browser(), token, console.TOTPCode(secret, e.clock.Now())); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Errorf("expired code step: %d", res.StatusCode)
	}
	es, _ := e.store.ListAudit(context.Background(), e.team.ID, db.AuditQuery{Limit: 100})
	seen := map[string]bool{}
	for _, x := range es {
		seen[x.Action] = true
	}
	for _, a := range []string{"console.totp.start", "console.totp.enable", "console.totp.recovery_code"} {
		if !seen[a] {
			t.Errorf("no %s audit entry", a)
		}
	}
}

// TestTOTPCodesAreThrottledLikePasswords: five wrong codes lock the account
// for 15 minutes, and the right password does not reset the count.
func TestTOTPCodesAreThrottledLikePasswords(t *testing.T) {
	e := totpEnv(t)
	admin := e.browser()
	e.signIn(admin, e.link(e.prim))
	secret, _ := e.enrol(admin)
	e.clock.Add(30 * time.Second)
	// The wrong code at set-up counted as the first failure.
	for i := 0; i < 4; i++ {
		_, token := e.passwordStep(e.browser())
		if token == "" {
			t.Fatalf("attempt %d: no code step", i+1)
		}
		res, _ := e.codeStep(e.browser(), token, "000000")
		want := http.StatusUnauthorized
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if res.StatusCode != want {
			t.Fatalf("wrong code %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	if res, _ := e.passwordStep(e.browser()); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("password on a locked account: %d, want 429", res.StatusCode)
	}
	e.clock.Add(16 * time.Minute)
	_, token := e.passwordStep(e.browser())
	if res, _ := e.codeStep(e.browser(), token, console.TOTPCode(secret, e.clock.Now())); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after the lockout window: %d, want a sign-in", res.StatusCode)
	}
}

// TestTOTPDisableNeedsReauthAndACode: turning the second factor off needs a
// recent sign-in and a valid code; afterwards the password is enough again.
func TestTOTPDisableNeedsReauthAndACode(t *testing.T) {
	e := totpEnv(t)
	admin := e.browser()
	e.signIn(admin, e.link(e.prim))
	secret, _ := e.enrol(admin)
	e.clock.Add(30 * time.Second)
	if res, _ := e.do(admin, "POST", "/console/2fa/disable", url.Values{"code": {"000000"}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("disable with a wrong code: %d, want 401", res.StatusCode)
	}
	e.clock.Add(11 * time.Minute)
	if res, body := e.do(admin, "POST", "/console/2fa/disable", url.Values{"code": {console.TOTPCode(secret, e.clock.Now())}}); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "recent sign-in") {
		t.Errorf("disable in an old session: %d, want 403", res.StatusCode)
	}
	if _, err := e.store.GetTOTP(context.Background(), e.team.ID, e.prim.ID); err != nil {
		t.Fatalf("refused disables removed the enrolment: %v", err)
	}
	c := e.browser()
	_, token := e.passwordStep(c)
	e.codeStep(c, token, console.TOTPCode(secret, e.clock.Now()))
	e.clock.Add(30 * time.Second)
	res, body := e.do(c, "POST", "/console/2fa/disable", url.Values{"code": {console.TOTPCode(secret, e.clock.Now())}})
	if res.StatusCode != 200 || !strings.Contains(body, "Two-step verification is off.") {
		t.Fatalf("disable: %d %s", res.StatusCode, body)
	}
	if res, token := e.passwordStep(e.browser()); res.StatusCode != http.StatusSeeOther || token != "" {
		t.Errorf("password sign-in after disabling: %d (code step %v)", res.StatusCode, token != "")
	}
}

// TestTOTPNeedsTheConsoleKey: without console.secret_key nothing can be
// set up, and the page says why.
func TestTOTPNeedsTheConsoleKey(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.signIn(c, e.link(e.prim))
	if _, body := e.do(c, "GET", "/console/2fa", nil); !strings.Contains(body, "console.secret_key") {
		t.Errorf("2fa page without a key: %s", body)
	}
	if res, _ := e.do(c, "POST", "/console/2fa/start", url.Values{}); res.StatusCode != http.StatusConflict {
		t.Errorf("start without a key: %d, want 409", res.StatusCode)
	}
}
