package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/roster-dev/roster/db"
)

// breakGlassStore is what recording a break-glass sign-in needs.
type breakGlassStore interface {
	AuditConsole(ctx context.Context, teamID string, by db.Actor, action, targetID string, details map[string]string) error
	ListAdmins(ctx context.Context, teamID string) ([]db.User, error)
}

// breakGlass records that u, the primary admin, signed in outside enforced
// SSO (via "password" or "login_link"): the audit entry
// console.break_glass, then an email to every other active admin of the
// team through the configured sender. The sign-in goes ahead when a mail
// cannot be sent (break-glass is for when things are broken); the failure
// is logged, the audit entry is not optional.
func breakGlass(ctx context.Context, st breakGlassStore, m Mailer, log *slog.Logger, u db.User, by db.Actor, via string, at time.Time) error {
	if err := st.AuditConsole(ctx, u.TeamID, by, "console.break_glass", u.ID, map[string]string{"email": u.Email, "via": via}); err != nil {
		return err
	}
	if m == nil {
		return nil
	}
	admins, err := st.ListAdmins(ctx, u.TeamID)
	if err != nil {
		return err
	}
	subject := tr("en", "breakglass.subject")
	body := fmt.Sprintf(tr("en", "breakglass.body"), u.Email, tr("en", "breakglass.via_"+via), at.UTC().Format("2006-01-02 15:04 UTC"))
	var errs []error
	for _, a := range admins {
		if a.ID == u.ID || a.Status != db.StatusActive {
			continue
		}
		if err := m.Send(ctx, a.Email, subject, body); err != nil {
			errs = append(errs, fmt.Errorf("notify %s: %w", a.ID, err))
		}
	}
	if err := errors.Join(errs...); err != nil && log != nil {
		log.Error("console: break-glass notification not sent", "team", u.TeamID, "err", err)
	}
	return nil
}
