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

// resendView is what `invitations resend` prints: the invitation and, once,
// its accept link (the CLI has no mail sender; the operator passes it on).
type resendView struct {
	adminapi.InvitationView
	AcceptURL string `json:"accept_url"`
}

// cmdInvitationsResend sends a member a new invitation: a new single-use
// token and a new seven-day expiry; the old link stops working.
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
		inv, secret, err := s.SendInvitation(ctx, *team, u.ID, e.operator())
		if err != nil {
			return err
		}
		v := resendView{InvitationView: adminapi.InvitationViewOf(inv), AcceptURL: adminapi.AcceptURL(base, secret)}
		return e.confirm(v, "invitation for %s, valid until %s (shown once): %s", v.Email, v.ExpiresAt.Format(time.RFC3339), v.AcceptURL)
	}
}
