package adminapi

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/roster-dev/roster/db"
)

// Mailer sends one plain-text email; cmd/roster adapts the mail package's
// sender (an outbox that logs by default, SMTP when configured).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// InvitationView is an invitation as the CLI and the API show it.
type InvitationView struct {
	UserID    string    `json:"user_id"`
	Email     string    `json:"email"`
	SentAt    time.Time `json:"sent_at"`
	ExpiresAt time.Time `json:"expires_at"`
	State     string    `json:"state"`
}

// InvitationViewOf renders an invitation.
func InvitationViewOf(i db.Invitation) InvitationView {
	return InvitationView{UserID: i.UserID, Email: i.Email, SentAt: i.SentAt, ExpiresAt: i.ExpiresAt, State: string(i.State)}
}

// AcceptURL is the link an invitation carries.
func AcceptURL(baseURL, secret string) string {
	return baseURL + "/invitations/accept?token=" + url.QueryEscape(secret)
}

// InvitationMail is the invitation's subject and body.
func InvitationMail(team db.Team, inv db.Invitation, link string) (subject, body string) {
	return "You are invited to " + team.Name, "You have been added to " + team.Name + " on Roster.\n\n" +
		"Accept the invitation and sign in: " + link + "\n\nThe link works once and expires on " +
		inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + ".\n"
}

// invite sends (or resends) a member's invitation and mails it.
func (a *api) invite(ctx context.Context, c call, userID string) (db.Invitation, error) {
	inv, secret, err := a.Store.SendInvitation(ctx, c.Team.ID, userID, c.Actor)
	if err != nil {
		return db.Invitation{}, err
	}
	if a.Mail != nil {
		subject, body := InvitationMail(c.Team, inv, AcceptURL(a.BaseURL, secret))
		if err := a.Mail.Send(ctx, inv.Email, subject, body); err != nil {
			return db.Invitation{}, err
		}
	}
	return inv, nil
}

// mountInvitations registers the invitation routes (R-MEM-3) and the
// public accept link.
func (a *api) mountInvitations() {
	x := &API{a: a}
	a.route("GET", "/teams/{team}/invitations", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ListInvitations(r.Context(), c, r.URL.Query().Get("state")))
	})
	a.route("POST", "/teams/{team}/members/{user}/invitation", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ResendInvitation(r.Context(), c, r.PathValue("user")))
	})
	// The accept link needs no admin token: the single-use token is the
	// credential. The console (issue 13) puts a page and SSO sign-in in front.
	a.mux.HandleFunc("GET /invitations/accept", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("token")
		var u db.User
		err := db.CheckURLText(r.URL.Path, r.URL.Query())
		if err == nil && tok == "" {
			err = db.Errorf(db.ErrInvalid, "token_required", "the link has no token")
		}
		if err == nil {
			u, err = a.Store.AcceptInvitation(r.Context(), tok)
		}
		if err != nil {
			a.writeAPIError(w, r, err) // 404 used or unknown, 422 invitation_expired
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"email": u.Email, "status": string(u.Status)})
	})
}
