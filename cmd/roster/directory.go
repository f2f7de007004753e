package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/directory"
)

func newSyncer(e *env, cfg *Config, st db.DirectoryStore) *directory.Syncer {
	// The report goes to stdout; the run's log line would be a second copy on stderr.
	return &directory.Syncer{Store: st, Now: e.Now, SecretKey: cfg.Directory.key(), Getenv: e.Getenv, PageSize: cfg.Directory.PageSize}
}

// serveSyncer is the syncer `roster serve` runs: the background loop and
// the admin API's and console's "Sync now" share it (and its metrics hook).
func serveSyncer(cfg *Config, st db.DirectoryStore, log *slog.Logger, now func() time.Time, onRun func(directory.Report, error)) *directory.Syncer {
	d := cfg.Directory
	return &directory.Syncer{Store: st, Log: log.With("service", "directory"), Now: now,
		SecretKey: d.key(), Getenv: os.Getenv, PageSize: d.PageSize, OnRun: onRun}
}

// directoryLoop runs every connection on its interval (nil when directory
// sync is disabled); on PostgreSQL an advisory lock keeps replicas from
// running one twice.
func directoryLoop(cfg *Config, syncer *directory.Syncer) func(context.Context) {
	if cfg.Directory.Disabled {
		return nil
	}
	svc := &directory.Service{Syncer: syncer, Tick: cfg.Directory.Tick, DefaultInterval: cfg.Directory.Interval}
	return svc.Run
}

type directoryView struct {
	ID          string `json:"id"`
	Team        string `json:"team"`
	Kind        string `json:"kind"`
	URL         string `json:"url"`
	StartTLS    bool   `json:"start_tls"`
	BindDN      string `json:"bind_dn"`
	BaseDN      string `json:"base_dn"`
	UserFilter  string `json:"user_filter"`
	GroupFilter string `json:"group_filter"`
	Trust       string `json:"trust"` // ca, pin or system
	Password    string `json:"password"`
	Interval    string `json:"interval"`
	Enabled     bool   `json:"enabled"`
}

func directoryViewOf(c db.DirectoryConnection) directoryView {
	trust := "system"
	if c.CAPEM != "" {
		trust = "ca"
	}
	if c.TLSPin != "" {
		trust = "pin sha256:" + c.TLSPin
	}
	pw := "encrypted"
	if !strings.HasPrefix(c.PasswordRef, "enc:") {
		pw = c.PasswordRef // a file path or env var name, never the secret
	}
	return directoryView{ID: c.ID, Team: c.TeamID, Kind: string(c.Kind), URL: c.URL, StartTLS: c.StartTLS, BindDN: c.BindDN,
		BaseDN: c.BaseDN, UserFilter: directory.UserFilter(c), GroupFilter: directory.GroupFilter(c), Trust: trust, Password: pw,
		Interval: c.Interval.String(), Enabled: c.Enabled}
}

func cmdDirectoryAdd(fs *pflag.FlagSet) runFunc {
	kind := fs.String("kind", "", "ad or openldap")
	u := fs.String("url", "", "ldaps://host:636, or ldap://host:389 with --start-tls")
	bindDN := fs.String("bind-dn", "", "DN (or AD user principal name) to bind as")
	pwFile := fs.String("bind-password-file", "", "file holding the bind password")
	pwEnv := fs.String("bind-password-env", "", "environment variable holding the bind password (alternative to the file)")
	baseDN := fs.String("base-dn", "", "base DN to read users and groups under")
	userFilter := fs.String("user-filter", "", "LDAP filter for users (default: the kind's preset)")
	groupFilter := fs.String("group-filter", "", "LDAP filter for groups (default: the kind's preset)")
	startTLS := fs.Bool("start-tls", false, "upgrade an ldap:// connection with StartTLS")
	caFile := fs.String("ca-file", "", "PEM CA bundle that signs the server certificate")
	pin := fs.String("tls-pin", "", "SHA-256 of the server's leaf certificate (hex, colons allowed)")
	interval := fs.Duration("interval", 0, "time between syncs (default: directory.interval, 5m)")
	deleteLimit := fs.Int("delete-limit", 0, "most users one run may remove without --allow-deletes (default: min(500, 20%))")
	var c db.DirectoryConnection // made by the check, created by the body
	return teamCommand(fs, []string{"kind", "url", "bind-dn", "base-dn"}, func(e *env, args []string) error {
		k := db.DirectoryKind(*kind)
		if !k.Valid() {
			return usagef("--kind must be ad or openldap")
		}
		if (*pwFile == "") == (*pwEnv == "") {
			return usagef("give exactly one of --bind-password-file and --bind-password-env")
		}
		if *caFile != "" && *pin != "" {
			return usagef("give --ca-file or --tls-pin, not both")
		}
		cfg, err := e.Config()
		if err != nil {
			return err
		}
		c = db.DirectoryConnection{Kind: k, URL: strings.TrimSpace(*u), StartTLS: *startTLS, BindDN: *bindDN,
			BaseDN: *baseDN, UserFilter: *userFilter, GroupFilter: *groupFilter, Interval: *interval, DeleteLimit: *deleteLimit, Enabled: true}
		if c.Interval == 0 {
			c.Interval = cfg.Directory.Interval
		}
		if _, err := directory.CheckURL(c.URL, c.StartTLS); err != nil {
			return err
		}
		for _, f := range []string{c.UserFilter, c.GroupFilter} {
			if err := directory.ValidateFilter(f); err != nil {
				return err
			}
		}
		if *pin != "" {
			if c.TLSPin, err = directory.NormalizePin(*pin); err != nil {
				return err
			}
		}
		if *caFile != "" {
			b, err := os.ReadFile(*caFile)
			if err != nil {
				return fmt.Errorf("read --ca-file: %w", err)
			}
			c.CAPEM = string(b)
			if _, err := directory.TLSConfig(c, "check"); err != nil {
				return err
			}
		}
		switch {
		case *pwEnv != "":
			c.PasswordRef = "env:" + *pwEnv
		case cfg.Directory.SecretKey != "":
			pw, err := directory.ResolvePassword("file:"+*pwFile, nil, e.Getenv)
			if err != nil {
				return err
			}
			sealed, err := directory.EncryptSecret(cfg.Directory.key(), pw)
			if err != nil {
				return err
			}
			c.PasswordRef = "enc:" + sealed
		default:
			abs, err := filepath.Abs(*pwFile)
			if err != nil {
				return err
			}
			if _, err := directory.ResolvePassword("file:"+abs, nil, e.Getenv); err != nil {
				return err
			}
			c.PasswordRef = "file:" + abs
		}
		return nil
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		c.TeamID = team // the id, when --team named the team
		created, err := s.CreateDirectoryConnection(ctx, c, e.operator())
		if err != nil {
			return err
		}
		v := directoryViewOf(created)
		return e.output(e.format, v, func(w *tabwriter.Writer) { directoryTable(w, []directoryView{v}) })
	})
}

func directoryTable(w *tabwriter.Writer, vs []directoryView) {
	fmt.Fprintln(w, "ID\tKIND\tURL\tBASE DN\tTRUST\tINTERVAL")
	for _, v := range vs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Kind, v.URL, v.BaseDN, v.Trust, v.Interval)
	}
}

func cmdDirectoryList(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		cs, err := s.ListDirectoryConnections(ctx, team)
		if err != nil {
			return err
		}
		vs := []directoryView{}
		for _, c := range cs {
			vs = append(vs, directoryViewOf(c))
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) { directoryTable(w, vs) })
	})
}

func cmdDirectoryRemove(fs *pflag.FlagSet) runFunc {
	id := fs.String("directory", "", "directory connection id")
	return teamCommand(fs, []string{"directory"}, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		c, err := s.GetDirectoryConnection(ctx, team, *id)
		if err != nil {
			return err
		}
		if err := s.DeleteDirectoryConnection(ctx, team, *id, e.operator()); err != nil {
			return err
		}
		v := directoryViewOf(c)
		return e.confirm(v, "removed directory connection %s (%s); its synced users stay", v.ID, v.URL)
	})
}

// runView is one run in `directory status`.
type runView struct {
	Directory  string     `json:"directory"`
	Kind       string     `json:"kind"`
	URL        string     `json:"url"`
	LastRun    *time.Time `json:"last_run"`
	Mode       string     `json:"mode,omitempty"`
	DryRun     bool       `json:"dry_run,omitempty"`
	DurationMS int64      `json:"duration_ms"`
	db.DirectoryCounts
	Error string `json:"error,omitempty"`
}

type statusView struct {
	Team string `json:"team"`
	runView
	Directories []runView `json:"directories"`
}

func cmdDirectoryStatus(fs *pflag.FlagSet) runFunc {
	only := fs.String("directory", "", "one directory connection id")
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		cs, err := s.ListDirectoryConnections(ctx, team)
		if err != nil {
			return err
		}
		out := statusView{Team: team, Directories: []runView{}}
		for _, c := range cs {
			if *only != "" && c.ID != *only {
				continue
			}
			rv := runView{Directory: c.ID, Kind: string(c.Kind), URL: c.URL}
			runs, err := s.ListDirectoryRuns(ctx, team, c.ID, 1)
			if err != nil {
				return err
			}
			if len(runs) == 1 {
				r := runs[0]
				at := r.StartedAt
				rv.LastRun, rv.Mode, rv.DryRun, rv.DurationMS, rv.DirectoryCounts, rv.Error = &at, r.Mode, r.DryRun, r.Duration.Milliseconds(), r.Counts, r.Error
			}
			out.Directories = append(out.Directories, rv)
			if rv.LastRun != nil && (out.LastRun == nil || rv.LastRun.After(*out.LastRun)) {
				out.runView = rv
			}
		}
		if *only != "" && len(out.Directories) == 0 {
			return db.Errorf(db.ErrNotFound, "directory_not_found", "directory connection %q does not exist in this team", *only)
		}
		return e.output(e.format, out, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "DIRECTORY\tLAST RUN\tMODE\tDURATION\tCREATED\tUPDATED\tDEACTIVATED\tDELETED\tUNCHANGED\tERROR")
			for _, r := range out.Directories {
				fmt.Fprintf(w, "%s\t%s\t%s\t%dms\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Directory, fmtTime(r.LastRun), r.Mode, r.DurationMS,
					r.Created, r.Updated, r.Deactivated, r.Deleted, r.Unchanged, r.Error)
			}
		})
	})
}

// syncView is the output of `roster sync`: the totals, then each run.
type syncView struct {
	Team   string `json:"team"`
	DryRun bool   `json:"dry_run"`
	db.DirectoryCounts
	PendingDeletes int                  `json:"pending_deletes,omitempty"`
	Error          string               `json:"error,omitempty"`
	Changes        []db.DirectoryChange `json:"changes,omitempty"`
	Runs           []directory.Report   `json:"runs"`
}

func cmdSync(fs *pflag.FlagSet) runFunc {
	only := fs.String("directory", "", "sync only this directory connection")
	dry := fs.Bool("dry-run", false, "report the planned changes, apply nothing")
	allow := fs.Bool("allow-deletes", false, "confirm removals above the deletion threshold")
	full := fs.Bool("full", false, "ignore the incremental cursor and read everything")
	// set by the check, read by the body:
	var cfg *Config
	return teamCommand(fs, nil, func(e *env, args []string) error {
		var err error
		cfg, err = e.Config()
		return err
	}, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		var cs []db.DirectoryConnection
		var err error
		if *only != "" {
			c, err := s.GetDirectoryConnection(ctx, team, *only)
			if err != nil {
				return err
			}
			cs = []db.DirectoryConnection{c}
		} else if cs, err = s.ListDirectoryConnections(ctx, team); err != nil {
			return err
		}
		if len(cs) == 0 {
			return db.Errorf(db.ErrNotFound, "directory_not_found", "team %s has no directory connection (roster directory add)", team)
		}
		syncer := newSyncer(e, cfg, s)
		out := syncView{Team: team, DryRun: *dry, Runs: []directory.Report{}}
		var errs []error
		for _, c := range cs {
			unlock, ok, err := s.TryLockDirectory(ctx, c.ID)
			if err != nil {
				return err
			}
			if !ok {
				errs = append(errs, fmt.Errorf("directory %s: another worker is syncing it right now", c.ID))
				continue
			}
			progress, done := syncProgress(e.Stderr, isTerminal(e.Stderr), e.format, "syncing "+c.ID+" (users read)")
			rep, err := syncer.Run(ctx, c, directory.Options{DryRun: *dry, AllowDeletes: *allow, Full: *full, Progress: progress})
			done()
			unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("directory %s: %w", c.ID, err))
			}
			out.DirectoryCounts.Add(rep.DirectoryCounts)
			out.PendingDeletes += rep.PendingDeletes
			out.Changes = append(out.Changes, rep.Changes...)
			rep.Changes = nil
			out.Runs = append(out.Runs, rep)
		}
		runErr := errors.Join(errs...)
		if runErr != nil {
			out.Error = runErr.Error()
		}
		if perr := e.output(e.format, out, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "CREATED\tUPDATED\tDEACTIVATED\tDELETED\tUNCHANGED\tSKIPPED\tCONFLICTS")
			fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%d\t%d\n", out.Created, out.Updated, out.Deactivated, out.Deleted, out.Unchanged, out.Skipped, out.Conflicts)
			for _, c := range out.Changes {
				fmt.Fprintf(w, "  %s %s %s%s %s\n", c.Action, c.Kind, c.Email, c.Name, c.Detail)
			}
		}); perr != nil {
			return perr
		}
		return runErr
	})
}

type groupView struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Source      string   `json:"source"`
	MemberCount int      `json:"member_count"`
	Members     []string `json:"members"` // emails, sorted by user id
}

// cmdDirectoryGroups lists the team's groups and member emails, to check
// what a sync produced (nested directory groups arrive flattened).
func cmdDirectoryGroups(fs *pflag.FlagSet) runFunc {
	return teamCommand(fs, nil, nil, func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error {
		vs := []groupView{}
		for after := ""; ; {
			gs, err := s.ListGroups(ctx, team, db.Page{After: after, Limit: 500})
			if err != nil {
				return err
			}
			for _, g := range gs {
				v := groupView{ID: g.ID, DisplayName: g.DisplayName, Source: string(g.Source), MemberCount: g.MemberCount, Members: []string{}}
				for mafter := ""; ; {
					ms, err := s.ListMembers(ctx, team, g.ID, db.Page{After: mafter, Limit: 5000})
					if err != nil {
						return err
					}
					for _, m := range ms {
						v.Members = append(v.Members, m.Email)
					}
					if len(ms) < 5000 {
						break
					}
					mafter = ms[len(ms)-1].UserID
				}
				vs = append(vs, v)
			}
			if len(gs) < 500 {
				break
			}
			after = gs[len(gs)-1].ID
		}
		return e.output(e.format, vs, func(w *tabwriter.Writer) {
			fmt.Fprintln(w, "ID\tNAME\tSOURCE\tMEMBERS")
			for _, v := range vs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.ID, v.DisplayName, v.Source, strings.Join(v.Members, ","))
			}
		})
	})
}
