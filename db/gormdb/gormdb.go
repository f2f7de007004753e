// Package gormdb implements db.Store on gorm for SQLite, PostgreSQL and
// MariaDB/MySQL. It is the only package that imports gorm or a SQL driver.
// Row structs are private; driver errors are translated to db's sentinels at
// this package's edge; migrations are versioned and embedded in the binary.
package gormdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/domain"
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
)

// Config configures Open.
type Config struct {
	// DSN is a file path or sqlite: URL, a postgres:// URL, or a mysql:// URL.
	DSN string
	// Classify decides new users' types; nil classifies everyone standard.
	Classify db.Classifier
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives slow-query and error logs; nil discards them.
	Logger *slog.Logger
	// SkipMigrate leaves the schema alone (for `roster migrate --status`).
	SkipMigrate bool
	// PlanDirectory decides what a directory batch does (directory.Plan,
	// issue 10 #2); ApplyDirectoryBatch applies its plan. nil refuses
	// directory batches.
	PlanDirectory db.DirectoryPlanner
	// sqliteDialector replaces the SQLite driver (the driver benchmark uses it).
	sqliteDialector func(path string) gorm.Dialector
}

// Store is the gorm implementation of db.Store.
type Store struct {
	db            *gorm.DB
	dialect       Dialect
	classify      db.Classifier
	now           func() time.Time
	log           *slog.Logger
	planDirectory db.DirectoryPlanner
	// ssoView (a db.SSOViewer) renders sso.* events' resource; SetSSOView.
	ssoView atomic.Value

	// commits runs every write transaction on SQLite (one writer at a
	// time, which is SQLite's model) and commits concurrent ones together
	// (groupcommit.go); nil on the other dialects, whose transactions run
	// on the pool.
	commits *groupCommit
}

var _ db.Store = (*Store)(nil)

// ParseDSN tells which dialect a DSN names and returns the driver's own DSN.
func ParseDSN(dsn string) (Dialect, string, error) {
	switch {
	case dsn == "":
		return "", "", db.Errorf(db.ErrInvalid, "database_required", "database is empty")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", "", malformedURL()
		}
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "mysql://"), strings.HasPrefix(dsn, "mariadb://"):
		d, err := mysqlDSN(dsn)
		return MySQL, d, err
	case strings.HasPrefix(dsn, "sqlite://"):
		return SQLite, sqlitePath(strings.TrimPrefix(dsn, "sqlite://")), nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite, sqlitePath(strings.TrimPrefix(dsn, "sqlite:")), nil
	case strings.Contains(dsn, "://"):
		return "", "", db.Errorf(db.ErrInvalid, "database_invalid", "database URL scheme not supported (use a file path, sqlite:, postgres:// or mysql://)")
	}
	return SQLite, sqlitePath(dsn), nil
}

// malformedURL is the error for a database URL that does not parse. It
// never repeats the URL or the parser's message, which quote the password.
func malformedURL() error {
	return db.Errorf(db.ErrInvalid, "database_invalid", "database URL is malformed: check the host and port, and that special characters in the user name and password are percent-encoded (the URL is not shown: it may hold a password)")
}

// RedactDSN returns dsn with the password of a URL's userinfo replaced by
// "xxxxx", for logs, error messages and configuration dumps; file paths and
// URLs without a password are returned unchanged. It also works on a URL
// that does not parse.
func RedactDSN(dsn string) string {
	i, at := userinfoEnd(dsn)
	if at < 0 {
		return dsn
	}
	rest := dsn[i:]
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return dsn
	}
	return dsn[:i] + user + ":xxxxx" + rest[at:]
}

// userinfoEnd returns where dsn's authority starts (after "://") and the
// offset from there of the '@' that ends its userinfo, or -1 if it has none.
// For a URL that parses, that is the last '@' before the path, as the
// drivers read it; for one that does not, the last '@' of all, so that an
// unescaped '@' or '/' in a password is still covered.
func userinfoEnd(dsn string) (start, at int) {
	i := strings.Index(dsn, "://")
	if i < 0 {
		return 0, -1
	}
	rest := dsn[i+3:]
	if _, err := url.Parse(dsn); err == nil {
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
	}
	return i + 3, strings.LastIndexByte(rest, '@')
}

// minBareSecret is the shortest password scrubbed wherever it appears;
// shorter ones are scrubbed in their ":password@" form only.
const minBareSecret = 4

// Mask is what a secret from DSNPasswords is replaced with: "xxxxx", or
// ":xxxxx@" for the ":password@" form of a short one.
func Mask(secret string) string {
	if len(secret) > 2 && strings.HasPrefix(secret, ":") && strings.HasSuffix(secret, "@") {
		return ":xxxxx@"
	}
	return "xxxxx"
}

// DSNPasswords returns the spellings of dsn's password (as written,
// percent-encoded and decoded) so that a caller can scrub them from what it
// prints; nil if dsn holds none.
func DSNPasswords(dsn string) []string { return dsnSecrets(dsn) }

// dsnSecrets returns the spellings of dsn's password (as written and
// percent-decoded) that must not appear in any error text.
func dsnSecrets(dsn string) []string {
	var out []string
	add := func(p string) {
		if p == "" {
			return
		}
		if len(p) < minBareSecret {
			// Scrubbing a very short password everywhere would garble every
			// message; scrub it where a DSN holds it.
			p = ":" + p + "@"
		}
		for _, o := range out {
			if o == p {
				return
			}
		}
		out = append(out, p)
	}
	// As the drivers read it...
	if u, err := url.Parse(dsn); err == nil && u.User != nil && u.Scheme != "" &&
		strings.HasPrefix(strings.ToLower(dsn), u.Scheme+"://") {
		if p, ok := u.User.Password(); ok {
			add(p)
			add(url.PathEscape(p))
			add(url.QueryEscape(p))
		}
	}
	// ...and as written, even when the URL does not parse.
	i, at := userinfoEnd(dsn)
	if at < 0 {
		return out
	}
	_, pass, ok := strings.Cut(dsn[i:i+at], ":")
	if !ok || pass == "" {
		return out
	}
	add(pass)
	if dec, err := url.PathUnescape(pass); err == nil {
		add(dec)
	}
	if dec, err := url.QueryUnescape(pass); err == nil {
		add(dec)
	}
	return out
}

// redactedError is an error whose text had a password scrubbed from it. It
// unwraps only to the db sentinel (or context error) the original wrapped, so
// no caller can reach the original text through the chain.
type redactedError struct {
	text string
	kind error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.kind }

// redact scrubs every spelling of the DSN's password from err's text
// (driver errors may echo the DSN). Errors that do not contain it pass
// through unchanged.
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	leaks := func(text string) bool {
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				return true
			}
		}
		return false
	}
	scrub := func(text string) string {
		for _, sec := range secrets {
			text = strings.ReplaceAll(text, sec, Mask(sec))
		}
		return text
	}
	var de *db.Error
	if errors.As(err, &de) && leaks(de.Message) {
		return &db.Error{Kind: de.Kind, Code: de.Code, Message: scrub(de.Message)}
	}
	if !leaks(err.Error()) {
		return err
	}
	out := &redactedError{text: scrub(err.Error())}
	for _, k := range []error{db.ErrUnavailable, db.ErrInvalid, db.ErrNotFound, db.ErrConflict, db.ErrStale,
		db.ErrForbidden, db.ErrRule, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, k) {
			out.kind = k
			break
		}
	}
	return out
}

// sqlitePath maps ":memory:" to a named shared in-memory database (one per
// Store, alive while it is open); other paths pass through.
func sqlitePath(path string) string {
	if path == ":memory:" || path == "" {
		return fmt.Sprintf("file:mem%d?mode=memory&cache=shared", time.Now().UnixNano())
	}
	return path
}

// withParams appends query parameters to a SQLite path.
func withParams(path, params string) string {
	if strings.Contains(path, "?") {
		return path + "&" + params
	}
	return path + "?" + params
}

// mysqlDSN turns mysql://user:pass@host:port/db?x=y into the go-sql-driver form.
func mysqlDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", malformedURL()
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	cred := user
	if pass != "" {
		cred += ":" + pass
	}
	host := u.Host
	if host == "" {
		host = "127.0.0.1:3306"
	}
	q := u.Query()
	q.Set("parseTime", "true")
	q.Set("charset", "utf8mb4")
	// Always binary, whatever the DSN asks: string literals then compare
	// case-exactly too, as every column does (issue 10 #3).
	q.Set("collation", "utf8mb4_bin")
	q.Set("loc", "UTC")
	return fmt.Sprintf("%s@tcp(%s)/%s?%s", cred, host, strings.TrimPrefix(u.Path, "/"), q.Encode()), nil
}

// stmtCacheTTL is how long gorm's statement caches (the readers' and the
// group-commit writer's) keep a statement: for good. gorm expires one 24
// hours after it was prepared and closes it while a request that has just
// taken it from the cache may still be about to run it ("sql: statement is
// closed", go-gorm/gorm#7831; an expired entry is also replaced without
// being closed, #7832). Ten years is the cache's own "never": no expiry, no
// sweeper. What bounds the caches instead is that the store's statement
// texts do not vary with values: values are parameters, IN lists come in
// chunks of bounded size (the hot ones padded: inStrings), no offset or id
// is written into SQL (limitOffset, foldUserCount). TestStatementCacheBounded
// holds it.
const stmtCacheTTL = 10 * 365 * 24 * time.Hour

// Open connects, migrates (unless SkipMigrate) and returns a Store. No error
// it returns contains the DSN's password (issue 9 #3).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	s, err := open(ctx, cfg)
	if err != nil {
		return nil, redact(err, dsnSecrets(cfg.DSN))
	}
	return s, nil
}

func open(ctx context.Context, cfg Config) (*Store, error) {
	dialect, dsn, err := ParseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	var dial gorm.Dialector
	switch dialect {
	case SQLite:
		dial = openSQLite(dsn)
		if cfg.sqliteDialector != nil {
			dial = cfg.sqliteDialector(dsn)
		}
	case Postgres:
		dial = postgres.Open(dsn)
	case MySQL:
		dial = gormmysql.Open(dsn)
	}
	g, err := gorm.Open(dial, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		// gorm's statement cache, except on PostgreSQL. A statement gorm
		// first prepares inside a transaction is kept bound to that
		// transaction, so database/sql prepares it again in every later
		// one and closes it at the end: on PostgreSQL three round trips
		// (Parse, Bind/Execute, Close) per statement of every write, where
		// pgx's own per-connection statement cache needs one (issue 15:
		// measured in the PostgreSQL server's log). SQLite's writer owns
		// one connection for good, so there the cache pays.
		PrepareStmt:                              dialect != Postgres,
		PrepareStmtTTL:                           stmtCacheTTL,
		DisableForeignKeyConstraintWhenMigrating: true,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, unavailable(err))
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if err := registerTextGuard(g); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	switch dialect {
	case SQLite:
		// One writer at a time is SQLite's model: one connection is the
		// group commit's (below), eight more serve readers.
		sqlDB.SetMaxOpenConns(9)
	default:
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(32)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
	}
	s := &Store{db: g, dialect: dialect, classify: cfg.Classify, now: cfg.Now, log: cfg.Logger,
		planDirectory: cfg.PlanDirectory}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.classify == nil {
		s.classify = func(db.Policy, string, db.Source, bool) db.UserType { return db.TypeStandard }
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, unavailable(err))
	}
	if !cfg.SkipMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			sqlDB.Close()
			return nil, err
		}
	}
	if dialect == SQLite {
		if s.commits, err = startGroupCommit(pctx, g, sqlDB); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
		}
	}
	return s, nil
}

// emailDomain is the users.email_domain of an email: db.EmailDomain, then
// domain.EmailDomain, the one IDN normaliser (issue 10 #2).
func (s *Store) emailDomain(email string) string {
	d := db.EmailDomain(email)
	if d != "" {
		d = domain.EmailDomain(d)
	}
	return d
}

// Dialect tells which database the store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks the database is reachable (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return unavailable(err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// PoolStats is the connection pool's statistics (for the metrics).
func (s *Store) PoolStats() sql.DBStats {
	sqlDB, err := s.db.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return sqlDB.Stats()
}

// BackupSQLite writes a consistent copy of a SQLite database to path with
// VACUUM INTO, while the server keeps running (readers and writers are not
// stopped). path must not exist. Other dialects answer ErrInvalid with the
// code backup_unsupported: back them up with pg_dump or mariadb-dump.
func (s *Store) BackupSQLite(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return db.Errorf(db.ErrInvalid, "backup_unsupported", "roster backup copies SQLite databases; back up %s with its own tool (pg_dump, mariadb-dump)", s.dialect)
	}
	if _, err := os.Stat(path); err == nil {
		return db.Errorf(db.ErrConflict, "backup_exists", "%s already exists; choose a new file", path)
	}
	if err := s.conn(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// Close stops the SQLite writer and closes the connection pool.
func (s *Store) Close() error {
	if s.commits != nil {
		s.commits.close()
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// nowUTC is the store's clock, in UTC with millisecond precision (what every
// dialect keeps), so values read back compare equal.
func (s *Store) nowUTC() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// tx runs fn in a transaction on ctx, translating errors. On SQLite it is
// the group commit's (fn may then run twice, see groupCommit); elsewhere a
// transaction on the pool.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.commits != nil {
		return translate(s.commits.run(ctx, fn))
	}
	return translate(s.db.WithContext(ctx).Transaction(fn))
}

// conn is the plain (non-transactional) handle bound to ctx.
func (s *Store) conn(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", db.ErrUnavailable, err)
}

// isUniqueViolation recognises each driver's duplicate-key error.
func isUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // sqlite
		strings.Contains(msg, "SQLSTATE 23505") || // postgres
		strings.Contains(msg, "Error 1062") // mysql
}

// isSerialization recognises deadlocks and serialization failures, which mean
// a concurrent writer won.
func isSerialization(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 40001") || strings.Contains(msg, "SQLSTATE 40P01") ||
		strings.Contains(msg, "Error 1213") || strings.Contains(msg, "Error 1205")
}

// translate maps driver errors to db sentinels; domain errors pass through.
// This is the only place that looks at a driver's error.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var de *db.Error
	if errors.As(err, &de) {
		return err
	}
	for _, s := range []error{db.ErrNotFound, db.ErrConflict, db.ErrStale, db.ErrInvalid, db.ErrForbidden, db.ErrRule, db.ErrUnavailable} {
		if errors.Is(err, s) {
			return err
		}
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return db.ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %v", db.ErrConflict, err)
	case isSerialization(err):
		return fmt.Errorf("%w: %v", db.ErrStale, err)
	case isUnavailable(err):
		return unavailable(err)
	case isInvalidText(err):
		return db.Errorf(db.ErrInvalid, "invalid_text", "a value is not valid UTF-8 or contains a NUL character")
	}
	return err
}

// isUnavailable recognises a database that cannot serve the statement now
// but may later (issue 9 #9): a lost or refused connection on any driver, a
// server shutting down or out of connections (PostgreSQL classes 08, 57P0x,
// 53300; MariaDB 1040, 1053, 1203), and SQLite's busy and locked results.
// Callers answer 503 with Retry-After, never 500 or 401.
func isUnavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch c := pe.Code; {
		case strings.HasPrefix(c, "08"), c == "57P01", c == "57P02", c == "57P03", c == "53300":
			return true
		}
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, 1053, 1203, 2002, 2003, 2006, 2013:
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{
		"database is closed", "connection refused", "bad connection", "conn closed", // sql, pgx
		"database is locked", "database table is locked", // SQLite busy / locked (both drivers)
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isInvalidText recognises the servers' own refusal of bad text (PostgreSQL
// 22021 and 22P05, MariaDB 1366), should any reach them past the text guard.
func isInvalidText(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "22021" || pe.Code == "22P05"
	}
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1366
}
