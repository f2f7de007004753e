package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// Mailer sends one plain-text email. cmd/roster wires a sender (for now
// one that logs the recipient and subject only, never the body).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// argon2id parameters (RFC 9106's second recommended option, with 64 MiB).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
	// MinPasswordLength is the shortest password accepted.
	MinPasswordLength = 12
)

// HashPassword encodes an argon2id hash of pw in the PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether pw matches an encoded argon2id hash.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<20 || t > 10 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// dummyHash is checked for unknown accounts, so they take as long as known
// ones. It is made on the first sign-in, not at start: one argon2id hash
// allocates 64 MiB, which at package init set every `roster serve`'s peak
// RSS to ~100 MB before it served anything (issue 15's RSS bound).
var dummyHash = sync.OnceValue(func() string { return HashPassword("roster-unknown-account") })

// throttle counts failed sign-ins per key in a sliding window, in the
// database (db.ThrottleStore), so every replica enforces one limit. A key
// is stored as the SHA-256 of the throttle's scope and the key, never the
// email or address itself. A store error is logged and the attempt goes on
// (the sign-in's own reads fail the same way when the database is down).
type throttle struct {
	store  db.ThrottleStore
	log    func() *slog.Logger
	scope  string
	max    int
	window time.Duration
}

func newThrottle(st db.ThrottleStore, log func() *slog.Logger, scope string, max int, window time.Duration) *throttle {
	return &throttle{store: st, log: log, scope: scope, max: max, window: window}
}

func (t *throttle) hash(key string) []byte { return db.HashToken(t.scope + "\x00" + key) }

func (t *throttle) logErr(ctx context.Context, err error) {
	t.log().ErrorContext(ctx, "console: sign-in throttle", "scope", t.scope, "err", err)
}

// blocked tells whether key has reached the limit.
func (t *throttle) blocked(ctx context.Context, key string, now time.Time) bool {
	n, err := t.store.CountFailures(ctx, t.hash(key), now.Add(-t.window))
	if err != nil {
		t.logErr(ctx, err)
		return false
	}
	return n >= t.max
}

// fail records a failure; it reports whether this one reached the limit.
func (t *throttle) fail(ctx context.Context, key string, now time.Time) bool {
	n, err := t.store.RecordFailure(context.WithoutCancel(ctx), t.hash(key), now, now.Add(-t.window))
	if err != nil {
		t.logErr(ctx, err)
		return false
	}
	return n == t.max
}

func (t *throttle) reset(ctx context.Context, key string) {
	if err := t.store.ClearFailures(context.WithoutCancel(ctx), t.hash(key)); err != nil {
		t.logErr(ctx, err)
	}
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (c *Console) passwordRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /console/password", c.passwordSignIn)
	m.HandleFunc("GET /console/forgot", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusOK, "forgot", page{Title: "forgot.title"})
	})
	m.HandleFunc("POST /console/forgot", c.forgot)
	m.HandleFunc("GET /console/reset", func(w http.ResponseWriter, r *http.Request) {
		c.render(w, r, http.StatusOK, "reset", page{Title: "reset.title", Data: r.URL.Query().Get("token")})
	})
	m.HandleFunc("POST /console/reset", c.reset)
}

// passwordSignIn: team id, email and password. Refused alike (one message)
// for an unknown team or user, no password and a wrong one; throttled per
// account (5 failures in 15 minutes lock it, audited) and per address (20).
func (c *Console) passwordSignIn(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	refuse := func(status int, key string) {
		c.render(w, r, status, "signin", page{Title: "signin.title", Message: tr(l, key)})
	}
	if err := form(w, r); err != nil {
		refuse(http.StatusBadRequest, "password.wrong")
		return
	}
	teamID, email, pw := strings.TrimSpace(r.PostForm.Get("team")), strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("password")
	now := c.Now()
	account := strings.ToLower(teamID + "\x00" + email)
	ip := clientIP(r)
	if c.accounts.blocked(r.Context(), account, now) || c.addresses.blocked(r.Context(), ip, now) {
		refuse(http.StatusTooManyRequests, "password.locked")
		return
	}
	u, err := c.Store.FindUser(r.Context(), teamID, db.UserKey{Email: email})
	dummy := dummyHash()
	hash := dummy
	if err == nil {
		if h, herr := c.Store.ConsolePassword(r.Context(), u.TeamID, u.ID); herr == nil {
			hash = h
		} else if !db.IsClientError(herr) {
			c.fail(w, r, session{}, herr)
			return
		}
	} else if !db.IsClientError(err) {
		c.fail(w, r, session{}, err)
		return
	}
	ok := CheckPassword(hash, pw) && err == nil && hash != dummy && u.Status == db.StatusActive
	if !ok {
		c.addresses.fail(r.Context(), ip, now)
		if c.accounts.fail(r.Context(), account, now) && err == nil {
			if aerr := c.Store.AuditConsole(context.WithoutCancel(r.Context()), u.TeamID, db.Actor{Kind: db.ActorOperator, ID: "console", Name: ip},
				"console.lockout", u.ID, map[string]string{"email": u.Email, "minutes": "15"}); aerr != nil {
				c.Log.Error("console: audit lockout", "err", aerr)
			}
		}
		refuse(http.StatusUnauthorized, "password.wrong")
		return
	}
	// Enforce SSO: users of enforced verified domains use SSO (the primary
	// admin keeps this path as the break-glass).
	if c.SSO != nil {
		allowed, err := c.SSO.PasswordSignInAllowed(r.Context(), u)
		if err != nil {
			c.fail(w, r, session{}, err)
			return
		}
		if !allowed {
			refuse(http.StatusForbidden, "password.sso_enforced")
			return
		}
	}
	// A user with an authenticator app gives a code next (pages_totp.go);
	// the failures so far stay counted until the code is right, so a known
	// password does not buy unlimited code guesses.
	if need, err := c.needsSecondFactor(r.Context(), u); err != nil {
		c.fail(w, r, session{}, err)
		return
	} else if need {
		c.askSecondFactor(w, r, u, http.StatusOK, "")
		return
	}
	c.accounts.reset(r.Context(), account)
	c.finishPasswordSignIn(w, r, u, "password")
}

// finishPasswordSignIn signs u in after every factor passed: the
// break-glass record and notice when SSO is enforced, the sign-in audit,
// the session, and the team's destination for an admin or a user.
func (c *Console) finishPasswordSignIn(w http.ResponseWriter, r *http.Request, u db.User, method string) {
	by := db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email}
	if c.SSO != nil {
		if bg, err := c.SSO.BreakGlass(r.Context(), u); err == nil && bg {
			if err := breakGlass(r.Context(), c.Store, c.Mailer, c.Log, u, by, "password", c.Now()); err != nil {
				c.fail(w, r, session{}, err)
				return
			}
		}
	}
	if err := c.Store.AuditConsole(r.Context(), u.TeamID, by, "console.sign_in", u.ID, map[string]string{"method": method}); err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	if err := c.startSession(w, r, u.TeamID, u.ID, "password"); err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	dest := c.userDestination(r.Context(), u.TeamID)
	if _, err := c.Ops.Authorize(r.Context(), u.TeamID, u.ID, adminapi.AllAdmins); err == nil {
		dest = c.adminDestination(r.Context(), u.TeamID)
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// ResetTTL is how long a password-reset link is valid.
const ResetTTL = time.Hour

// forgot emails a reset link to an active user of the team; the answer is
// the same whether or not the account exists.
func (c *Console) forgot(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	done := func() {
		c.render(w, r, http.StatusOK, "forgot", page{Title: "forgot.title", Notice: tr(l, "forgot.sent")})
	}
	if err := form(w, r); err != nil || c.Mailer == nil {
		done()
		return
	}
	now := c.Now()
	ip := clientIP(r)
	if c.addresses.blocked(r.Context(), ip, now) {
		c.render(w, r, http.StatusTooManyRequests, "forgot", page{Title: "forgot.title", Message: tr(l, "password.locked")})
		return
	}
	c.addresses.fail(r.Context(), ip, now) // every reset request counts against the address
	u, err := c.Store.FindUser(r.Context(), strings.TrimSpace(r.PostForm.Get("team")), db.UserKey{Email: strings.TrimSpace(r.PostForm.Get("email"))})
	if err != nil || u.Status != db.StatusActive {
		done()
		return
	}
	if c.SSO != nil {
		if ok, err := c.SSO.PasswordSignInAllowed(r.Context(), u); err != nil || !ok {
			done()
			return
		}
	}
	secret, hash := db.NewTokenSecret()
	by := db.Actor{Kind: db.ActorOperator, ID: "console", Name: ip}
	if err := c.Store.CreateLoginLink(r.Context(), db.LoginLink{Hash: hash, TeamID: u.TeamID, UserID: u.ID, Purpose: db.LinkReset,
		CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}, by); err != nil {
		c.Log.Error("console: reset link", "err", err)
		done()
		return
	}
	link := strings.TrimRight(c.BaseURL, "/") + "/console/reset?token=" + url.QueryEscape(secret)
	if err := c.Mailer.Send(r.Context(), u.Email, tr(l, "reset.subject"), tr(l, "reset.body")+"\n\n"+link+"\n"); err != nil {
		c.Log.Error("console: send reset email", "err", err)
	}
	done()
}

// reset sets a new password with a reset link (single use).
func (c *Console) reset(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	if err := form(w, r); err != nil {
		c.render(w, r, http.StatusBadRequest, "error", page{Title: "error.title", Message: tr(l, "link.invalid")})
		return
	}
	token, pw := r.PostForm.Get("token"), r.PostForm.Get("password")
	if len([]rune(pw)) < MinPasswordLength || len(pw) > 1024 {
		c.render(w, r, http.StatusBadRequest, "reset", page{Title: "reset.title", Message: tr(l, "reset.too_short"), Data: token})
		return
	}
	link, err := c.Store.UseLoginLink(r.Context(), db.HashToken(token), db.LinkReset, c.Now())
	if err != nil {
		if errors.Is(err, db.ErrNotFound) {
			c.render(w, r, http.StatusForbidden, "error", page{Title: "error.title", Message: tr(l, "link.invalid")})
			return
		}
		c.fail(w, r, session{}, err)
		return
	}
	u, err := c.Store.GetUser(r.Context(), link.TeamID, link.UserID)
	if err == nil {
		err = c.Store.SetConsolePassword(r.Context(), link.TeamID, link.UserID, HashPassword(pw), db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email})
	}
	if err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	c.render(w, r, http.StatusOK, "signin", page{Title: "signin.title", Notice: tr(l, "reset.done")})
}
