package adminapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
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

// InvitationViews renders invitations.
func InvitationViews(is []db.Invitation) []InvitationView {
	vs := make([]InvitationView, len(is))
	for i, inv := range is {
		vs[i] = InvitationViewOf(inv)
	}
	return vs
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
		// With any R-MEM-6 parameter: one page {invitations, next}; without,
		// every invitation as an array, as before.
		mq, paged, err := MemberQueryOf(r.URL.Query())
		if err != nil {
			return err
		}
		paged = paged || r.URL.Query().Has("limit") || r.URL.Query().Has("after")
		q := db.InvitationQuery{Q: mq.Q, State: db.InvitationState(r.URL.Query().Get("state")), Company: mq.Company,
			Sort: mq.Sort, Desc: mq.Desc, After: mq.After, Limit: mq.Limit}
		if !paged {
			is, err := a.Store.ListInvitations(r.Context(), c.Team.ID, q.State)
			if err != nil {
				return err
			}
			WriteJSON(w, http.StatusOK, InvitationViews(is))
			return nil
		}
		p, err := a.Store.QueryInvitations(r.Context(), c.Team.ID, q)
		if err != nil {
			return err
		}
		WriteJSON(w, http.StatusOK, map[string]any{"invitations": InvitationViews(p.Invitations), "next": p.Next})
		return nil
	})
	a.route("POST", "/teams/{team}/members/{user}/invitation", AllAdmins, func(w http.ResponseWriter, r *http.Request, c call) error {
		return writeView(w, http.StatusOK)(x.ResendInvitation(r.Context(), c, r.PathValue("user")))
	})
	// The accept link needs no admin token: the single-use token is the
	// credential. GET shows a page and uses nothing up (mail scanners follow
	// links); its button POSTs, which accepts (R-MEM-3).
	a.mux.HandleFunc("GET /invitations/accept", func(w http.ResponseWriter, r *http.Request) {
		tok, err := invitationToken(r)
		var inv db.Invitation
		if err == nil {
			inv, err = a.Store.PeekInvitation(r.Context(), tok)
		}
		writeInvitePage(w, err, inv, tok, "")
	})
	a.mux.HandleFunc("POST /invitations/accept", func(w http.ResponseWriter, r *http.Request) {
		tok, err := invitationToken(r)
		var u db.User
		if err == nil {
			u, err = a.Store.AcceptInvitation(r.Context(), tok)
		}
		if fromForm(r) {
			writeInvitePage(w, err, db.Invitation{Email: u.Email, State: db.InvitationAccepted}, "", "accepted")
			return
		}
		if err != nil {
			a.writeAPIError(w, r, err) // 404 used or unknown, 422 invitation_expired
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"email": u.Email, "status": string(u.Status)})
	})
	// A member asks for a new invitation from the expired link: it goes to
	// the member's own address, whatever the request says.
	a.mux.HandleFunc("POST /invitations/renew", func(w http.ResponseWriter, r *http.Request) {
		tok, err := invitationToken(r)
		var inv db.Invitation
		if err == nil {
			inv, err = a.renew(r.Context(), tok)
		}
		if fromForm(r) {
			writeInvitePage(w, err, inv, "", "renewed")
			return
		}
		if err != nil {
			a.writeAPIError(w, r, err) // 404 used, replaced or unknown; 409 invitation_not_expired
			return
		}
		WriteJSON(w, http.StatusOK, map[string]any{"state": inv.State, "expires_at": inv.ExpiresAt})
	})
}

// renew replaces an expired invitation and mails the new link to the member.
func (a *api) renew(ctx context.Context, tok string) (db.Invitation, error) {
	inv, secret, err := a.Store.RenewInvitation(ctx, tok)
	if err != nil {
		return db.Invitation{}, err
	}
	if a.Mail != nil {
		team, err := a.Store.GetTeam(ctx, inv.TeamID)
		if err != nil {
			return db.Invitation{}, err
		}
		subject, body := InvitationMail(team, inv, AcceptURL(a.BaseURL, secret))
		if err := a.Mail.Send(ctx, inv.Email, subject, body); err != nil {
			return db.Invitation{}, err
		}
	}
	return inv, nil
}

// invitationToken is the token of an invitation request: the query's, or
// the page's form field.
func invitationToken(r *http.Request) (string, error) {
	if err := db.CheckURLText(r.URL.Path, r.URL.Query()); err != nil {
		return "", err
	}
	tok := r.URL.Query().Get("token")
	if tok == "" && fromForm(r) {
		tok = r.PostFormValue("token")
	}
	if tok == "" {
		return "", db.Errorf(db.ErrInvalid, "token_required", "the link has no token")
	}
	return tok, nil
}

// fromForm reports whether the request is the invitation page's form post.
func fromForm(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}
