package gormdb

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"gorm.io/gorm"
)

// migration is one versioned, embedded schema change. IDs sort in the order
// they apply; feature areas use their own ranges (0001-0099 core, 0100 SCIM,
// 0200 directory, 0300 SSO, 0400 role policy) so areas never collide. The
// applied set is tracked, not just the highest ID, so an area's later
// migration still runs on a database that has another area's newer one.
type migration struct {
	ID string
	Up func(tx *gorm.DB, d Dialect) error
}

var (
	migrationsMu sync.Mutex
	migrations   []migration
)

// register adds migrations; each area's file calls it from init.
func register(ms ...migration) {
	migrationsMu.Lock()
	defer migrationsMu.Unlock()
	migrations = append(migrations, ms...)
	sort.Slice(migrations, func(i, j int) bool { return migrations[i].ID < migrations[j].ID })
}

type schemaMigration struct {
	ID        string `gorm:"primaryKey;size:100"`
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// Migrate applies pending migrations in order and returns the IDs it applied.
// On PostgreSQL an advisory lock keeps two starting replicas from racing.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	g := s.db.WithContext(ctx)
	if s.dialect == Postgres {
		conn, err := g.DB()
		if err != nil {
			return nil, err
		}
		c, err := conn.Conn(ctx)
		if err != nil {
			return nil, unavailable(err)
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock(7401001)"); err != nil {
			return nil, unavailable(err)
		}
		defer c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7401001)")
	}
	if err := g.AutoMigrate(&schemaMigration{}); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", translate(err))
	}
	var done []schemaMigration
	if err := g.Find(&done).Error; err != nil {
		return nil, fmt.Errorf("migrate: read applied: %w", translate(err))
	}
	applied := map[string]bool{}
	for _, m := range done {
		applied[m.ID] = true
	}
	migrationsMu.Lock()
	all := append([]migration(nil), migrations...)
	migrationsMu.Unlock()
	var ran []string
	for _, m := range all {
		if applied[m.ID] {
			continue
		}
		// MySQL commits DDL implicitly; the marker row is written after Up, so a
		// failed Up is retried on the next start (each Up is idempotent).
		if err := m.Up(g, s.dialect); err != nil {
			return ran, fmt.Errorf("migrate %s: %w", m.ID, translate(err))
		}
		if err := g.Create(&schemaMigration{ID: m.ID, AppliedAt: time.Now().UTC()}).Error; err != nil {
			return ran, fmt.Errorf("migrate %s: record: %w", m.ID, translate(err))
		}
		ran = append(ran, m.ID)
	}
	return ran, nil
}

// Pending lists migrations not yet applied.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	g := s.db.WithContext(ctx)
	var done []schemaMigration
	if g.Migrator().HasTable(&schemaMigration{}) {
		if err := g.Find(&done).Error; err != nil {
			return nil, translate(err)
		}
	}
	applied := map[string]bool{}
	for _, m := range done {
		applied[m.ID] = true
	}
	var out []string
	migrationsMu.Lock()
	defer migrationsMu.Unlock()
	for _, m := range migrations {
		if !applied[m.ID] {
			out = append(out, m.ID)
		}
	}
	return out, nil
}

// autoMigrate creates or extends tables for row structs. On MySQL/MariaDB
// tables use a binary collation: Roster compares case-insensitively only
// through its own lower-cased columns, so every other comparison (externalId,
// ids, cursors) must be case-exact, as it is on SQLite and PostgreSQL.
func autoMigrate(tx *gorm.DB, d Dialect, models ...any) error {
	if d == MySQL {
		tx = tx.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
	}
	return tx.AutoMigrate(models...)
}
