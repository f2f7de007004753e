package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

func invitationTable(w *tabwriter.Writer, vs []adminapi.InvitationView) {
	fmt.Fprintln(w, "EMAIL\tSTATE\tSENT\tEXPIRES")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Email, v.State, v.SentAt.Format(time.RFC3339), v.ExpiresAt.Format(time.RFC3339))
	}
}

// cmdInvitationsList lists a team's invitations, optionally in one state (R-MEM-3).
func cmdInvitationsList(fs *pflag.FlagSet) runFunc {
	state := fs.String("state", "", "only invitations in this state: pending, expired or accepted")
	lf := listFlags(fs, db.InvitationSortColumns)
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if err := lf.check(); err != nil {
			return err
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.QueryInvitations(ctx, team, db.InvitationQuery{Q: *lf.q, State: db.InvitationState(*state), Company: *lf.company,
			Sort: *lf.sort, Desc: *lf.order == "desc", After: *lf.after, Limit: *lf.limit})
		if err != nil {
			return err
		}
		vs := adminapi.InvitationViews(p.Invitations)
		if err := e.output(e.format, vs, func(w *tabwriter.Writer) { invitationTable(w, vs) }); err != nil {
			return err
		}
		lf.next(e, "invitations", p.Next)
		return nil
	})
}

// pageFlags are the R-MEM-6 flags a paged list shares (members list has
// its own, older set).
type pageFlags struct {
	q, company, sort, order, after *string
	limit                          *int
}

func listFlags(fs *pflag.FlagSet, sorts []string) pageFlags {
	return pageFlags{
		q:       fs.String("q", "", "search name, email, company and role (case-insensitive substring)"),
		company: fs.String("company", "", "only members of this company (case-insensitive)"),
		sort:    fs.String("sort", "email", "sort column: "+strings.Join(sorts, ", ")),
		order:   fs.String("order", "asc", "asc or desc"),
		limit:   fs.Int("limit", 100, "page size (1-1000); the next page's cursor is printed on stderr"),
		after:   fs.String("after", "", "the cursor printed by the previous page"),
	}
}

func (f pageFlags) check() error {
	if *f.order != "asc" && *f.order != "desc" {
		return usagef("--order must be asc or desc")
	}
	if *f.limit < 1 || *f.limit > adminapi.UsersPageMax {
		return usagef("--limit must be from 1 to %d", adminapi.UsersPageMax)
	}
	return nil
}

// next says on stderr how to get the next page, if any.
func (f pageFlags) next(e *env, what, cursor string) {
	if cursor != "" {
		fmt.Fprintf(e.Stderr, "more %s: add --after %s\n", what, cursor)
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
	email := fs.String("email", "", "the member's address")
	return teamCommand(fs, []string{"email"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		u, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
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
		inv, secret, err := s.SendInvitation(ctx, team, u.ID, e.operator())
		if err != nil {
			return err
		}
		v := resendView{InvitationView: adminapi.InvitationViewOf(inv)}
		link := adminapi.AcceptURL(base, secret)
		if cfg.Mail.SMTPAddr == "" {
			v.AcceptURL = link
			return e.confirm(v, "invitation for %s, valid until %s (no SMTP configured: hand this link over; shown once): %s", v.Email, v.ExpiresAt.Format(time.RFC3339), v.AcceptURL)
		}
		t, err := s.GetTeam(ctx, team)
		if err != nil {
			return err
		}
		subject, body := adminapi.InvitationMail(t, inv, link)
		if err := (mailer{newMailSender(cfg.Mail, e.Log)}).Send(ctx, inv.Email, subject, body); err != nil {
			return fmt.Errorf("the invitation was renewed but mailing it failed (run resend again): %w", err)
		}
		return e.confirm(v, "sent %s a new invitation, valid until %s", v.Email, v.ExpiresAt.Format(time.RFC3339))
	})
}
