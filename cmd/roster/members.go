package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/cmd/roster/internal/adminapi"
	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// memberTable prints members as a table.
func memberTable(w *tabwriter.Writer, vs []adminapi.MemberView) {
	fmt.Fprintln(w, "ID\tEMAIL\tSTATUS\tCOMPANY\tROLE\tLEVEL\tTYPE\tSOURCE")
	for _, m := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Email, m.Status, m.Company, m.Role, m.Level, m.Type, m.Source)
	}
}

// cmdMembersAdd is R-MEM-1: --emails (the quick path, at most 100, all the
// same company/role/level) or --file (CSV with a header row, or a JSON
// array; each row its own values). All or nothing: a refused row refuses
// the whole request and every bad row is listed.
func cmdMembersAdd(fs *pflag.FlagSet) runFunc {
	emails := fs.String("emails", "", "addresses separated by commas, semicolons, tabs, spaces or newlines (at most 100)")
	file := fs.String("file", "", "a CSV (header: email,first_name,last_name,company,role,level) or JSON file of rows, each with its own values")
	company := fs.String("company", "", "company for every address of --emails")
	role := fs.String("role", "", "job role for every address of --emails")
	level := fs.String("level", "member", "access level for every address of --emails: member, account-admin, executive or standards-admin")
	var rows []db.NewMember
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if (*emails == "") == (*file == "") {
			return usagef("give --emails or --file (one of them)")
		}
		var err error
		if *emails != "" {
			l, lerr := db.ParseAccessLevel(*level)
			if lerr != nil {
				return lerr
			}
			rows, err = db.QuickAddRows(*emails, *company, *role, l)
		} else {
			if fs.Changed("company") || fs.Changed("role") || fs.Changed("level") {
				return usagef("--company, --role and --level go with --emails; a --file carries them per row")
			}
			rows, err = readMemberFile(*file)
		}
		return err
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		ms, err := s.AddMembers(ctx, team, rows, e.operator())
		if err != nil {
			return err
		}
		vs := adminapi.MemberViews(ms)
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "added %d members (pending)\n", len(vs))
			memberTable(w, vs)
		})
	})
}

// readMemberFile reads per-row members from a .json file (an array of
// {email, first_name, last_name, company, role, level}) or a CSV file with a
// header naming those columns (email required, the rest optional).
func readMemberFile(path string) ([]db.NewMember, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("--file: %v", err)
	}
	defer f.Close()
	if strings.EqualFold(filepath.Ext(path), ".json") {
		var in []struct {
			Email     string `json:"email"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
			Company   string `json:"company"`
			Role      string `json:"role"`
			Level     string `json:"level"`
		}
		dec := json.NewDecoder(f)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, usagef("--file %s: not a JSON array of members: %v", path, err)
		}
		out := make([]db.NewMember, len(in))
		for i, m := range in {
			out[i] = db.NewMember{Email: m.Email, FirstName: m.FirstName, LastName: m.LastName, Company: m.Company, JobRole: m.Role, Level: db.AccessLevel(m.Level)}
		}
		return out, nil
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, usagef("--file %s: no CSV header row: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch h {
		case "email", "first_name", "last_name", "company", "role", "level":
			col[h] = i
		default:
			return nil, usagef("--file %s: unknown CSV column %q (use email, first_name, last_name, company, role, level)", path, h)
		}
	}
	if _, ok := col["email"]; !ok {
		return nil, usagef("--file %s: the CSV header has no email column", path)
	}
	var out []db.NewMember
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, usagef("--file %s: %v", path, err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		out = append(out, db.NewMember{Email: get("email"), FirstName: get("first_name"), LastName: get("last_name"),
			Company: get("company"), JobRole: get("role"), Level: db.AccessLevel(strings.ToLower(get("level")))})
	}
	if len(out) == 0 {
		return nil, usagef("--file %s has no rows", path)
	}
	return out, nil
}

// cmdMembersList is R-MEM-6: search, filter, sort by any column, paged.
func cmdMembersList(fs *pflag.FlagSet) runFunc {
	q := fs.String("q", "", "search name, email, company and role (case-insensitive substring)")
	status := fs.String("status", "", "only members with this status: active, inactive or pending")
	company := fs.String("company", "", "only members of this company (case-insensitive)")
	level := fs.String("level", "", "only members with this access level")
	typ := fs.String("type", "", "only members of this type: standard or external")
	source := fs.String("source", "", "only members from this source: scim, directory, sso, admin, product")
	sort := fs.String("sort", "email", "sort column: "+strings.Join(db.MemberSortColumns, ", "))
	order := fs.String("order", "asc", "asc or desc")
	limit := fs.Int("limit", 100, "page size (1-1000); the next page's cursor is printed on stderr")
	after := fs.String("after", "", "the cursor printed by the previous page")
	// set by the check, read by the body:
	var mq db.MemberQuery
	return teamCommand(fs, nil, func(e *env, args []string) error {
		if *order != "asc" && *order != "desc" {
			return usagef("--order must be asc or desc")
		}
		if *limit < 1 || *limit > adminapi.UsersPageMax {
			return usagef("--limit must be from 1 to %d", adminapi.UsersPageMax)
		}
		mq = db.MemberQuery{Q: *q, Status: db.Status(*status), Company: *company, Type: db.UserType(*typ),
			Source: db.Source(*source), Sort: *sort, Desc: *order == "desc", After: *after, Limit: *limit}
		if *level != "" {
			l, err := db.ParseAccessLevel(*level)
			if err != nil {
				return err
			}
			mq.Level = l
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		p, err := s.QueryMembers(ctx, team, mq)
		if err != nil {
			return err
		}
		vs := adminapi.MemberViews(p.Members)
		if err := e.output(e.format, vs, func(w *tabwriter.Writer) { memberTable(w, vs) }); err != nil {
			return err
		}
		if p.Next != "" {
			fmt.Fprintf(e.Stderr, "more members: add --after %s\n", p.Next)
		}
		return nil
	})
}

// cmdMembersEdit is R-MEM-2: one bulk edit of many members, all or nothing;
// it lists every earlier value it overwrote.
func cmdMembersEdit(fs *pflag.FlagSet) runFunc {
	emails := fs.String("emails", "", "the members' addresses (commas, semicolons, spaces, tabs or newlines)")
	company := fs.String("company", "", "new company")
	role := fs.String("role", "", "new job role")
	level := fs.String("level", "", "new access level: member, account-admin, executive or standards-admin")
	var edit db.MemberEdit
	return teamCommand(fs, []string{"emails"}, func(e *env, args []string) error {
		if fs.Changed("company") {
			edit.Company = company
		}
		if fs.Changed("role") {
			edit.JobRole = role
		}
		if fs.Changed("level") {
			l, err := db.ParseAccessLevel(*level)
			if err != nil {
				return err
			}
			edit.Level = &l
		}
		if edit.Company == nil && edit.JobRole == nil && edit.Level == nil {
			return usagef("give at least one of --company, --role, --level")
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		ids, err := adminapi.MemberIDs(ctx, s, team, db.SplitEmailList(*emails))
		if err != nil {
			return err
		}
		ms, over, err := s.EditMembers(ctx, team, ids, edit, e.operator())
		if err != nil {
			return err
		}
		if over == nil {
			over = []db.Overwrite{}
		}
		res := adminapi.EditResult{Members: adminapi.MemberViews(ms), Overwrote: over}
		return e.output(e.format, res, func(w *tabwriter.Writer) {
			fmt.Fprintf(w, "edited %d members\n", len(ms))
			for _, o := range over {
				fmt.Fprintf(w, "  overwrote %s of %s: %q -> %q\n", o.Field, o.Email, o.From, o.To)
			}
		})
	})
}

// cmdMembersRemove removes a member from the team (R-MEM-4).
func cmdMembersRemove(fs *pflag.FlagSet) runFunc {
	email := fs.String("email", "", "the member's address")
	return teamCommand(fs, []string{"email"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		u, err := s.FindUser(ctx, team, db.UserKey{Email: *email})
		if err != nil {
			return err
		}
		m, err := s.GetMember(ctx, team, u.ID)
		if err != nil {
			return err
		}
		if err := s.RemoveMember(ctx, team, u.ID, e.operator()); err != nil {
			return err
		}
		v := adminapi.MemberViewOf(m)
		return e.confirm(v, "removed member %s (%s)", v.Email, v.ID)
	})
}

// cmdMembersCompanies lists the team's companies.
func cmdMembersCompanies(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		cs, err := s.ListCompanies(ctx, team)
		if err != nil {
			return err
		}
		return e.output(e.format, cs, func(w *tabwriter.Writer) {
			for _, c := range cs {
				fmt.Fprintln(w, c)
			}
		})
	})
}
