package gormdb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// The schema history: numbered SQL files per dialect, run by goose (see the
// README's "Schema history"). 00001_baseline is the schema the release before
// issue 10 made with gorm AutoMigrate; later files change it.
//
//go:embed migrations
var migrationFiles embed.FS

// gooseTable is goose's version table.
const gooseTable = "goose_db_version"

// legacyTable and legacyIDs are the bookkeeping of the release before the
// goose history: a database it made has every one of these ids, and then has
// exactly the baseline schema.
const legacyTable = "schema_migrations"

var legacyIDs = []string{"0001_core", "0002_settings", "0100_scim_user_emails", "0101_scim_sort_indexes",
	"0102_user_emails_backfill", "0103_primary_admin_emails_backfill", "0200_directory", "0300_sso", "0400_policy"}

// baselineVersion is the goose version of 00001_baseline.sql.
const baselineVersion = 1

func gooseDialect(d Dialect) (goose.Dialect, string) {
	switch d {
	case Postgres:
		return goose.DialectPostgres, "postgres"
	case MySQL:
		return goose.DialectMySQL, "mysql"
	default:
		return goose.DialectSQLite3, "sqlite"
	}
}

func (s *Store) provider() (*goose.Provider, *sql.DB, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, nil, err
	}
	gd, dir := gooseDialect(s.dialect)
	sub, err := fs.Sub(migrationFiles, path.Join("migrations", dir))
	if err != nil {
		return nil, nil, err
	}
	p, err := goose.NewProvider(gd, sqlDB, sub, goose.WithDisableGlobalRegistry(true), goose.WithTableName(gooseTable))
	if err != nil {
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return p, sqlDB, nil
}

// Migrate applies pending migrations in order and returns the names of those
// it applied (a legacy database's baseline, recorded without running, too).
// On PostgreSQL an advisory lock, on MariaDB a named lock, keeps replicas
// starting together from racing.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	p, sqlDB, err := s.provider()
	if err != nil {
		return nil, err
	}
	unlock, err := s.migrationLock(ctx, sqlDB)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var ran []string
	adopted, err := s.adoptLegacy(ctx, p, sqlDB)
	if err != nil {
		return nil, err
	}
	if adopted {
		ran = append(ran, "00001_baseline")
	}
	res, err := p.Up(ctx)
	for _, r := range res {
		ran = append(ran, migrationName(r.Source))
	}
	if err != nil {
		return ran, fmt.Errorf("migrate: %w", translate(err))
	}
	return ran, nil
}

// Pending lists the migrations not yet applied, by name (00001_baseline on a
// legacy database is one: Migrate records it). It writes nothing.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	p, _, err := s.provider()
	if err != nil {
		return nil, err
	}
	if !s.db.WithContext(ctx).Migrator().HasTable(gooseTable) {
		// goose's Status would create its table; nothing is applied yet.
		var out []string
		for _, src := range p.ListSources() {
			out = append(out, migrationName(src))
		}
		return out, nil
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", translate(err))
	}
	var out []string
	for _, m := range st {
		if m.State == goose.StatePending {
			out = append(out, migrationName(m.Source))
		}
	}
	return out, nil
}

func migrationName(src *goose.Source) string {
	return strings.TrimSuffix(path.Base(src.Path), ".sql")
}

// adoptLegacy recognises a database made by the release before the goose
// history (it has schema_migrations, and goose has not recorded the
// baseline): if every legacy id is there its schema is the baseline, which
// is recorded as applied without running it. A database missing some is
// refused: only that older release knows how to bring it to the baseline.
func (s *Store) adoptLegacy(ctx context.Context, p *goose.Provider, sqlDB *sql.DB) (bool, error) {
	if !s.db.WithContext(ctx).Migrator().HasTable(legacyTable) {
		return false, nil
	}
	// Creates goose's table (with its version 0) if it is not there yet.
	if _, err := p.GetDBVersion(ctx); err != nil {
		return false, fmt.Errorf("migrate: %w", translate(err))
	}
	gd, _ := gooseDialect(s.dialect)
	st, err := database.NewStore(gd, gooseTable)
	if err != nil {
		return false, err
	}
	if _, err := st.GetMigration(ctx, sqlDB, baselineVersion); err == nil {
		return false, nil
	} else if !errors.Is(err, database.ErrVersionNotFound) {
		return false, fmt.Errorf("migrate: %w", translate(err))
	}
	var ids []string
	if err := s.db.WithContext(ctx).Table(legacyTable).Pluck("id", &ids).Error; err != nil {
		return false, fmt.Errorf("migrate: read %s: %w", legacyTable, translate(err))
	}
	have := map[string]bool{}
	for _, id := range ids {
		have[id] = true
	}
	var missing []string
	for _, id := range legacyIDs {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return false, fmt.Errorf("migrate: this database was made by an older Roster release and lacks its migrations %s: "+
			"upgrade through the last release with legacy migrations (the one whose `roster migrate --status` knows 0400_policy) first, "+
			"then run this one", strings.Join(missing, ", "))
	}
	if err := st.Insert(ctx, sqlDB, database.InsertRequest{Version: baselineVersion}); err != nil {
		return false, fmt.Errorf("migrate: record baseline: %w", translate(err))
	}
	return true, nil
}

// migrationLock takes the cluster-wide migration lock on a connection of its
// own (session locks belong to a connection) and returns its release.
func (s *Store) migrationLock(ctx context.Context, sqlDB *sql.DB) (func(), error) {
	var lock, unlock string
	switch s.dialect {
	case Postgres:
		lock, unlock = "SELECT pg_advisory_lock(7401001)", "SELECT pg_advisory_unlock(7401001)"
	case MySQL:
		// A named lock lasts until released or the session ends; wait up to 10 minutes.
		lock, unlock = "SELECT GET_LOCK('roster_migrate', 600)", "SELECT RELEASE_LOCK('roster_migrate')"
	default:
		return func() {}, nil
	}
	c, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	var got any
	if err := c.QueryRowContext(ctx, lock).Scan(&got); err != nil {
		c.Close()
		return nil, unavailable(err)
	}
	if s.dialect == MySQL && fmt.Sprint(got) != "1" && fmt.Sprintf("%s", got) != "1" {
		c.Close()
		return nil, unavailable(fmt.Errorf("migrate: timed out waiting for the roster_migrate lock"))
	}
	return func() {
		var ignored any
		c.QueryRowContext(context.WithoutCancel(ctx), unlock).Scan(&ignored)
		c.Close()
	}, nil
}
