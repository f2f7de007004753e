package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

func cmdTeamCreate(fs *pflag.FlagSet) runFunc {
	name := fs.String("name", "", "team name")
	email := fs.String("primary-admin", "", "the primary admin's email (R-ADM-1)")
	first := fs.String("first-name", "", "the primary admin's first name")
	last := fs.String("last-name", "", "the primary admin's last name")
	account := fs.String("account", "", "existing account id (default: a new account)")
	owner := fs.String("owner", "", "a new account's owner (R-OWN-1; default: the primary admin, the purchaser)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "name", "primary-admin", "first-name", "last-name"); err != nil {
			return err
		}
		s, err := e.Store(ctx)
		if err != nil {
			return err
		}
		t, admin, err := s.CreateTeam(ctx, db.NewTeam{AccountID: *account, Name: *name, PrimaryEmail: *email,
			PrimaryFirstName: *first, PrimaryLastName: *last, OwnerEmail: *owner}, e.operator())
		if err != nil {
			return err
		}
		v := struct {
			adminapi.TeamView
			PrimaryAdminEmail string `json:"primary_admin_email"`
		}{adminapi.TeamViewOf(t), admin.Email}
		return e.output(e.format, v, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "ID\tNAME\tACCOUNT\tPRIMARY ADMIN\n%s\t%s\t%s\t%s\n", t.ID, t.Name, t.AccountID, admin.Email)
		})
	}
}

func cmdTeamList(fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		s, err := e.Store(ctx)
		if err != nil {
			return err
		}
		teams, err := s.ListTeams(ctx)
		if err != nil {
			return err
		}
		vs := make([]adminapi.TeamView, len(teams))
		for i, t := range teams {
			vs[i] = adminapi.TeamViewOf(t)
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "ID\tNAME\tACCOUNT\tPOLICY")
			for _, t := range vs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.AccountID, t.PolicyMode)
			}
		})
	}
}

func cmdTeamShow(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		t, err := s.GetTeam(ctx, team)
		if err != nil {
			return err
		}
		v := adminapi.TeamViewOf(t)
		return e.output(e.format, v, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "ID\t%s\nNAME\t%s\nACCOUNT\t%s\nPRIMARY ADMIN\t%s\nPOLICY\t%s %s\n", v.ID, v.Name, v.AccountID, v.PrimaryAdmin, v.PolicyMode, strings.Join(v.Domains, ","))
		})
	})
}

func cmdUsersAdd(fs *pflag.FlagSet) runFunc {
	email := fs.String("email", "", "email (the login identity)")
	first := fs.String("first-name", "", "first name")
	last := fs.String("last-name", "", "last name")
	source := fs.String("source", "admin", "who adds the user: admin, or product (a collaboration product)")
	// set by the check, read by the body:
	var src db.Source
	return teamCommand(fs, []string{"email", "first-name", "last-name"}, func(e *env, args []string) error {
		src = db.Source(*source)
		if src != db.SourceAdmin && src != db.SourceProduct {
			return usagef("--source must be admin or product")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		by := e.operator()
		if src == db.SourceProduct {
			by = db.Actor{Kind: db.ActorProduct, ID: "cli", Name: by.Name}
		}
		u, err := s.CreateUser(ctx, team, db.NewUser{Email: *email, FirstName: *first, LastName: *last, Source: src}, by)
		if err != nil {
			return err
		}
		v, err := adminapi.UserViewOf(ctx, s, u)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { userTable(w, []adminapi.UserView{v}) })
	})
}

func userTable(w *tabwriter.Writer, vs []adminapi.UserView) {
	fmt.Fprintln(w, "ID\tEMAIL\tNAME\tSTATUS\tTYPE\tSOURCE\tADMIN\tEXCEPTION")
	for _, u := range vs {
		exc := ""
		if u.Exception {
			exc = "yes (expected " + u.Expected + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.FirstName, u.LastName, u.Status, u.Type, u.Source, u.AdminRole, exc)
	}
}

func cmdUsersList(fs *pflag.FlagSet) runFunc {
	limit := fs.Int("limit", 0, "list at most this many users (1-1000), then print the next cursor on stderr; default: every user")
	after := fs.String("after", "", "list users after this id (the cursor printed by --limit)")
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if *limit < 0 || *limit > adminapi.UsersPageMax || (fs.Changed("limit") && *limit == 0) {
			return usagef("--limit must be from 1 to %d", adminapi.UsersPageMax)
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		all := []adminapi.UserView{}
		page := db.Page{After: *after, Limit: adminapi.UsersPageMax}
		if *limit > 0 {
			page.Limit = *limit + 1 // one more tells whether a next page exists
		}
		next := ""
		for {
			us, err := s.ListUsers(ctx, team, page)
			if err != nil {
				return err
			}
			if *limit > 0 && len(us) > *limit {
				us = us[:*limit]
				next = us[len(us)-1].ID
			}
			vs, err := adminapi.UserViews(ctx, s, team, us)
			if err != nil {
				return err
			}
			all = append(all, vs...)
			if *limit > 0 || len(us) < page.Limit {
				break
			}
			page.After = us[len(us)-1].ID
		}
		if err := e.output(e.format, all, func(w *tabwriter.Writer) { userTable(w, all) }); err != nil {
			return err
		}
		if next != "" {
			fmt.Fprintf(e.Stderr, "more users: roster users list --team %s --limit %d --after %s\n", team, *limit, next)
		}
		return nil
	})
}

func cmdUsersRemove(fs *pflag.FlagSet) runFunc {
	email := fs.String("email", "", "the user's email")
	return teamCommand(fs, []string{"email"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		u, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		v, err := adminapi.UserViewOf(ctx, s, u)
		if err != nil {
			return err
		}
		if err := s.DeleteUser(ctx, team, u.ID, e.operator()); err != nil {
			return err
		}
		return e.confirm(v, "removed user %s (%s)", v.Email, v.ID)
	})
}

// roleAssigners is R-ADM-4: any admin may assign roles (the store enforces
// which roles each may give, R-ADM-5).
var roleAssigners = adminapi.RolesFor(db.ActTeamAssignSecondary, "only admins assign roles (R-ADM-4)")

func cmdAdminSet(fs *pflag.FlagSet) runFunc {
	email := fs.String("email", "", "the user whose role changes")
	role := fs.String("role", "", "primary, secondary, sso or none")
	as := fs.String("as", "", "the email of the admin making the change (R-ADM-4)")
	// set by the check, read by the body:
	var r db.Role
	return teamCommand(fs, []string{"email", "role", "as"}, func(e *env, args []string) error {
		var ok bool
		r, ok = db.ParseRole(*role)
		if !ok || strings.TrimSpace(*role) == "" {
			return usagef("--role must be primary, secondary, sso or none")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		// The one acting-admin rule (as for the admin API's tokens); the
		// store checks R-ADM-4/5 again inside its transaction.
		by, err := actingAdmin(ctx, e, s, team, *as, roleAssigners)
		if err != nil {
			return err
		}
		target, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		if err := s.SetAdminRole(ctx, team, by.ID, target.ID, r, by); err != nil {
			return err
		}
		u, err := s.GetUser(ctx, team, target.ID)
		if err != nil {
			return err
		}
		v, err := adminapi.UserViewOf(ctx, s, u)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { userTable(w, []adminapi.UserView{v}) })
	})
}

func cmdAdminList(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		us, err := s.ListAdmins(ctx, team)
		if err != nil {
			return err
		}
		vs, err := adminapi.UserViews(ctx, s, team, us)
		if err != nil {
			return err
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { userTable(w, vs) })
	})
}

func cmdTokenCreate(fs *pflag.FlagSet) runFunc {
	kind := fs.String("kind", "scim", "scim (provisioning) or admin (admin API, with --admin)")
	admin := fs.String("admin", "", "for admin tokens: the email of the admin the token acts as")
	// set by the check, read by the body:
	var k db.TokenKind
	return teamCommand(fs, nil, func(e *env, args []string) error {
		k = db.TokenKind(*kind)
		if k != db.TokenSCIM && k != db.TokenAdmin {
			return usagef("--kind must be scim or admin")
		}
		if k == db.TokenAdmin && *admin == "" {
			return usagef("--admin is required for admin tokens")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		baseURL, err := e.BaseURL(ctx)
		if err != nil {
			return err
		}
		secret, hash := db.NewTokenSecret()
		t := db.Token{TeamID: team, Kind: k, Prefix: db.TokenPrefix(secret), Hash: hash}
		if k == db.TokenAdmin {
			u, err := s.FindUser(ctx, team, db.UserKey{Email: *admin})
			if err != nil {
				return err
			}
			t.UserID = u.ID
		}
		t, err = s.CreateToken(ctx, t, e.operator())
		if err != nil {
			return err
		}
		v := map[string]string{"id": t.ID, "token": secret, "kind": string(k), "prefix": t.Prefix}
		if k == db.TokenSCIM {
			v["scim_base_url"] = baseURL + "/scim/v2"
		} else {
			v["api_base_url"] = baseURL + "/api/v1/teams/" + team
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "TOKEN\t%s\n", secret)
			if k == db.TokenSCIM {
				fmt.Fprintf(w, "SCIM BASE URL\t%s\n", v["scim_base_url"])
			} else {
				fmt.Fprintf(w, "API BASE URL\t%s\n", v["api_base_url"])
			}
			fmt.Fprintf(w, "\nThe token is shown only once; Roster keeps only its hash.\n")
		})
	})
}

func cmdTokenList(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		ts, err := s.ListTokens(ctx, team)
		if err != nil {
			return err
		}
		vs := make([]adminapi.TokenView, len(ts))
		for i, t := range ts {
			vs[i] = adminapi.TokenViewOf(t)
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "ID\tKIND\tPREFIX\tCREATED\tLAST USED\tREVOKED")
			for _, t := range vs {
				fmt.Fprintf(w, "%s\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Kind, t.Prefix, t.CreatedAt.Format("2006-01-02 15:04"), fmtTime(t.LastUsedAt), fmtTime(t.RevokedAt))
			}
		})
	})
}

func cmdTokenRevoke(fs *pflag.FlagSet) runFunc {
	id := fs.String("id", "", "token id (or give it as the argument)")
	return teamCommand(fs, nil, func(e *env, args []string) error {
		switch {
		case len(args) > 1:
			return usagef("unexpected argument %q", args[1])
		case len(args) == 1 && *id != "" && *id != args[0]:
			return usagef("give the token id once (--id or the argument)")
		case len(args) == 1:
			*id = args[0]
		}
		return required(fs, "id")
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		if err := s.RevokeToken(ctx, team, *id, e.operator()); err != nil {
			return err
		}
		ts, err := s.ListTokens(ctx, team)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == *id {
				return e.confirm(adminapi.TokenViewOf(t), "revoked token %s", t.ID)
			}
		}
		return e.confirm(map[string]string{"id": *id}, "revoked token %s", *id)
	})
}

func cmdAudit(fs *pflag.FlagSet) runFunc {
	limit := fs.Int("limit", 100, "entries to show")
	before := fs.Int64("before", 0, "show entries older than this id")
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		es, err := s.ListAudit(ctx, team, db.AuditQuery{Limit: *limit, BeforeID: *before})
		if err != nil {
			return err
		}
		return e.auditOutput(es)
	})
}

// auditOutput prints audit entries (a team's or an account's).
func (e *env) auditOutput(es []db.AuditEntry) error {
	vs := make([]adminapi.AuditView, len(es))
	for i, a := range es {
		vs[i] = adminapi.AuditViewOf(a)
	}
	return e.output(e.format, vs, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tAT\tACTOR\tACTION\tTARGET\tDETAILS")
		for _, a := range vs {
			fmt.Fprintf(w, "%d\t%s\t%s:%s\t%s\t%s:%s\t%s\n", a.ID, a.At.Format("2006-01-02 15:04:05"), a.ActorKind, a.ActorName, a.Action, a.TargetKind, a.TargetID, a.Details)
		}
	})
}
