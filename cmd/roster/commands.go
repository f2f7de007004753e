package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// env is what a command runs with: streams, configuration, store and clock.
type env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Log            *slog.Logger
	Now            func() time.Time

	configPath, databaseFlag string
	format                   string // -o: table or json
	create                   bool   // --create, serve and migrate: a missing SQLite file is created
	cfg                      *Config
	store                    *gormdb.Store
	warnings                 []string
	// wrapHandler, when set (by tests), wraps serve's HTTP handler: the
	// suite checks every admin API exchange against the OpenAPI document.
	wrapHandler func(http.Handler) http.Handler
}

// usageError marks a mistake in how the command was called (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Config loads and validates the configuration once.
func (e *env) Config() (*Config, error) {
	if e.cfg != nil {
		return e.cfg, nil
	}
	cfg, err := LoadConfig(e.configPath, e.Getenv)
	if err != nil {
		return nil, err
	}
	if e.databaseFlag != "" {
		cfg.Database = e.databaseFlag
	}
	e.cfg = cfg
	return cfg, nil
}

// Store opens the configured database (migrating it) once per command.
func (e *env) Store(ctx context.Context) (*gormdb.Store, error) {
	if e.store != nil {
		return e.store, nil
	}
	cfg, err := e.Config()
	if err != nil {
		return nil, err
	}
	if err := e.checkDatabaseExists(cfg); err != nil {
		return nil, err
	}
	s, err := openStore(ctx, cfg, e.Log, false)
	if err != nil {
		return nil, err
	}
	e.store = s
	return s, nil
}

// checkDatabaseExists refuses a SQLite database file that does not exist,
// unless the command creates databases (serve, migrate) or --create is
// given: a mistyped path must not silently become a fresh empty database
// (issue 10 #5).
func (e *env) checkDatabaseExists(cfg *Config) error {
	if e.create {
		return nil
	}
	d, path, err := gormdb.ParseDSN(cfg.Database)
	if err != nil || d != gormdb.SQLite {
		return nil // the store reports a bad DSN; servers exist or not on their own
	}
	if strings.Contains(path, "mode=memory") {
		return nil
	}
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return db.Errorf(db.ErrNotFound, "database_not_found",
			"database file %s does not exist (create it with `roster migrate`, `roster serve` or --create)", path)
	}
	return nil
}

// settingBaseURL is the settings key under which serve records its base URL.
const settingBaseURL = "base_url"

// BaseURL is the public URL the CLI prints in SCIM, API and SSO URLs. With
// base_url configured (file or ROSTER_BASE_URL) it is that; otherwise the
// base URL a configured `roster serve` recorded in the database; otherwise
// the localhost default, with a warning on stderr (issue 9 #16c).
func (e *env) BaseURL(ctx context.Context) (string, error) {
	cfg, err := e.Config()
	if err != nil {
		return "", err
	}
	if !cfg.baseURLDefault {
		return cfg.BaseURL, nil
	}
	s, err := e.Store(ctx)
	if err != nil {
		return "", err
	}
	v, err := s.Setting(ctx, settingBaseURL)
	switch {
	case err == nil && v != "":
		return v, nil
	case err != nil && !errors.Is(err, db.ErrNotFound):
		return "", err
	}
	e.warn("base_url is not set (ROSTER_BASE_URL or base_url in the config file) and no configured `roster serve` has recorded one; the URLs printed assume " + cfg.BaseURL)
	return cfg.BaseURL, nil
}

// warn queues a warning that a successful command prints on stderr after
// its output (a failing command prints only its error line).
func (e *env) warn(msg string) {
	for _, w := range e.warnings {
		if w == msg {
			return
		}
	}
	e.warnings = append(e.warnings, msg)
}

// operator is the audit actor for CLI commands run directly on the database.
func (e *env) operator() db.Actor {
	name := e.Getenv("USER")
	if name == "" {
		name = "operator"
	}
	return db.Actor{Kind: db.ActorOperator, ID: "cli", Name: name}
}

// required checks that the named flags were given a non-empty value.
func required(fs *pflag.FlagSet, names ...string) error {
	for _, n := range names {
		f := fs.Lookup(n)
		if f == nil || strings.TrimSpace(f.Value.String()) == "" {
			return usagef("--%s is required", n)
		}
	}
	return nil
}

// output writes v as indented JSON, or calls table to write a readable table.
func (e *env) output(format string, v any, table func(w *tabwriter.Writer)) error {
	switch format {
	case "json":
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "table", "":
		tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		table(tw)
		return tw.Flush()
	}
	return usagef("unknown output format %q (use table or json)", format)
}

// run is the whole program: it parses global flags, dispatches the
// subcommand and returns the exit code. Tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{Stdout: stdout, Stderr: stderr, Getenv: getenv, Now: time.Now}
	rest, err := e.globalFlags(args)
	// Nothing written to stderr (errors, logs) may show the database
	// password, whatever a driver puts in its errors (issue 9 #3).
	dsn := getenv("ROSTER_DATABASE")
	if cfg, cerr := e.Config(); cerr == nil {
		dsn = cfg.Database
	}
	if pw := append(gormdb.DSNPasswords(dsn), gormdb.DSNPasswords(e.databaseFlag)...); len(pw) > 0 {
		stderr = newRedactingWriter(stderr, pw)
		e.Stderr = stderr
	}
	if err == nil {
		e.Log, err = newLogger(e, stderr)
	}
	if err == nil {
		root := newRootCmd(e)
		root.SetArgs(goStyleFlags(root, rest))
		err = root.ExecuteContext(ctx)
	}
	if e.store != nil {
		e.store.Close()
	}
	if err == nil {
		for _, w := range e.warnings {
			fmt.Fprintln(stderr, "roster: warning: "+w)
		}
		return 0
	}
	fmt.Fprintln(stderr, "roster: "+errorLine(err))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// errorLine is the line a failing command prints (a refused multi-row
// request adds one indented line per refused row).
func errorLine(err error) string {
	var re *db.RowErrors
	if errors.As(err, &re) {
		lines := []string{re.Err.Message + ":"}
		for _, r := range re.Rows {
			lines = append(lines, fmt.Sprintf("row %d (%s): %s [%s]", r.Row, r.Email, r.Message, r.Code))
		}
		return strings.Join(lines, "\n  ")
	}
	var de *db.Error
	if errors.As(err, &de) {
		return de.Message
	}
	// one line, whatever the driver said
	return strings.Join(strings.Fields(err.Error()), " ")
}

// globalFlags removes --config and --database (anywhere in args).
func (e *env) globalFlags(args []string) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "config" && name != "database") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, usagef("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if name == "config" {
			e.configPath = val
		} else {
			e.databaseFlag = val
		}
	}
	return rest, nil
}

func newLogger(e *env, w io.Writer) (*slog.Logger, error) {
	// Logging settings come from the environment/config when present; the
	// config is loaded lazily, so a bad config only fails commands that need it.
	format, level := e.Getenv("ROSTER_LOG_FORMAT"), e.Getenv("ROSTER_LOG_LEVEL")
	if cfg, err := e.Config(); err == nil {
		format, level = cfg.Log.Format, cfg.Log.Level
	}
	return buildLogger(w, format, level), nil
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// confirm reports a change: a human line in table mode, the changed object
// as JSON in json mode. It goes to stdout, like every command's output.
func (e *env) confirm(v any, format string, args ...any) error {
	return e.output(e.format, v, func(w *tabwriter.Writer) { fmt.Fprintf(w, format+"\n", args...) })
}

// resolveTeam returns the id of the team whose id or (exact, unique) name is
// ref. A name several teams share is an error listing their ids.
func resolveTeam(ctx context.Context, s db.Store, ref string) (string, error) {
	t, err := s.GetTeam(ctx, ref)
	if err == nil {
		return t.ID, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return "", err
	}
	teams, lerr := s.ListTeams(ctx)
	if lerr != nil {
		return "", lerr
	}
	var ids []string
	for _, t := range teams {
		if t.Name == ref {
			ids = append(ids, t.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", err
	case 1:
		return ids[0], nil
	}
	return "", db.Errorf(db.ErrConflict, "team_ambiguous", "%d teams are named %q (%s); give --team the id", len(ids), ref, strings.Join(ids, ", "))
}

// teamFlag adds --team, which takes a team's id or its unique name.
func teamFlag(fs *pflag.FlagSet) *string {
	return fs.String("team", "", "the team: its id, or its name when no other team has that name")
}

// teamBody is a team-scoped command's body: s is the store and team the
// team's id (--team resolved from an id or a unique name).
type teamBody func(ctx context.Context, e *env, s *gormdb.Store, team string, args []string) error

// teamCommand declares --team and builds a team-scoped command on the start
// every such command shares: it requires --team and the flags named in need
// (non-empty), runs check when given (the command's own checks of its flags
// and arguments, made before any database is opened; what it computes for
// the body it leaves in variables of the command's builder), opens the
// store, resolves the team, given by id or by unique name (issue 10 #5),
// and runs body with the team's id.
func teamCommand(fs *pflag.FlagSet, need []string, check func(e *env, args []string) error, body teamBody) runFunc {
	team := teamFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		if err := required(fs, append([]string{"team"}, need...)...); err != nil {
			return err
		}
		if check != nil {
			if err := check(e, args); err != nil {
				return err
			}
		}
		s, err := e.Store(ctx)
		if err != nil {
			return err
		}
		id, err := resolveTeam(ctx, s, *team)
		if err != nil {
			return err
		}
		return body(ctx, e, s, id, args)
	}
}
