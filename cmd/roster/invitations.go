package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
)

func invitationTable(w *tabwriter.Writer, vs []adminapi.InvitationView) {
	fmt.Fprintln(w, "EMAIL\tSTATE\tSENT\tEXPIRES")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Email, v.State, v.SentAt.Format(time.RFC3339), v.ExpiresAt.Format(time.RFC3339))
	}
}

// cmdInvitationsList lists a team's invitations, optionally in one state (R-MEM-3).
func cmdInvitationsList(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	state := fs.String("state", "", "only invitations in this state: pending, expired or accepted")
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		is, err := s.ListInvitations(ctx, *team, db.InvitationState(*state))
		if err != nil {
			return err
		}
		vs := make([]adminapi.InvitationView, len(is))
		for i, inv := range is {
			vs[i] = adminapi.InvitationViewOf(inv)
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { invitationTable(w, vs) })
	}
}

// resendView is what `invitations resend` prints: the invitation and, when
// no SMTP server is configured (so nothing mails it), once, its accept link
// for the operator to hand over.
type resendView struct {
	adminapi.InvitationView
	AcceptURL string `json:"accept_url,omitempty"`
}

// cmdInvitationsResend sends a member a new invitation: a new single-use
// token and a new seven-day expiry; the old link stops working. With
// mail.smtp_addr set it mails the link to the member; without, it prints it.
func cmdInvitationsResend(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	email := fs.String("email", "", "the member's address")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "email"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		u, err := s.FindUser(ctx, *team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		base, err := e.BaseURL(ctx)
		if err != nil {
			return err
		}
		cfg, err := e.Config()
		if err != nil {
			return err
		}
		inv, secret, err := s.SendInvitation(ctx, *team, u.ID, e.operator())
		if err != nil {
			return err
		}
		v := resendView{InvitationView: adminapi.InvitationViewOf(inv)}
		link := adminapi.AcceptURL(base, secret)
		if cfg.Mail.SMTPAddr == "" {
			v.AcceptURL = link
			return e.confirm(v, "invitation for %s, valid until %s (no SMTP configured: hand this link over; shown once): %s", v.Email, v.ExpiresAt.Format(time.RFC3339), v.AcceptURL)
		}
		t, err := s.GetTeam(ctx, *team)
		if err != nil {
			return err
		}
		subject, body := adminapi.InvitationMail(t, inv, link)
		if err := (mailer{newMailSender(cfg.Mail, e.Log)}).Send(ctx, inv.Email, subject, body); err != nil {
			return fmt.Errorf("the invitation was renewed but mailing it failed (run resend again): %w", err)
		}
		return e.confirm(v, "sent %s a new invitation, valid until %s", v.Email, v.ExpiresAt.Format(time.RFC3339))
	}
}
