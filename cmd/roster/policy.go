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
	"github.com/roster-dev/roster/rolepolicy"
)

// The user role policy (R-POL-1..R-POL-10): the CLI commands that show and
// change a team's policy, list and resolve exceptions, change users' types
// and export the usage report (the admin API routes and the views and report
// writer both use are in internal/adminapi). Classification itself is
// wired into the store (wiring.go); everything here goes through
// db.PolicyStore, whose queries run in the database.

// parseDomains splits a comma-separated list and normalises each domain
// (case, trailing dot, IDN to ASCII), failing precisely on the first bad one.
func parseDomains(list []string) ([]string, error) {
	var raw []string
	for _, l := range list {
		for _, d := range strings.Split(l, ",") {
			if d = strings.TrimSpace(d); d != "" {
				raw = append(raw, d)
			}
		}
	}
	return rolepolicy.NormalizeDomains(raw)
}

func policyTable(w *tabwriter.Writer, v adminapi.PolicyView) {
	fmt.Fprintf(w, "TEAM\t%s\nMODE\t%s\nDOMAINS\t%s\nEXCEPTIONS\t%d (standard %d, external %d)\n",
		v.TeamID, v.Mode, strings.Join(v.Domains, ", "), v.Exceptions.Total, v.Exceptions.Standard, v.Exceptions.External)
}

func exceptionTable(w *tabwriter.Writer, vs []adminapi.ExceptionView) {
	fmt.Fprintln(w, "ID\tEMAIL\tNAME\tSOURCE\tCURRENT\tEXPECTED")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s %s\t%s\t%s\t%s\n", v.ID, v.Email, v.FirstName, v.LastName, v.Source, v.Current, v.Expected)
	}
}

// actingAdmin resolves --as to the acting admin with the admin API's rule
// (adminapi.ActingAdmin: an active admin whose role is among allowed);
// without --as the operator running the CLI on the database is the actor.
func actingAdmin(ctx context.Context, e *env, s adminapi.UserLookup, teamID, as string, allowed adminapi.Roles) (db.Actor, error) {
	if as == "" {
		return e.operator(), nil
	}
	u, err := adminapi.ActingAdmin(ctx, s, teamID, adminapi.AdminRef{Email: as}, allowed)
	if err != nil {
		return db.Actor{}, err
	}
	return db.Actor{Kind: db.ActorAdmin, ID: u.ID, Name: u.Email}, nil
}

// splitList returns the positional arguments, splitting comma-separated
// lists ("a@x,b@x c@x").
func splitList(args []string) []string {
	var out []string
	for _, a := range args {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func cmdPolicySet(fs *pflag.FlagSet) runFunc {
	mode := fs.String("mode", "", "default or domain (R-POL-1)")
	domains := fs.String("domains", "", "the exact list of approved email domains, comma-separated")
	dry := fs.Bool("dry-run", false, "show which users would become exceptions; change nothing")
	limit := fs.Int("limit", 100, "with --dry-run: how many of the users that would become exceptions to list")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	// set by the check, read by the body:
	var m db.PolicyMode
	var ds []string
	return teamCommand(fs, []string{"mode"}, func(e *env, args []string) error {
		var err error
		m, err = adminapi.ParseMode(*mode)
		if err != nil {
			return usagef("--mode must be default or domain")
		}
		ds, err = parseDomains([]string{*domains})
		return err
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p := db.Policy{Mode: m, Domains: ds}
		if *dry {
			pv, err := s.PreviewPolicy(ctx, team, p, db.Page{Limit: *limit})
			if err != nil {
				return err
			}
			v := adminapi.PreviewViewOf(team, pv, *limit)
			return e.output(e.format, v, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "DRY RUN\tnothing changed\nMODE\t%s\nDOMAINS\t%s\nEXCEPTIONS\t%d (%d new, %d cleared)\n\n",
					v.Mode, strings.Join(v.Domains, ", "), v.Exceptions.Total, v.Exceptions.Becoming, v.Exceptions.Cleared)
				exceptionTable(w, v.Users)
			})
		}
		by, err := actingAdmin(ctx, e, s, team, *as, adminapi.AllAdmins)
		if err != nil {
			return err
		}
		if _, err := s.SetPolicy(ctx, team, p, by); err != nil {
			return err
		}
		v, err := adminapi.PolicyViewOf(ctx, s, team)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { policyTable(w, v) })
	})
}

func cmdPolicyDomains(fs *pflag.FlagSet) runFunc {
	add := fs.String("add", "", "domains to approve, comma-separated")
	remove := fs.String("remove", "", "domains to remove, comma-separated (R-POL-6: one must remain)")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	// set by the check, read by the body:
	var addN []string
	var remN []string
	return teamCommand(fs, nil, func(e *env, args []string) error {
		var err error
		addN, err = parseDomains([]string{*add})
		if err != nil {
			return err
		}
		remN, err = parseDomains([]string{*remove})
		if err != nil {
			return err
		}
		if len(addN)+len(remN) == 0 {
			return usagef("give --add or --remove")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		by, err := actingAdmin(ctx, e, s, team, *as, adminapi.AllAdmins)
		if err != nil {
			return err
		}
		if _, err := s.ModifyPolicyDomains(ctx, team, addN, remN, by); err != nil {
			return err
		}
		v, err := adminapi.PolicyViewOf(ctx, s, team)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { policyTable(w, v) })
	})
}

func cmdPolicyShow(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		v, err := adminapi.PolicyViewOf(ctx, s, team)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { policyTable(w, v) })
	})
}

func cmdPolicyExceptions(fs *pflag.FlagSet) runFunc {
	typ := fs.String("type", "all", "filter on the current type: all, standard or external")
	limit := fs.Int("limit", 0, "list at most this many (0: all)")
	// set by the check, read by the body:
	var t db.UserType
	return teamCommand(fs, nil, func(e *env, args []string) error {
		var err error
		t, err = adminapi.ParseTypeFilter(*typ)
		if err != nil {
			return usagef("--type must be all, standard or external")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		all := []adminapi.ExceptionView{}
		q := db.ExceptionQuery{Type: t, Limit: 1000}
		for {
			if *limit > 0 {
				q.Limit = min(1000, *limit-len(all))
			}
			es, err := s.ListExceptions(ctx, team, q)
			if err != nil {
				return err
			}
			all = append(all, adminapi.ExceptionViews(es)...)
			if len(es) < q.Limit || (*limit > 0 && len(all) >= *limit) {
				break
			}
			q.After = es[len(es)-1].UserID
		}
		return e.output(e.format, all, func(w *tabwriter.Writer) { exceptionTable(w, all) })
	})
}

// userIDsByEmail resolves emails to the team's user ids (a precise error for
// the first unknown one).
func userIDsByEmail(ctx context.Context, s db.Store, teamID string, emails []string) ([]string, error) {
	ids := make([]string, 0, len(emails))
	for _, em := range emails {
		u, err := s.FindUser(ctx, teamID, db.UserKey{Email: em})
		if err != nil {
			if db.CodeOf(err) == "user_not_found" {
				return nil, db.Errorf(db.ErrNotFound, "user_not_found", "no user with email %q in this team", em)
			}
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

func (e *env) typeChangeOutput(format string, tc db.TypeChange) error {
	v := adminapi.TypeChangeViewOf(tc)
	for _, w := range v.Warnings {
		fmt.Fprintf(e.Stderr, "roster: warning: %s\n", w.Message)
	}
	return e.output(format, v, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tEMAIL\tFROM\tTO\tEXPECTED\tEXCEPTION")
		for _, u := range v.Users {
			exc := ""
			if u.Exception {
				exc = "yes"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.From, u.To, u.Expected, exc)
		}
	})
}

func cmdUsersSetType(fs *pflag.FlagSet) runFunc {
	typ := fs.String("type", "", "standard or external (all given users get the same type)")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	// set by the check, read by the body:
	var emails []string
	var t db.UserType
	return teamCommand(fs, nil, func(e *env, args []string) error {
		var err error
		emails = splitList(args)
		if err := required(fs, "type"); err != nil {
			return err
		}
		t, err = adminapi.ParseUserType(*typ)
		if err != nil {
			return usagef("--type must be standard or external")
		}
		if len(emails) == 0 {
			return usagef("give the emails of the users to change")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		by, err := actingAdmin(ctx, e, s, team, *as, adminapi.AllAdmins)
		if err != nil {
			return err
		}
		ids, err := userIDsByEmail(ctx, s, team, emails)
		if err != nil {
			return err
		}
		tc, err := s.ChangeUserTypes(ctx, team, ids, t, by)
		if err != nil {
			return err
		}
		return e.typeChangeOutput(e.format, tc)
	})
}

func cmdPolicyRevert(fs *pflag.FlagSet) runFunc {
	all := fs.Bool("all", false, "revert every exception of the team")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	// set by the check, read by the body:
	var emails []string
	return teamCommand(fs, nil, func(e *env, args []string) error {
		emails = splitList(args)
		if *all == (len(emails) > 0) {
			return usagef("give the emails of the users to revert, or --all")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		by, err := actingAdmin(ctx, e, s, team, *as, adminapi.AllAdmins)
		if err != nil {
			return err
		}
		var ids []string
		if *all {
			q := db.ExceptionQuery{Limit: 1000}
			for {
				es, err := s.ListExceptions(ctx, team, q)
				if err != nil {
					return err
				}
				for _, x := range es {
					ids = append(ids, x.UserID)
				}
				if len(es) < q.Limit {
					break
				}
				q.After = es[len(es)-1].UserID
			}
			if len(ids) == 0 {
				return e.typeChangeOutput(e.format, db.TypeChange{})
			}
		} else if ids, err = userIDsByEmail(ctx, s, team, emails); err != nil {
			return err
		}
		tc, err := s.RevertExceptions(ctx, team, ids, by)
		if err != nil {
			return err
		}
		return e.typeChangeOutput(e.format, tc)
	})
}

func cmdReportUsage(fs *pflag.FlagSet) runFunc {
	format := fs.String("format", "csv", "csv or json (-o json without --format also gives json)")
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if !fs.Changed("format") && e.format == "json" {
			*format = "json"
		}
		if *format != "csv" && *format != "json" {
			return usagef("--format must be csv or json")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		return adminapi.WriteUsageReport(ctx, s, team, *format, e.Stdout)
	})
}
