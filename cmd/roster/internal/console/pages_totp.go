package console

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

// SecondFactorTTL is how long the code step of a password sign-in waits.
const SecondFactorTTL = 5 * time.Minute

func (c *Console) mountSecondFactor(m *http.ServeMux) {
	m.HandleFunc("GET /console/2fa", c.signedIn(adminapi.AllAdmins, c.secondFactorPage))
	m.HandleFunc("POST /console/2fa/start", c.signedIn(adminapi.AllAdmins, c.startTOTP))
	m.HandleFunc("POST /console/2fa/confirm", c.signedIn(adminapi.AllAdmins, c.confirmTOTP))
	m.HandleFunc("POST /console/2fa/disable", c.signedIn(adminapi.AllAdmins, c.disableTOTP))
	m.HandleFunc("POST /console/password/code", c.passwordCode)
}

// totpView is the two-step verification page.
type totpView struct {
	Available bool // the operator configured console.secret_key
	Enabled   bool
	Pending   bool
	// Secret, URI and Codes are shown while an enrolment waits for its
	// confirmation (Codes only right after it started: they are hashed).
	Secret, URI string
	Codes       []string
}

func (c *Console) totpState(ctx context.Context, s session) (totpView, db.TOTP, error) {
	v := totpView{Available: len(c.SecondFactorKey) == 32}
	t, err := c.Store.GetTOTP(ctx, s.TeamID, s.UserID)
	if errors.Is(err, db.ErrNotFound) {
		return v, t, nil
	}
	if err != nil {
		return v, t, err
	}
	v.Enabled, v.Pending = t.ConfirmedAt != nil, t.ConfirmedAt == nil
	return v, t, nil
}

func (c *Console) renderTOTP(w http.ResponseWriter, r *http.Request, s session, status int, codes []string, notice, msg string) error {
	v, t, err := c.totpState(r.Context(), s)
	if err != nil {
		return err
	}
	if v.Pending && v.Available {
		secret, err := unseal(c.SecondFactorKey, t.Sealed, s.TeamID, s.UserID)
		if err != nil {
			return err
		}
		v.Secret, v.URI, v.Codes = b32.EncodeToString(secret), otpauthURI(secret, "Roster", s.Caller.Admin.Email), codes
	}
	c.render(w, r, status, "totp", page{Title: "totp.title", Nav: "2fa", Signed: true, Me: s.Caller, Notice: notice, Message: msg, Data: v})
	return nil
}

func (c *Console) secondFactorPage(w http.ResponseWriter, r *http.Request, s session) error {
	return c.renderTOTP(w, r, s, http.StatusOK, nil, "", "")
}

// startTOTP begins an enrolment: a new secret, sealed, and recovery codes,
// hashed; both are shown once, until the enrolment is confirmed.
func (c *Console) startTOTP(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	l := lang(r)
	if len(c.SecondFactorKey) != 32 {
		return c.renderTOTP(w, r, s, http.StatusConflict, nil, "", tr(l, "totp.unavailable"))
	}
	secret := make([]byte, totpSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	sealed, err := seal(c.SecondFactorKey, secret, s.TeamID, s.UserID)
	if err != nil {
		return err
	}
	codes := make([]string, recoveryCodes)
	hashes := make([][]byte, recoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = db.HashToken(normalRecoveryCode(codes[i]))
	}
	if err := c.Store.StartTOTP(r.Context(), db.TOTP{TeamID: s.TeamID, UserID: s.UserID, Sealed: sealed}, hashes, s.Caller.Actor); err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderTOTP(w, r, s, adminapi.StatusOf(err), nil, "", adminapi.ClientMessage(err))
	}
	return c.renderTOTP(w, r, s, http.StatusOK, codes, "", "")
}

// totpKey is the throttle key of a user's code attempts (the password's).
func totpKey(teamID, email string) string { return strings.ToLower(teamID + "\x00" + email) }

// confirmTOTP turns the enrolment on with a code from the app.
func (c *Console) confirmTOTP(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	l := lang(r)
	now := c.Now()
	key := totpKey(s.TeamID, s.Caller.Admin.Email)
	if c.accounts.blocked(r.Context(), key, now) {
		return c.renderTOTP(w, r, s, http.StatusTooManyRequests, nil, "", tr(l, "password.locked"))
	}
	v, t, err := c.totpState(r.Context(), s)
	if err != nil {
		return err
	}
	if !v.Pending || !v.Available {
		return c.renderTOTP(w, r, s, http.StatusConflict, nil, "", tr(l, "totp.not_pending"))
	}
	secret, err := unseal(c.SecondFactorKey, t.Sealed, s.TeamID, s.UserID)
	if err != nil {
		return err
	}
	step, ok := checkTOTP(secret, r.PostForm.Get("code"), now)
	if !ok {
		c.accounts.fail(r.Context(), key, now)
		return c.renderTOTP(w, r, s, http.StatusBadRequest, nil, "", tr(l, "totp.wrong"))
	}
	if err := c.Store.ConfirmTOTP(r.Context(), s.TeamID, s.UserID, step, now, s.Caller.Actor); err != nil {
		return err
	}
	return c.renderTOTP(w, r, s, http.StatusOK, nil, tr(l, "totp.enabled_now"), "")
}

// disableTOTP turns the second factor off: it needs a recent sign-in and a
// current code (or a recovery code). It also cancels an unconfirmed set-up.
func (c *Console) disableTOTP(w http.ResponseWriter, r *http.Request, s session) error {
	if err := form(w, r); err != nil {
		return err
	}
	l := lang(r)
	v, _, err := c.totpState(r.Context(), s)
	if err != nil {
		return err
	}
	if v.Enabled { // cancelling an unconfirmed set-up needs neither
		if c.Now().Sub(s.CreatedAt) > c.ReauthWithin {
			return c.renderTOTP(w, r, s, http.StatusForbidden, nil, "", tr(l, "reauth.needed"))
		}
		ok, status, err := c.checkSecondFactor(r.Context(), s.TeamID, s.UserID, s.Caller.Admin.Email, r.PostForm.Get("code"))
		if err != nil {
			return err
		}
		if !ok {
			key := "totp.wrong"
			if status == http.StatusTooManyRequests {
				key = "password.locked"
			}
			return c.renderTOTP(w, r, s, status, nil, "", tr(l, key))
		}
	}
	if err := c.Store.DeleteTOTP(r.Context(), s.TeamID, s.UserID, s.Caller.Actor); err != nil {
		if adminapi.StatusOf(err) >= 500 {
			return err
		}
		return c.renderTOTP(w, r, s, adminapi.StatusOf(err), nil, "", adminapi.ClientMessage(err))
	}
	return c.renderTOTP(w, r, s, http.StatusOK, nil, tr(l, "totp.disabled_now"), "")
}

// checkSecondFactor checks a code of a confirmed enrolment: six digits are
// an authenticator code (each accepted once, UseTOTPStep), anything else a
// recovery code (spent). Failures count against the account's password
// throttle; status is 401, or 429 once it is locked.
func (c *Console) checkSecondFactor(ctx context.Context, teamID, userID, email, code string) (ok bool, status int, err error) {
	now := c.Now()
	key := totpKey(teamID, email)
	if c.accounts.blocked(ctx, key, now) {
		return false, http.StatusTooManyRequests, nil
	}
	t, err := c.Store.GetTOTP(ctx, teamID, userID)
	if err != nil {
		return false, 0, err
	}
	code = strings.TrimSpace(code)
	if digits := strings.ReplaceAll(code, " ", ""); len(digits) == totpDigits && strings.Trim(digits, "0123456789") == "" {
		secret, err := unseal(c.SecondFactorKey, t.Sealed, teamID, userID)
		if err != nil {
			return false, 0, err
		}
		if step, match := checkTOTP(secret, digits, now); match {
			err := c.Store.UseTOTPStep(ctx, teamID, userID, step)
			if err == nil {
				c.accounts.reset(ctx, key)
				return true, 0, nil
			}
			if !errors.Is(err, db.ErrConflict) {
				return false, 0, err
			}
		}
	} else if code != "" {
		_, err := c.Store.UseRecoveryCode(ctx, teamID, userID, db.HashToken(normalRecoveryCode(code)), now)
		if err == nil {
			c.accounts.reset(ctx, key)
			return true, 0, nil
		}
		if !errors.Is(err, db.ErrNotFound) {
			return false, 0, err
		}
	}
	if c.accounts.fail(ctx, key, now) {
		return false, http.StatusTooManyRequests, nil
	}
	return false, http.StatusUnauthorized, nil
}

// needsSecondFactor reports whether u has a confirmed enrolment.
func (c *Console) needsSecondFactor(ctx context.Context, u db.User) (bool, error) {
	t, err := c.Store.GetTOTP(ctx, u.TeamID, u.ID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.ConfirmedAt != nil, nil
}

// askSecondFactor renders the code step of a password sign-in, carried by
// a single-use link (LinkSecondFactor) that expires in SecondFactorTTL.
func (c *Console) askSecondFactor(w http.ResponseWriter, r *http.Request, u db.User, status int, msg string) {
	secret, hash := db.NewTokenSecret()
	now := c.Now()
	by := db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email}
	if err := c.Store.CreateLoginLink(r.Context(), db.LoginLink{Hash: hash, TeamID: u.TeamID, UserID: u.ID, Purpose: db.LinkSecondFactor,
		CreatedAt: now, ExpiresAt: now.Add(SecondFactorTTL)}, by); err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	c.render(w, r, status, "totp_signin", page{Title: "totp.signin_title", Message: msg, Data: secret})
}

// passwordCode is the second step of a password sign-in.
func (c *Console) passwordCode(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	if err := form(w, r); err != nil {
		c.render(w, r, http.StatusBadRequest, "signin", page{Title: "signin.title", Message: tr(l, "totp.expired")})
		return
	}
	link, err := c.Store.UseLoginLink(r.Context(), db.HashToken(r.PostForm.Get("token")), db.LinkSecondFactor, c.Now())
	if err != nil {
		if db.IsClientError(err) {
			c.render(w, r, http.StatusUnauthorized, "signin", page{Title: "signin.title", Message: tr(l, "totp.expired")})
			return
		}
		c.fail(w, r, session{}, err)
		return
	}
	u, err := c.Store.GetUser(r.Context(), link.TeamID, link.UserID)
	if err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	ok, status, err := c.checkSecondFactor(r.Context(), u.TeamID, u.ID, u.Email, r.PostForm.Get("code"))
	if err != nil {
		c.fail(w, r, session{}, err)
		return
	}
	if status == http.StatusTooManyRequests {
		c.render(w, r, status, "signin", page{Title: "signin.title", Message: tr(l, "password.locked")})
		return
	}
	if !ok {
		c.askSecondFactor(w, r, u, status, tr(l, "totp.wrong"))
		return
	}
	c.finishPasswordSignIn(w, r, u, "password+totp")
}
