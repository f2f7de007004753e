package gormdb_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/db"
	"github.com/roster-dev/roster/db/gormdb"
	"github.com/roster-dev/roster/db/gormdb/gormdbtest"
)

// fixtureDB loads the pre-goose release's populated database of dialect d
// (testdata/upgrade) into a fresh database and returns its DSN.
func fixtureDB(t *testing.T, d gormdb.Dialect) string {
	t.Helper()
	dsn := gormdbtest.DSN(t, d)
	conn, _ := gormdbtest.RawDB(t, dsn)
	gormdbtest.LoadSQL(t, conn, filepath.Join("testdata", "upgrade", gormdbtest.Name(d)+".sql"))
	return dsn
}

// TestUpgradeFromLegacyRelease: a database created and filled by the release
// before the goose history (gorm AutoMigrate under schema_migrations) is
// recognised, its baseline recorded without running, later migrations run,
// and every row survives; the store then reads and writes it. On MariaDB the
// fixture has 11 case-insensitive tables, which the upgrade makes binary.
// issue 10 #3
func TestUpgradeFromLegacyRelease(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			dsn := fixtureDB(t, d)
			conn, _ := gormdbtest.RawDB(t, dsn)
			before := gormdbtest.Snapshot(t, conn, d)
			if len(before["users"]) != 5 || len(before["audit_log"]) == 0 {
				t.Fatalf("fixture not loaded: %d users, %d audit rows", len(before["users"]), len(before["audit_log"]))
			}
			if d == gormdb.MySQL && len(gormdbtest.NonBinaryTextColumns(t, conn)) == 0 {
				t.Fatal("the MariaDB fixture should have the legacy case-insensitive columns")
			}

			s, err := gormdb.Open(ctx, gormdb.Config{DSN: dsn, SkipMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := []string{"00001_baseline"}
			if d == gormdb.MySQL {
				want = append(want, "00002_binary_collation")
			}
			// Migrations after the baseline, in order.
			want = append(want, "00010_members", "00011_projects", "00012_invitations", "00013_seats",
				"00020_account_roles_contracts", "00030_events", "00040_console", "00041_webhooks", "00042_internal_seats",
				"00045_directory_pending_deletes", "00046_console_totp", "00047_console_throttle", "00048_product_mappings", "00049_users_company_sort", "00055_directory_leases", "00063_event_retention", "00068_user_counts")
			pending, err := s.Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, pending); diff != "" {
				t.Errorf("pending before upgrade (-want +got):\n%s", diff)
			}
			ran, err := s.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, ran); diff != "" {
				t.Errorf("migrations run (-want +got):\n%s", diff)
			}
			if again, err := s.Migrate(ctx); err != nil || len(again) != 0 {
				t.Errorf("second Migrate = %v, %v; want nothing to do", again, err)
			}
			// 00020 (issue 12) adds the account ladder: the first team's
			// primary admin becomes the owner (R-OWN-1), a contract gets its
			// id as number and no products or seats; nothing else changes.
			// A fresh connection: PostgreSQL refuses cached plans of altered tables.
			conn, _ = gormdbtest.RawDB(t, dsn)
			after := gormdbtest.Snapshot(t, conn, d)
			owners := after["account_members"]
			if len(owners) != 1 || !strings.Contains(owners[0], " | primary.admin@acme.test | Primary.Admin@Acme.test | Pat | Primary | owner | active | ") {
				t.Errorf("account owners after the upgrade = %q, want the fixture's primary admin", owners)
			}
			for i, r := range before["contracts"] {
				before["contracts"][i] = r + " | " + strings.SplitN(r, " | ", 2)[0] + " |  | 0"
			}
			for i, r := range before["directory_runs"] {
				before["directory_runs"][i] = r + " | 0 | 0" // 00045: pending_deletes, delete_limit
			}
			for i, r := range before["users"] {
				before["users"][i] = r + " | " // 00049: company_lower, '' (the fixture has no member profiles)
			}
			delete(after, "account_members")
			if len(after["contract_users"]) == 0 {
				delete(after, "contract_users")
			}
			for table := range after {
				if _, old := before[table]; !old {
					delete(after, table) // a table a later migration added (products seeds rows)
				}
			}
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("rows changed by the upgrade (-before +after):\n%s", diff)
			}
			if d == gormdb.MySQL {
				if bad := gormdbtest.NonBinaryTextColumns(t, conn); len(bad) > 0 {
					t.Errorf("text columns still not case-exact after the upgrade: %v", bad)
				}
			}
			checkFixtureStore(t, s)
		})
	}
}

// checkFixtureStore reads the fixture's data through the store and writes to it.
func checkFixtureStore(t *testing.T, s *gormdb.Store) {
	t.Helper()
	ctx := context.Background()
	h := sha256.Sum256([]byte("fixture-scim-secret"))
	tok, err := s.TokenByHash(ctx, h[:])
	if err != nil {
		t.Fatalf("fixture token: %v", err)
	}
	team, err := s.GetTeam(ctx, tok.TeamID)
	if err != nil || team.Name != "Fixture Team" {
		t.Fatalf("fixture team = %+v, %v", team, err)
	}
	alice, err := s.FindUser(ctx, team.ID, db.UserKey{Email: "ALICE@acme.TEST"})
	if err != nil || alice.FirstName != "Alice" {
		t.Fatalf("find alice by email = %+v, %v", alice, err)
	}
	// externalId is case-exact: "EXT-a" is Alice's, "ext-A" is Bob's.
	for ext, first := range map[string]string{"EXT-a": "Alice", "ext-A": "Bob"} {
		u, err := s.FindUser(ctx, team.ID, db.UserKey{ExternalID: ext})
		if err != nil || u.FirstName != first {
			t.Errorf("find by externalId %q = %q, %v; want %s", ext, u.FirstName, err, first)
		}
	}
	primary, err := s.FindUser(ctx, team.ID, db.UserKey{Email: "primary.admin@acme.test"})
	if err != nil || primary.ID != team.PrimaryUserID {
		t.Fatalf("find primary admin = %+v, %v", primary, err)
	}
	emails, err := s.UserEmails(ctx, team.ID, []string{primary.ID})
	if err != nil || len(emails[primary.ID]) != 1 || emails[primary.ID][0].Value != "Primary.Admin@Acme.test" {
		t.Errorf("primary admin's email index = %+v, %v", emails[primary.ID], err)
	}
	cfg, err := s.GetSSOConfig(ctx, team.ID)
	if err != nil || !cfg.JIT || len(cfg.Domains) != 1 || len(cfg.TrustedCerts) != 1 {
		t.Errorf("SSO config = %+v, %v", cfg, err)
	}
	conns, err := s.ListDirectoryConnections(ctx, team.ID)
	if err != nil || len(conns) != 1 || conns[0].Mapping["email"] != "mail" {
		t.Errorf("directory connections = %+v, %v", conns, err)
	}
	g, err := s.CreateGroup(ctx, team.ID, db.NewGroup{DisplayName: "After Upgrade", Source: db.SourceAdmin,
		Members: []string{alice.ID}}, fixActor)
	if err != nil {
		t.Fatalf("create group after upgrade: %v", err)
	}
	u, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "erin@acme.test", FirstName: "Erin", LastName: "Eel",
		Source: db.SourceSCIM}, fixActor)
	if err != nil {
		t.Fatalf("create user after upgrade: %v", err)
	}
	if _, err := s.ModifyMembers(ctx, team.ID, g.ID, []string{u.ID}, nil, fixActor); err != nil {
		t.Fatalf("add member after upgrade: %v", err)
	}
	if _, err := s.CreateUser(ctx, team.ID, db.NewUser{Email: "ALICE@acme.test", FirstName: "A", LastName: "B",
		Source: db.SourceSCIM}, fixActor); !errors.Is(err, db.ErrConflict) {
		t.Errorf("duplicate email (other case) after upgrade: err = %v, want a conflict", err)
	}
}

var fixActor = db.Actor{Kind: db.ActorOperator, ID: "upgrade-test", Name: "upgrade-test"}

// TestFreshSchemaEqualsUpgradedSchema: a new database migrated by the goose
// history has exactly the schema of a legacy database after its upgrade, so
// both kinds of installation run the same schema from now on. issue 10 #3
func TestFreshSchemaEqualsUpgradedSchema(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			fresh := gormdbtest.DSN(t, d)
			s, err := gormdb.Open(ctx, gormdb.Config{DSN: fresh})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			old := fixtureDB(t, d)
			s, err = gormdb.Open(ctx, gormdb.Config{DSN: old})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			fc, _ := gormdbtest.RawDB(t, fresh)
			oc, _ := gormdbtest.RawDB(t, old)
			fs := gormdbtest.Schema(t, fc, d)
			if len(fs) < 200 { // 20 tables, about 200 columns, 60 indexes
				t.Fatalf("schema description has only %d lines:\n%s", len(fs), strings.Join(fs, "\n"))
			}
			if diff := cmp.Diff(fs, gormdbtest.Schema(t, oc, d)); diff != "" {
				t.Errorf("schema (-fresh +upgraded):\n%s", diff)
			}
			if d == gormdb.MySQL {
				if bad := gormdbtest.NonBinaryTextColumns(t, fc); len(bad) > 0 {
					t.Errorf("fresh database has case-insensitive text columns: %v", bad)
				}
			}
		})
	}
}

// TestMigrateRefusesIncompleteLegacyDatabase: a database from a release
// older than the last legacy one lacks some legacy ids; its schema is not
// the baseline, so Migrate refuses with a message saying what to do instead
// of guessing. issue 10 #3
func TestMigrateRefusesIncompleteLegacyDatabase(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			dsn := fixtureDB(t, d)
			conn, _ := gormdbtest.RawDB(t, dsn)
			if _, err := conn.Exec(`DELETE FROM schema_migrations WHERE id IN ('0103_primary_admin_emails_backfill', '0400_policy')`); err != nil {
				t.Fatal(err)
			}
			_, err := gormdb.Open(ctx, gormdb.Config{DSN: dsn})
			if err == nil {
				t.Fatal("Open migrated an incomplete legacy database")
			}
			for _, want := range []string{"0103_primary_admin_emails_backfill, 0400_policy", "upgrade through the last release"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

// TestMySQLDSNForcesBinaryCollation: the connection collation is utf8mb4_bin
// even when the DSN asks for another, so literals compare case-exactly like
// every column. issue 10 #3
func TestMySQLDSNForcesBinaryCollation(t *testing.T) {
	for _, dsn := range []string{
		"mysql://roster@db:3306/roster",
		"mysql://roster@db:3306/roster?collation=utf8mb4_general_ci",
		"mariadb://roster@db:3306/roster?collation=utf8mb4_unicode_ci&charset=latin1",
	} {
		_, raw, err := gormdb.ParseDSN(dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if !strings.Contains(raw, "collation=utf8mb4_bin") || strings.Count(raw, "collation=") != 1 ||
			!strings.Contains(raw, "charset=utf8mb4") {
			t.Errorf("ParseDSN(%q) = %q, want charset utf8mb4 and collation utf8mb4_bin only", dsn, raw)
		}
	}
}

// TestConcurrentMigrateOnce: replicas starting together on one new database
// all open it, and each migration is applied once, because Migrate runs
// under the PostgreSQL advisory lock or the MariaDB named lock. issue 10 #3
func TestConcurrentMigrateOnce(t *testing.T) {
	ctx := context.Background()
	for _, d := range gormdbtest.Dialects() {
		if d == gormdb.SQLite {
			continue // one process owns a SQLite file
		}
		t.Run(gormdbtest.Name(d), func(t *testing.T) {
			dsn := gormdbtest.DSN(t, d)
			const replicas = 4
			errs := make(chan error, replicas)
			for range replicas {
				go func() {
					s, err := gormdb.Open(ctx, gormdb.Config{DSN: dsn})
					if err == nil {
						s.Close()
					}
					errs <- err
				}()
			}
			for range replicas {
				if err := <-errs; err != nil {
					t.Errorf("replica open: %v", err)
				}
			}
			conn, _ := gormdbtest.RawDB(t, dsn)
			var n, distinct int
			if err := conn.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&n, &distinct); err != nil {
				t.Fatal(err)
			}
			if n != distinct || n == 0 {
				t.Errorf("goose_db_version has %d rows for %d versions; want each version once", n, distinct)
			}
		})
	}
}
