package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/rolepolicy"
)

// The user role policy (R-POL-1..R-POL-10): the CLI commands and admin API
// routes that show and change a team's policy, list and resolve exceptions,
// change users' types and export the usage report. Classification itself is
// wired into the store (wiring.go); everything here goes through
// db.PolicyStore, whose queries run in the database.

func startPolicy(_ context.Context, a *app) error {
	mountPolicyAPI(a)
	return nil
}

// policyView is a team's policy as the CLI and the admin API show it.
type policyView struct {
	TeamID     string              `json:"team_id"`
	Mode       string              `json:"mode"`
	Domains    []string            `json:"domains"`
	Exceptions exceptionCountsView `json:"exceptions"`
}

type exceptionCountsView struct {
	Total    int `json:"total"`
	Standard int `json:"standard"`
	External int `json:"external"`
}

// policyPreviewView is the outcome of a dry run.
type policyPreviewView struct {
	DryRun     bool                 `json:"dry_run"`
	TeamID     string               `json:"team_id"`
	Mode       string               `json:"mode"`
	Domains    []string             `json:"domains"`
	Exceptions policyPreviewSummary `json:"exceptions"`
	Users      []exceptionView      `json:"users"` // the users that would become exceptions (a page)
	Next       string               `json:"next,omitempty"`
}

type policyPreviewSummary struct {
	Total    int `json:"total"`    // exceptions under the proposed policy
	Becoming int `json:"becoming"` // of them, users that are not exceptions now
	Cleared  int `json:"cleared"`  // exceptions now that would no longer be
}

// exceptionView is one role-policy exception.
type exceptionView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Source    string `json:"source"`
	Current   string `json:"current"`
	Expected  string `json:"expected"`
}

func exceptionViews(es []db.Exception) []exceptionView {
	out := make([]exceptionView, len(es))
	for i, e := range es {
		out[i] = exceptionView{ID: e.UserID, Email: e.Email, FirstName: e.FirstName, LastName: e.LastName,
			Source: string(e.Source), Current: string(e.Current), Expected: string(e.Expected)}
	}
	return out
}

// typeChangeView is the outcome of a type change or a revert.
type typeChangeView struct {
	Users    []userTypeChangeView `json:"users"`
	Warnings []warningView        `json:"warnings"`
}

type userTypeChangeView struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	From      string `json:"from"`
	To        string `json:"to"`
	Expected  string `json:"expected"`
	Exception bool   `json:"exception"`
}

type warningView struct {
	Code    string `json:"code"`
	UserID  string `json:"user_id"`
	Email   string `json:"email"`
	Message string `json:"message"`
}

func typeChangeViewOf(tc db.TypeChange) typeChangeView {
	v := typeChangeView{Users: make([]userTypeChangeView, len(tc.Users)), Warnings: make([]warningView, len(tc.Warnings))}
	emails := map[string]string{}
	for i, u := range tc.Users {
		v.Users[i] = userTypeChangeView{ID: u.UserID, Email: u.Email, From: string(u.From), To: string(u.To),
			Expected: string(u.Expected), Exception: u.Exception}
		emails[u.UserID] = u.Email
	}
	for i, w := range tc.Warnings {
		v.Warnings[i] = warningView{Code: w.Code, UserID: w.UserID, Email: emails[w.UserID], Message: w.Message}
	}
	return v
}

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

func parseMode(s string) (db.PolicyMode, error) {
	switch m := db.PolicyMode(strings.ToLower(strings.TrimSpace(s))); m {
	case db.PolicyDefault, db.PolicyDomain:
		return m, nil
	}
	return "", db.Errorf(db.ErrInvalid, "mode_invalid", "policy mode %q is not default or domain", s)
}

// parseTypeFilter maps all/standard/external to an exception filter.
func parseTypeFilter(s string) (db.UserType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "all":
		return "", nil
	case "standard":
		return db.TypeStandard, nil
	case "external":
		return db.TypeExternal, nil
	}
	return "", db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not all, standard or external", s)
}

func parseUserType(s string) (db.UserType, error) {
	switch t := db.UserType(strings.ToLower(strings.TrimSpace(s))); t {
	case db.TypeStandard, db.TypeExternal:
		return t, nil
	}
	return "", db.Errorf(db.ErrInvalid, "type_invalid", "type %q is not standard or external", s)
}

// policyViewOf reads the team's stored policy and counts its exceptions.
func policyViewOf(ctx context.Context, s interface {
	GetTeam(context.Context, string) (db.Team, error)
	db.PolicyStore
}, teamID string) (policyView, error) {
	t, err := s.GetTeam(ctx, teamID)
	if err != nil {
		return policyView{}, err
	}
	c, err := s.CountExceptions(ctx, teamID)
	if err != nil {
		return policyView{}, err
	}
	d := t.Policy.Domains
	if d == nil {
		d = []string{}
	}
	return policyView{TeamID: t.ID, Mode: string(t.Policy.Mode), Domains: d,
		Exceptions: exceptionCountsView{Total: c.Total, Standard: c.Standard, External: c.External}}, nil
}

func policyTable(w *tabwriter.Writer, v policyView) {
	fmt.Fprintf(w, "TEAM\t%s\nMODE\t%s\nDOMAINS\t%s\nEXCEPTIONS\t%d (standard %d, external %d)\n",
		v.TeamID, v.Mode, strings.Join(v.Domains, ", "), v.Exceptions.Total, v.Exceptions.Standard, v.Exceptions.External)
}

func exceptionTable(w *tabwriter.Writer, vs []exceptionView) {
	fmt.Fprintln(w, "ID\tEMAIL\tNAME\tSOURCE\tCURRENT\tEXPECTED")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s %s\t%s\t%s\t%s\n", v.ID, v.Email, v.FirstName, v.LastName, v.Source, v.Current, v.Expected)
	}
}

// actingAdmin resolves --as to the acting admin (R-ADM-6: any admin role);
// without --as the operator running the CLI on the database is the actor.
func actingAdmin(ctx context.Context, e *env, s db.Store, teamID, as string) (db.Actor, error) {
	if as == "" {
		return e.operator(), nil
	}
	u, err := s.FindUser(ctx, teamID, db.UserKey{Email: as})
	if err != nil || !u.AdminRole.IsAdmin() {
		if err != nil && db.CodeOf(err) != "user_not_found" {
			return db.Actor{}, err
		}
		return db.Actor{}, db.Errorf(db.ErrForbidden, "not_admin", "%s is not an admin of this team", as)
	}
	if err := db.CheckActingAdmin(u); err != nil {
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
	team := teamFlag(fs)
	mode := fs.String("mode", "", "default or domain (R-POL-1)")
	domains := fs.String("domains", "", "the exact list of approved email domains, comma-separated")
	dry := fs.Bool("dry-run", false, "show which users would become exceptions; change nothing")
	limit := fs.Int("limit", 100, "with --dry-run: how many of the users that would become exceptions to list")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team", "mode"); err != nil {
			return err
		}
		m, err := parseMode(*mode)
		if err != nil {
			return usagef("--mode must be default or domain")
		}
		ds, err := parseDomains([]string{*domains})
		if err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		p := db.Policy{Mode: m, Domains: ds}
		if *dry {
			pv, err := s.PreviewPolicy(ctx, *team, p, db.Page{Limit: *limit})
			if err != nil {
				return err
			}
			v := previewViewOf(*team, pv, *limit)
			return e.output(e.format, v, func(w *tabwriter.Writer) {
				fmt.Fprintf(w, "DRY RUN\tnothing changed\nMODE\t%s\nDOMAINS\t%s\nEXCEPTIONS\t%d (%d new, %d cleared)\n\n",
					v.Mode, strings.Join(v.Domains, ", "), v.Exceptions.Total, v.Exceptions.Becoming, v.Exceptions.Cleared)
				exceptionTable(w, v.Users)
			})
		}
		by, err := actingAdmin(ctx, e, s, *team, *as)
		if err != nil {
			return err
		}
		if _, err := s.SetPolicy(ctx, *team, p, by); err != nil {
			return err
		}
		v, err := policyViewOf(ctx, s, *team)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { policyTable(w, v) })
	}
}

func cmdPolicyDomains(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	add := fs.String("add", "", "domains to approve, comma-separated")
	remove := fs.String("remove", "", "domains to remove, comma-separated (R-POL-6: one must remain)")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team"); err != nil {
			return err
		}
		addN, err := parseDomains([]string{*add})
		if err != nil {
			return err
		}
		remN, err := parseDomains([]string{*remove})
		if err != nil {
			return err
		}
		if len(addN)+len(remN) == 0 {
			return usagef("give --add or --remove")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		by, err := actingAdmin(ctx, e, s, *team, *as)
		if err != nil {
			return err
		}
		if _, err := s.ModifyPolicyDomains(ctx, *team, addN, remN, by); err != nil {
			return err
		}
		v, err := policyViewOf(ctx, s, *team)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { policyTable(w, v) })
	}
}

func previewViewOf(teamID string, pv db.PolicyPreview, limit int) policyPreviewView {
	d := pv.Policy.Domains
	if d == nil {
		d = []string{}
	}
	v := policyPreviewView{DryRun: true, TeamID: teamID, Mode: string(pv.Policy.Mode), Domains: d,
		Exceptions: policyPreviewSummary{Total: pv.Exceptions, Becoming: pv.Becoming, Cleared: pv.Cleared},
		Users:      exceptionViews(pv.Users)}
	if limit > 0 && len(pv.Users) == limit {
		v.Next = pv.Users[len(pv.Users)-1].UserID
	}
	return v
}

func cmdPolicyShow(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team"); err != nil {
			return err
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		v, err := policyViewOf(ctx, s, *team)
		if err != nil {
			return err
		}
		return e.output(e.format, v, func(w *tabwriter.Writer) { policyTable(w, v) })
	}
}

func cmdPolicyExceptions(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	typ := fs.String("type", "all", "filter on the current type: all, standard or external")
	limit := fs.Int("limit", 0, "list at most this many (0: all)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team"); err != nil {
			return err
		}
		t, err := parseTypeFilter(*typ)
		if err != nil {
			return usagef("--type must be all, standard or external")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		all := []exceptionView{}
		q := db.ExceptionQuery{Type: t, Limit: 1000}
		for {
			if *limit > 0 {
				q.Limit = min(1000, *limit-len(all))
			}
			es, err := s.ListExceptions(ctx, *team, q)
			if err != nil {
				return err
			}
			all = append(all, exceptionViews(es)...)
			if len(es) < q.Limit || (*limit > 0 && len(all) >= *limit) {
				break
			}
			q.After = es[len(es)-1].UserID
		}
		return e.output(e.format, all, func(w *tabwriter.Writer) { exceptionTable(w, all) })
	}
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
	v := typeChangeViewOf(tc)
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
	team := teamFlag(fs)
	typ := fs.String("type", "", "standard or external (all given users get the same type)")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	return func(ctx context.Context, e *env, args []string) error {
		emails := splitList(args)
		if err := required(fs, "team", "type"); err != nil {
			return err
		}
		t, err := parseUserType(*typ)
		if err != nil {
			return usagef("--type must be standard or external")
		}
		if len(emails) == 0 {
			return usagef("give the emails of the users to change")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		by, err := actingAdmin(ctx, e, s, *team, *as)
		if err != nil {
			return err
		}
		ids, err := userIDsByEmail(ctx, s, *team, emails)
		if err != nil {
			return err
		}
		tc, err := s.ChangeUserTypes(ctx, *team, ids, t, by)
		if err != nil {
			return err
		}
		return e.typeChangeOutput(e.format, tc)
	}
}

func cmdPolicyRevert(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	all := fs.Bool("all", false, "revert every exception of the team")
	as := fs.String("as", "", "the email of the admin making the change (for the audit log)")
	return func(ctx context.Context, e *env, args []string) error {
		emails := splitList(args)
		if err := required(fs, "team"); err != nil {
			return err
		}
		if *all == (len(emails) > 0) {
			return usagef("give the emails of the users to revert, or --all")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		by, err := actingAdmin(ctx, e, s, *team, *as)
		if err != nil {
			return err
		}
		var ids []string
		if *all {
			q := db.ExceptionQuery{Limit: 1000}
			for {
				es, err := s.ListExceptions(ctx, *team, q)
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
		} else if ids, err = userIDsByEmail(ctx, s, *team, emails); err != nil {
			return err
		}
		tc, err := s.RevertExceptions(ctx, *team, ids, by)
		if err != nil {
			return err
		}
		return e.typeChangeOutput(e.format, tc)
	}
}

func cmdReportUsage(fs *pflag.FlagSet) runFunc {
	team := teamFlag(fs)
	format := fs.String("format", "csv", "csv or json (-o json without --format also gives json)")
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, "team"); err != nil {
			return err
		}
		if !fs.Changed("format") && e.format == "json" {
			*format = "json"
		}
		if *format != "csv" && *format != "json" {
			return usagef("--format must be csv or json")
		}
		s, err := e.teamStore(ctx, fs, team)
		if err != nil {
			return err
		}
		return writeUsageReport(ctx, s, *team, *format, e.Stdout)
	}
}

// usageColumns are the usage report's columns, in CSV order and JSON names.
var usageColumns = []string{"email", "first_name", "last_name", "status", "type", "external", "source", "admin_role", "exception", "created_at", "id"}

// usageRecord is one usage report row in JSON.
type usageRecord struct {
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Status    string    `json:"status"`
	Type      string    `json:"type"`
	External  bool      `json:"external"`
	Source    string    `json:"source"`
	AdminRole string    `json:"admin_role"`
	Exception bool      `json:"exception"`
	CreatedAt time.Time `json:"created_at"`
	ID        string    `json:"id"`
}

// spreadsheetSafe defuses a free-text cell that a spreadsheet would run as a
// formula (CSV injection through a name pushed by an identity provider).
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeUsageReport streams the report row by row (R-POL-9): the store holds
// one row, the writer a small buffer, so memory does not grow with the team.
// Nothing is written until the team is known to exist.
func writeUsageReport(ctx context.Context, s db.PolicyStore, teamID, format string, out io.Writer) error {
	var bw *bufio.Writer
	lazy := func() *bufio.Writer {
		if bw == nil {
			bw = bufio.NewWriterSize(out, 64<<10)
		}
		return bw
	}
	n := 0
	var err error
	switch format {
	case "csv":
		var cw *csv.Writer
		rec := make([]string, len(usageColumns))
		err = s.UsageReport(ctx, teamID, func(r db.UsageRow) error {
			if cw == nil {
				cw = csv.NewWriter(lazy())
				if err := cw.Write(usageColumns); err != nil {
					return err
				}
			}
			rec[0], rec[1], rec[2], rec[3], rec[4] = r.Email, spreadsheetSafe(r.FirstName), spreadsheetSafe(r.LastName), string(r.Status), string(r.Type)
			rec[5], rec[6], rec[7], rec[8] = strconv.FormatBool(r.External), string(r.Source), string(r.AdminRole), strconv.FormatBool(r.Exception)
			rec[9], rec[10] = r.CreatedAt.UTC().Format(time.RFC3339), r.UserID
			n++
			return cw.Write(rec)
		})
		if err == nil {
			if cw == nil { // an empty team still gets its header
				cw = csv.NewWriter(lazy())
				cw.Write(usageColumns)
			}
			cw.Flush()
			err = cw.Error()
		}
	case "json":
		err = s.UsageReport(ctx, teamID, func(r db.UsageRow) error {
			b, err := json.Marshal(usageRecord{Email: r.Email, FirstName: r.FirstName, LastName: r.LastName, Status: string(r.Status),
				Type: string(r.Type), External: r.External, Source: string(r.Source), AdminRole: string(r.AdminRole),
				Exception: r.Exception, CreatedAt: r.CreatedAt.UTC(), ID: r.UserID})
			if err != nil {
				return err
			}
			w := lazy()
			if n == 0 {
				w.WriteString("[\n")
			} else {
				w.WriteString(",\n")
			}
			n++
			_, err = w.Write(b)
			return err
		})
		if err == nil {
			w := lazy()
			if n == 0 {
				w.WriteString("[")
			}
			w.WriteString("\n]\n")
		}
	default:
		return db.Errorf(db.ErrInvalid, "format_invalid", "format %q is not csv or json", format)
	}
	if bw != nil {
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

// mountPolicyAPI registers the role-policy admin API. Every admin role may
// use it (R-ADM-6: admins manage users and view/export usage reports; the
// policy is team user management); every change is audited with the admin.
func mountPolicyAPI(a *app) {
	a.API("GET", "/teams/{team}/policy", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		v, err := policyViewOf(r.Context(), a.Store, c.Team.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
	a.API("PUT", "/teams/{team}/policy", allAdmins, a.apiSetPolicy)
	a.API("POST", "/teams/{team}/policy/preview", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		var req setPolicyRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		req.DryRun = true
		return a.setPolicy(w, r, c, req)
	})
	a.API("PATCH", "/teams/{team}/policy/domains", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		var req struct {
			Add    []string `json:"add"`
			Remove []string `json:"remove"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		add, err := parseDomains(req.Add)
		if err != nil {
			return err
		}
		remove, err := parseDomains(req.Remove)
		if err != nil {
			return err
		}
		if _, err := a.Store.ModifyPolicyDomains(r.Context(), c.Team.ID, add, remove, c.Actor); err != nil {
			return err
		}
		v, err := policyViewOf(r.Context(), a.Store, c.Team.ID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	})
	a.API("GET", "/teams/{team}/policy/exceptions", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		t, err := parseTypeFilter(r.URL.Query().Get("type"))
		if err != nil {
			return err
		}
		page, err := pageParams(r)
		if err != nil {
			return err
		}
		es, err := a.Store.ListExceptions(r.Context(), c.Team.ID, db.ExceptionQuery{Type: t, After: page.After, Limit: page.Limit})
		if err != nil {
			return err
		}
		next := ""
		if len(es) == page.Limit {
			next = es[len(es)-1].UserID
		}
		writeJSON(w, http.StatusOK, map[string]any{"exceptions": exceptionViews(es), "next": next})
		return nil
	})
	a.API("POST", "/teams/{team}/policy/exceptions/revert", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		var req struct {
			UserIDs []string `json:"user_ids"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		tc, err := a.Store.RevertExceptions(r.Context(), c.Team.ID, req.UserIDs, c.Actor)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, typeChangeViewOf(tc))
		return nil
	})
	a.API("POST", "/teams/{team}/users/type", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		var req struct {
			Type    string   `json:"type"`
			UserIDs []string `json:"user_ids"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		t, err := parseUserType(req.Type)
		if err != nil {
			return err
		}
		tc, err := a.Store.ChangeUserTypes(r.Context(), c.Team.ID, req.UserIDs, t, c.Actor)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, typeChangeViewOf(tc))
		return nil
	})
	a.API("GET", "/teams/{team}/reports/usage", allAdmins, func(w http.ResponseWriter, r *http.Request, c apiCall) error {
		format := r.URL.Query().Get("format")
		if format == "" {
			format = "csv"
		}
		switch format {
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
		case "json":
			w.Header().Set("Content-Type", "application/json")
		default:
			return db.Errorf(db.ErrInvalid, "format_invalid", "format %q is not csv or json", format)
		}
		sw := &startedWriter{ResponseWriter: w}
		err := writeUsageReport(r.Context(), a.Store, c.Team.ID, format, sw)
		if err != nil && sw.started {
			// the status line is gone; cut the stream short so the client sees a broken body
			a.Log.Error("usage report stream", "team", c.Team.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
		return err
	})
}

// startedWriter records whether the response has begun, so an error can
// still become a JSON error before the first byte.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

type setPolicyRequest struct {
	Mode    string   `json:"mode"`
	Domains []string `json:"domains"`
	DryRun  bool     `json:"dry_run"`
	Limit   int      `json:"limit"` // dry run: how many would-be exceptions to list
}

func (a *app) apiSetPolicy(w http.ResponseWriter, r *http.Request, c apiCall) error {
	var req setPolicyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return a.setPolicy(w, r, c, req)
}

func (a *app) setPolicy(w http.ResponseWriter, r *http.Request, c apiCall, req setPolicyRequest) error {
	m, err := parseMode(req.Mode)
	if err != nil {
		return err
	}
	ds, err := parseDomains(req.Domains)
	if err != nil {
		return err
	}
	p := db.Policy{Mode: m, Domains: ds}
	if req.DryRun {
		if req.Limit < 0 || req.Limit > 1000 {
			return db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be from 1 to 1000")
		}
		if req.Limit == 0 {
			req.Limit = 100
		}
		pv, err := a.Store.PreviewPolicy(r.Context(), c.Team.ID, p, db.Page{Limit: req.Limit})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, previewViewOf(c.Team.ID, pv, req.Limit))
		return nil
	}
	if _, err := a.Store.SetPolicy(r.Context(), c.Team.ID, p, c.Actor); err != nil {
		return err
	}
	v, err := policyViewOf(r.Context(), a.Store, c.Team.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// pageParams reads ?after= and ?limit= (1..1000, default 100).
func pageParams(r *http.Request) (db.Page, error) {
	page := db.Page{After: r.URL.Query().Get("after"), Limit: 100}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return page, db.Errorf(db.ErrInvalid, "limit_invalid", "limit must be an integer from 1 to 1000")
		}
		page.Limit = n
	}
	return page, nil
}
