package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/cmd/roster/internal/console"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/mail"
	"github.com/roster-dev/roster/sso"
)

// The console sees the store and SSO only through the interfaces it declares.
var (
	_ console.Store = (*gormdb.Store)(nil)
	_ console.SSO   = (*sso.Service)(nil)
)

// newConsole builds the web console (internal/console) on the same admin
// API operations the JSON API serves.
func newConsole(cfg *Config, store *gormdb.Store, log *slog.Logger, now func() time.Time, svc *sso.Service, api *adminapi.API) *console.Console {
	d := console.Deps{Store: store, Ops: api, Log: log, Now: now, SSOCookie: sso.SessionCookie,
		SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"), BaseURL: cfg.BaseURL,
		Mailer: consoleMailer{newMailSender(cfg.Mail, log)}, SecondFactorKey: cfg.Console.key()}
	if svc != nil {
		d.SSO = svc
	}
	return console.New(d)
}

// consoleMailer sends the console's mail (password reset links, break-glass notices) through
// the configured sender: SMTP when mail.smtp_addr is set, else the outbox
// that logs recipient and subject only.
type consoleMailer struct{ s mail.Sender }

func (m consoleMailer) Send(ctx context.Context, to, subject, body string) error {
	return m.s.Send(ctx, mail.Message{To: to, Subject: subject, Body: body})
}

// rootRedirect: whoever opens the server's root (where an SSO sign-in
// without a return path lands) gets the console, never a 404.
func rootRedirect(mux *http.ServeMux) {
	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
}

// cmdConsoleLoginLink prints a single-use console sign-in link (15 minutes)
// for an active admin: the bootstrap and break-glass way in.
func cmdConsoleLoginLink(fs *pflag.FlagSet) runFunc {
	email := fs.String("email", "", "the admin's email")
	return teamCommand(fs, []string{"email"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		cfg, err := e.Config()
		if err != nil {
			return err
		}
		baseURL, err := e.BaseURL(ctx)
		if err != nil {
			return err
		}
		u, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		svc, err := newSSOService(cfg, s, slog.New(slog.DiscardHandler), time.Now, nil)
		if err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(e.Stderr, nil))
		link, err := console.LinkIssuer{Store: s, SignInAllowed: svc.PasswordSignInAllowed, BreakGlass: svc.BreakGlass, BaseURL: baseURL,
			Mailer: consoleMailer{newMailSender(cfg.Mail, log)}, Log: log}.Issue(ctx, u, e.operator())
		if err != nil {
			return err
		}
		v := map[string]string{"url": link, "expires_in": console.LinkTTL.String()}
		return e.output(e.format, v, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "URL\t%s\n", link)
			fmt.Fprintf(w, "\nThe link signs %s in once, within %s.\n", u.Email, console.LinkTTL)
		})
	})
}
