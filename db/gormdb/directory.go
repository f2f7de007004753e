package gormdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/roster-dev/roster/db"
)

var _ db.DirectoryStore = (*Store)(nil)

type dirConnRow struct {
	ID          string `gorm:"primaryKey;size:36"`
	TeamID      string `gorm:"size:36;not null;index:idx_dirconn_team"`
	Kind        string `gorm:"size:16;not null"`
	URL         string `gorm:"size:512;not null"`
	StartTLS    bool   `gorm:"not null"`
	BindDN      string `gorm:"size:1024;not null"`
	PasswordRef string `gorm:"type:text;not null"`
	BaseDN      string `gorm:"size:1024;not null"`
	UserFilter  string `gorm:"type:text"`
	GroupFilter string `gorm:"type:text"`
	Mapping     string `gorm:"type:text"`
	CAPEM       string `gorm:"type:text"`
	TLSPin      string `gorm:"size:64;not null;default:''"`
	IntervalSec int64  `gorm:"not null"`
	DeleteLimit int    `gorm:"not null;default:0"`
	Enabled     bool   `gorm:"not null"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (dirConnRow) TableName() string { return "directory_connections" }

type dirCursorRow struct {
	ConnectionID string `gorm:"primaryKey;size:36"`
	Cookie       []byte
	ScopeHash    string `gorm:"size:64;not null"`
	FullAt       time.Time
	UpdatedAt    time.Time
}

func (dirCursorRow) TableName() string { return "directory_cursors" }

type dirAnchorRow struct {
	ConnectionID string `gorm:"primaryKey;size:36;index:idx_diranchor_dn,priority:1"`
	Anchor       string `gorm:"primaryKey;size:64"`
	Kind         string `gorm:"size:8;not null"`
	TargetID     string `gorm:"size:36;not null;index:idx_diranchor_target"`
	DN           string `gorm:"type:text"`
	DNHash       string `gorm:"size:64;not null;index:idx_diranchor_dn,priority:2"`
	Hash         string `gorm:"size:64;not null"`
}

func (dirAnchorRow) TableName() string { return "directory_anchors" }

type dirRunRow struct {
	ID           int64     `gorm:"primaryKey;autoIncrement"`
	ConnectionID string    `gorm:"size:36;not null;index:idx_dirrun_conn"`
	TeamID       string    `gorm:"size:36;not null;index:idx_dirrun_team"`
	Mode         string    `gorm:"size:8;not null"`
	DryRun       bool      `gorm:"not null"`
	StartedAt    time.Time `gorm:"not null"`
	DurationMS   int64     `gorm:"not null"`
	Counts       string    `gorm:"type:text"`
	Error        string    `gorm:"type:text"`
	// PendingDeletes and DeleteLimit: migration 00045.
	PendingDeletes int `gorm:"not null;default:0"`
	DeleteLimit    int `gorm:"not null;default:0"`
}

func (dirRunRow) TableName() string { return "directory_runs" }

func dnHash(dn string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(dn))))
	return hex.EncodeToString(h[:])
}

func (r dirConnRow) toDomain() db.DirectoryConnection {
	c := db.DirectoryConnection{ID: r.ID, TeamID: r.TeamID, Kind: db.DirectoryKind(r.Kind), URL: r.URL, StartTLS: r.StartTLS,
		BindDN: r.BindDN, PasswordRef: r.PasswordRef, BaseDN: r.BaseDN, UserFilter: r.UserFilter, GroupFilter: r.GroupFilter,
		CAPEM: r.CAPEM, TLSPin: r.TLSPin, Interval: time.Duration(r.IntervalSec) * time.Second, DeleteLimit: r.DeleteLimit,
		Enabled: r.Enabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.Mapping != "" {
		_ = json.Unmarshal([]byte(r.Mapping), &c.Mapping)
	}
	return c
}

func (r dirAnchorRow) toDomain() db.DirectoryAnchor {
	return db.DirectoryAnchor{ConnectionID: r.ConnectionID, Anchor: r.Anchor, Kind: r.Kind, TargetID: r.TargetID, DN: r.DN, Hash: r.Hash}
}

func dirConnNotFound(id string) error {
	return db.Errorf(db.ErrNotFound, "directory_not_found", "directory connection %q does not exist in this team", id)
}

// CreateDirectoryConnection implements db.DirectoryStore. It refuses a
// plaintext password reference (R: secrets never stored in plaintext).
func (s *Store) CreateDirectoryConnection(ctx context.Context, c db.DirectoryConnection, by db.Actor) (db.DirectoryConnection, error) {
	if !c.Kind.Valid() {
		return db.DirectoryConnection{}, db.Errorf(db.ErrInvalid, "kind_invalid", "kind %q is not ad or openldap", c.Kind)
	}
	ref := c.PasswordRef
	if !(strings.HasPrefix(ref, "file:") || strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "enc:")) {
		return db.DirectoryConnection{}, db.Errorf(db.ErrInvalid, "password_ref_invalid", "the bind password must be a file:, env: or enc: reference, never plaintext")
	}
	if c.URL == "" || c.BaseDN == "" {
		return db.DirectoryConnection{}, db.Errorf(db.ErrInvalid, "directory_invalid", "url and base DN are required")
	}
	now := s.nowUTC()
	c.ID, c.CreatedAt, c.UpdatedAt = newID(), now, now
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	mapping := ""
	if len(c.Mapping) > 0 {
		b, _ := json.Marshal(c.Mapping)
		mapping = string(b)
	}
	row := dirConnRow{ID: c.ID, TeamID: c.TeamID, Kind: string(c.Kind), URL: c.URL, StartTLS: c.StartTLS, BindDN: c.BindDN,
		PasswordRef: c.PasswordRef, BaseDN: c.BaseDN, UserFilter: c.UserFilter, GroupFilter: c.GroupFilter, Mapping: mapping,
		CAPEM: c.CAPEM, TLSPin: c.TLSPin, IntervalSec: int64(c.Interval / time.Second), DeleteLimit: c.DeleteLimit,
		Enabled: c.Enabled, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, _, err := teamMode(tx, c.TeamID); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.audit(tx, c.TeamID, by, "directory.create", "directory", c.ID,
			map[string]string{"kind": string(c.Kind), "url": c.URL, "baseDN": c.BaseDN})
	})
	if err != nil {
		return db.DirectoryConnection{}, fmt.Errorf("create directory connection: %w", err)
	}
	return c, nil
}

// GetDirectoryConnection implements db.DirectoryStore.
func (s *Store) GetDirectoryConnection(ctx context.Context, teamID, id string) (db.DirectoryConnection, error) {
	var r dirConnRow
	if err := s.conn(ctx).Take(&r, "team_id = ? AND id = ?", teamID, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.DirectoryConnection{}, dirConnNotFound(id)
		}
		return db.DirectoryConnection{}, fmt.Errorf("get directory connection: %w", translate(err))
	}
	return r.toDomain(), nil
}

// ListDirectoryConnections implements db.DirectoryStore.
func (s *Store) ListDirectoryConnections(ctx context.Context, teamID string) ([]db.DirectoryConnection, error) {
	var rows []dirConnRow
	q := s.conn(ctx)
	if teamID != "" {
		q = q.Where("team_id = ?", teamID)
	}
	if err := q.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list directory connections: %w", translate(err))
	}
	out := make([]db.DirectoryConnection, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// DeleteDirectoryConnection implements db.DirectoryStore. The synced users
// stay; only the link (anchors), cursor and history go.
func (s *Store) DeleteDirectoryConnection(ctx context.Context, teamID, id string, by db.Actor) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("team_id = ? AND id = ?", teamID, id).Delete(&dirConnRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return dirConnNotFound(id)
		}
		for _, m := range []any{&dirCursorRow{}, &dirAnchorRow{}, &dirRunRow{}} {
			if err := tx.Where("connection_id = ?", id).Delete(m).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, teamID, by, "directory.delete", "directory", id, nil)
	})
	if err != nil {
		return fmt.Errorf("delete directory connection: %w", err)
	}
	return nil
}

// DirectoryCursor implements db.DirectoryStore.
func (s *Store) DirectoryCursor(ctx context.Context, connID string) (db.DirectoryCursor, error) {
	var r dirCursorRow
	if err := s.conn(ctx).Take(&r, "connection_id = ?", connID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return db.DirectoryCursor{}, nil
		}
		return db.DirectoryCursor{}, fmt.Errorf("directory cursor: %w", translate(err))
	}
	return db.DirectoryCursor{Cookie: r.Cookie, ScopeHash: r.ScopeHash, FullAt: r.FullAt.UTC()}, nil
}

func anchorsIn(tx *gorm.DB, connID string, anchors []string) (map[string]dirAnchorRow, error) {
	out := make(map[string]dirAnchorRow, len(anchors))
	for _, part := range chunks(dedupe(anchors), 1000) {
		var rows []dirAnchorRow
		if err := tx.Where("connection_id = ? AND anchor IN ?", connID, part).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.Anchor] = r
		}
	}
	return out, nil
}

// DirectoryAnchors implements db.DirectoryStore.
func (s *Store) DirectoryAnchors(ctx context.Context, connID string, anchors []string) (map[string]db.DirectoryAnchor, error) {
	rows, err := anchorsIn(s.conn(ctx), connID, anchors)
	if err != nil {
		return nil, fmt.Errorf("directory anchors: %w", translate(err))
	}
	out := make(map[string]db.DirectoryAnchor, len(rows))
	for k, r := range rows {
		out[k] = r.toDomain()
	}
	return out, nil
}

// DirectoryAnchorsByDN implements db.DirectoryStore.
func (s *Store) DirectoryAnchorsByDN(ctx context.Context, connID string, dns []string) (map[string]db.DirectoryAnchor, error) {
	hashes := make([]string, 0, len(dns))
	for _, d := range dns {
		hashes = append(hashes, dnHash(d))
	}
	out := make(map[string]db.DirectoryAnchor, len(dns))
	for _, part := range chunks(dedupe(hashes), 1000) {
		var rows []dirAnchorRow
		if err := s.conn(ctx).Where("connection_id = ? AND dn_hash IN ?", connID, part).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("directory anchors by DN: %w", translate(err))
		}
		for _, r := range rows {
			out[strings.ToLower(strings.TrimSpace(r.DN))] = r.toDomain()
		}
	}
	return out, nil
}

// DirectoryAnchorsWithDN implements db.DirectoryStore.
func (s *Store) DirectoryAnchorsWithDN(ctx context.Context, connID string, dns []string) ([]db.DirectoryAnchor, error) {
	hashes := make([]string, 0, len(dns))
	for _, d := range dns {
		hashes = append(hashes, dnHash(d))
	}
	var out []db.DirectoryAnchor
	for _, part := range chunks(dedupe(hashes), 1000) {
		var rows []dirAnchorRow
		if err := s.conn(ctx).Where("connection_id = ? AND dn_hash IN ?", connID, part).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("directory anchors with DN: %w", translate(err))
		}
		for _, r := range rows {
			out = append(out, r.toDomain())
		}
	}
	return out, nil
}

// EachDirectoryAnchor implements db.DirectoryStore with keyset pages, so
// memory stays bounded however many anchors a connection has.
func (s *Store) EachDirectoryAnchor(ctx context.Context, connID, kind string, fn func(db.DirectoryAnchor) error) error {
	after := ""
	for {
		var rows []dirAnchorRow
		q := s.conn(ctx).Where("connection_id = ? AND anchor > ?", connID, after)
		if kind != "" {
			q = q.Where("kind = ?", kind)
		}
		if err := q.Order("anchor").Limit(2000).Find(&rows).Error; err != nil {
			return fmt.Errorf("each directory anchor: %w", translate(err))
		}
		for _, r := range rows {
			if err := fn(r.toDomain()); err != nil {
				return err
			}
		}
		if len(rows) < 2000 {
			return nil
		}
		after = rows[len(rows)-1].Anchor
	}
}

// CountDirectoryAnchors implements db.DirectoryStore.
func (s *Store) CountDirectoryAnchors(ctx context.Context, connID, kind string) (int, error) {
	var n int64
	q := s.conn(ctx).Model(&dirAnchorRow{}).Where("connection_id = ?", connID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count directory anchors: %w", translate(err))
	}
	return int(n), nil
}

// RecordDirectoryRun implements db.DirectoryStore.
func (s *Store) RecordDirectoryRun(ctx context.Context, r db.DirectoryRun) (db.DirectoryRun, error) {
	b, _ := json.Marshal(r.Counts)
	row := dirRunRow{ConnectionID: r.ConnectionID, TeamID: r.TeamID, Mode: r.Mode, DryRun: r.DryRun,
		StartedAt: r.StartedAt.UTC().Truncate(time.Millisecond), DurationMS: r.Duration.Milliseconds(), Counts: string(b), Error: r.Error,
		PendingDeletes: r.PendingDeletes, DeleteLimit: r.DeleteLimit}
	// A real (not dry) run is audited, so it is a directory.run_completed
	// event with the run as its resource, in the run row's transaction.
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if r.DryRun {
			return nil
		}
		return s.audit(tx, r.TeamID, db.Actor{Kind: db.ActorDirectory, ID: r.ConnectionID, Name: "directory sync"},
			"directory.run", "directory_run", strconv.FormatInt(row.ID, 10), map[string]string{"connection_id": r.ConnectionID})
	})
	if err != nil {
		return r, fmt.Errorf("record directory run: %w", translate(err))
	}
	r.ID = row.ID
	return r, nil
}

// ListDirectoryRuns implements db.DirectoryStore.
func (s *Store) ListDirectoryRuns(ctx context.Context, teamID, connID string, limit int) ([]db.DirectoryRun, error) {
	if limit <= 0 {
		limit = 20
	}
	q := s.conn(ctx).Where("team_id = ?", teamID)
	if connID != "" {
		q = q.Where("connection_id = ?", connID)
	}
	var rows []dirRunRow
	if err := q.Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list directory runs: %w", translate(err))
	}
	out := make([]db.DirectoryRun, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

func (r *dirRunRow) toDomain() db.DirectoryRun {
	out := db.DirectoryRun{ID: r.ID, ConnectionID: r.ConnectionID, TeamID: r.TeamID, Mode: r.Mode, DryRun: r.DryRun,
		StartedAt: r.StartedAt.UTC(), Duration: time.Duration(r.DurationMS) * time.Millisecond, Error: r.Error,
		PendingDeletes: r.PendingDeletes, DeleteLimit: r.DeleteLimit}
	_ = json.Unmarshal([]byte(r.Counts), &out.Counts)
	return out
}

// TryLockDirectory implements db.DirectoryStore: a session-level
// pg_try_advisory_lock on a dedicated connection (PostgreSQL), GET_LOCK
// (MySQL), or a lease row in directory_leases (SQLite).
func (s *Store) TryLockDirectory(ctx context.Context, connID string) (func(), bool, error) {
	switch s.dialect {
	case Postgres, MySQL:
		sqlDB, err := s.db.DB()
		if err != nil {
			return nil, false, unavailable(err)
		}
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			return nil, false, unavailable(err)
		}
		var ok bool
		var unlockSQL string
		var arg any
		if s.dialect == Postgres {
			h := fnv.New64a()
			h.Write([]byte("roster-directory:" + connID))
			key := int64(h.Sum64())
			arg = key
			err = c.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok)
			unlockSQL = "SELECT pg_advisory_unlock($1)"
		} else {
			name := "roster-dir-" + connID
			arg = name
			var got int
			err = c.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got)
			ok = got == 1
			unlockSQL = "SELECT RELEASE_LOCK(?)"
		}
		if err != nil {
			c.Close()
			return nil, false, fmt.Errorf("lock directory: %w", translate(err))
		}
		if !ok {
			c.Close()
			return nil, false, nil
		}
		return func() {
			c.ExecContext(context.Background(), unlockSQL, arg)
			c.Close()
		}, true, nil
	}
	return s.leaseDirectory(ctx, connID)
}

// dirLeaseTTL is how long a SQLite directory lease lasts unless renewed;
// the holder renews it every third of that while the run goes on, so a
// crashed replica's lease is free again after at most this long.
const dirLeaseTTL = 3 * time.Minute

// leaseDirectory takes the connection's row in directory_leases (SQLite:
// every process on the database file sees it; the upsert only replaces an
// expired lease), renewing it until unlock.
func (s *Store) leaseDirectory(ctx context.Context, connID string) (func(), bool, error) {
	holder := uuid.NewString()
	take := func(ctx context.Context) (bool, error) {
		now := time.Now().UTC()
		res := s.db.WithContext(ctx).Exec("INSERT INTO directory_leases (connection_id, holder, expires_at) VALUES (?, ?, ?) "+
			"ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "+
			"WHERE directory_leases.holder = excluded.holder OR directory_leases.expires_at < ?",
			connID, holder, now.Add(dirLeaseTTL), now)
		if res.Error != nil {
			return false, fmt.Errorf("lock directory: %w", translate(res.Error))
		}
		return res.RowsAffected == 1, nil
	}
	ok, err := take(ctx)
	if err != nil || !ok {
		return nil, false, err
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(dirLeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if ok, err := take(context.Background()); err != nil || !ok {
					s.log.Warn("directory lease renewal failed", "connection", connID, "err", err)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			s.db.WithContext(context.Background()).Exec("DELETE FROM directory_leases WHERE connection_id = ? AND holder = ?", connID, holder)
		})
	}, true, nil
}

var errDryRun = errors.New("dry run: roll back")

// ApplyDirectoryBatch implements db.DirectoryStore. Every user and group
// change goes through the store's one writer (writer.go): users are created
// by its bulk queue (so the role policy classifies them exactly as on every
// other path, R-POL-2/R-POL-3), updated under its row lock and version
// compare-and-swap, removed by its delete; groups are created, renamed,
// diffed and deleted by it. The cursor is written last, all in one
// transaction: a failure leaves nothing half-applied.
func (s *Store) ApplyDirectoryBatch(ctx context.Context, conn db.DirectoryConnection, b db.DirectoryBatch, by db.Actor) (db.DirectoryResult, error) {
	if s.planDirectory == nil {
		return db.DirectoryResult{}, errors.New("apply directory batch: the store has no directory planner (gormdb.Config.PlanDirectory)")
	}
	var res db.DirectoryResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res = db.DirectoryResult{}
		a := dirApply{s: s, tx: tx, w: &writer{s: s, tx: tx, teamID: conn.TeamID}, conn: conn, by: by, res: &res}
		if err := a.w.planForValues(); err != nil {
			return err
		}
		if err := a.run(b); err != nil {
			return err
		}
		if b.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return res, nil
	}
	if err != nil {
		return db.DirectoryResult{}, fmt.Errorf("apply directory batch: %w", err)
	}
	return res, nil
}

type dirApply struct {
	s    *Store
	tx   *gorm.DB
	w    *writer // the one write path; anchors and the cursor are the batch's own
	conn db.DirectoryConnection
	by   db.Actor
	res  *db.DirectoryResult

	// anchors of the users queued in w, written in bulk after them (see flushNew)
	newAnchors []dirAnchorRow
}

func (a *dirApply) change(c db.DirectoryChange) { a.res.Changes = append(a.res.Changes, c) }

func (a *dirApply) run(b db.DirectoryBatch) error {
	tx, teamID := a.tx, a.conn.TeamID
	_, mode, err := teamMode(tx, teamID)
	if err != nil {
		return err
	}
	// An entry with a value the database cannot hold (a NUL, invalid UTF-8:
	// a binary identifier, a mangled name) is a per-entry skip, reported; it
	// must not fail the whole batch, so the rest of the directory still syncs
	// (issue 9 #11). The LDAP mapping already cleans attribute text; this
	// guards every caller of the store.
	users := b.Users[:0:0]
	for _, u := range b.Users {
		if err := checkTexts("a directory value:", map[string]string{"anchor": u.Anchor, "DN": u.DN,
			"email": u.Email, "userName": u.UserName, "first name": u.FirstName, "last name": u.LastName}); err != nil {
			a.res.Counts.Skipped++
			a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: printable(u.Anchor), Email: printable(u.Email), Detail: err.Error()})
			continue
		}
		users = append(users, u)
	}
	b.Users = users
	groups := b.Groups[:0:0]
	for _, g := range b.Groups {
		if err := checkTexts("a directory value: the group's", map[string]string{"anchor": g.Anchor, "DN": g.DN, "name": g.DisplayName}); err != nil {
			a.change(db.DirectoryChange{Action: "skip", Kind: "group", Anchor: printable(g.Anchor), Detail: err.Error()})
			continue
		}
		g.Members = validTexts(g.Members) // an anchor that is not text was never stored
		groups = append(groups, g)
	}
	b.Groups = groups
	b.DeleteUsers, b.DeleteGroups = validTexts(b.DeleteUsers), validTexts(b.DeleteGroups)
	batchEmails := make([]string, len(b.Users))
	for i, u := range b.Users {
		batchEmails[i] = u.Email
	}
	policy, err := a.s.classifierFor(tx, teamID, mode, batchEmails)
	if err != nil {
		return err
	}
	snap, err := a.snapshot(b)
	if err != nil {
		return err
	}
	plan := a.s.planDirectory(a.conn, b, snap, a.by)
	if err := a.applyPlan(plan, policy); err != nil {
		return err
	}
	if err := a.applyGroups(plan.Groups); err != nil {
		return err
	}
	if b.Cursor != nil {
		row := dirCursorRow{ConnectionID: a.conn.ID, Cookie: b.Cursor.Cookie, ScopeHash: b.Cursor.ScopeHash,
			FullAt: b.Cursor.FullAt.UTC().Truncate(time.Millisecond), UpdatedAt: a.s.nowUTC()}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"cookie", "scope_hash", "full_at", "updated_at"})}).Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}

// printable is an identifier that is not text, made safe to report.
func printable(v string) string { return strings.ToValidUTF8(strings.ReplaceAll(v, "\x00", ""), "?") }

// checkTexts checks named values with db.CheckText, in name order.
func checkTexts(of string, fields map[string]string) error {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := db.CheckText(of+" "+n, fields[n]); err != nil {
			return err
		}
	}
	return nil
}

// validTexts drops the values db.CheckText refuses.
func validTexts(vs []string) []string {
	out := vs[:0:0]
	for _, v := range vs {
		if db.CheckText("", v) == nil {
			out = append(out, v)
		}
	}
	return out
}

func (a *dirApply) saveAnchor(anchor, kind, target, dn, hash string) error {
	row := dirAnchorRow{ConnectionID: a.conn.ID, Anchor: anchor, Kind: kind, TargetID: target, DN: dn, DNHash: dnHash(dn), Hash: hash}
	return a.tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}, {Name: "anchor"}},
		DoUpdates: clause.AssignmentColumns([]string{"kind", "target_id", "dn", "dn_hash", "hash"})}).Create(&row).Error
}

// snapshot reads what the planner decides on (db.DirectorySnapshot): the
// anchors of the batch's user keys, the users matching unanchored entries by
// email, the owners of the batch's userNames, and the rows of the changed
// anchored users and of the users the batch deletes.
func (a *dirApply) snapshot(b db.DirectoryBatch) (db.DirectorySnapshot, error) {
	tx, teamID := a.tx, a.conn.TeamID
	var keys []string
	for _, u := range b.Users {
		keys = append(keys, u.Anchor)
	}
	keys = append(keys, b.DeleteUsers...)
	rows, err := anchorsIn(tx, a.conn.ID, keys)
	if err != nil {
		return db.DirectorySnapshot{}, err
	}
	snap := db.DirectorySnapshot{Anchors: make(map[string]db.DirectoryAnchor, len(rows)), ByEmail: map[string]db.User{},
		UserNames: map[string]string{}, Current: map[string]db.User{}}
	for k, r := range rows {
		snap.Anchors[k] = r.toDomain()
	}
	var emails, names, ids []string
	for _, u := range b.Users {
		if u.UserName != "" {
			names = append(names, lower(u.UserName))
		}
		// the email is the planner's fallback userName (and follows an email
		// change), so who holds it as a userName is part of the snapshot too
		names = append(names, lower(u.Email))
		r, ok := rows[u.Anchor]
		switch {
		case !ok:
			// users the batch has not linked yet may already exist (SCIM, admin): match by email
			emails = append(emails, db.NormalizeEmail(u.Email))
		case r.Kind == "user" && r.Hash != u.Hash:
			ids = append(ids, r.TargetID)
		}
	}
	for _, anc := range b.DeleteUsers {
		if r, ok := rows[anc]; ok && r.Kind == "user" {
			ids = append(ids, r.TargetID)
		}
	}
	for _, part := range chunks(dedupe(emails), 1000) {
		var got []userRow
		if err := tx.Where("team_id = ? AND email_lower IN ?", teamID, part).Find(&got).Error; err != nil {
			return db.DirectorySnapshot{}, err
		}
		for i := range got {
			snap.ByEmail[got[i].EmailLower] = got[i].toDomain()
		}
	}
	for _, part := range chunks(dedupe(names), 1000) {
		var got []userRow
		if err := tx.Select("id", "user_name_lower").Where("team_id = ? AND user_name_lower IN ?", teamID, part).Find(&got).Error; err != nil {
			return db.DirectorySnapshot{}, err
		}
		for _, r := range got {
			snap.UserNames[r.UserNameLower] = r.ID
		}
	}
	for _, part := range chunks(dedupe(ids), 1000) {
		var got []userRow
		if err := tx.Where("team_id = ? AND id IN ?", teamID, part).Find(&got).Error; err != nil {
			return db.DirectorySnapshot{}, err
		}
		for i := range got {
			snap.Current[got[i].ID] = got[i].toDomain()
		}
	}
	return snap, a.groupSnapshot(b, &snap)
}

// groupSnapshot adds what the planner decides groups on: the anchors of
// the batch's group keys, the groups they link, and the team's groups named
// like the batch's groups.
func (a *dirApply) groupSnapshot(b db.DirectoryBatch, snap *db.DirectorySnapshot) error {
	tx, teamID := a.tx, a.conn.TeamID
	snap.GroupAnchors, snap.Groups, snap.GroupsByName = map[string]db.DirectoryAnchor{}, map[string]db.Group{}, map[string]db.Group{}
	var keys, names []string
	for _, g := range b.Groups {
		keys = append(keys, g.Anchor)
		names = append(names, db.GroupNameKey(g.DisplayName))
	}
	keys = append(keys, b.DeleteGroups...)
	rows, err := anchorsIn(tx, a.conn.ID, keys)
	if err != nil {
		return err
	}
	var ids []string
	for k, r := range rows {
		snap.GroupAnchors[k] = r.toDomain()
		if r.Kind == "group" {
			ids = append(ids, r.TargetID)
		}
	}
	for _, part := range chunks(dedupe(ids), 1000) {
		var got []groupRow
		if err := tx.Omit("attributes").Where("team_id = ? AND id IN ?", teamID, part).Find(&got).Error; err != nil {
			return err
		}
		for i := range got {
			snap.Groups[got[i].ID] = got[i].toDomain()
		}
	}
	for _, part := range chunks(dedupe(names), 1000) {
		var got []groupRow
		if err := tx.Omit("attributes").Where("team_id = ? AND display_name_lower IN ?", teamID, part).Find(&got).Error; err != nil {
			return err
		}
		for i := range got {
			snap.GroupsByName[got[i].DisplayNameLower] = got[i].toDomain()
		}
	}
	return nil
}

// applyPlan applies the planner's steps through the writer: new users are
// queued and written in bulk (then their anchors), links and updates run
// under the writer's row lock and version compare-and-swap, deletions last.
// A mutation the writer refuses (an email taken, an invalid value) skips
// the entry and keeps its old attribute hash, so the next run tries again.
func (a *dirApply) applyPlan(p db.DirectoryPlan, policy teamClassifier) error {
	var later []db.DirectoryStep
	for _, st := range p.Steps {
		if st.Unlink != "" {
			later = append(later, st)
			continue
		}
		if err := a.applyStep(st, policy); err != nil {
			return err
		}
	}
	if err := a.flushNew(); err != nil {
		return err
	}
	for _, st := range later {
		if err := a.applyStep(st, policy); err != nil {
			return err
		}
	}
	return nil
}

func (a *dirApply) skipEntry(u db.DirectoryUser, detail string) {
	a.res.Counts.Skipped++
	a.change(db.DirectoryChange{Action: "skip", Kind: "user", Anchor: u.Anchor, Email: u.Email, Detail: detail})
}

// count adds a step's outcome to the result, as its change says.
func (a *dirApply) count(st db.DirectoryStep) {
	c := &a.res.Counts
	if st.Conflict != nil {
		c.Conflicts++
		a.change(*st.Conflict)
	}
	if st.Change == nil {
		if st.Conflict == nil && st.Unlink == "" {
			c.Unchanged++
		}
		return
	}
	switch st.Change.Action {
	case "create":
		c.Created++
	case "update", "link":
		c.Updated++
	case "deactivate":
		c.Deactivated++
	case "delete":
		c.Deleted++
	case "skip":
		c.Skipped++
	}
	a.change(*st.Change)
}

func (a *dirApply) applyStep(st db.DirectoryStep, policy teamClassifier) error {
	u := st.Entry
	switch m := st.Mutation.(type) {
	case nil:
	case db.UserCreate:
		nu, err := a.s.prepareUser(a.conn.TeamID, m.User)
		if err != nil {
			a.skipEntry(u, err.Error())
			return nil
		}
		if err := a.w.queueUser(&nu, nil, m.By, &policy); err != nil {
			return err
		}
		ch := *st.Change
		ch.Detail = string(nu.Type)
		st.Change = &ch
		anc := *st.Anchor
		a.newAnchors = append(a.newAnchors, dirAnchorRow{ConnectionID: a.conn.ID, Anchor: anc.Anchor, Kind: "user", TargetID: nu.ID,
			DN: anc.DN, DNHash: dnHash(anc.DN), Hash: anc.Hash})
		a.count(st)
		return nil
	case db.UserLink:
		_, _, err := a.w.updateUser(m.UserID, m.IfVersion, m.By, linkChange(m))
		if de := (*db.Error)(nil); errors.As(err, &de) && (de.Kind == db.ErrConflict || de.Kind == db.ErrInvalid) {
			detail := err.Error()
			if de.Code == "email_taken" {
				detail = "email taken by another user"
			}
			a.skipEntry(u, detail)
			// keep the old attribute hash (so the next run tries again) but take the new DN
			if st.Prev != nil && st.Prev.DN != u.DN {
				return a.saveAnchor(u.Anchor, "user", st.Prev.TargetID, u.DN, st.Prev.Hash)
			}
			return nil
		}
		if err != nil {
			return err
		}
	case db.UserDelete:
		if err := a.w.deleteUser(m.UserID, m.By); err != nil {
			return err
		}
	default:
		return fmt.Errorf("directory plan: unexpected mutation %T", m)
	}
	if st.Conflict != nil {
		if err := a.s.audit(a.tx, a.conn.TeamID, a.by, "directory.conflict", "user", st.Anchor.TargetID,
			map[string]string{"dn": u.DN, "refused": "deactivate", "reason": "primary_admin_inactive"}); err != nil {
			return err
		}
	}
	a.count(st)
	if st.Unlink != "" {
		return a.tx.Where("connection_id = ? AND anchor = ?", a.conn.ID, st.Unlink).Delete(&dirAnchorRow{}).Error
	}
	if st.Anchor != nil {
		return a.saveAnchor(st.Anchor.Anchor, "user", st.Anchor.TargetID, st.Anchor.DN, st.Anchor.Hash)
	}
	return nil
}

// flushNew writes the users queued in the writer, then their anchors.
func (a *dirApply) flushNew() error {
	if err := a.w.flush(); err != nil {
		return err
	}
	if len(a.newAnchors) > 0 {
		if err := createInParts(a.tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "connection_id"}, {Name: "anchor"}},
			DoUpdates: clause.AssignmentColumns([]string{"kind", "target_id", "dn", "dn_hash", "hash"})}), a.newAnchors, 256); err != nil {
			return err
		}
	}
	a.newAnchors = nil
	return nil
}

// applyGroups applies the planner's group steps through the writer, after
// the batch's users (so member anchors resolve to the users just written).
// A create the writer refuses as invalid is a reported skip; a rename it
// refuses (the name is another group's, or not valid) keeps the current
// name; a group already gone at its delete only loses its anchor.
func (a *dirApply) applyGroups(steps []db.DirectoryGroupStep) error {
	ids := make([]string, len(steps)) // the group each step ended on
	for i, st := range steps {
		id := st.GroupID
		if st.SameAs > 0 {
			id = ids[st.SameAs-1]
			if id == "" {
				continue // the group it joins was skipped
			}
		}
		c := &a.res.Counts
		switch m := st.Mutation.(type) {
		case nil:
		case db.GroupCreate:
			ng, err := a.w.createGroup(m.Group, m.By)
			if de := (*db.Error)(nil); errors.As(err, &de) && de.Kind == db.ErrInvalid {
				a.change(db.DirectoryChange{Action: "skip", Kind: "group", Anchor: st.Entry.Anchor, Name: m.Group.DisplayName, Detail: err.Error()})
				continue
			}
			if err != nil {
				return err
			}
			id = ng.ID
			c.GroupsCreated++
		case db.GroupRename:
			_, err := a.w.renameGroup(m.GroupID, m.IfVersion, m.By, func(cur *db.Group) error { cur.DisplayName = m.DisplayName; return nil })
			switch de := (*db.Error)(nil); {
			case errors.As(err, &de) && (de.Kind == db.ErrConflict || de.Kind == db.ErrInvalid):
				st.Change = nil // another group has the name (or it is not valid): keep the current name
			case err != nil:
				return err
			default:
				c.GroupsUpdated++
			}
		case db.GroupDelete:
			_, err := a.w.deleteGroup(m.GroupID, m.By)
			switch {
			case errors.Is(err, db.ErrNotFound):
				st.Change = nil // already gone
			case err != nil:
				return err
			default:
				c.GroupsDeleted++
			}
		default:
			return fmt.Errorf("directory plan: unexpected group mutation %T", m)
		}
		ids[i] = id
		if st.Change != nil {
			a.change(*st.Change)
		}
		if st.SetMembers {
			if err := a.setGroupMembers(st, id); err != nil {
				return err
			}
		}
		if st.Unlink != "" {
			if err := a.tx.Where("connection_id = ? AND anchor = ?", a.conn.ID, st.Unlink).Delete(&dirAnchorRow{}).Error; err != nil {
				return err
			}
		}
		if st.Anchor != nil {
			if err := a.saveAnchor(st.Anchor.Anchor, "group", id, st.Anchor.DN, st.Anchor.Hash); err != nil {
				return err
			}
		}
	}
	return nil
}

// setGroupMembers resolves the entry's member anchors to the users they
// link and makes them the group's member set (the writer's one diff).
func (a *dirApply) setGroupMembers(st db.DirectoryGroupStep, groupID string) error {
	var want []string
	for _, part := range chunks(dedupe(st.Entry.Members), 1000) {
		var ids []string
		if err := a.tx.Model(&dirAnchorRow{}).Where("connection_id = ? AND kind = ? AND anchor IN ?", a.conn.ID, "user", part).Pluck("target_id", &ids).Error; err != nil {
			return err
		}
		want = append(want, ids...)
	}
	_, added, removed, err := a.w.setMembers(groupID, want, a.by)
	if err != nil {
		return err
	}
	if added > 0 || removed > 0 {
		if st.Linked {
			a.res.Counts.GroupsUpdated++
		}
		a.res.Counts.MembersAdded += added
		a.res.Counts.MembersRemoved += removed
		a.change(db.DirectoryChange{Action: "group.members", Kind: "group", Anchor: st.Entry.Anchor, Name: strings.TrimSpace(st.Entry.DisplayName),
			Detail: fmt.Sprintf("+%d -%d", added, removed)})
	}
	return nil
}
