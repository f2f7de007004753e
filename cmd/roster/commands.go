package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
)

// command is one subcommand, addressed by its words ("team create").
type command struct {
	Path    string
	Summary string
	Run     func(ctx context.Context, e *env, args []string) error
}

var (
	commandsMu sync.Mutex
	commands   = map[string]command{}
)

// registerCommand adds a subcommand; feature files call it from init.
func registerCommand(c command) {
	commandsMu.Lock()
	defer commandsMu.Unlock()
	if _, dup := commands[c.Path]; dup {
		panic("duplicate command " + c.Path)
	}
	commands[c.Path] = c
}

// env is what a command runs with: streams, configuration, store and clock.
type env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Log            *slog.Logger
	Now            func() time.Time

	configPath, databaseFlag string
	cfg                      *Config
	store                    *gormdb.Store
	warnings                 []string
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
	s, err := openStore(ctx, cfg, e.Log, false)
	if err != nil {
		return nil, err
	}
	e.store = s
	return s, nil
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

// newFlags makes a flag set for a command that reports errors instead of exiting.
func newFlags(path string) *flag.FlagSet {
	fs := flag.NewFlagSet("roster "+path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// outputFlag adds -o/--output (table or json).
func outputFlag(fs *flag.FlagSet) *string {
	o := new(string)
	fs.StringVar(o, "o", "table", "output format: table or json")
	fs.StringVar(o, "output", "table", "output format: table or json")
	return o
}

// parseFlags parses and rejects stray positional arguments unless allowed.
func parseFlags(fs *flag.FlagSet, args []string, positional bool) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usagef("usage: %s", flagUsage(fs))
		}
		return usagef("%v", err)
	}
	if !positional && fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// required checks that the named flags were given a non-empty value.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		f := fs.Lookup(n)
		if f == nil || strings.TrimSpace(f.Value.String()) == "" {
			return usagef("--%s is required", n)
		}
	}
	return nil
}

func flagUsage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "output" {
			return
		}
		fmt.Fprintf(&b, " [--%s]", f.Name)
	})
	return b.String()
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
		err = e.dispatch(ctx, rest)
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

// errorLine is the one line a failing command prints.
func errorLine(err error) string {
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

func (e *env) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		e.help()
		if len(args) == 0 {
			return usagef("a command is required")
		}
		return nil
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(e.Stdout, "roster "+version)
		return nil
	}
	commandsMu.Lock()
	var c command
	var ok bool
	n := 0
	for words := min(3, len(args)); words >= 1 && !ok; words-- {
		c, ok = commands[strings.Join(args[:words], " ")]
		n = words
	}
	commandsMu.Unlock()
	if !ok {
		return usagef("unknown command %q (see roster help)", strings.Join(args[:min(2, len(args))], " "))
	}
	return c.Run(ctx, e, args[n:])
}

func (e *env) help() {
	fmt.Fprintln(e.Stdout, "roster: account administration (SCIM, directory sync, SAML SSO, role policy)\n\nusage: roster [--config FILE] [--database DSN] COMMAND [flags]\n\ncommands:")
	commandsMu.Lock()
	paths := make([]string, 0, len(commands))
	for p := range commands {
		paths = append(paths, p)
	}
	commandsMu.Unlock()
	sort.Strings(paths)
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	for _, p := range paths {
		fmt.Fprintf(tw, "  %s\t%s\n", p, commands[p].Summary)
	}
	tw.Flush()
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

var _ = os.Stdout

// teamStore is the common start of a team-scoped command: it parses the
// flags (no positional arguments), requires --team and the other named flags,
// opens the store and checks that the team exists.
func (e *env) teamStore(ctx context.Context, fs *flag.FlagSet, args []string, team *string, requiredFlags ...string) (*gormdb.Store, error) {
	if err := parseFlags(fs, args, false); err != nil {
		return nil, err
	}
	if err := required(fs, append([]string{"team"}, requiredFlags...)...); err != nil {
		return nil, err
	}
	s, err := e.Store(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.GetTeam(ctx, *team); err != nil {
		return nil, err
	}
	return s, nil
}
